"""CSRF: every state-changing request needs the token (HTMX included), no view is exempt,
and no GET writes to the app's tables."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .url_catalogue import CASES, ROLES, all_callbacks, request, url_for, world

POSTS = [case for case in CASES if case.method == "post"]
GETS = [case for case in CASES if case.method == "get"]

# Sessions may be saved on any request (log-in stamp, daily expiry refresh); axes logs access.
ALLOWED_WRITES = ("django_session", "axes_")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def w(content):
    return world(content)


def test_no_view_is_csrf_exempt():
    exempt = [route for route, view in all_callbacks() if getattr(view, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("role", ROLES)
def test_every_post_without_a_token_is_refused(w, role, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    wrong = []
    for case in POSTS:
        with transaction.atomic():
            response = request(Client(enforce_csrf_checks=True), case, w, role, headers=headers)
            if response.status_code != 403:
                wrong.append(f"{case.id}: {response.status_code}")
            transaction.set_rollback(True)
    assert not wrong, "\n".join(wrong)


def test_a_post_with_the_token_from_the_page_header_goes_through(w):
    client = Client(enforce_csrf_checks=True)
    client.force_login(w["users"]["learner"])
    client.get(reverse("study:settings"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("study:optimize"), headers={"X-CSRFToken": token})
    assert response.status_code == 302


def app_writes(queries) -> list[str]:
    writes = []
    for query in queries:
        sql = query["sql"].lstrip()
        if sql[:6].upper() not in ("INSERT", "UPDATE", "DELETE"):
            continue
        if not any(table in sql for table in ALLOWED_WRITES):
            writes.append(sql[:120])
    return writes


@pytest.mark.parametrize("role", ROLES)
def test_no_get_writes_to_the_app_tables(w, role):
    offenders = []
    for case in GETS:
        client = Client()
        if role != "anonymous":
            client.force_login(w["users"][role])
        with CaptureQueriesContext(connection) as captured:
            client.get(url_for(case, w, role))
        offenders += [f"{case.id}: {sql}" for sql in app_writes(captured.captured_queries)]
    assert not offenders, "\n".join(offenders)
