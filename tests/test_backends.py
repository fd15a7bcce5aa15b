"""The session's user: one query brings the user, the study profile, whether the user is an
instructor and the content stamp, with the same values the ORM would load."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from study.backends import AxesBackend, ProfileModelBackend, load_session_user
from study.models import ContentStamp, StudyProfile

from .conftest import make_user


@pytest.fixture
def tuned_learner(learner):
    """A learner whose rows hold every kind of value: datetimes, JSON lists, floats."""
    learner.last_login = datetime(2026, 11, 20, 7, 30, 15, 123456, tzinfo=UTC)
    learner.first_name, learner.email = "Lena", "lena@example.org"
    learner.save()
    StudyProfile.objects.filter(user=learner).update(
        time_zone="Europe/Berlin",
        desired_retention=0.85,
        parameters=[0.2 + i / 100 for i in range(21)],
        learning_steps=[1, 10, 60],
        maximum_interval=365,
    )
    return learner


def assert_same_row(loaded, expected) -> None:
    for field in type(expected)._meta.concrete_fields:
        value, wanted = getattr(loaded, field.attname), getattr(expected, field.attname)
        assert (value, type(value)) == (wanted, type(wanted)), field.name


@pytest.mark.parametrize("make", ["tuned_learner", "instructor"])
def test_one_query_loads_the_user_with_profile_role_and_content_stamp(
    request, django_assert_num_queries, make
):
    user = request.getfixturevalue(make)
    ContentStamp.bump()
    expected = get_user_model().objects.select_related("study_profile").get(pk=user.pk)
    with django_assert_num_queries(1):
        loaded = load_session_user(user.pk)
        profile = loaded.study_profile
        flag, stamp = loaded.is_instructor, loaded.content_stamp
    assert_same_row(loaded, expected)
    assert_same_row(profile, expected.study_profile)
    assert profile.user is loaded
    assert flag is (make == "instructor")
    assert stamp == ContentStamp.objects.get().stamp
    assert not loaded._state.adding and not profile._state.adding  # saves update, not insert


def test_a_loaded_user_saves_like_any_other(tuned_learner):
    loaded = load_session_user(tuned_learner.pk)
    loaded.study_profile.new_per_day = 35
    loaded.study_profile.save()
    loaded.first_name = "Lene"
    loaded.save()
    assert StudyProfile.objects.get(user=tuned_learner).new_per_day == 35
    assert get_user_model().objects.get(pk=tuned_learner.pk).first_name == "Lene"
    assert StudyProfile.objects.count() == 1


def test_membership_of_another_group_does_not_make_an_instructor(learner):
    learner.groups.add(Group.objects.create(name="Teaching assistants"))
    assert load_session_user(learner.pk).is_instructor is False


def test_no_content_stamp_yet_reads_as_none(learner):
    ContentStamp.objects.all().delete()
    assert load_session_user(learner.pk).content_stamp is None


def test_a_user_without_a_profile_has_none_to_read(learner):
    StudyProfile.objects.filter(user=learner).delete()
    loaded = load_session_user(learner.pk)
    assert loaded.username == "lena"
    with pytest.raises(StudyProfile.DoesNotExist):
        loaded.study_profile  # noqa: B018 (the access is what raises)


@pytest.mark.parametrize("backend", [AxesBackend, ProfileModelBackend])
def test_unknown_inactive_and_malformed_users_are_nobody(db, backend):
    gone = make_user("gone")
    gone_id = gone.pk
    gone.delete()
    sleeper = make_user("sleeper", is_active=False)
    assert backend().get_user(gone_id) is None
    assert backend().get_user(sleeper.pk) is None
    assert backend().get_user("not-an-id") is None
    assert backend().get_user(make_user("awake").pk).username == "awake"


def test_the_menu_shows_instructor_links_from_the_session_user(learner_client, content, instructor):
    # The menu's instructor links and the study pages' content come from that one row.
    response = learner_client.get(reverse("study:home"))
    assert response.context["user"].is_instructor is False
    assert reverse("study:authoring") not in response.text
    learner_client.force_login(instructor)
    response = learner_client.get(reverse("study:home"))
    assert response.context["user"].is_instructor is True
    assert reverse("study:authoring") in response.text
