"""Learner settings: valid changes are saved, bad ones are refused with field errors."""

import pytest
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.urls import reverse

from study.forms import format_steps, parse_steps
from study.models import StudyProfile
from study.scheduling import DEFAULT_PARAMETERS

URL = reverse("study:settings")
VALID = {
    "desired_retention": "0.85",
    "new_per_day": "15",
    "reviews_per_day": "150",
    "time_zone": "America/Los_Angeles",
    "day_start_hour": "5",
    "learning_steps": "1m 10m 1h",
    "relearning_steps": "10m",
    "parameters": "",
}


def test_steps_are_parsed_to_minutes():
    assert parse_steps("1m 10m, 1h 1d 5") == [1, 10, 60, 1440, 5]


def test_steps_are_shown_in_the_largest_exact_unit():
    assert format_steps([1, 10, 60, 90, 1440]) == "1m 10m 1h 90m 1d"


@pytest.mark.parametrize("text", ["10x", "m", "0m", "-1m", "1.5m", "31d"])
def test_bad_steps_are_rejected(text):
    with pytest.raises(ValidationError):
        parse_steps(text)


def test_settings_page_shows_current_settings(learner_client):
    response = learner_client.get(URL)
    assert response.status_code == 200
    assert b'value="1m 10m"' in response.content
    assert b"Higher means you forget less but get more reviews per day" in response.content


def test_valid_settings_are_saved(learner_client, learner):
    response = learner_client.post(URL, VALID)
    assert response.status_code == 302
    profile = StudyProfile.objects.get(user=learner)
    assert (profile.desired_retention, profile.new_per_day, profile.reviews_per_day) == (
        0.85,
        15,
        150,
    )
    assert (profile.time_zone, profile.day_start_hour) == ("America/Los_Angeles", 5)
    assert (profile.learning_steps, profile.relearning_steps, profile.parameters) == (
        [1, 10, 60],
        [10],
        [],
    )


def test_twenty_one_valid_parameters_are_saved(learner_client, learner):
    text = ", ".join(str(value) for value in DEFAULT_PARAMETERS)
    learner_client.post(URL, VALID | {"parameters": text})
    assert StudyProfile.objects.get(user=learner).parameters == list(DEFAULT_PARAMETERS)


def test_no_learning_steps_is_allowed(learner_client, learner):
    learner_client.post(URL, VALID | {"learning_steps": ""})
    assert StudyProfile.objects.get(user=learner).learning_steps == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("desired_retention", "1.5", "at most 0.97"),
        ("desired_retention", "0.5", "at least 0.70"),
        ("desired_retention", "lots", "Enter a number"),
        ("new_per_day", "-1", "greater than or equal to 0"),
        ("reviews_per_day", "-5", "greater than or equal to 0"),
        ("new_per_day", "100000", "less than or equal to 9999"),
        ("time_zone", "Mars/Olympus_Mons", "not a known time zone"),
        ("day_start_hour", "24", "less than or equal to 23"),
        ("learning_steps", "1m soon", "is not a step"),
        ("parameters", "0.1, 0.2, 0.3", "needs exactly 21 parameters, got 3"),
        ("parameters", "0.1 x", "must be numbers"),
        ("parameters", ", ".join(["50"] * 21), "out of bounds"),
    ],
)
def test_bad_settings_are_rejected_and_nothing_changes(
    learner_client, learner, field, value, message
):
    stored = model_to_dict(StudyProfile.objects.get(user=learner))
    response = learner_client.post(URL, VALID | {field: value})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert model_to_dict(StudyProfile.objects.get(user=learner)) == stored


def test_rejected_settings_say_nothing_was_saved(learner_client):
    response = learner_client.post(URL, VALID | {"desired_retention": "1.5"})
    assert b"Nothing was saved" in response.content


def test_settings_change_only_your_own_profile(learner_client, other_learner):
    stored = model_to_dict(other_learner.study_profile)
    learner_client.post(URL, VALID | {"user": other_learner.pk})
    assert model_to_dict(StudyProfile.objects.get(user=other_learner)) == stored


def test_settings_need_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
