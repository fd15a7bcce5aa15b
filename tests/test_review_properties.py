"""Property: any interleaving of reviews and undos keeps the review invariants."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from study import scheduling
from study.models import Card, ReviewLog, ReviewState

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("review"), st.integers(0, 3), st.integers(1, 4), st.integers(1, 3000)),
        st.tuples(st.just("undo")),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=steps)
def test_reviews_and_undos_keep_the_invariants(content, learner, plan):
    ReviewLog.objects.filter(user=learner).delete()
    ReviewState.objects.filter(user=learner).delete()
    cards = list(Card.objects.active().order_by("pk")[:4])
    now = START
    done = []  # stack of (card_id, snapshot before that review or None)
    for index, step in enumerate(plan):
        if step[0] == "review":
            _, which, rating, gap = step
            card = cards[which]
            now += timedelta(minutes=gap)
            state = ReviewState.objects.filter(user=learner, card=card).first()
            before = state.snapshot() if state else None
            scheduling.review(
                user=learner,
                profile=learner.study_profile,
                card_id=card.pk,
                rating=rating,
                expected_version=state.version if state else 0,
                token=f"p{index}",
                now=now,
            )
            done.append((card.pk, before))
        else:
            undone = scheduling.undo_last(user=learner)
            if not done:
                assert undone is None
                continue
            card_id, before = done.pop()
            assert undone.card_id == card_id
            state = ReviewState.objects.filter(user=learner, card_id=card_id).first()
            # Undo restores exactly the state before that review (or makes the card new).
            assert (state.snapshot() if state else None) == before
        # One state per learner x card; logs are exactly the reviews not undone.
        assert ReviewLog.objects.filter(user=learner).count() == len(done)
        reviewed = {card_id for card_id, _ in done}
        assert set(ReviewState.objects.filter(user=learner).values_list("card_id", flat=True)) == (
            reviewed
        )
        for state in ReviewState.objects.filter(user=learner):
            assert state.reps == ReviewLog.objects.filter(user=learner, card=state.card).count()
