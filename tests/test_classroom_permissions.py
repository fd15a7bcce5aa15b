"""Role x object matrix for every classroom URL: only the owner (and admins) get in.

Everyone else gets a 404 (never a hint of the data), anonymous users the login page, and a
refused POST changes nothing.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from study.models import Assignment, Classroom, Deck, Enrollment

ROLES = [
    "anonymous",
    "learner_in_class",
    "learner_not_in_class",
    "owning_instructor",
    "other_instructor",
    "admin",
]
ALLOWED = {"owning_instructor", "admin"}
CLASS_NAME = "Secret seminar 42"

# (url name, method, status for the owner and admins)
INSTRUCTOR_URLS = [
    ("study:classroom", "get", 200),
    ("study:classroom_edit", "get", 200),
    ("study:classroom_edit", "post", 302),
    ("study:classroom_archive", "post", 302),
    ("study:classroom_code", "post", 302),
    ("study:classroom_gradebook", "get", 200),
    ("study:classroom_roster", "get", 200),
    ("study:classroom_roster_remove", "post", 302),
    ("study:assignment_create", "get", 200),
    ("study:assignment_create", "post", 400),  # empty form: errors, but it got in
    ("study:assignment_edit", "get", 200),
    ("study:assignment_edit", "post", 400),
    ("study:assignment_delete", "post", 302),
    ("study:classroom_learner", "get", 200),
]


def instructor(username: str):
    user = baker.make("auth.User", username=username)
    user.groups.add(Group.objects.get_or_create(name="Instructors")[0])
    return user


@pytest.fixture
def world(content):
    owner = instructor("owner")
    classroom = Classroom.objects.create(owner=owner, name=CLASS_NAME)
    assignment = Assignment.objects.create(
        classroom=classroom,
        deck=Deck.objects.get(slug="lesion-signs"),
        due_date=timezone.localdate() + timedelta(days=10),
    )
    member = baker.make("auth.User", username="member")
    Enrollment.objects.create(classroom=classroom, user=member)
    users = {
        "anonymous": None,
        "learner_in_class": member,
        "learner_not_in_class": baker.make("auth.User", username="outsider"),
        "owning_instructor": owner,
        "other_instructor": instructor("rival"),
        "admin": baker.make("auth.User", username="boss", is_staff=True, is_superuser=True),
    }
    return {"classroom": classroom, "assignment": assignment, "member": member, "users": users}


def url_for(name: str, world) -> str:
    kwargs = {"pk": world["classroom"].pk}
    if name.startswith("study:assignment_") and name != "study:assignment_create":
        kwargs["assignment_pk"] = world["assignment"].pk
    if name == "study:classroom_learner":
        kwargs["assignment_pk"] = world["assignment"].pk
    if name in {"study:classroom_learner", "study:classroom_roster_remove"}:
        kwargs["user_pk"] = world["member"].pk
    return reverse(name, kwargs=kwargs)


def snapshot(world) -> tuple:
    classroom = Classroom.objects.get(pk=world["classroom"].pk)
    return (
        classroom.name,
        classroom.archived,
        classroom.join_code,
        list(Assignment.objects.values_list("pk", "due_date", "target_recall")),
        list(Enrollment.objects.values_list("classroom_id", "user_id")),
    )


def request_as(client, user, method: str, url: str, data=None):
    if user is not None:
        client.force_login(user)
    data = data if data is not None else {}
    return client.post(url, data) if method == "post" else client.get(url)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "allowed_status"), INSTRUCTOR_URLS)
def test_instructor_urls_open_only_to_owner_and_admin(
    client, world, role, name, method, allowed_status
):
    url = url_for(name, world)
    before = snapshot(world)
    data = {"name": "Renamed"} if name == "study:classroom_edit" else {}
    response = request_as(client, world["users"][role], method, url, data)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in ALLOWED:
        assert response.status_code == allowed_status
    else:
        assert response.status_code == 404
        assert CLASS_NAME.encode() not in response.content
        assert b"member" not in response.content
    if role not in ALLOWED:
        assert snapshot(world) == before


@pytest.mark.parametrize("role", ROLES)
def test_only_a_member_can_leave(client, world, role):
    url = reverse("study:classroom_leave", args=[world["classroom"].pk])
    response = request_as(client, world["users"][role], "post", url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role == "learner_in_class":
        assert response.status_code == 302
        assert not Enrollment.objects.filter(user=world["member"]).exists()
    else:
        assert response.status_code == 404
        assert Enrollment.objects.filter(user=world["member"]).exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_instructors_and_admins_can_open_the_new_classroom_form(client, world, role):
    response = request_as(client, world["users"][role], "get", reverse("study:classroom_create"))
    expected = {
        "anonymous": 302,
        "learner_in_class": 403,
        "learner_not_in_class": 403,
        "owning_instructor": 200,
        "other_instructor": 200,
        "admin": 200,
    }
    assert response.status_code == expected[role]


@pytest.mark.parametrize("role", ["learner_in_class", "learner_not_in_class"])
def test_learners_cannot_create_classrooms(client, world, role):
    response = request_as(
        client, world["users"][role], "post", reverse("study:classroom_create"), {"name": "Mine"}
    )
    assert response.status_code == 403
    assert not Classroom.objects.filter(name="Mine").exists()


@pytest.mark.parametrize("role", ["owning_instructor", "other_instructor", "admin"])
def test_classroom_list_shows_only_what_the_user_may_manage(client, world, role):
    response = request_as(client, world["users"][role], "get", reverse("study:classrooms"))
    assert response.status_code == 200
    assert (CLASS_NAME.encode() in response.content) == (role in ALLOWED)


def test_classroom_list_shows_a_learner_their_own_classrooms(client, world):
    response = request_as(client, world["users"]["learner_in_class"], "get", "/classrooms/")
    assert CLASS_NAME.encode() in response.content
    other = request_as(client, world["users"]["learner_not_in_class"], "get", "/classrooms/")
    assert CLASS_NAME.encode() not in other.content


# --- ids that exist, but belong elsewhere -----------------------------------------------


@pytest.fixture
def second_class(world):
    classroom = Classroom.objects.create(owner=world["users"]["other_instructor"], name="Other")
    assignment = Assignment.objects.create(
        classroom=classroom,
        deck=Deck.objects.get(slug="anatomy"),
        due_date=timezone.localdate() + timedelta(days=5),
    )
    stranger = baker.make("auth.User", username="stranger")
    Enrollment.objects.create(classroom=classroom, user=stranger)
    return {"classroom": classroom, "assignment": assignment, "learner": stranger}


def test_drill_down_into_another_classrooms_assignment_is_404(client, world, second_class):
    client.force_login(world["users"]["owning_instructor"])
    url = reverse(
        "study:classroom_learner",
        args=[world["classroom"].pk, second_class["assignment"].pk, world["member"].pk],
    )
    assert client.get(url).status_code == 404


def test_drill_down_into_a_learner_of_another_classroom_is_404(client, world, second_class):
    client.force_login(world["users"]["owning_instructor"])
    url = reverse(
        "study:classroom_learner",
        args=[world["classroom"].pk, world["assignment"].pk, second_class["learner"].pk],
    )
    response = client.get(url)
    assert response.status_code == 404
    assert b"stranger" not in response.content


def test_editing_another_classrooms_assignment_through_own_classroom_is_404(
    client, world, second_class
):
    client.force_login(world["users"]["owning_instructor"])
    url = reverse(
        "study:assignment_edit", args=[world["classroom"].pk, second_class["assignment"].pk]
    )
    response = client.post(url, {"deck": "", "due_date": "2099-01-01", "target_percent": "80"})
    assert response.status_code == 404
    second_class["assignment"].refresh_from_db()
    assert second_class["assignment"].due_date.year != 2099


def test_deleting_another_classrooms_assignment_through_own_classroom_is_404(
    client, world, second_class
):
    client.force_login(world["users"]["owning_instructor"])
    url = reverse(
        "study:assignment_delete", args=[world["classroom"].pk, second_class["assignment"].pk]
    )
    assert client.post(url).status_code == 404
    assert Assignment.objects.filter(pk=second_class["assignment"].pk).exists()


def test_removing_a_learner_of_another_classroom_is_404(client, world, second_class):
    client.force_login(world["users"]["owning_instructor"])
    url = reverse(
        "study:classroom_roster_remove", args=[world["classroom"].pk, second_class["learner"].pk]
    )
    assert client.post(url).status_code == 404
    assert Enrollment.objects.filter(user=second_class["learner"]).exists()


def test_a_removed_learner_can_no_longer_be_drilled_into(client, world):
    client.force_login(world["users"]["owning_instructor"])
    Enrollment.objects.filter(user=world["member"]).delete()
    assert client.get(url_for("study:classroom_learner", world)).status_code == 404


def test_ids_that_do_not_exist_are_404_even_for_admins(client, world):
    client.force_login(world["users"]["admin"])
    assert client.get(reverse("study:classroom", args=[999_999])).status_code == 404
    assert client.post(reverse("study:classroom_archive", args=[999_999])).status_code == 404
