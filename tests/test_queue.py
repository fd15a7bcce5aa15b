"""queue.py: what comes next, daily limits, and the learner's own study day."""

import io
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from study import queue
from study.models import Card, Deck, Rating, ReviewState

from .conftest import answer, postgres_only

START = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def upcoming(user, deck, now):
    profile = user.study_profile
    return queue.next_card(user=user, profile=profile, deck=deck, now=now)


def left(user, deck, now):
    profile = user.study_profile
    return queue.plan(user=user, profile=profile, deck=deck, now=now).counts


@pytest.fixture
def small_deck(content) -> Deck:
    return Deck.objects.get(slug="anatomy")


def test_new_cards_come_in_deck_order(learner, small_deck):
    first = small_deck.cards.active().order_by("order", "pk").first()
    assert upcoming(learner, small_deck, START).card == first


def test_learning_cards_due_now_come_before_new_cards(learner, small_deck):
    first = upcoming(learner, small_deck, START).card
    answer(learner, first, Rating.AGAIN, START, "t1")  # due again in 1 minute
    assert upcoming(learner, small_deck, START).card != first  # not yet due: a new card
    assert upcoming(learner, small_deck, START + timedelta(minutes=2)).card == first


def test_most_overdue_review_comes_first(learner, small_deck):
    cards = list(small_deck.cards.active().order_by("order")[:2])
    for index, item in enumerate(cards):
        answer(learner, item, Rating.EASY, START, f"e{index}")
    ReviewState.objects.filter(card=cards[0]).update(due=START + timedelta(days=2))
    ReviewState.objects.filter(card=cards[1]).update(due=START + timedelta(days=1))
    later = START + timedelta(days=3)
    assert upcoming(learner, small_deck, later).card == cards[1]


def test_learning_cards_due_later_today_come_back_when_nothing_else_is_left(learner, small_deck):
    profile = learner.study_profile
    profile.new_per_day = 1
    profile.save()
    first = upcoming(learner, small_deck, START).card
    answer(learner, first, Rating.GOOD, START, "g1")  # due in 10 minutes
    next_up = upcoming(learner, small_deck, START + timedelta(minutes=1))
    assert next_up.card == first and next_up.state is not None


def test_new_cards_per_day_limit(learner, small_deck):
    profile = learner.study_profile
    profile.new_per_day = 2
    profile.save()
    for index in range(2):
        card = upcoming(learner, small_deck, START).card
        answer(learner, card, Rating.EASY, START + timedelta(seconds=index), f"n{index}")
    assert left(learner, small_deck, START).new == 0
    assert upcoming(learner, small_deck, START + timedelta(minutes=1)) is None


def test_reviews_per_day_limit(learner, small_deck):
    profile = learner.study_profile
    profile.reviews_per_day = 1
    profile.save()
    cards = list(small_deck.cards.active()[:3])
    for index, item in enumerate(cards):
        answer(learner, item, Rating.EASY, START - timedelta(days=30), f"r{index}")
    ReviewState.objects.filter(user=learner).update(due=START - timedelta(days=1))
    assert left(learner, small_deck, START).review == 1
    answer(learner, cards[0], Rating.GOOD, START, "today")
    assert left(learner, small_deck, START).review == 0


def test_counts_add_up_for_a_fresh_learner(learner, small_deck):
    counts = left(learner, small_deck, START)
    assert counts.new == min(20, small_deck.cards.active().count())
    assert counts.learning == counts.review == 0


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo"])
def test_new_card_limit_resets_at_the_learner_s_day_start_not_utc_midnight(learner, content, zone):
    deck = Deck.objects.get(slug="all")
    profile = learner.study_profile
    profile.time_zone = zone
    profile.new_per_day = 1
    profile.save()
    local = ZoneInfo(zone)
    before_rollover = datetime(2026, 6, 10, 3, 59, tzinfo=local).astimezone(UTC)
    after_rollover = datetime(2026, 6, 10, 4, 1, tzinfo=local).astimezone(UTC)
    card = upcoming(learner, deck, before_rollover).card
    answer(learner, card, Rating.EASY, before_rollover, "late-night")
    assert left(learner, deck, before_rollover + timedelta(seconds=30)).new == 0
    assert left(learner, deck, after_rollover).new == 1


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo"])
def test_review_limit_resets_at_day_start(learner, content, zone):
    deck = Deck.objects.get(slug="all")
    profile = learner.study_profile
    profile.time_zone = zone
    profile.reviews_per_day = 1
    profile.save()
    local = ZoneInfo(zone)
    before_rollover = datetime(2026, 6, 10, 3, 59, tzinfo=local).astimezone(UTC)
    after_rollover = datetime(2026, 6, 10, 4, 1, tzinfo=local).astimezone(UTC)
    cards = list(Card.objects.active()[:2])
    for index, item in enumerate(cards):
        answer(learner, item, Rating.EASY, before_rollover - timedelta(days=20), f"old{index}")
    ReviewState.objects.filter(user=learner).update(due=before_rollover - timedelta(days=1))
    answer(learner, cards[0], Rating.GOOD, before_rollover, "review-before")
    assert left(learner, deck, before_rollover + timedelta(seconds=30)).review == 0
    assert left(learner, deck, after_rollover).review == 1


