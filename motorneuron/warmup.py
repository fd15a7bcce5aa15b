"""Start-up work that every gunicorn worker would otherwise repeat after it is forked.

gunicorn imports the app once in its master (`preload_app`), forks the workers from it
and replaces each worker after `max_requests`. Django defers much of its start-up to the
first request: importing the URLconf and every view module, indexing it for `reverse`,
compiling the templates, importing the cache's client library. Done in the master, the
workers inherit it instead: a fresh worker's first study page cost ~170 ms of CPU before
this (measured in-process), and every replaced worker paid it again. No connection to
the database or the cache is opened here: the forked workers would share it.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.urls import get_resolver, reverse

# The client library each cache backend imports on its first use.
CACHE_CLIENTS = {
    "django.core.cache.backends.redis.RedisCache": "redis",
    "motorneuron.cache.RedisCache": "redis",
}


def template_names() -> list[str]:
    """Every template in the project's template directories, by its loader name."""
    names = []
    for directory in (Path(d) for d in settings.TEMPLATES[0]["DIRS"]):
        names += sorted(str(p.relative_to(directory)) for p in directory.rglob("*.html"))
    return names


def warm_up() -> None:
    get_resolver().resolve("/")  # imports the URLconf, and with it every view module
    for name in ("study:home", "admin:index"):  # indexes every URL name, by namespace
        reverse(name)
    engine = engines["django"]
    for name in template_names():
        engine.get_template(name)  # compiled into the cached loader
    for cache in settings.CACHES.values():
        if library := CACHE_CLIENTS.get(cache["BACKEND"]):
            import_module(library)
