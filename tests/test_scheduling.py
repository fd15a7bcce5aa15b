"""scheduling.py: FSRS-6 exactly as py-fsrs computes it, recorded once, undone exactly."""

from datetime import UTC, datetime, timedelta

import fsrs
import pytest
from django.core import signing
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from fsrs.scheduler import STABILITY_MIN
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from study import scheduling
from study.models import Card, Rating, ReviewKind, ReviewLog, ReviewState

from .conftest import answer

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def no_fuzz(settings):
    settings.FSRS_ENABLE_FUZZING = False


@pytest.fixture
def card(content) -> Card:
    return Card.objects.active().first()


review_sequences = st.lists(
    st.tuples(
        st.sampled_from(list(Rating.values)),
        st.integers(min_value=0, max_value=60 * 24 * 60),  # minutes until the next review
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=review_sequences)
def test_stored_state_replays_py_fsrs_exactly(no_fuzz, learner, card, sequence):
    ReviewLog.objects.filter(user=learner).delete()
    ReviewState.objects.filter(user=learner).delete()
    reference = fsrs.Scheduler(enable_fuzzing=False)
    expected = fsrs.Card(card_id=card.pk)
    now = START
    for index, (rating, gap_minutes) in enumerate(sequence):
        answer(learner, card, rating, now, token=f"replay-{index}")
        expected, _ = reference.review_card(expected, fsrs.Rating(rating), review_datetime=now)
        stored = ReviewState.objects.get(user=learner, card=card)
        assert stored.state == expected.state
        assert stored.step == expected.step
        assert stored.stability == pytest.approx(expected.stability, rel=1e-12)
        assert stored.difficulty == pytest.approx(expected.difficulty, rel=1e-12)
        assert stored.due == expected.due
        assert stored.last_review == expected.last_review
        now += timedelta(minutes=gap_minutes)


@pytest.mark.parametrize("rating", Rating.values)
def test_preview_equals_the_outcome_with_fuzz_on(learner, card, rating):
    # Bring the card into Review with a long interval, where fuzz matters.
    answer(learner, card, Rating.EASY, START, token="first")
    state = ReviewState.objects.get(user=learner, card=card)
    answer(learner, card, Rating.GOOD, state.due, token="second")
    state = ReviewState.objects.get(user=learner, card=card)
    now = state.due + timedelta(days=3)
    shown = scheduling.preview(
        profile=learner.study_profile, user_id=learner.pk, card_id=card.pk, state=state, now=now
    )
    assert shown[Rating.GOOD].interval.days > 2  # long enough to be fuzzed
    answer(learner, card, rating, now, token="previewed")
    stored = ReviewState.objects.get(user=learner, card=card)
    assert stored.due == shown[rating].due
    assert stored.stability == pytest.approx(shown[rating].stability)


def test_fuzz_spreads_intervals_across_cards(learner, content):
    """Fuzz is deterministic per card, not constant: siblings do not all land on one day."""
    cards = list(Card.objects.active()[:12])
    intervals = set()
    for index, item in enumerate(cards):
        answer(learner, item, Rating.EASY, START, token=f"a{index}")
        state = ReviewState.objects.get(user=learner, card=item)
        later = state.due
        answer(learner, item, Rating.EASY, later, token=f"b{index}")
        state.refresh_from_db()
        intervals.add((state.due - later).days)
    assert len(intervals) > 1


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (timedelta(seconds=30), "<1m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=3), "3h"),
        (timedelta(days=3), "3d"),
        (timedelta(days=36), "1.2mo"),
        (timedelta(days=800), "2.2y"),
    ],
)
def test_intervals_are_labelled_like_anki(interval, label):
    assert scheduling.format_interval(interval) == label


def test_a_double_submit_is_recorded_once(learner, card):
    answer(learner, card, Rating.GOOD, START, token="same")
    with pytest.raises(scheduling.DuplicateReview):
        scheduling.review(
            user=learner,
            profile=learner.study_profile,
            card_id=card.pk,
            rating=Rating.GOOD,
            expected_version=0,
            token="same",
            now=START + timedelta(seconds=1),
        )
    assert ReviewLog.objects.filter(user=learner).count() == 1
    assert ReviewState.objects.get(user=learner, card=card).reps == 1


def test_a_stale_form_is_refused_and_writes_nothing(learner, card):
    answer(learner, card, Rating.GOOD, START)
    with pytest.raises(scheduling.ReviewError) as error:
        scheduling.review(
            user=learner,
            profile=learner.study_profile,
            card_id=card.pk,
            rating=Rating.GOOD,
            expected_version=0,
            token="other-tab",
            now=START + timedelta(minutes=1),
        )
    assert error.value.status == 409
    assert ReviewLog.objects.filter(user=learner).count() == 1


