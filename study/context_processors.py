"""Template context shared by every page.

Every page extends base.html, so what it needs is worked out here, once per process where
it cannot change (URLs, asset paths), rather than by template tags on every render.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from django.contrib.auth.middleware import get_user
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import escape
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


# Every value below is escaped once, here (`escape` returns a SafeString): the template then
# prints it as it is, where it would otherwise escape each of them on every render.


@lru_cache(maxsize=8)
def _nav_urls(script_prefix: str) -> dict[str, str]:
    return {key: escape(reverse(name, args=args)) for key, (name, args) in NAV.items()}


@lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    return {
        "css": escape(static("css/app.css")),
        "keys": escape(static("js/keys.js")),
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


_CHAR_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}
_MASKS = len(CSRF_ALLOWED_CHARS) ** CSRF_SECRET_LENGTH


def masked_csrf_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token` returns, the cookie's secret under a fresh
    random mask (so the token on a page changes with every response, against BREACH), in
    the same format, at a sixth of the cost: Django draws the mask's 32 characters with 32
    `secrets.choice` calls, one `urandom` system call each, which was a sixth of the study
    page's render time. Here one draw of `secrets.randbelow`, uniform over every possible
    mask, gives all 32 characters.
    """
    secret = request.META.get("CSRF_COOKIE")  # CsrfViewMiddleware has checked its format
    if secret is None:
        return get_token(request)  # no cookie yet: Django makes the secret and sets it
    # As get_token does: the cookie is sent again with the response, renewing its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    draw, base = secrets.randbelow(_MASKS), len(CSRF_ALLOWED_CHARS)
    mask, cipher = [], []
    for char in secret:
        draw, offset = divmod(draw, base)
        mask.append(CSRF_ALLOWED_CHARS[offset])
        cipher.append(CSRF_ALLOWED_CHARS[(_CHAR_INDEX[char] + offset) % base])
    return "".join(mask) + "".join(cipher)


def csrf(request: HttpRequest) -> dict:
    """`csrf_token` for `{% csrf_token %}` and the page's HTMX header, replacing the one
    of Django's built-in processor (which runs first) with `masked_csrf_token`'s; still
    lazy, so a page without a form does not set the cookie."""
    return {"csrf_token": SimpleLazyObject(lambda: masked_csrf_token(request))}
