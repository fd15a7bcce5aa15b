"""Login lockout (django-axes): 5 failures lock a (username, IP) pair for a finite time."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .conftest import PASSWORD

LOGIN = reverse("login")


@pytest.fixture(autouse=True)
def axes_on(settings):
    settings.AXES_ENABLED = True  # off by default under pytest


def attempt(client: Client, password: str, username: str = "lena"):
    return client.post(LOGIN, {"username": username, "password": password})


def fail_five_times(client: Client, username: str = "lena") -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong-password", username)


def test_five_failures_lock_the_account_from_that_address(learner):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail_five_times(client)
    response = attempt(client, PASSWORD)
    assert response.status_code == 429
    assert not client.session.get("_auth_user_id")


def test_four_failures_do_not_lock(learner):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD).status_code == 302


def test_the_lockout_page_says_what_happened_and_for_how_long(learner):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail_five_times(client)
    content = attempt(client, PASSWORD).content.decode()
    assert "Too many failed log-ins" in content
    assert "30 minutes" in content


def test_the_login_page_warns_before_the_lockout(learner):
    content = attempt(Client(), "wrong-password").content.decode()
    assert "After 5 failed attempts" in content


def test_another_address_is_not_locked(learner):
    fail_five_times(Client(REMOTE_ADDR="203.0.113.7"))
    assert attempt(Client(REMOTE_ADDR="198.51.100.9"), PASSWORD).status_code == 302


def test_another_username_from_the_same_address_is_not_locked(learner, other_learner):
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail_five_times(client, "lena")
    assert attempt(client, PASSWORD, "otto").status_code == 302


def test_the_lockout_ends_after_the_cool_off(learner):
    assert timedelta(minutes=30) == settings.AXES_COOLOFF_TIME
    client = Client(REMOTE_ADDR="203.0.113.7")
    fail_five_times(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert attempt(client, PASSWORD).status_code == 302


def test_a_successful_login_resets_the_failure_count(learner):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        attempt(client, "wrong-password")
    assert attempt(client, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="lena").exists()


def behind_proxy(forwarded_for: str) -> Client:
    return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_a_proxy_clients_are_told_apart_by_the_forwarded_address(learner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    fail_five_times(behind_proxy("203.0.113.7"))
    assert attempt(behind_proxy("203.0.113.7"), PASSWORD).status_code == 429
    assert attempt(behind_proxy("198.51.100.9"), PASSWORD).status_code == 302


def test_behind_a_proxy_a_forged_forwarded_header_does_not_dodge_the_lockout(learner, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The client forges the left part; the proxy appends the address it really saw.
        attempt(behind_proxy(f"10.0.0.{n}, 203.0.113.7"), "wrong-password")
    assert attempt(behind_proxy("10.0.0.99, 203.0.113.7"), PASSWORD).status_code == 429


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(learner):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"), "x")
    assert attempt(Client(REMOTE_ADDR="203.0.113.7"), PASSWORD).status_code == 429