@pytest.mark.parametrize("rating", [0, 5, -1, 99])
def test_a_rating_outside_one_to_four_is_refused(learner, card, rating):
    with pytest.raises(scheduling.ReviewError):
        answer(learner, card, rating, START)
    assert not ReviewLog.objects.exists()
    assert not ReviewState.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_log_the_database_refuses_leaves_the_state_unchanged(content, learner):
    # The state's write goes first and the log's INSERT then fails at the database (its
    # token is taken, here by another card's log): neither may land, on either database.
    first, second = Card.objects.active()[:2]
    answer(learner, first, Rating.GOOD, START, token="first")
    answer(learner, second, Rating.GOOD, START, token="taken")
    before = ReviewState.objects.get(user=learner, card=first)

    with pytest.raises(scheduling.DuplicateReview):
        answer(learner, first, Rating.AGAIN, START + timedelta(minutes=5), token="taken")

    after = ReviewState.objects.get(user=learner, card=first)
    assert (after.snapshot(), after.version) == (before.snapshot(), before.version)
    assert sorted(ReviewLog.objects.values_list("token", flat=True)) == ["first", "taken"]


def test_a_card_changed_while_its_answer_is_computed_is_refused_and_writes_nothing(
    learner, card, monkeypatch
):
    # No lock is held between the review's read and its write: an undo that lands in
    # between (another tab) must make the write refuse, not overwrite the undone state.
    answer(learner, card, Rating.GOOD, START, token="first")
    answer(learner, card, Rating.GOOD, START + timedelta(minutes=10), token="second")
    real_outcome = scheduling.outcome

    def outcome_with_an_undo_meanwhile(**kwargs):
        assert scheduling.undo_last(user=learner).token == "second"
        return real_outcome(**kwargs)

    monkeypatch.setattr(scheduling, "outcome", outcome_with_an_undo_meanwhile)
    with pytest.raises(scheduling.ReviewError) as error:
        answer(learner, card, Rating.EASY, START + timedelta(days=1), token="third")

    assert error.value.status == 409
    assert list(ReviewLog.objects.values_list("token", flat=True)) == ["first"]
    state = ReviewState.objects.get(user=learner, card=card)
    assert state.snapshot() == ReviewLog.objects.get(token="first").after
    assert (state.reps, state.version) == (1, 3)


def test_a_new_card_answered_meanwhile_elsewhere_is_refused(learner, card, monkeypatch):
    # The same for a card that was new when read: a state that appears before the write
    # (another tab's first answer) is not overwritten.
    real_outcome = scheduling.outcome

    def outcome_with_another_answer_meanwhile(**kwargs):
        monkeypatch.setattr(scheduling, "outcome", real_outcome)
        answer(learner, card, Rating.HARD, START, token="other-tab")
        return real_outcome(**kwargs)

    monkeypatch.setattr(scheduling, "outcome", outcome_with_another_answer_meanwhile)
    with pytest.raises(scheduling.ReviewError) as error:
        answer(learner, card, Rating.EASY, START, token="this-tab")

    assert error.value.status == 409
    assert list(ReviewLog.objects.values_list("token", flat=True)) == ["other-tab"]
    state = ReviewState.objects.get(user=learner, card=card)
    assert (state.reps, state.version) == (1, 1)
    assert state.snapshot() == ReviewLog.objects.get().after


def test_undo_restores_the_previous_state_exactly(learner, card):
    answer(learner, card, Rating.GOOD, START, token="one")
    before = ReviewState.objects.get(user=learner, card=card).snapshot()
    answer(learner, card, Rating.AGAIN, START + timedelta(minutes=9), token="two")
    undone = scheduling.undo_last(user=learner)
    assert undone.token == "two"
    assert ReviewState.objects.get(user=learner, card=card).snapshot() == before
    assert list(ReviewLog.objects.values_list("token", flat=True)) == ["one"]


def test_undoing_a_first_review_makes_the_card_new_again(learner, card):
    answer(learner, card, Rating.GOOD, START)
    scheduling.undo_last(user=learner)
    assert not ReviewState.objects.filter(user=learner).exists()
    assert not ReviewLog.objects.filter(user=learner).exists()


def test_several_undos_walk_back_through_the_session(learner, content):
    cards = list(Card.objects.active()[:3])
    for index, item in enumerate(cards):
        answer(learner, item, Rating.GOOD, START + timedelta(minutes=index), token=f"u{index}")
    undone = [scheduling.undo_last(user=learner).card_id for _ in cards]
    assert undone == [item.pk for item in reversed(cards)]
    assert scheduling.undo_last(user=learner) is None


