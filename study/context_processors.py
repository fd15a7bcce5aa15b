"""Template context shared by every page."""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

NAV = {
    "home": ("study:home", ()),
    "table": ("study:comparison", ("umn-lmn",)),
    "stats": ("study:stats", ()),
    "settings": ("study:settings", ()),
    "classrooms": ("study:classrooms", ()),
    "authoring": ("study:authoring", ()),
    "import": ("study:import", ()),
    "admin": ("admin:index", ()),
    "password": ("password_change", ()),
    "account": ("study:account", ()),
    "logout": ("logout", ()),
}


@lru_cache(maxsize=8)
def _nav_urls(script_prefix: str) -> dict[str, str]:
    return {key: reverse(name, args=args) for key, (name, args) in NAV.items()}


def nav(request: HttpRequest) -> dict:
    """The menu's URLs, reversed once per process: a dozen `{% url %}` tags were 40 % of
    the study page's render time. Keyed by script prefix, which `reverse` depends on."""
    return {"nav": _nav_urls(get_script_prefix())}
