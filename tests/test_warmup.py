"""gunicorn's master warms the app up before forking workers (motorneuron/warmup.py)."""

from django.template import engines

from motorneuron.warmup import template_names, warm_up


def test_warm_up_compiles_every_template_without_touching_the_database():
    # No `db` fixture, so pytest-django refuses any connection: one opened in gunicorn's
    # master would be shared by all its workers.
    warm_up()  # raises on any template that does not compile
    assert {"base.html", "study/study.html", "classrooms/dashboard.html"} <= set(template_names())


def test_every_template_name_it_finds_is_one_the_engine_loads():
    for name in template_names():
        assert engines["django"].get_template(name).template.origin.template_name == name
