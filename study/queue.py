"""Which card comes next, and how many are left today.

Order (as in Anki): learning/relearning cards that are due now, then review cards due
this study day (most overdue first, within reviews/day), then new cards in deck order
(within new/day), and finally learning cards due later today, so a session can finish
its learning steps. Each function is a constant number of queries, whatever the
learner's history size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, FilteredRelation, IntegerField, Q, Value, When

from .models import Card, Deck, ReviewKind, ReviewLog, ReviewState, State, StudyProfile

IN_LEARNING = (State.LEARNING, State.RELEARNING)


@dataclass(frozen=True)
class DoneToday:
    new: int
    reviews: int
    total: int


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    review: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review


@dataclass(frozen=True)
class NextCard:
    card: Card
    state: ReviewState | None


def done_today(*, user, profile: StudyProfile, now: datetime) -> DoneToday:
    day = profile.study_day(now)
    totals = (
        ReviewLog.objects.for_user(user)
        .between(day.start, day.end)
        .aggregate(
            new=Count("pk", filter=Q(kind=ReviewKind.NEW)),
            reviews=Count("pk", filter=Q(kind=ReviewKind.REVIEW)),
            total=Count("pk"),
        )
    )
    return DoneToday(**totals)


def _deck_cards_with_state(deck: Deck, user):
    return (
        Card.objects.active()
        .filter(decks=deck)
        .annotate(mine=FilteredRelation("review_states", condition=Q(review_states__user=user)))
    )


def counts(
    *, user, profile: StudyProfile, deck: Deck, now: datetime, done: DoneToday
) -> QueueCounts:
    """Cards left in `deck` this study day, with the daily limits applied."""
    day = profile.study_day(now)
    totals = _deck_cards_with_state(deck, user).aggregate(
        new=Count("pk", filter=Q(mine__isnull=True)),
        learning=Count("pk", filter=Q(mine__state__in=IN_LEARNING, mine__due__lt=day.end)),
        review=Count("pk", filter=Q(mine__state=State.REVIEW, mine__due__lt=day.end)),
    )
    return QueueCounts(
        new=max(0, min(totals["new"], profile.new_per_day - done.new)),
        learning=totals["learning"],
        review=max(0, min(totals["review"], profile.reviews_per_day - done.reviews)),
    )


def next_card(
    *, user, profile: StudyProfile, deck: Deck, now: datetime, done: DoneToday
) -> NextCard | None:
    day = profile.study_day(now)
    reviews_left = done.reviews < profile.reviews_per_day
    due = Q(state__in=IN_LEARNING, due__lt=day.end)
    if reviews_left:
        due |= Q(state=State.REVIEW, due__lt=day.end)
    state = (
        ReviewState.objects.for_user(user)
        .filter(due, card__decks=deck, card__retired=False)
        .annotate(
            priority=Case(
                When(state__in=IN_LEARNING, due__lte=now, then=Value(0)),
                When(state=State.REVIEW, then=Value(1)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
        .select_related("card__vignette", "card__attribute")
        .order_by("priority", "due", "card__order")
        .first()
    )
    if state is not None and state.priority < 3:
        return NextCard(card=state.card, state=state)
    if done.new < profile.new_per_day:
        new = (
            _deck_cards_with_state(deck, user)
            .filter(mine__isnull=True)
            .select_related("vignette", "attribute")
            .order_by("order", "pk")
            .first()
        )
        if new is not None:
            return NextCard(card=new, state=None)
    if state is not None:
        return NextCard(card=state.card, state=state)
    return None


def next_due_at(*, user, deck: Deck) -> datetime | None:
    """When the learner's next card in this deck falls due (for the done screen)."""
    state = (
        ReviewState.objects.for_user(user)
        .filter(card__decks=deck, card__retired=False)
        .order_by("due")
        .only("due")
        .first()
    )
    return state.due if state else None
