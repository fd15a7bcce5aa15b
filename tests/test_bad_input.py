"""Hostile input to every form and HTMX endpoint: never a 500, never a partial write.

Hypothesis posts huge strings, wrong types, unknown ids, odd unicode (superscript digits,
NUL, right-to-left marks), repeated and missing fields. A refused submission (4xx, or the
auth views' 200 re-render) must leave the database exactly as it was.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from study.models import (
    Assignment,
    Classroom,
    Comparison,
    Deck,
    Enrollment,
    ReviewLog,
    ReviewState,
    StudyProfile,
)

from .conftest import PASSWORD
from .url_catalogue import world

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "null",
    "[]",
    "{}",
    "-1",
    "0",
    "²",
    "³3",
    "٣",
    "１２",
    "9" * 5000,
    "1e309",
    "NaN",
    "inf",
    "3.0",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\u202egnp.exe",
    "e\u0301",
    "𝔘𝔐𝔑 🧠",
    '=HYPERLINK("http://x")',
    "x" * 100_000,
]
hostile = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(str),
)
value = st.one_of(hostile, st.lists(hostile, min_size=2, max_size=3))
FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def form_data(*fields: str):
    return st.fixed_dictionaries({}, optional={field: value for field in fields})


def fingerprint() -> tuple:
    return (
        list(User.objects.order_by("pk").values_list("pk", "username", "password", "is_staff")),
        list(StudyProfile.objects.order_by("pk").values()),
        list(Classroom.objects.order_by("pk").values_list("pk", "name", "archived", "join_code")),
        list(Assignment.objects.order_by("pk").values_list("pk", "deck", "due_date")),
        list(Enrollment.objects.order_by("pk").values_list("classroom", "user")),
        list(Deck.objects.order_by("pk").values_list("pk", "slug", "name")),
        Comparison.objects.count(),
        ReviewLog.objects.count(),
        list(ReviewState.objects.order_by("pk").values_list("pk", "version")),
    )


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Hundreds of log-ins and sign-ups: PBKDF2's deliberate slowness is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w(content):
    cache.clear()
    yield world(content)
    cache.clear()


def send(w, role: str | None, method: str, url: str, data: dict, htmx: bool = False):
    client = Client()
    if role:
        client.force_login(w["users"][role])
    before = fingerprint()
    headers = {"HX-Request": "true"} if htmx else {}
    call = client.post if method == "post" else client.get
    response = call(url, data, headers=headers)
    assert response.status_code < 500
    return response, before


def assert_refused_cleanly(response, before, rerender_ok: bool = False) -> None:
    refused = response.status_code >= 400 or (rerender_ok and response.status_code == 200)
    if refused:
        assert fingerprint() == before, f"partial write on a {response.status_code}"


# --- accounts ---------------------------------------------------------------------------


@FUZZ
@given(data=form_data("username", "password1", "password2", "time_zone"))
def test_signup_survives_hostile_input(w, data):
    response, before = send(w, None, "post", reverse("study:signup"), data)
    assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("username", "password", "next"))
def test_login_survives_hostile_input(w, data):
    response, before = send(w, None, "post", reverse("login"), data)
    assert_refused_cleanly(response, before, rerender_ok=True)


@FUZZ
@given(data=form_data("old_password", "new_password1", "new_password2"))
def test_password_change_survives_hostile_input(w, data):
    response, before = send(w, "learner", "post", reverse("password_change"), data)
    assert_refused_cleanly(response, before, rerender_ok=True)


@FUZZ
@given(data=form_data("password", "user"))
def test_account_deletion_survives_hostile_input(w, data):
    response, before = send(w, "learner", "post", reverse("study:account_delete"), data)
    assert response.status_code == 400 or data.get("password") == PASSWORD
    assert_refused_cleanly(response, before)


# --- the study loop -----------------------------------------------------------------------


@FUZZ
@given(data=form_data("t", "choice", "card"), htmx=st.booleans())
def test_study_pages_survive_hostile_query_strings(w, data, htmx):
    for name in ("study:study", "study:answer"):
        response, before = send(w, "learner", "get", reverse(name, args=["all"]), data, htmx)
        assert fingerprint() == before


@FUZZ
@given(data=form_data("t", "rating", "user"), htmx=st.booleans())
def test_review_survives_hostile_input(w, data, htmx):
    response, before = send(w, "learner", "post", reverse("study:review", args=["all"]), data, htmx)
    assert response.status_code == 400  # no valid answer token: nothing recorded
    assert_refused_cleanly(response, before)


@FUZZ
@given(rating=value, htmx=st.booleans())
def test_review_with_a_valid_token_survives_a_hostile_rating(w, rating, htmx):
    client = Client()
    client.force_login(w["users"]["learner"])
    token = client.get(reverse("study:study", args=["all"])).context["token"]
    before = fingerprint()
    response = client.post(
        reverse("study:review", args=["all"]),
        {"t": token, "rating": rating},
        headers={"HX-Request": "true"} if htmx else {},
    )
    assert response.status_code < 500
    assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("card_ids", "user"), htmx=st.booleans())
def test_undo_survives_hostile_input(w, data, htmx):
    response, before = send(w, "learner", "post", reverse("study:undo", args=["all"]), data, htmx)
    assert fingerprint() == before  # nothing was reviewed: nothing to undo


@FUZZ
@given(attribute_id=st.integers(min_value=0, max_value=2**70))
def test_row_study_survives_unknown_ids(w, attribute_id):
    url = f"/stats/rows/{attribute_id}/study/"
    response, before = send(w, "learner", "post", url, {})
    assert_refused_cleanly(response, before)


# --- insight ------------------------------------------------------------------------------


SETTINGS_FIELDS = (
    "desired_retention",
    "new_per_day",
    "reviews_per_day",
    "time_zone",
    "day_start_hour",
    "learning_steps",
    "relearning_steps",
    "parameters",
    "user",
)


@FUZZ
@given(data=form_data(*SETTINGS_FIELDS))
def test_settings_survive_hostile_input(w, data):
    response, before = send(w, "learner", "post", reverse("study:settings"), data)
    assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("reschedule"), htmx=st.booleans())
def test_optimize_survives_hostile_input(w, data, htmx):
    response, before = send(w, "learner", "post", reverse("study:optimize"), data, htmx)
    assert fingerprint() == before  # no history: nothing to fit, nothing saved


@FUZZ
@given(data=form_data("table", "sort"))
def test_stats_survive_hostile_query_strings(w, data):
    response, before = send(w, "learner", "get", reverse("study:stats"), data)
    assert fingerprint() == before


# --- classrooms ---------------------------------------------------------------------------


@FUZZ
@given(data=form_data("name", "owner"))
def test_classroom_create_survives_hostile_input(w, data):
    response, before = send(w, "instructor", "post", reverse("study:classroom_create"), data)
    assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("name", "owner"))
def test_classroom_rename_survives_hostile_input(w, data):
    url = reverse("study:classroom_edit", args=[w["classroom"].pk])
    response, before = send(w, "instructor", "post", url, data)
    assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("archived"))
def test_classroom_archive_survives_hostile_input(w, data):
    url = reverse("study:classroom_archive", args=[w["classroom"].pk])
    send(w, "instructor", "post", url, data)


@FUZZ
@given(data=form_data("deck", "due_date", "target_percent", "classroom"))
def test_assignment_forms_survive_hostile_input(w, data):
    classroom = w["classroom"]
    for url in (
        reverse("study:assignment_create", args=[classroom.pk]),
        reverse("study:assignment_edit", args=[classroom.pk, w["assignments"]["own"].pk]),
    ):
        response, before = send(w, "instructor", "post", url, data)
        assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("code"), htmx=st.booleans())
def test_join_by_code_survives_hostile_input(w, data, htmx):
    response, before = send(w, "learner", "post", reverse("study:classroom_join"), data, htmx)
    assert_refused_cleanly(response, before)


@FUZZ
@given(code=hostile, method=st.sampled_from(["get", "post"]))
def test_join_links_survive_hostile_codes(w, code, method):
    url = f"/join/{quote(code, safe='')}/"
    response, before = send(w, "other_learner", method, url, {})
    assert_refused_cleanly(response, before)


@FUZZ
@given(
    classroom_id=st.integers(min_value=0, max_value=2**70),
    user_id=st.integers(min_value=0, max_value=2**70),
)
def test_leave_and_remove_survive_unknown_ids(w, classroom_id, user_id):
    response, before = send(w, "learner", "post", f"/classrooms/{classroom_id}/leave/", {})
    assert_refused_cleanly(response, before)
    url = f"/classrooms/{w['classroom'].pk}/roster/{user_id}/remove/"
    response, before = send(w, "instructor", "post", url, {})
    assert_refused_cleanly(response, before)


# --- every nasty value in every parsed field, deterministically ------------------------------


@pytest.mark.parametrize("nasty", NASTY, ids=range(len(NASTY)))
def test_each_nasty_value_in_each_parsed_field_is_refused_or_ignored(w, nasty):
    learner = Client()
    learner.force_login(w["users"]["learner"])
    instructor = Client()
    instructor.force_login(w["users"]["instructor"])
    token = learner.get(reverse("study:study", args=["all"])).context["token"]
    valid_settings = {
        "desired_retention": "0.9",
        "new_per_day": "20",
        "reviews_per_day": "200",
        "time_zone": "UTC",
        "day_start_hour": "4",
    }
    requests = [
        (learner.post, reverse("study:review", args=["all"]), {"t": token, "rating": nasty}),
        (learner.get, reverse("study:study", args=["all"]), {"card": nasty}),
        (learner.get, reverse("study:answer", args=["all"]), {"t": token, "choice": nasty}),
        (learner.get, reverse("study:stats"), {"table": nasty}),
        (instructor.get, reverse("study:classroom", args=[w["classroom"].pk]), {"sort": nasty}),
        *[
            (learner.post, reverse("study:settings"), valid_settings | {field: nasty})
            for field in SETTINGS_FIELDS[:-1]
        ],
    ]
    for send_, url, data in requests:
        before = fingerprint()
        response = send_(url, data)
        assert response.status_code < 500, (url, data)
        if response.status_code >= 400:
            assert fingerprint() == before, (url, data)


# --- authoring: the content importer and the deck builder ---------------------------------

IMPORT_DETAILS = ("title", "source", "comparison")
ROW_FIELDS = tuple(f"rows-0-{name}" for name in ("name", "left", "right", "group", "extra"))


@FUZZ
@given(data=form_data("text", "format", *IMPORT_DETAILS), htmx=st.booleans())
def test_table_import_survives_hostile_input(w, data, htmx):
    response, before = send(w, "instructor", "post", reverse("study:import"), data, htmx)
    assert fingerprint() == before  # step 1 only previews: it never writes


@FUZZ
@given(
    data=form_data(
        *IMPORT_DETAILS,
        "left_name",
        "left_label",
        "right_name",
        "right_label",
        "rows-TOTAL_FORMS",
        "rows-INITIAL_FORMS",
        *ROW_FIELDS,
    )
)
def test_import_confirm_survives_hostile_input(w, data):
    response, before = send(w, "instructor", "post", reverse("study:import_confirm"), data)
    assert_refused_cleanly(response, before)


@pytest.mark.parametrize("slug", ["\x00", "umn\x00lmn", "a b", "../x"])
def test_deck_builder_and_import_refuse_a_comparison_that_is_not_a_slug(w, slug):
    response, before = send(
        w, "instructor", "post", reverse("study:deck_create"), {"comparison": slug}
    )
    assert response.status_code == 404
    assert_refused_cleanly(response, before)
    response, before = send(w, "instructor", "get", reverse("study:import"), {"comparison": slug})
    assert response.status_code == 404


@pytest.mark.parametrize("field", ["attributes", "cards"])
@pytest.mark.parametrize("value", ["9223372036854775808", "9" * 40, "-1", "²", "1e3"])
def test_deck_builder_refuses_ids_that_cannot_exist(w, field, value):
    data = {"name": "Mine", "comparison": "umn-lmn", field: value}
    response, before = send(w, "instructor", "post", reverse("study:deck_create"), data)
    assert response.status_code == 400
    assert_refused_cleanly(response, before)


@FUZZ
@given(data=form_data("comparison", "name", "description", "attributes", "cards", "vignettes"))
def test_deck_builder_survives_hostile_input(w, data):
    for url in (
        reverse("study:deck_create"),
        reverse("study:deck_edit", args=[w["decks"]["instructor"].slug]),
    ):
        response, before = send(w, "instructor", "post", url, data)
        assert_refused_cleanly(response, before)
