"""The optimizer: logs -> FSRSItems -> fitted parameters that predict unseen reviews better."""

import random
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from study import optimizer, scheduling
from study.models import Card, ReviewKind, ReviewLog, ReviewState, StudyProfile

# A learner who forgets faster than the default model expects (smaller initial stabilities,
# slower stability growth, steeper forgetting curve).
TRUE_PARAMETERS = [
    0.1, 0.5, 1.2, 4.0, 6.8, 0.6, 2.2, 0.02, 1.0, 0.3, 1.1,
    1.9, 0.09, 0.35, 1.2, 0.45, 2.4, 0.5, 0.1, 0.06, 0.5,
]  # fmt: skip
START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def simulate(n_cards: int, *, days: int = 365, seed: int = 7):
    """Review `n_cards` cards for `days` days through the real scheduler.

    The app schedules with the default parameters; the learner's recall is drawn from the
    retrievability of a second memory state that evolves under TRUE_PARAMETERS. Returns per
    card [(reviewed_at, rating), ...]. No learning steps: every review after the first is a
    day or more after the previous one.
    """
    rng = random.Random(seed)
    app = StudyProfile(learning_steps=[], relearning_steps=[])
    truth = StudyProfile(parameters=TRUE_PARAMETERS, learning_steps=[], relearning_steps=[])
    horizon = START + timedelta(days=days)
    histories = []
    for card in range(n_cards):
        now = START + timedelta(days=card % (days // 2), hours=rng.random() * 8)
        shown = remembered = None
        history = []
        while now < horizon:
            if remembered is None:
                rating = rng.choices([1, 2, 3, 4], [0.2, 0.1, 0.6, 0.1])[0]
            else:
                p = scheduling.retrievability(
                    stability=remembered.stability,
                    last_review=remembered.last_review,
                    now=now,
                    decay=TRUE_PARAMETERS[20],
                )
                rating = rng.choices([2, 3, 4], [0.15, 0.75, 0.1])[0] if rng.random() < p else 1
            history.append((now, rating))
            shown = replay(card, app, history)
            remembered = replay(card, truth, history)
            now = shown.due.replace(hour=9) + timedelta(hours=rng.random() * 8)
        histories.append(history)
    return histories


def replay(card_id: int, profile: StudyProfile, history, user_id: int = 0) -> ReviewState:
    steps = [(rating, at) for at, rating in history]
    return scheduling.replay(user_id=user_id, card_id=card_id, profile=profile, history=steps)


def as_days(histories, profile: StudyProfile):
    return [
        [(optimizer.study_day_number(at, profile), rating) for at, rating in history]
        for history in histories
    ]


# --- items -------------------------------------------------------------------------------


def test_items_use_whole_study_days_between_reviews():
    items = optimizer.items_from_histories([[(100, 3), (100, 3), (101, 4), (104, 1)]])
    # The first two end in same-day reviews only or have no earlier review: no long-term review.
    assert len(items) == 2
    assert [item.long_term_review_cnt() for item in items] == [1, 2]


def test_no_item_ends_in_a_same_day_review_so_evaluation_accepts_the_batch():
    history = [(100, 3), (101, 3), (101, 1), (105, 3), (105, 3)]
    items = optimizer.items_from_histories([history])
    # Items end at the reviews on days 101 (first) and 105 (first), never at a same-day one.
    assert [len(item.reviews) for item in items] == [2, 4]
    # A batch with a same-day final review raises ValueError("InvalidInput") in fsrs-rs.
    evaluation = optimizer.evaluate(scheduling.DEFAULT_PARAMETERS, items)
    assert evaluation.log_loss > 0


def test_a_card_reviewed_once_gives_no_item():
    assert optimizer.items_from_histories([[(100, 3)]]) == []


def test_study_day_number_respects_day_start_and_zone():
    profile = StudyProfile(time_zone="Asia/Tokyo", day_start_hour=4)
    late = datetime(2025, 3, 11, 18, 30, tzinfo=UTC)  # 03:30 Mar 12 in Tokyo
    early = datetime(2025, 3, 11, 19, 30, tzinfo=UTC)  # 04:30 Mar 12 in Tokyo
    assert (
        optimizer.study_day_number(early, profile) - optimizer.study_day_number(late, profile) == 1
    )


# --- the fit itself ----------------------------------------------------------------------


def test_fitted_parameters_predict_held_out_reviews_better_than_defaults():
    histories = simulate(500)
    assert sum(len(h) for h in histories) >= 5000
    profile = StudyProfile()
    cards = list(range(len(histories)))
    random.Random(1).shuffle(cards)
    cut = len(cards) * 4 // 5
    days = as_days(histories, profile)
    train = optimizer.items_from_histories([days[i] for i in cards[:cut]])
    held_out = optimizer.items_from_histories([days[i] for i in cards[cut:]])

    fitted = optimizer.fit(train)

    assert scheduling.validate_parameters(fitted) is None
    default = optimizer.evaluate(scheduling.DEFAULT_PARAMETERS, held_out)
    assert optimizer.evaluate(fitted, held_out).log_loss < default.log_loss


# --- optimize(): thresholds, saving, rescheduling -------------------------------------------


def store(user, histories, cards) -> None:
    """Write simulated histories as the learner's review log and final states."""
    logs, states = [], []
    for history, card in zip(histories, cards, strict=False):
        for n, (at, rating) in enumerate(history):
            logs.append(
                ReviewLog(
                    user=user,
                    card=card,
                    rating=rating,
                    reviewed_at=at,
                    kind=ReviewKind.NEW if n == 0 else ReviewKind.REVIEW,
                    after={},
                    token=f"{card.pk}-{n}",
                )
            )
        states.append(replay(card.pk, user.study_profile, history, user_id=user.pk))
    ReviewLog.objects.bulk_create(logs)
    ReviewState.objects.bulk_create(states)


@pytest.fixture
def cards(content):
    return list(Card.objects.active()[:80])


def test_too_little_history_keeps_parameters_and_says_how_many_more(learner, cards):
    store(learner, [[(START, 3), (START + timedelta(days=2), 3)]] * 10, cards)
    result = optimizer.optimize(user=learner, profile=learner.study_profile)
    learner.study_profile.refresh_from_db()
    assert (result.status, result.items, result.needed) == ("not_enough", 10, 54)
    assert "54 more reviews needed" in result.message
    assert learner.study_profile.parameters == []


def test_better_parameters_are_saved(learner, cards):
    store(learner, simulate(len(cards)), cards)
    result = optimizer.optimize(user=learner, profile=learner.study_profile)
    learner.study_profile.refresh_from_db()
    assert result.status == "improved"
    assert result.new.log_loss < result.old.log_loss
    assert learner.study_profile.parameters == result.parameters
    assert len(result.parameters) == 21


def test_parameters_that_are_not_better_are_not_saved(learner, cards, monkeypatch):
    store(learner, simulate(len(cards)), cards)
    monkeypatch.setattr(optimizer, "fit", lambda items, **kw: list(scheduling.DEFAULT_PARAMETERS))
    result = optimizer.optimize(user=learner, profile=learner.study_profile)
    learner.study_profile.refresh_from_db()
    assert result.status == "not_better"
    assert learner.study_profile.parameters == []


def test_fitted_parameters_fsrs_refuses_are_not_saved_and_the_message_says_why(
    learner, cards, monkeypatch
):
    store(learner, simulate(len(cards)), cards)
    out_of_bounds = list(scheduling.DEFAULT_PARAMETERS)
    out_of_bounds[4] = 100.0  # the scheduler accepts 1-10 here
    monkeypatch.setattr(optimizer, "fit", lambda items, **kw: out_of_bounds)
    result = optimizer.optimize(user=learner, profile=learner.study_profile)
    learner.study_profile.refresh_from_db()
    assert result.status == "invalid"
    assert result.parameters == result.old_parameters
    assert "parameters[4] = 100.0 is out of bounds" in result.message
    assert "yours were kept" in result.message
    assert learner.study_profile.parameters == []


def test_optimize_with_reschedule_replays_cards_under_new_parameters(learner, cards):
    store(learner, simulate(len(cards)), cards)
    before = {s.card_id: s.stability for s in ReviewState.objects.filter(user=learner)}
    result = optimizer.optimize(user=learner, profile=learner.study_profile, reschedule=True)
    after = {s.card_id: s for s in ReviewState.objects.filter(user=learner)}
    assert result.rescheduled == len(cards)
    assert all(state.version == 1 for state in after.values())
    assert any(after[card_id].stability != stability for card_id, stability in before.items())


def test_reschedule_with_unchanged_parameters_changes_nothing_but_the_version(learner, cards):
    store(learner, simulate(5, days=120), cards)
    fields = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses")
    before = list(ReviewState.objects.filter(user=learner).order_by("card").values(*fields))
    count = scheduling.reschedule_all(user=learner, profile=learner.study_profile)
    after = list(ReviewState.objects.filter(user=learner).order_by("card").values(*fields))
    assert (count, after) == (5, before)


# --- management command --------------------------------------------------------------------


def test_command_for_one_user_reports_not_enough_history(learner, cards):
    out = StringIO()
    call_command("optimize_parameters", "--user", learner.username, stdout=out)
    assert "Not enough history" in out.getvalue()


def test_command_rejects_unknown_user(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("optimize_parameters", "--user", "nobody")


def test_command_needs_user_or_all(db):
    with pytest.raises(CommandError):
        call_command("optimize_parameters")


def test_command_all_shows_progress_and_optimizes_learners_with_reviews(
    learner, other_learner, cards
):
    store(learner, simulate(len(cards)), cards)
    out, err = StringIO(), StringIO()
    call_command("optimize_parameters", "--all", "--reschedule", stdout=out, stderr=err)
    learner.study_profile.refresh_from_db()
    assert "[##############################] 1/1" in err.getvalue()
    assert "Optimized 1 learner(s): 1 improved." in out.getvalue()
    assert len(learner.study_profile.parameters) == 21
