"""The learner's own data: review history download (CSV, JSON) and account deletion."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from study import accounts, progress, scheduling
from study.models import (
    Card,
    Classroom,
    Deck,
    Enrollment,
    ReviewLog,
    ReviewState,
    StudyProfile,
)

from .conftest import PASSWORD, make_user


def review(user, card, token: str, days_ago: int = 0):
    return scheduling.review(
        user=user,
        profile=user.study_profile,
        card_id=card.pk,
        rating=3,
        expected_version=0,
        token=token,
        now=timezone.now() - timedelta(days=days_ago),
    )


@pytest.fixture
def history(content, learner, other_learner):
    cards = list(Card.objects.active().order_by("order", "pk")[:3])
    for n, card in enumerate(cards):
        review(learner, card, f"mine-{n}", days_ago=3 - n)
    review(other_learner, cards[0], "theirs")
    return cards


def test_the_account_page_links_the_downloads_and_the_deletion_form(learner_client):
    content = learner_client.get(reverse("study:account")).content.decode()
    assert reverse("study:account_export_csv") in content
    assert reverse("study:account_export_json") in content
    assert reverse("study:account_delete") in content
    assert 'name="password"' in content


def test_the_csv_has_one_row_per_own_review_oldest_first(learner_client, history):
    response = learner_client.get(reverse("study:account_export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["card_key"] for row in rows] == [card.key for card in history]
    assert {row["rating_label"] for row in rows} == {"Good"}


def test_the_json_has_the_same_reviews(learner_client, history):
    response = learner_client.get(reverse("study:account_export_json"))
    data = json.loads(response.content)
    assert data["username"] == "lena"
    assert [r["card_key"] for r in data["reviews"]] == [card.key for card in history]


def test_the_export_never_contains_other_learners_reviews(learner_client, other_learner, content):
    review(other_learner, Card.objects.active().first(), "theirs")
    assert json.loads(learner_client.get(reverse("study:account_export_json")).content) == {
        "username": "lena",
        "reviews": [],
    }


@pytest.mark.parametrize("formula", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=x"])
def test_csv_cells_cannot_start_a_formula(formula):
    assert accounts.spreadsheet_safe(formula) == "'" + formula


def test_a_card_text_starting_with_a_formula_is_neutralised_in_the_csv(learner_client, history):
    Card.objects.filter(pk=history[0].pk).update(front='=HYPERLINK("http://evil","x")')
    text = learner_client.get(reverse("study:account_export_csv")).content.decode()
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["card_front"].startswith("'=")


def test_deleting_the_account_removes_the_user_their_data_and_sessions(content, learner, history):
    phone, laptop = Client(), Client()
    for client in (phone, laptop):
        client.post(reverse("login"), {"username": "lena", "password": PASSWORD})
    response = laptop.post(reverse("study:account_delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=learner.pk).exists()
    assert not ReviewLog.objects.filter(user=learner.pk).exists()
    assert not ReviewState.objects.filter(user=learner.pk).exists()
    assert not StudyProfile.objects.filter(user=learner.pk).exists()
    assert not Session.objects.exists()
    assert phone.get(reverse("study:home")).status_code == 302


def test_deleting_an_account_keeps_other_learners_history(learner_client, other_learner, history):
    learner_client.post(reverse("study:account_delete"), {"password": PASSWORD})
    assert ReviewLog.objects.filter(user=other_learner).count() == 1


def test_a_wrong_password_deletes_nothing(learner_client, learner, history):
    response = learner_client.post(reverse("study:account_delete"), {"password": "guess"})
    assert response.status_code == 400
    assert b"not your password" in response.content
    assert ReviewLog.objects.filter(user=learner).count() == 3


def test_an_instructor_with_active_classrooms_is_asked_to_archive_them_first(client, instructor):
    Classroom.objects.create(owner=instructor, name="Neuro 101")
    client.force_login(instructor)
    response = client.post(reverse("study:account_delete"), {"password": PASSWORD})
    assert response.status_code == 400
    assert b"archive" in response.content
    assert User.objects.filter(pk=instructor.pk).exists()


def test_an_instructor_whose_classrooms_are_archived_can_leave(client, instructor):
    Classroom.objects.create(owner=instructor, name="Old class", archived=True)
    client.force_login(instructor)
    assert client.post(reverse("study:account_delete"), {"password": PASSWORD}).status_code == 302
    assert not User.objects.filter(pk=instructor.pk).exists()


def test_the_classroom_dashboard_drops_a_deleted_learner(learner_client, learner, content):
    owner = make_user("ines")
    classroom = Classroom.objects.create(owner=owner, name="Neuro 101")
    classroom.assignments.create(
        deck=Deck.objects.get(slug="all"), due_date=timezone.localdate() + timedelta(days=7)
    )
    Enrollment.objects.create(classroom=classroom, user=learner)
    review(learner, Card.objects.active().first(), "t1")
    before = progress.classroom_dashboard(classroom=classroom, now=timezone.now())
    assert [row.learner.username for row in before.rows] == ["lena"]
    learner_client.post(reverse("study:account_delete"), {"password": PASSWORD})
    after = progress.classroom_dashboard(classroom=classroom, now=timezone.now())
    assert after.rows == []
