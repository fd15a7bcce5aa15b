"""Browser-facing hardening: strict CSP and security headers on every HTML page, safe cookies."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from .conftest import PASSWORD
from .url_catalogue import CASES, url_for, world

EXPECTED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'none'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}
GETS = [case for case in CASES if case.method == "get"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def parse_csp(header: str) -> dict[str, set[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = set(values)
    return directives


def header_problems(response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp or parse_csp(csp) != EXPECTED_CSP:
        problems.append(f"CSP is {csp!r}")
    if "unsafe-" in csp:
        problems.append("CSP allows unsafe-*")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for name, value in expected.items():
        if response.get(name) != value:
            problems.append(f"{name} is {response.get(name)!r}")
    return problems


@pytest.mark.parametrize("role", ["anonymous", "learner", "instructor", "admin"])
def test_every_html_page_has_the_security_headers(content, role):
    w = world(content)
    checked, problems = 0, []
    for case in GETS:
        client = Client()
        if role != "anonymous":
            client.force_login(w["users"][role])
        response = client.get(url_for(case, w, role))
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        checked += 1
        problems += [f"{case.id}: {p}" for p in header_problems(response)]
    assert checked >= 5, "too few pages reached: is the catalogue broken?"
    assert not problems, "\n".join(problems)


def test_error_pages_have_the_security_headers_too(learner_client, content):
    response = learner_client.get(reverse("study:deck", args=["no-such-deck"]))
    assert response.status_code == 404
    assert header_problems(response) == []


def test_the_admin_has_the_security_headers(admin_client_, content):
    assert header_problems(admin_client_.get(reverse("admin:index"))) == []


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, learner):
    client.get(reverse("login"))
    csrf = client.cookies["csrftoken"]
    assert csrf["samesite"] == "Lax"
    client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_cookies_are_secure_with_the_production_flags(client, learner):
    client.get(reverse("login"))
    assert client.cookies["csrftoken"]["secure"] is True
    client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    assert client.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True
