"""The settings production imports (DEBUG off, no pytest), and what they do to PostgreSQL."""

import io
import json
import os
import subprocess
import sys

from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from study import progress
from study.models import Classroom

from .conftest import ROOT, postgres_only

POSTGRES = "postgres://app@db.example.org:5432/mnt"


def production_settings(expression: str, **env: str):
    """`expression` over `settings as s`, evaluated in a fresh interpreter that imports the
    settings as production does: no DEBUG, no pytest, the given environment."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {"DEBUG", "TESTING", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "DATABASE_URL"}
    }
    clean |= {
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DJANGO_SETTINGS_MODULE": "motorneuron.settings",
        **env,
    }
    code = f"import json; from django.conf import settings as s; print(json.dumps({expression}))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=clean,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_production_settings_turn_on_https_only_cookies_and_hsts():
    debug, session_secure, csrf_secure, httponly, ssl_redirect, hsts = production_settings(
        "[s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS]"
    )
    assert (debug, session_secure, csrf_secure, httponly, ssl_redirect) == (
        False,
        True,
        True,
        True,
        True,
    )
    assert hsts >= 31536000


def test_postgresql_binds_parameters_on_the_server_and_prepares_repeated_statements():
    database = production_settings("s.DATABASES['default']", DATABASE_URL=POSTGRES)
    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
    assert (database["CONN_MAX_AGE"], database["CONN_HEALTH_CHECKS"]) == (600, True)


def test_prepared_statements_can_be_turned_off_for_pgbouncer():
    options = production_settings(
        "s.DATABASES['default'].get('OPTIONS', {})",
        DATABASE_URL=POSTGRES,
        DATABASE_PREPARED_STATEMENTS="0",
    )
    assert options == {}


def test_the_database_urls_own_options_are_kept():
    options = production_settings(
        "s.DATABASES['default'].get('OPTIONS', {})", DATABASE_URL=POSTGRES + "?sslmode=require"
    )
    assert options == {"server_side_binding": True, "prepare_threshold": 5, "sslmode": "require"}


def test_sqlite_gets_neither():
    options = production_settings(
        "s.DATABASES['default'].get('OPTIONS', {})",
        DATABASE_URL="sqlite:////tmp/mnt-settings.sqlite3",
    )
    assert "server_side_binding" not in options and "prepare_threshold" not in options
    assert options["transaction_mode"] == "IMMEDIATE"


@postgres_only("prepared statements")
def test_the_dashboard_query_is_prepared_and_answers_the_same(content):
    call_command("seed_synthetic", learners=4, days=10, classrooms=1, seed=5, stdout=io.StringIO())
    classroom = Classroom.objects.get()
    now = timezone.now()
    first = progress.classroom_dashboard(classroom=classroom, now=now)
    for _ in range(6):  # psycopg prepares a statement on its 5th run on the connection
        last = progress.classroom_dashboard(classroom=classroom, now=now)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert any(statement.startswith("WITH learner") for statement in prepared)
    assert last.rows == first.rows and last.weak_spots == first.weak_spots


def test_the_load_balancers_probe_is_not_redirected_to_https(client):
    redirect, exempt = production_settings("[s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT]")
    # Django's own SecurityMiddleware, set up as production sets it, over plain HTTP.
    with override_settings(SECURE_SSL_REDIRECT=redirect, SECURE_REDIRECT_EXEMPT=exempt):
        assert client.get("/livez").status_code == 200
        for path in ("/healthz", "/accounts/login/", "/livez/", "/study/livez"):
            response = client.get(path)
            assert (response.status_code, response["Location"]) == (
                301,
                f"https://testserver{path}",
            )
