"""Django's Redis cache, keeping its redis-py client instead of building one per call.

`django.core.cache.backends.redis.RedisCacheClient.get_client` constructs a new
`redis.Redis` around its (cached) connection pool on every cache operation. With redis-py
8 that constructor costs ~0.1 ms of CPU (it copies the command callbacks and sets up
retries and event dispatch), paid by every request through the cached session's load:
about 5 % of a request to `/healthz` (docs/performance.md). A client built with
`Redis(connection_pool=pool)` holds no connection of its own and does not own the pool
(redis-py takes a connection from the pool per command and documents such clients as safe
to share between threads), so one client per pool serves every call. Django keeps one
cache object per thread, so each thread has its own client anyway.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # the parent's choice of server and pool
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` with `RedisCacheClient` above."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
