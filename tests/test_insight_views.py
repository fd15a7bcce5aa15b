"""Statistics page, memory map, row study and the optimize action, through HTTP."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from study.models import (
    Attribute,
    Card,
    Comparison,
    Deck,
    Rating,
    ReviewKind,
    ReviewLog,
    ReviewState,
    State,
)

STATS = reverse("study:stats")
OPTIMIZE = reverse("study:optimize")


def give_history(user, reviews: int) -> None:
    """`reviews` logs over the last year spread across the cards, plus a state per card."""
    now = timezone.now()
    cards = list(Card.objects.active())
    logs = []
    for n in range(reviews):
        card = cards[n % len(cards)]
        at = now - timedelta(days=n % 365, hours=1)
        logs.append(
            ReviewLog(
                user=user,
                card=card,
                rating=Rating.AGAIN if n % 5 == 0 else Rating.GOOD,
                reviewed_at=at,
                kind=ReviewKind.REVIEW,
                before={
                    "state": 2,
                    "due": at.isoformat(),
                    "last_review": (at - timedelta(days=n % 40)).isoformat(),
                },
                after={},
                token=f"t{n}",
            )
        )
    ReviewLog.objects.bulk_create(logs)
    ReviewState.objects.bulk_create(
        ReviewState(
            user=user,
            card=card,
            state=State.REVIEW,
            stability=1 + index,
            difficulty=1 + index % 9,
            due=now + timedelta(days=index % 40),
            last_review=now - timedelta(days=1),
        )
        for index, card in enumerate(cards[: min(reviews, len(cards))])
    )


def test_stats_page_renders_for_a_learner_with_no_reviews(learner_client, content):
    response = learner_client.get(STATS)
    assert response.status_code == 200
    text = response.content.decode()
    assert "0 reviews on 0 of 365 days" in text
    assert "Memory map" in text
    assert "not studied yet" in text
    assert "No cards scheduled in the next 30 days." in text


def test_stats_page_renders_without_any_content(learner_client):
    response = learner_client.get(STATS)
    assert response.status_code == 200
    assert b"No comparison table has been loaded yet." in response.content


def test_stats_page_has_no_inline_style_or_script(learner_client, content, learner):
    give_history(learner, 50)
    text = learner_client.get(STATS).content.decode()
    assert "style=" not in text
    assert "<script>" not in text and "onclick" not in text


def test_stats_page_shows_the_learners_figures(learner_client, content, learner):
    give_history(learner, 10)
    text = learner_client.get(STATS).content.decode()
    assert "10 reviews on 10 of 365 days" in text
    assert '<svg class="heatmap"' in text
    assert "chance to recall now" in text


@pytest.mark.parametrize("reviews", [0, 20, 600])
def test_stats_page_query_count_does_not_grow_with_history(
    learner_client, content, learner, reviews, django_assert_max_num_queries
):
    give_history(learner, reviews)
    with django_assert_max_num_queries(9):
        response = learner_client.get(STATS)
    assert response.status_code == 200


def test_memory_map_cell_shows_retrievability_of_its_card(learner_client, content, learner):
    card = Card.objects.get(key="umn-lmn:cell-bodies:recall:left")
    now = timezone.now()
    ReviewState.objects.create(
        user=learner,
        card=card,
        state=State.REVIEW,
        stability=10,
        difficulty=5,
        due=now + timedelta(days=1),
        last_review=now - timedelta(days=5),
    )
    text = learner_client.get(STATS).content.decode()
    assert 'class="map-cell r9"' in text
    assert '94%<span class="visually-hidden"> chance to recall now' in text


def test_studying_a_row_starts_a_session_of_its_cards(learner_client, content, learner):
    attribute = Attribute.objects.get(comparison__slug="umn-lmn", key="cell-bodies")
    response = learner_client.post(reverse("study:study_row", args=[attribute.pk]))
    deck = Deck.objects.get(owner=learner)
    assert response.status_code == 302
    assert response["Location"] == reverse("study:study", args=[deck.slug])
    assert set(deck.cards.all()) == set(Card.objects.active().filter(attribute=attribute))
    follow = learner_client.get(response["Location"])
    assert follow.status_code == 200
    assert follow.context["card"].attribute_id == attribute.pk


def test_row_study_needs_post(learner_client, content):
    attribute = Attribute.objects.first()
    response = learner_client.get(reverse("study:study_row", args=[attribute.pk]))
    assert response.status_code == 405


def test_row_of_someone_elses_table_is_not_found(learner_client, content, instructor):
    private = Comparison.objects.create(
        slug="private", title="Private", left_label="A", right_label="B", owner=instructor
    )
    attribute = Attribute.objects.create(
        comparison=private, key="row", name="Row", question="row", group="anatomy"
    )
    response = learner_client.post(reverse("study:study_row", args=[attribute.pk]))
    assert response.status_code == 404
    assert not Deck.objects.filter(slug__startswith="row-").exists()


def test_row_decks_of_two_learners_are_separate(client, content, learner, other_learner):
    attribute = Attribute.objects.get(comparison__slug="umn-lmn", key="cell-bodies")
    url = reverse("study:study_row", args=[attribute.pk])
    for user in (learner, other_learner):
        client.force_login(user)
        client.post(url)
    assert Deck.objects.filter(owner=learner).count() == 1
    assert Deck.objects.filter(owner=other_learner).count() == 1


def test_optimize_without_history_says_how_many_more_reviews(learner_client, learner):
    response = learner_client.post(OPTIMIZE)
    assert response.status_code == 302
    message = str(next(iter(get_messages(response.wsgi_request))))
    assert "64 more reviews needed" in message
    learner.study_profile.refresh_from_db()
    assert learner.study_profile.parameters == []


def test_optimize_over_htmx_answers_with_the_result_fragment(learner_client):
    response = learner_client.post(OPTIMIZE, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.content.decode()
    assert text.lstrip().startswith('<div id="optimize-body"')
    assert "Not enough history yet" in text
    assert "<html" not in text


def test_optimize_needs_post(learner_client):
    assert learner_client.get(OPTIMIZE).status_code == 405


def test_stats_needs_login(client, db):
    assert client.get(STATS).status_code == 302


def test_navigation_links_to_statistics_and_settings(learner_client):
    text = learner_client.get(reverse("study:settings")).content.decode()
    assert f'href="{STATS}"' in text
    assert f'href="{reverse("study:settings")}"' in text