def test_undo_only_touches_the_learner_s_own_reviews(learner, other_learner, card):
    answer(learner, card, Rating.GOOD, START, token="mine")
    assert scheduling.undo_last(user=other_learner) is None
    assert ReviewLog.objects.filter(user=learner).count() == 1


def test_logs_record_kind_and_before_after(learner, card):
    first = answer(learner, card, Rating.GOOD, START, token="k1")
    second = answer(learner, card, Rating.GOOD, START + timedelta(minutes=10), token="k2")
    assert first.kind == ReviewKind.NEW and first.before is None
    assert second.kind == ReviewKind.LEARNING
    assert second.before == first.after


def test_what_a_review_writes_reads_back_unchanged(learner, card):
    # The review's INSERT and UPDATE bypass the ORM's save(): what the ORM reads back must
    # be what was written, JSON snapshots and times included, on either database.
    first = answer(learner, card, Rating.GOOD, START, token="w1")
    second = answer(learner, card, Rating.HARD, START + timedelta(minutes=10), token="w2")
    for log in (first, second):
        stored = ReviewLog.objects.get(pk=log.pk)
        fields = ("user_id", "card_id", "rating", "reviewed_at", "duration_ms", "kind", "token")
        assert [getattr(stored, f) for f in fields] == [getattr(log, f) for f in fields]
        assert (stored.before, stored.after) == (log.before, log.after)
    state = ReviewState.objects.get(user=learner, card=card)
    assert state.snapshot() == second.after
    assert (state.version, state.reps) == (2, 2)
    assert state.last_review == START + timedelta(minutes=10)


def assert_same_fields(mine: ReviewState, theirs: ReviewState) -> None:
    """Every column's value equal, and of the same type (datetimes, floats)."""
    for field in ReviewState._meta.concrete_fields:
        a, b = getattr(mine, field.attname), getattr(theirs, field.attname)
        assert (a, type(a)) == (b, type(b)), field.name


def test_the_read_of_a_state_is_the_orms(learner, card):
    # The review reads the state with SQL written once per process: every field must come
    # back as the ORM reads it (value and type: datetimes, floats), on either database,
    # and save as an update.
    assert scheduling._current_state(user_id=learner.pk, card_id=card.pk) is None
    answer(learner, card, Rating.GOOD, START, token="l1")
    answer(learner, card, Rating.AGAIN, START + timedelta(minutes=10), token="l2")
    with transaction.atomic():
        read = scheduling._current_state(user_id=learner.pk, card_id=card.pk)
    assert_same_fields(read, ReviewState.objects.get(user=learner, card=card))
    assert read._state.adding is False
    assert scheduling._current_state(user_id=learner.pk + 1000, card_id=card.pk) is None


def test_the_state_an_answer_form_carries_is_the_stored_one(learner, card):
    # Through the form's signed JSON and back: every field equal, with the ORM's types.
    answer(learner, card, Rating.GOOD, START, token="l1")
    answer(learner, card, Rating.AGAIN, START + timedelta(minutes=10), token="l2")
    stored = ReviewState.objects.get(user=learner, card=card)
    carried = signing.loads(signing.dumps(stored.to_form()))
    shown = ReviewState.from_form(carried, user_id=learner.pk, card_id=card.pk)
    assert_same_fields(shown, stored)


def shown_review(learner, card, shown, *, token, now, rating=Rating.GOOD):
    return scheduling.review(
        user=learner,
        profile=learner.study_profile,
        card_id=card.pk,
        rating=rating,
        expected_version=shown.version,
        token=token,
        now=now,
        shown=shown,
    )


def test_a_review_given_the_shown_state_reads_nothing_and_stores_the_same(learner, card):
    answer(learner, card, Rating.GOOD, START, token="l1")
    stored = ReviewState.objects.get(user=learner, card=card)
    shown = ReviewState.from_form(stored.to_form(), user_id=learner.pk, card_id=card.pk)
    now = START + timedelta(minutes=10)
    expected = scheduling.outcome(
        profile=learner.study_profile,
        state=stored,
        rating=Rating.GOOD,
        now=now,
        seed=scheduling.fuzz_seed(user_id=learner.pk, card_id=card.pk, reps=1),
    )

    with CaptureQueriesContext(connection) as captured:
        shown_review(learner, card, shown, token="l2", now=now)

    assert not [q["sql"] for q in captured if q["sql"].startswith("SELECT")]
    state = ReviewState.objects.get(user=learner, card=card)
    assert (state.due, state.stability, state.reps, state.version) == (
        expected.due,
        expected.stability,
        2,
        2,
    )


