"""Template context shared by every page.

Every page extends base.html, so what it needs is worked out here, once per process where
it cannot change (URLs, asset paths), rather than by template tags on every render.
"""

from __future__ import annotations

from functools import lru_cache

from django.contrib.auth.middleware import get_user
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django_htmx.jinja import htmx_script

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


@lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    return {
        "css": static("css/app.css"),
        "keys": static("js/keys.js"),
        "htmx": htmx_script(),  # django-htmx's <script> tag(s), as `{% htmx_script %}` renders
    }


@receiver(setting_changed)
def _forget_assets(*, setting: str, **kwargs) -> None:
    # Static URLs depend on these (tests change them); the manifest itself is read once
    # per process by the storage, so nothing else makes them change.
    if setting in {"STORAGES", "STATIC_URL", "STATIC_ROOT", "DEBUG", "INSTALLED_APPS"}:
        _assets.cache_clear()


def nav(request: HttpRequest) -> dict:
    """The menu's URLs and the stylesheet's and scripts' paths, once per process: a dozen
    `{% url %}` tags were 40 % of the study page's render time, and the `{% static %}` and
    `{% htmx_script %}` tags another 8 %. URLs are keyed by script prefix, which `reverse`
    depends on."""
    return {"nav": _nav_urls(get_script_prefix()), "assets": _assets()}


def user(request: HttpRequest) -> dict:
    """`user` as the user object itself, replacing auth's lazy `request.user` proxy: every
    attribute the templates read through the proxy costs a lookup on the proxy first (5 %
    of the study page's render time). Runs after `django.contrib.auth`'s processor, which
    the admin requires."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject):
        # Still the middleware's proxy, so its object is the one the middleware cached.
        # After a log-in or log-out in this request, `request.user` is the new object
        # itself and the cached one is stale.
        user = get_user(request)
    return {} if user is None else {"user": user}
