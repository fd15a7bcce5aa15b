"""Query budgets of the hot pages: a fixed ceiling, the same for a short and a long history.

Timing lives in `make bench`; these tests pin the cause of slowness that creeps in
unnoticed (a query per card, per log, per learner) and check that templates never query
(everything is fetched in the view, so template time is pure rendering).
"""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.template.backends.django import Template
from django.test.utils import CaptureQueriesContext

from study.models import Classroom, Deck, ReviewLog

TOKEN = re.compile(r'name="t" value="([^"]+)"')
CHOICE = re.compile(r'name="choice" value="([^"]+)"')
NOW = "2025-03-01T12:00:00+00:00"

# Ceilings: session + user, deck, the queue's reads, and the review's own writes.
STUDY_PAGE = 7
# Session + user, the write (one statement on PostgreSQL; state and log on SQLite) in the
# test's savepoint, the next card's plan. No read of the answered card's state: the answer
# form carries it.
REVIEW_POST = 7
STATS_PAGE = 14
DASHBOARD = 6


@pytest.fixture(params=[(2, 3), (10, 45)], ids=["short-history", "long-history"])
def history(request, content):
    """Synthetic learners (one class) with a few days, or weeks, of reviews."""
    learners, days = request.param
    call_command(
        "seed_synthetic",
        learners=learners,
        days=days,
        classrooms=1,
        seed=3,
        now=NOW,
        stdout=io.StringIO(),
    )
    return get_user_model().objects.get(username=f"synth-{1:0{len(str(learners))}d}")


@pytest.fixture
def template_queries(monkeypatch):
    """Records (template name, SQL issued while rendering it) for every template rendered."""
    rendered = []
    original = Template.render

    def render(self, context=None, request=None):
        with CaptureQueriesContext(connection) as captured:
            html = original(self, context, request)
        rendered.append((self.origin.template_name, [q["sql"] for q in captured]))
        return html

    monkeypatch.setattr(Template, "render", render)
    return rendered


@pytest.fixture
def learner_in(client, history, time_machine):
    time_machine.move_to(NOW, tick=False)
    client.force_login(history)
    client.get("/healthz")  # the first request after login rewrites the session: not steady state
    return client


def card_front(client) -> str:
    """The study page showing one card by id. Whether the queue still has a card at NOW
    depends on the ids PostgreSQL handed out earlier in the run (the fuzz is seeded by
    them), and a finished queue has no answer form."""
    card = Deck.objects.get(slug="all").cards.active().order_by("order", "pk").first()
    response = client.get("/study/all/", {"card": card.pk})
    assert response.status_code == 200
    return response.content.decode()


def answer_form(client) -> dict:
    body = card_front(client)
    params = {"t": TOKEN.search(body).group(1)}
    if choice := CHOICE.search(body):
        params["choice"] = choice.group(1)
    body = client.get("/study/all/answer/", params).content.decode()
    return {"t": TOKEN.search(body).group(1), "rating": "3"}


def test_study_page_has_a_fixed_query_budget(learner_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(STUDY_PAGE):
        response = learner_in.get("/study/all/")
    assert response.status_code == 200


def test_review_post_has_a_fixed_query_budget(learner_in, history, django_assert_max_num_queries):
    form = answer_form(learner_in)
    before = ReviewLog.objects.filter(user=history).count()
    with django_assert_max_num_queries(REVIEW_POST):
        response = learner_in.post("/study/all/review/", form, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert ReviewLog.objects.filter(user=history).count() == before + 1


def test_stats_page_has_a_fixed_query_budget(learner_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(STATS_PAGE):
        response = learner_in.get("/stats/")
    assert response.status_code == 200


def test_dashboard_has_a_fixed_query_budget(
    client, history, time_machine, django_assert_max_num_queries
):
    time_machine.move_to(NOW, tick=False)
    client.force_login(get_user_model().objects.get(username="synth-instructor"))
    classroom = Classroom.objects.get(owner__username="synth-instructor")
    client.get("/healthz")
    with django_assert_max_num_queries(DASHBOARD):
        response = client.get(f"/classrooms/{classroom.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count(history.username) >= 1


@pytest.mark.parametrize("page", ["study", "answer", "review", "stats"])
def test_learner_templates_render_without_queries(learner_in, template_queries, page):
    if page == "study":
        learner_in.get("/study/all/")
    elif page == "answer":
        body = card_front(learner_in)
        template_queries.clear()
        params = {"t": TOKEN.search(body).group(1)}
        if choice := CHOICE.search(body):
            params["choice"] = choice.group(1)
        learner_in.get("/study/all/answer/", params)
    elif page == "review":
        form = answer_form(learner_in)
        template_queries.clear()
        learner_in.post("/study/all/review/", form, headers={"HX-Request": "true"})
    else:
        learner_in.get("/stats/")
    assert template_queries
    assert [(name, sql) for name, sql in template_queries if sql] == []


def test_dashboard_template_renders_without_queries(client, history, template_queries):
    client.force_login(get_user_model().objects.get(username="synth-instructor"))
    classroom = Classroom.objects.get(owner__username="synth-instructor")
    client.get(f"/classrooms/{classroom.pk}/")
    assert template_queries
    assert [(name, sql) for name, sql in template_queries if sql] == []
