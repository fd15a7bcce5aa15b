"""gunicorn settings for `make serve` and `make bench` (override any of them with env vars).

Sync workers: each request is short and CPU-bound (template + a few indexed queries), so
one process per core plus one is the classic sizing; more workers only add context switches.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # loopback unless told otherwise
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "sync"
# Keep-alive only matters behind a proxy that reuses connections (and for the benchmark).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
preload_app = True  # import Django once, share pages between workers
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def when_ready(server) -> None:
    """In the master, with the app preloaded and before any worker is forked."""
    if server.cfg.preload_app:
        from motorneuron.warmup import warm_up

        warm_up()


def pre_fork(server, worker) -> None:
    # Objects the master made stay out of the workers' garbage collections, which would
    # otherwise touch (and so copy) every page of memory they share with the master.
    gc.freeze()
