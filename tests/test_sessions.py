"""Sessions: a new key at log-in, gone at log-out, ended by deactivation or a password change
elsewhere, and a finite life (14 idle days, 30 days since log-in)."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from study import accounts

from .conftest import PASSWORD

HOME = reverse("study:home")


def logged_in(client: Client) -> bool:
    return client.get(HOME).status_code == 200


def log_in(client: Client, username: str = "lena") -> None:
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302


def test_the_session_key_changes_at_login(client, learner):
    client.get(reverse("login"))
    session = client.session
    session["before_login"] = True
    session.save()
    anonymous_key = session.session_key
    log_in(client)
    assert client.session.session_key != anonymous_key
    assert not Session.objects.filter(pk=anonymous_key).exists()


def test_logout_deletes_the_session(client, learner):
    log_in(client)
    key = client.session.session_key
    client.post(reverse("logout"))
    assert not Session.objects.filter(pk=key).exists()


def test_a_stolen_cookie_is_useless_after_logout(client, learner):
    log_in(client)
    stolen = Client()
    stolen.cookies = client.cookies.__class__(client.cookies)  # a copy of the cookie jar
    client.post(reverse("logout"))
    assert not logged_in(stolen)


def test_deactivating_a_user_ends_all_their_sessions(learner, other_learner):
    phone, laptop, bystander = Client(), Client(), Client()
    log_in(phone)
    log_in(laptop)
    log_in(bystander, "otto")
    learner.is_active = False
    learner.save()
    assert not Session.objects.filter(session_key=phone.session.session_key).exists()
    assert not logged_in(phone) and not logged_in(laptop)
    assert logged_in(bystander)


def test_end_sessions_counts_only_that_users_sessions(learner, other_learner):
    log_in(Client())
    log_in(Client())
    log_in(Client(), "otto")
    assert accounts.end_sessions(learner.pk) == 2
    assert Session.objects.count() == 1


def test_a_password_change_ends_the_other_sessions_but_not_this_one(learner):
    here, elsewhere = Client(), Client()
    log_in(here)
    log_in(elsewhere)
    new = PASSWORD + "-new"
    response = here.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)


def test_the_session_ends_after_14_idle_days(client, learner):
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    log_in(client)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert not logged_in(client)


def test_daily_use_keeps_the_session_alive(client, learner):
    log_in(client)
    start = timezone.now()
    for day in (10, 20):
        with time_machine.travel(start + timedelta(days=day)):
            assert logged_in(client), f"logged out on day {day}"


def test_the_session_ends_30_days_after_login_however_active(client, learner):
    log_in(client)
    start = timezone.now()
    for day in (10, 20, 29):
        with time_machine.travel(start + timedelta(days=day)):
            assert logged_in(client)
    with time_machine.travel(start + timedelta(days=31)):
        assert not logged_in(client)


def test_a_page_rendered_after_the_session_ended_shows_no_one_logged_in(client, learner):
    # The session ends inside the request (SessionLifetimeMiddleware logs out), then a
    # page anyone may see is rendered: its menu must not show the user who was logged in.
    log_in(client)
    start = timezone.now()
    for day in (10, 20, 29):  # daily use keeps it from expiring idle...
        with time_machine.travel(start + timedelta(days=day)):
            assert logged_in(client)
    with time_machine.travel(start + timedelta(days=31)):  # ...until 30 days after log-in
        response = client.get(reverse("login"))
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert "Log out" not in response.content.decode()


def test_requests_within_a_day_do_not_rewrite_the_session(client, learner, content):
    noon = datetime(2030, 1, 15, 12, tzinfo=UTC)
    with time_machine.travel(noon, tick=False):
        log_in(client)
        client.get(HOME)  # the first request of the day refreshes the expiry
    expiry = Session.objects.get(pk=client.session.session_key).expire_date
    with time_machine.travel(noon + timedelta(minutes=5), tick=False):
        client.get(HOME)
    assert Session.objects.get(pk=client.session.session_key).expire_date == expiry
