"""The Redis cache (`motorneuron.cache`), against a real Redis: what production runs when
REDIS_URL is set, with sessions cached in it."""

import os
import socket
import threading
from urllib.parse import urlsplit

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import override_settings

from motorneuron.cache import RedisCache

from .test_production_settings import production_settings

# A database of its own (the bench uses 15), emptied by each test that writes to it.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _redis_answers() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_cache():
    """The production backend on a real Redis. In CI a missing Redis fails the test; on a
    developer's machine without one it is skipped, saying why."""
    if not _redis_answers():
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {REDIS_URL} (TEST_REDIS_URL)")
        pytest.skip(f"needs Redis at {REDIS_URL} (TEST_REDIS_URL); CI runs it")
    settings = {
        "default": {"BACKEND": "motorneuron.cache.RedisCache", "LOCATION": REDIS_URL},
    }
    with override_settings(CACHES=settings):
        cache = caches["default"]
        cache.clear()
        yield cache
        cache.clear()


def test_production_settings_use_it_when_redis_url_is_set():
    backend, engine = production_settings(
        "[s.CACHES['default']['BACKEND'], s.SESSION_ENGINE]", REDIS_URL=REDIS_URL
    )
    assert backend == "motorneuron.cache.RedisCache"
    assert engine == "django.contrib.sessions.backends.cached_db"


def test_values_round_trip_through_redis(redis_cache):
    assert isinstance(redis_cache, RedisCache)
    redis_cache.set("card", {"front": "Babinski sign", "ids": [1, 2]}, timeout=60)
    redis_cache.set_many({"a": 1, "b": "two"})
    assert redis_cache.get("card") == {"front": "Babinski sign", "ids": [1, 2]}
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": 1, "b": "two"}
    assert redis_cache.add("a", 5) is False
    assert redis_cache.incr("a") == 2
    redis_cache.delete("card")
    assert redis_cache.get("card", "gone") == "gone"


def test_one_client_serves_every_call(redis_cache):
    """The point of the class: Django's own backend builds a redis-py client per call."""
    backend = redis_cache._cache
    client = backend.get_client("k")
    assert backend.get_client("other") is client
    assert backend.get_client("k", write=True) is client  # one server: reads and writes share
    redis_cache.set("k", 1)
    assert redis_cache.get("k") == 1
    assert backend.get_client("k") is client


def test_each_thread_has_its_own_cache_and_client(redis_cache):
    """Django gives each thread its own cache object; a client is never shared across them
    by this class (redis-py would allow it, but nothing here depends on that)."""
    here = redis_cache._cache.get_client()
    there = {}

    def work() -> None:
        cache = caches["default"]
        cache.set("from-thread", "yes")
        there["client"] = cache._cache.get_client()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert there["client"] is not here
    assert redis_cache.get("from-thread") == "yes"


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cached_db")
def test_sessions_are_read_from_redis(redis_cache, db):
    session = SessionStore()
    session["seen_day"] = 20_000
    session.create()
    # Gone from the database, the session still loads: it came from Redis.
    Session.objects.filter(session_key=session.session_key).delete()
    assert SessionStore(session.session_key).load() == {"seen_day": 20_000}
    # And once gone from both, it is an empty session, not an error.
    redis_cache.clear()
    assert SessionStore(session.session_key).load() == {}
