"""Access control: every URL x every role x own/foreign object (tests/url_catalogue.py).

Foreign objects answer 404 (or 403), never data; a refused request writes nothing; and a
learner cannot write fields they do not own (mass assignment).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from study.models import (
    Assignment,
    Classroom,
    Deck,
    Enrollment,
    ReviewLog,
    ReviewState,
    StudyProfile,
)

from .conftest import PASSWORD
from .url_catalogue import CASES, LOGIN, ROLES, SECRET, app_names, request, world


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # join-code failure counters live in the cache, keyed by user id
    yield
    cache.clear()


@pytest.fixture
def w(content):
    return world(content)


def fingerprint() -> tuple:
    """What a refused request must leave as it was."""
    return (
        list(User.objects.order_by("pk").values_list("pk", "is_staff", "is_superuser", "password")),
        list(Classroom.objects.order_by("pk").values_list("pk", "owner", "name", "archived")),
        list(Classroom.objects.order_by("pk").values_list("join_code", flat=True)),
        list(Assignment.objects.order_by("pk").values_list("pk", "classroom", "deck", "due_date")),
        list(Enrollment.objects.order_by("pk").values_list("classroom", "user")),
        list(Deck.objects.order_by("pk").values_list("pk", "slug", "owner")),
        ReviewLog.objects.count(),
        ReviewState.objects.count(),
        list(StudyProfile.objects.order_by("pk").values()),
    )


def test_every_url_pattern_has_a_permission_case():
    covered = {case.name for case in CASES}
    missing = sorted(app_names() - covered)
    assert not missing, f"URL patterns without an entry in tests/url_catalogue.py: {missing}"


def test_the_catalogue_names_only_existing_urls():
    assert {case.name for case in CASES} <= app_names()


def _check(case, role, response, before) -> list[str]:
    expected = case.expect[role]
    problems = []
    if expected == LOGIN:
        if response.status_code != 302 or not response["Location"].startswith(reverse("login")):
            problems.append(f"expected a redirect to login, got {response.status_code}")
    elif response.status_code != expected:
        problems.append(f"expected {expected}, got {response.status_code}")
    if refused(expected) and SECRET.encode() in response.content:
        problems.append("a foreign object's data is in the response")
    if refused(expected) and fingerprint() != before:
        problems.append("a refused request changed data")
    return problems


def refused(status) -> bool:
    return status == LOGIN or status in (403, 404)


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(w, role):
    """Each case in a savepoint, so that an allowed change does not leak into the next."""
    failures = []
    for case in CASES:
        with transaction.atomic():
            before = fingerprint()
            response = request(Client(), case, w, role)
            failures += [f"{case.id} as {role}: {p}" for p in _check(case, role, response, before)]
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["learner", "other_learner", "instructor", "other_instructor"])
def test_htmx_requests_get_the_same_checks(w, role):
    """Fragment requests are refused exactly like pages (their statuses may differ when allowed:
    a fragment instead of a redirect, 409 for nothing to undo)."""
    failures = []
    for case in CASES:
        if not refused(case.expect[role]):
            continue
        with transaction.atomic():
            before = fingerprint()
            response = request(Client(), case, w, role, headers={"HX-Request": "true"})
            failures += [f"{case.id} (htmx): {p}" for p in _check(case, role, response, before)]
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)


def test_anonymous_users_cannot_reach_the_admin(client, db):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_learners_and_instructors_cannot_reach_the_admin(client, w):
    for role in ("learner", "instructor"):
        client.force_login(w["users"][role])
        response = client.get(reverse("admin:study_reviewlog_changelist"))
        assert response.status_code == 302, role
        assert "/admin/login/" in response["Location"]


# --- mass assignment ------------------------------------------------------------------


def test_signup_ignores_staff_and_group_fields(client, db):
    client.post(
        reverse("study:signup"),
        {
            "username": "sneaky",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "is_staff": "on",
            "is_superuser": "on",
            "groups": "1",
            "user_permissions": "1",
        },
    )
    user = User.objects.get(username="sneaky")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert not user.groups.exists() and not user.user_permissions.exists()


def test_settings_post_cannot_change_the_profile_owner_or_user_flags(client, w):
    learner, other = w["users"]["learner"], w["users"]["other_learner"]
    client.force_login(learner)
    client.post(
        reverse("study:settings"),
        {
            "desired_retention": "0.9",
            "new_per_day": "20",
            "reviews_per_day": "200",
            "time_zone": "UTC",
            "day_start_hour": "4",
            "user": other.pk,
            "user_id": other.pk,
            "is_staff": "on",
        },
    )
    assert StudyProfile.objects.get(user=learner).user_id == learner.pk
    assert StudyProfile.objects.filter(user=other).count() == 1
    learner.refresh_from_db()
    assert not learner.is_staff


def test_classroom_create_ignores_a_posted_owner(client, w):
    instructor, other = w["users"]["instructor"], w["users"]["other_instructor"]
    client.force_login(instructor)
    client.post(reverse("study:classroom_create"), {"name": "Mine", "owner": other.pk})
    assert Classroom.objects.get(name="Mine").owner == instructor


def test_assignment_form_ignores_a_posted_classroom(client, w):
    client.force_login(w["users"]["instructor"])
    foreign = w["foreign_classroom"]
    client.post(
        reverse("study:assignment_create", args=[w["classroom"].pk]),
        {
            "deck": Deck.objects.get(slug="anatomy").pk,
            "due_date": "2099-01-01",
            "target_percent": "80",
            "classroom": foreign.pk,
        },
    )
    assert not foreign.assignments.filter(deck__slug="anatomy").exists()
    assert w["classroom"].assignments.filter(deck__slug="anatomy").exists()


def test_classroom_rename_ignores_a_posted_owner(client, w):
    client.force_login(w["users"]["instructor"])
    classroom = w["classroom"]
    client.post(
        reverse("study:classroom_edit", args=[classroom.pk]),
        {"name": "Renamed", "owner": w["users"]["other_instructor"].pk},
    )
    classroom.refresh_from_db()
    assert (classroom.name, classroom.owner) == ("Renamed", w["users"]["instructor"])


def test_a_review_is_always_recorded_for_the_poster(client, w):
    learner, other = w["users"]["learner"], w["users"]["other_learner"]
    client.force_login(learner)
    deck = w["decks"]["learner"]
    token = client.get(reverse("study:study", args=[deck.slug])).context["token"]
    client.post(
        reverse("study:review", args=[deck.slug]),
        {"t": token, "rating": "3", "user": other.pk, "user_id": other.pk},
    )
    assert ReviewLog.objects.filter(user=learner).count() == 1
    assert not ReviewLog.objects.filter(user=other).exists()


def test_account_deletion_only_deletes_the_poster(client, w):
    learner, other = w["users"]["learner"], w["users"]["other_learner"]
    client.force_login(learner)
    response = client.post(
        reverse("study:account_delete"), {"password": PASSWORD, "user": other.pk}
    )
    assert response.status_code == 302, response.content.decode()
    assert not User.objects.filter(pk=learner.pk).exists()
    assert User.objects.filter(pk=other.pk).exists()
