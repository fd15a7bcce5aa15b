"""gunicorn's master warms the app up before forking workers (motorneuron/warmup.py)."""

from django.template import engines

from motorneuron.warmup import CACHE_CLIENTS, template_names, warm_up

from .test_production_settings import production_settings


def test_warm_up_compiles_every_template_without_touching_the_database():
    # No `db` fixture, so pytest-django refuses any connection: one opened in gunicorn's
    # master would be shared by all its workers.
    warm_up()  # raises on any template that does not compile
    assert {"base.html", "study/study.html", "classrooms/dashboard.html"} <= set(template_names())


def test_every_template_name_it_finds_is_one_the_engine_loads():
    for name in template_names():
        assert engines["django"].get_template(name).template.origin.template_name == name


def test_it_knows_the_client_library_of_the_cache_production_uses():
    # warm_up imports the cache's client library in the master; a backend missing from
    # CACHE_CLIENTS would have every worker import redis-py on its first request instead.
    backend = production_settings(
        "s.CACHES['default']['BACKEND']", REDIS_URL="redis://cache.example.org:6379/0"
    )
    assert CACHE_CLIENTS.get(backend) == "redis"