def test_study_day_spans_the_day_start_hour_in_local_time(learner):
    profile = learner.study_profile
    profile.time_zone = "Asia/Tokyo"
    local = ZoneInfo("Asia/Tokyo")
    day = profile.study_day(datetime(2026, 6, 10, 3, 59, tzinfo=local))
    assert day.start == datetime(2026, 6, 9, 4, 0, tzinfo=local)
    assert day.end == datetime(2026, 6, 10, 4, 0, tzinfo=local)


def test_retired_cards_never_come_up(learner, small_deck):
    first = upcoming(learner, small_deck, START).card
    first.retired = True  # as generate_cards retires a card: a save, so the catalog hears
    first.save(update_fields=["retired"])
    assert upcoming(learner, small_deck, START).card != first


def test_next_due_at_is_the_earliest_due(learner, small_deck):
    card = upcoming(learner, small_deck, START).card
    answer(learner, card, Rating.EASY, START, "x")
    state = ReviewState.objects.get(user=learner, card=card)
    today = queue.plan(user=learner, profile=learner.study_profile, deck=small_deck, now=START)
    assert today.next_due == state.due


def test_a_review_exactly_at_day_start_counts_for_the_new_day(learner, small_deck):
    profile = learner.study_profile
    day = profile.study_day(START)
    card = upcoming(learner, small_deck, START).card
    answer(learner, card, Rating.GOOD, day.start, "boundary")
    done = queue.done_today(user=learner, profile=profile, now=day.start)
    assert (done.total, done.new) == (1, 1)
    before = queue.done_today(user=learner, profile=profile, now=day.start - timedelta(seconds=1))
    assert before.total == 0


def test_a_plan_reads_the_whole_state_only_of_the_card_it_is_made_for(learner, small_deck):
    first, second, unseen = small_deck.cards.active().order_by("order", "pk")[:3]
    answer(learner, first, Rating.GOOD, START, "w1")
    answer(learner, first, Rating.GOOD, START + timedelta(minutes=15), "w2")
    answer(learner, second, Rating.AGAIN, START, "w3")
    profile, later = learner.study_profile, START + timedelta(hours=1)
    stored = ReviewState.objects.get(user=learner, card=first)

    today = queue.plan(user=learner, profile=profile, deck=small_deck, now=later, card_id=first.pk)
    state = today.state_for(first.pk)
    fields = [field.attname for field in ReviewState._meta.concrete_fields]
    assert [getattr(state, name) for name in fields] == [getattr(stored, name) for name in fields]
    assert today.state_for(unseen.pk) is None
    with pytest.raises(ValueError):
        today.state_for(second.pk)  # only its planning columns were read

    plain = queue.plan(user=learner, profile=profile, deck=small_deck, now=later)
    assert plain.version_for(first.pk) == stored.version == 2
    assert plain.version_for(unseen.pk) == 0
    assert plain.next_card_id == today.next_card_id and plain.counts == today.counts


PAD_LEARNERS = 5000


def plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


@postgres_only("its cached generic plans")
def test_the_generic_plan_reads_a_learners_states_in_one_index_range(content):
    """Prepared, the study query runs on a plan made without its parameters' values; that
    plan must still read the learner's states in one pass, not probe them card by card."""
    call_command("seed_synthetic", learners=40, days=14, seed=3, stdout=io.StringIO())
    learner = get_user_model().objects.filter(username="synth-01").get()
    deck = Deck.objects.get(slug="all")
    now = timezone.now()
    profile = learner.study_profile
    sql, params = queue._today_sql(user=learner, profile=profile, deck=deck, now=now, card_id=None)
    parts = sql.split("%s")
    numbered = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]
    execute = f"EXECUTE today({', '.join(['%s'] * len(params))})"
    with connection.cursor() as cursor:
        # A school's worth of other learners' states, so that PostgreSQL plans as it would
        # at scale (on a small table it reads them in one pass whatever the query's shape).
        cursor.execute(
            "INSERT INTO auth_user (username, password, first_name, last_name, email, "
            "is_staff, is_active, is_superuser, date_joined) SELECT 'pad-' || n, '', '', '', "
            "'', false, true, false, now() FROM generate_series(1, %s) n",
            [PAD_LEARNERS],
        )
        cursor.execute(
            "INSERT INTO study_reviewstate (user_id, card_id, state, due, reps, lapses, "
            "version) SELECT u.id, c.id, 2, now(), 1, 0, 1 FROM auth_user u, study_card c "
            "WHERE u.username LIKE 'pad-%%'"
        )
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE today AS {numbered}")
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + connection.ops.compose_sql(execute, params)
        )
        (explained,) = cursor.fetchone()
        cursor.execute("DEALLOCATE today")
    plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
    scans = [node for node in plan_nodes(plan) if node.get("Relation Name") == "study_reviewstate"]
    states = ReviewState.objects.filter(user=learner, card__decks=deck).count()
    assert states > 40 and scans
    assert [node["Actual Loops"] for node in scans] == [1] * len(scans)
    assert plan["Actual Rows"] == states + 1  # and the counts' row
