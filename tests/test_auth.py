"""Accounts: everything but log-in and sign-up needs a login; sign-up makes a plain learner."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from .conftest import PASSWORD

PRIVATE_PAGES = [
    ("study:home", []),
    ("study:deck", ["all"]),
    ("study:comparison", ["umn-lmn"]),
    ("study:study", ["all"]),
    ("study:answer", ["all"]),
    ("password_change", []),
    ("password_change_done", []),
]


@pytest.mark.parametrize(("name", "args"), PRIVATE_PAGES)
def test_anonymous_users_are_sent_to_login(client, content, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", ["login", "study:signup"])
def test_login_and_signup_pages_are_public(client, db, name):
    assert client.get(reverse(name)).status_code == 200


def test_signup_creates_a_plain_learner_and_logs_in(client, db):
    response = client.post(
        reverse("study:signup"),
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert not user.is_staff and not user.is_superuser
    assert not user.groups.filter(name="Instructors").exists()
    assert user.study_profile.new_per_day == 20
    assert client.get(reverse("study:home")).status_code == 200


def test_signup_with_mismatched_passwords_is_refused(client, db):
    response = client.post(
        reverse("study:signup"),
        {"username": "newbie", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 400
    assert b"didn" in response.content  # "The two password fields didn't match."
    assert not User.objects.filter(username="newbie").exists()


def test_signup_rejects_weak_passwords(client, db):
    response = client.post(
        reverse("study:signup"),
        {"username": "newbie", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="newbie").exists()


def test_login_with_the_form(client, learner):
    response = client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("study:home")


def test_wrong_password_shows_a_message(client, learner):
    response = client.post(reverse("login"), {"username": "lena", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_logout_ends_the_session(learner_client, content):
    assert learner_client.post(reverse("logout")).status_code == 302
    assert learner_client.get(reverse("study:home")).status_code == 302


def test_password_change_works(learner_client, learner):
    new = PASSWORD + "-2"
    response = learner_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    learner.refresh_from_db()
    assert learner.check_password(new)


def test_signup_takes_the_time_zone_from_the_browser(client, db):
    client.post(
        reverse("study:signup"),
        {
            "username": "tokyo",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "time_zone": "Asia/Tokyo",
        },
    )
    assert User.objects.get(username="tokyo").study_profile.time_zone == "Asia/Tokyo"


@pytest.mark.parametrize("zone", ["", "Mars/Olympus_Mons", "x" * 64])
def test_signup_falls_back_to_utc_for_unknown_time_zones(client, db, zone):
    response = client.post(
        reverse("study:signup"),
        {"username": "nowhere", "password1": PASSWORD, "password2": PASSWORD, "time_zone": zone},
    )
    assert response.status_code == 302
    assert User.objects.get(username="nowhere").study_profile.time_zone == "UTC"


def test_an_empty_signup_post_is_refused_with_errors(client, db):
    response = client.post(reverse("study:signup"), {})
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert not User.objects.exists()