def test_a_shown_state_that_changed_since_is_refused(learner, card):
    answer(learner, card, Rating.GOOD, START, token="l1")
    stored = ReviewState.objects.get(user=learner, card=card)
    shown = ReviewState.from_form(stored.to_form(), user_id=learner.pk, card_id=card.pk)
    answer(learner, card, Rating.EASY, START + timedelta(minutes=5), token="other-tab")

    with pytest.raises(scheduling.ReviewError) as error:
        shown_review(learner, card, shown, token="this-tab", now=START + timedelta(minutes=9))

    assert error.value.status == 409
    assert ReviewLog.objects.filter(user=learner).count() == 2
    assert ReviewState.objects.get(user=learner, card=card).version == 2


def test_a_form_naming_another_learner_s_state_cannot_change_it(learner, other_learner, card):
    # The form names the row by id; the write finds it only for the learner answering.
    answer(other_learner, card, Rating.GOOD, START, token="theirs")
    theirs = ReviewState.objects.get(user=other_learner, card=card)
    forged = ReviewState.from_form(theirs.to_form(), user_id=learner.pk, card_id=card.pk)

    with pytest.raises(scheduling.ReviewError) as error:
        shown_review(learner, card, forged, token="mine", now=START + timedelta(minutes=10))

    assert error.value.status == 409
    assert ReviewState.objects.get(pk=theirs.pk).snapshot() == theirs.snapshot()
    assert not ReviewLog.objects.filter(user=learner).exists()


def test_lapses_count_forgotten_review_cards(learner, card):
    answer(learner, card, Rating.EASY, START, token="l1")
    state = ReviewState.objects.get(user=learner, card=card)
    answer(learner, card, Rating.AGAIN, state.due, token="l2")
    assert ReviewState.objects.get(user=learner, card=card).lapses == 1


@pytest.mark.parametrize("days", [0, 1, 5, 30])
def test_retrievability_matches_py_fsrs_on_whole_days(days):
    reference = fsrs.Scheduler()
    memory = fsrs.Card(card_id=1, state=fsrs.State.Review, stability=7.5, difficulty=5.0)
    memory.last_review = START
    now = START + timedelta(days=days)
    ours = scheduling.retrievability(
        stability=7.5, last_review=START, now=now, decay=scheduling.DEFAULT_PARAMETERS[20]
    )
    assert ours == pytest.approx(reference.get_card_retrievability(memory, now))


def _recall_in_database(stability: float | None, elapsed_days: float | None, decay: float):
    sql = scheduling.recall_sql(
        stability="m.stability", elapsed_days="m.elapsed", decay="m.decay", factor="m.factor"
    )
    real = "CAST(%s AS DOUBLE PRECISION)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql} FROM (SELECT {real} AS stability, {real} AS elapsed, "
            f"{real} AS decay, {real} AS factor) m",
            [stability, elapsed_days, decay, scheduling.curve_factor(decay)],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    # py-fsrs never goes below STABILITY_MIN; a subnormal one would overflow PostgreSQL's floats
    stability=st.one_of(
        st.none(), st.floats(min_value=-1, max_value=0), st.floats(STABILITY_MIN, 40_000)
    ),
    elapsed=st.one_of(
        st.none(), st.timedeltas(min_value=-timedelta(days=2), max_value=timedelta(days=36500))
    ),  # time since the last review, negative when it is in the future
    decay=st.floats(min_value=0.1, max_value=0.8),
)
def test_the_database_computes_the_same_recall_as_retrievability(stability, elapsed, decay):
    """The dashboards' aggregates evaluate the same curve and edge cases in SQL (the caller
    clamps the elapsed time at 0, as `retrievability` does)."""
    now = START + timedelta(days=3650)
    expected = scheduling.retrievability(
        stability=stability,
        last_review=None if elapsed is None else now - elapsed,
        now=now,
        decay=decay,
    )
    elapsed_days = None if elapsed is None else max(0.0, elapsed.total_seconds() / 86400)
    assert _recall_in_database(stability, elapsed_days, decay) == pytest.approx(
        expected, rel=1e-12, abs=1e-15
    )


def test_scheduler_follows_the_learner_s_profile(learner):
    profile = learner.study_profile
    profile.desired_retention = 0.8
    profile.learning_steps = [2, 15]
    built = scheduling.scheduler_for(profile)
    assert built.desired_retention == 0.8
    assert built.learning_steps == (timedelta(minutes=2), timedelta(minutes=15))
    assert built.parameters == scheduling.DEFAULT_PARAMETERS
    assert built.maximum_interval == 36500


def test_validate_parameters_explains_wrong_length():
    assert "21" in scheduling.validate_parameters([0.5] * 5)
    assert scheduling.validate_parameters(list(scheduling.DEFAULT_PARAMETERS)) is None
