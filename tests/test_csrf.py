"""CSRF: every state-changing request needs the token (HTMX included), no view is exempt,
and no GET writes to the app's tables."""

import re

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_TOKEN_LENGTH,
    _check_token_format,
    _unmask_cipher_token,
)
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from study.context_processors import masked_csrf_token

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


# --- the page's token (study.context_processors.masked_csrf_token) ---------------

FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HEADER_TOKEN = re.compile(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'')


@pytest.fixture
def csrf_client(learner, deck):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    return client


def page_tokens(client, deck) -> tuple[str, list[str]]:
    """The CSRF cookie's secret after a study page, and every token the page carries."""
    html = client.get(reverse("study:study", args=[deck.slug])).content.decode()
    return client.cookies["csrftoken"].value, FORM_TOKEN.findall(html) + HEADER_TOKEN.findall(html)


def test_the_page_token_is_the_cookie_secret_under_a_mask_in_djangos_format(csrf_client, deck):
    page_tokens(csrf_client, deck)  # the first page sets the cookie (Django's own get_token)
    secret, tokens = page_tokens(csrf_client, deck)
    assert len(tokens) == 3  # the menu's log-out form, the undo form, the HTMX header
    assert len(set(tokens)) == 1  # one token per response
    _check_token_format(tokens[0])
    assert len(tokens[0]) == CSRF_TOKEN_LENGTH
    assert _unmask_cipher_token(tokens[0]) == secret


def test_every_response_masks_the_secret_afresh(csrf_client, deck):
    page_tokens(csrf_client, deck)
    pages = [page_tokens(csrf_client, deck) for _ in range(5)]
    assert len({secret for secret, _ in pages}) == 1
    assert len({tokens[0] for _, tokens in pages}) == 5


def test_the_masks_use_the_whole_alphabet(rf):
    # 300 masks of 32 characters: each of the 62 characters is expected ~155 times, so a
    # missing one means the draw does not reach it.
    request = rf.get("/")
    request.META["CSRF_COOKIE"] = "a" * 32
    masks = "".join(masked_csrf_token(request)[:32] for _ in range(300))
    assert set(masks) == set(CSRF_ALLOWED_CHARS)


def test_the_cookie_is_sent_again_with_every_page_that_carries_a_token(csrf_client, deck):
    page_tokens(csrf_client, deck)
    response = csrf_client.get(reverse("study:study", args=[deck.slug]))
    assert "csrftoken" in response.cookies  # renewed, as Django's get_token does
    assert response.cookies["csrftoken"].value == csrf_client.cookies["csrftoken"].value


def test_a_post_with_the_page_token_goes_through_and_a_tampered_one_is_refused(csrf_client, deck):
    page_tokens(csrf_client, deck)
    _, tokens = page_tokens(csrf_client, deck)
    undo = reverse("study:undo", args=[deck.slug])
    tampered = tokens[0][:-1] + ("a" if tokens[0][-1] != "a" else "b")
    assert csrf_client.post(undo, {"csrfmiddlewaretoken": tampered}).status_code == 403
    response = csrf_client.post(undo, {"csrfmiddlewaretoken": tokens[0]})
    assert response.status_code == 200
    assert b"Nothing to undo" in response.content


def test_a_first_page_without_a_cookie_sets_one_that_its_token_matches(learner, deck):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    assert "csrftoken" not in client.cookies
    secret, tokens = page_tokens(client, deck)
    assert len(secret) == 32
    assert {_unmask_cipher_token(token) for token in tokens} == {secret}
