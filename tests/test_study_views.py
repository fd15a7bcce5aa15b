"""The study screen: front, answer, rate, undo — with and without HTMX."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from study.models import Card, Deck, Rating, ReviewKind, ReviewLog, ReviewState
from study.views.study import TOKEN_SALT

HTMX = {"HTTP_HX_REQUEST": "true"}


def token_in(response) -> str:
    return re.search(r'name="t" value="([^"]+)"', response.content.decode()).group(1)


def front(client, slug="all", **extra):
    response = client.get(reverse("study:study", args=[slug]), **extra)
    assert response.status_code == 200
    return response


def reveal(client, slug="all", choice=None):
    token = token_in(front(client, slug))
    params = {"t": token} | ({"choice": choice} if choice else {})
    response = client.get(reverse("study:answer", args=[slug]), params)
    assert response.status_code == 200
    return response


def rate(client, rating, slug="all", **extra):
    token = token_in(reveal(client, slug))
    return client.post(
        reverse("study:review", args=[slug]), {"t": token, "rating": rating}, **extra
    )


def test_study_page_shows_the_first_new_card_front(learner_client, deck):
    response = front(learner_client)
    first = deck.cards.active().order_by("order", "pk").first()
    assert first.front.encode() in response.content.replace(b"&#x27;", b"'")
    assert b"Show answer" in response.content
    assert first.back.encode()[:20] not in response.content


def test_show_answer_reveals_the_back_and_four_labelled_buttons(learner_client, deck):
    response = reveal(learner_client)
    html = response.content.decode()
    for label, interval in [("Again", "1m"), ("Hard", "6m"), ("Good", "10m")]:
        assert f"{label}, next review in {interval}" in html
    assert re.search(r"Easy, next review in \d+d", html)


def test_rating_without_htmx_redirects_post_redirect_get(learner_client, deck, learner):
    response = rate(learner_client, Rating.GOOD)
    assert response.status_code == 302
    assert response.url == reverse("study:study", args=["all"])
    log = ReviewLog.objects.get(user=learner)
    assert log.rating == Rating.GOOD and log.kind == ReviewKind.NEW


def test_rating_with_htmx_returns_the_next_card_fragment(learner_client, deck):
    response = rate(learner_client, Rating.GOOD, **HTMX)
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"1 learning" in response.content
    assert b"Show answer" in response.content


def test_a_double_submitted_rating_counts_once_and_shows_the_same_next_card(
    learner_client, deck, learner
):
    token = token_in(reveal(learner_client))
    url = reverse("study:review", args=["all"])
    first = learner_client.post(url, {"t": token, "rating": 3}, **HTMX)
    second = learner_client.post(url, {"t": token, "rating": 3}, **HTMX)
    assert first.status_code == second.status_code == 200
    assert ReviewLog.objects.filter(user=learner).count() == 1
    heading = re.compile(rb'id="card-front" class="front">([^<]+)<')
    assert heading.search(first.content).group(1) == heading.search(second.content).group(1)


@pytest.mark.parametrize("rating", ["0", "5", "x", "", "3.5", "-1"])
def test_a_bad_rating_gets_a_400_and_writes_nothing(learner_client, deck, rating):
    token = token_in(reveal(learner_client))
    response = learner_client.post(
        reverse("study:review", args=["all"]), {"t": token, "rating": rating}
    )
    assert response.status_code == 400
    assert b"Rating must be 1 (Again)" in response.content
    assert not ReviewLog.objects.exists() and not ReviewState.objects.exists()


@pytest.mark.parametrize("token", ["", "garbage", "eyJjIjoxfQ:1abc:forged"])
def test_a_forged_or_missing_token_gets_a_400_and_writes_nothing(learner_client, deck, token):
    response = learner_client.post(reverse("study:review", args=["all"]), {"t": token, "rating": 3})
    assert response.status_code == 400
    assert b"nothing was recorded" in response.content
    assert not ReviewLog.objects.exists()


def test_a_token_from_another_deck_is_refused(learner_client, deck):
    token = token_in(reveal(learner_client, "anatomy"))
    response = learner_client.post(reverse("study:review", args=["all"]), {"t": token, "rating": 3})
    assert response.status_code == 400
    assert not ReviewLog.objects.exists()


def test_a_token_shown_to_another_learner_cannot_rate_for_them(
    client, deck, learner, other_learner
):
    client.force_login(learner)
    token = token_in(reveal(client))
    client.force_login(other_learner)
    response = client.post(reverse("study:review", args=["all"]), {"t": token, "rating": 3})
    # The token only names a card; the review is recorded for whoever is logged in.
    assert response.status_code == 302
    assert not ReviewLog.objects.filter(user=learner).exists()
    assert ReviewLog.objects.filter(user=other_learner).count() == 1


def answer_payload(response) -> dict:
    return signing.loads(token_in(response), salt=TOKEN_SALT)


def reveal_again(client, card_id: int):
    """The answer page of a card already answered once (shown by id, as after an undo)."""
    token = token_in(client.get(reverse("study:study", args=["all"]), {"card": card_id}))
    return client.get(reverse("study:answer", args=["all"]), {"t": token})


def test_the_answer_form_of_a_studied_card_carries_the_state_it_showed(
    learner_client, deck, learner
):
    rate(learner_client, Rating.GOOD)
    state = ReviewState.objects.get(user=learner)
    answer_page = reveal_again(learner_client, state.card_id)
    assert answer_payload(answer_page)["st"] == state.to_form()

    url = reverse("study:review", args=["all"])
    response = learner_client.post(url, {"t": token_in(answer_page), "rating": 3})
    assert response.status_code == 302
    log = ReviewLog.objects.filter(user=learner).latest("pk")
    assert log.before == state.snapshot()


@pytest.mark.parametrize("carried", [{"id": 1}, "not a state", {"id": 1, "version": "x"}])
def test_a_form_whose_state_cannot_be_read_falls_back_to_the_row(
    learner_client, deck, learner, carried
):
    # A form signed by an earlier release (a day's forms stay valid across a deploy).
    rate(learner_client, Rating.GOOD)
    state = ReviewState.objects.get(user=learner)
    payload = answer_payload(reveal_again(learner_client, state.card_id)) | {"st": carried}
    token = signing.dumps(payload, salt=TOKEN_SALT, compress=False)

    response = learner_client.post(reverse("study:review", args=["all"]), {"t": token, "rating": 3})

    assert response.status_code == 302
    assert ReviewState.objects.get(user=learner).reps == 2


def test_another_learner_s_answer_form_cannot_touch_their_state(
    client, deck, learner, other_learner
):
    client.force_login(learner)
    rate(client, Rating.GOOD)
    theirs = ReviewState.objects.get(user=learner)
    token = token_in(reveal_again(client, theirs.card_id))
    client.force_login(other_learner)

    response = client.post(reverse("study:review", args=["all"]), {"t": token, "rating": 4})

    assert response.status_code == 409
    assert ReviewState.objects.get(pk=theirs.pk).snapshot() == theirs.snapshot()
    assert not ReviewLog.objects.filter(user=other_learner).exists()


def test_an_answer_from_a_stale_page_gets_a_409(learner_client, deck, learner):
    token = token_in(reveal(learner_client))
    url = reverse("study:review", args=["all"])
    learner_client.post(url, {"t": token, "rating": 1})
    ReviewLog.objects.filter(user=learner).update(token="changed-elsewhere")
    response = learner_client.post(url, {"t": token, "rating": 3})
    assert response.status_code == 409
    assert b"changed since it was shown" in response.content
    assert ReviewLog.objects.filter(user=learner).count() == 1


def test_another_learner_s_private_deck_is_a_404(learner_client, content, other_learner):
    private = Deck.objects.create(slug="otto-only", name="Otto's", owner=other_learner)
    private.cards.set(Card.objects.active()[:3])
    for name in ["study:study", "study:deck", "study:answer"]:
        assert learner_client.get(reverse(name, args=[private.slug])).status_code == 404
    response = learner_client.post(reverse("study:review", args=[private.slug]), {"rating": 3})
    assert response.status_code == 404


def test_a_card_outside_the_deck_is_a_404(learner_client, content):
    outside = Card.objects.exclude(decks__slug="anatomy").first()
    response = learner_client.get(reverse("study:study", args=["anatomy"]), {"card": outside.pk})
    assert response.status_code == 404


def test_undo_without_htmx_shows_the_card_again(learner_client, deck, learner):
    first_front = front(learner_client).content
    rate(learner_client, Rating.GOOD)
    response = learner_client.post(reverse("study:undo", args=["all"]))
    assert response.status_code == 302
    again = learner_client.get(response.url)
    heading = re.compile(rb'id="card-front" class="front">([^<]+)<')
    assert heading.search(again.content).group(1) == heading.search(first_front).group(1)
    assert not ReviewLog.objects.filter(user=learner).exists()


def test_undo_with_htmx_returns_the_undone_card(learner_client, deck, learner):
    rate(learner_client, Rating.GOOD)
    response = learner_client.post(reverse("study:undo", args=["all"]), **HTMX)
    assert response.status_code == 200
    assert b"Last answer undone" in response.content
    assert b"20 new" in response.content


def test_undo_with_nothing_to_undo_says_so(learner_client, deck):
    response = learner_client.post(reverse("study:undo", args=["all"]), **HTMX)
    assert response.status_code == 409
    assert b"Nothing to undo" in response.content


def identify_card(deck_slug="diseases") -> Card:
    return Deck.objects.get(slug=deck_slug).cards.active().filter(kind="identify").first()


def reveal_choice(client, card, choice, slug="diseases"):
    page = client.get(reverse("study:study", args=[slug]), {"card": card.pk})
    assert b'name="choice"' in page.content
    return client.get(reverse("study:answer", args=[slug]), {"t": token_in(page), "choice": choice})


def test_a_wrong_choice_is_graded_again_automatically(learner_client, content, learner):
    card = identify_card()
    wrong = next(choice for choice in card.choices if choice != card.answer)
    response = reveal_choice(learner_client, card, wrong)
    assert b"Not quite" in response.content
    assert card.explanation[:30].encode() in response.content.replace(b"&#x27;", b"'")
    assert b"Continue (Again)" in response.content
    assert b"Easy, next review" not in response.content
    # Even a forged "Easy" is recorded as Again.
    learner_client.post(
        reverse("study:review", args=["diseases"]), {"t": token_in(response), "rating": 4}
    )
    assert ReviewLog.objects.get(user=learner).rating == Rating.AGAIN


def test_a_right_choice_offers_hard_good_easy(learner_client, content):
    card = identify_card()
    response = reveal_choice(learner_client, card, card.answer)
    assert b"Correct" in response.content
    html = response.content.decode()
    assert "Good, next review" in html and "Easy, next review" in html
    assert "Again, next review" not in html


def test_a_choice_that_is_not_offered_is_a_400(learner_client, content):
    response = reveal_choice(learner_client, identify_card(), "Maybe")
    assert response.status_code == 400
    assert b"Pick one of the choices" in response.content


def test_done_screen_when_nothing_is_left(learner_client, content, learner):
    profile = learner.study_profile
    profile.new_per_day = 1
    profile.save()
    rate(learner_client, Rating.EASY, slug="anatomy")
    response = front(learner_client, "anatomy")
    assert b"All done for now" in response.content
    assert b"Next card in this deck is due" in response.content
    assert b"Today you answered 1 card" in response.content


def test_study_pages_never_write(learner_client, deck):
    with CaptureQueriesContext(connection) as queries:
        token = token_in(front(learner_client))
        learner_client.get(reverse("study:answer", args=["all"]), {"t": token})
        learner_client.get(reverse("study:home"))
        learner_client.get(reverse("study:deck", args=["all"]))
    # The session may be refreshed (once a day, see study.accounts); app data never.
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        and "django_session" not in q["sql"]
    ]
    assert writes == []


def build_history(user, reviews: int) -> None:
    """`reviews` past logs spread over the deck's cards, all states due in the future."""
    cards = list(Card.objects.active().order_by("order"))
    now = timezone.now()
    states, logs = [], []
    for index, card in enumerate(cards):
        states.append(
            ReviewState(
                user=user,
                card=card,
                state=2,
                stability=30.0,
                difficulty=5.0,
                due=now + timedelta(days=5 + index),
                last_review=now - timedelta(days=3),
                reps=reviews // len(cards),
                version=1,
            )
        )
    for index in range(reviews):
        card = cards[index % len(cards)]
        logs.append(
            ReviewLog(
                user=user,
                card=card,
                rating=3,
                reviewed_at=now - timedelta(days=400) + timedelta(minutes=index),
                kind=2,
                before=None,
                after={},
                token=f"hist-{index}",
            )
        )
    ReviewState.objects.bulk_create(states[5:])  # leave the first few cards new
    ReviewLog.objects.bulk_create(logs, batch_size=1000)


@pytest.mark.parametrize("history", [10, 5000])
def test_a_review_post_costs_a_constant_number_of_queries(
    learner_client, deck, learner, history, django_assert_max_num_queries
):
    build_history(learner, history)
    token = token_in(reveal(learner_client))  # also fills the content catalog
    # session, user, savepoint, lock the state, log, state, release, today's counts + states
    with django_assert_max_num_queries(8):
        response = learner_client.post(
            reverse("study:review", args=["all"]), {"t": token, "rating": 3}, **HTMX
        )
    assert response.status_code == 200
    assert ReviewLog.objects.filter(user=learner).count() == history + 1


@pytest.mark.parametrize("history", [10, 5000])
def test_the_study_page_costs_a_constant_number_of_queries(
    learner_client, deck, learner, history, django_assert_max_num_queries
):
    build_history(learner, history)
    front(learner_client)  # fills the content catalog (two more queries, once per process)
    # session, user (with the content stamp), today's counts + the learner's states
    with django_assert_max_num_queries(3):
        front(learner_client)
