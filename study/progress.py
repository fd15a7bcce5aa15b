"""Classroom progress: what each learner remembers of each assigned deck.

Everything here is derived from ReviewState / ReviewLog at request time, never stored.
Predicted recall (retrievability) comes from `scheduling.retrievability`, with each
learner's own FSRS decay.

Status of one learner on one assignment, checked in this order:

1. **done**: every card of the deck started and the mean predicted recall of the deck,
   evaluated at the end of the due date (or now, once that has passed), reaches the
   assignment's target;
2. **not started**: no card of the deck started;
3. **behind**: the due date has passed, or the fraction of cards started is below the
   fraction of time elapsed between the assignment's creation and the end of its due date;
4. **on track**: otherwise.

The whole dashboard is a constant number of queries, whatever the class size: a few
bulk `values()` reads, then arithmetic in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import models
from django.db.models import Count
from django.utils import timezone

from . import scheduling
from .models import (
    Assignment,
    Card,
    Classroom,
    Deck,
    Enrollment,
    ReviewLog,
    ReviewState,
    StudyProfile,
)

RECENT_DAYS = 7  # "reviews in the last 7 days"
INACTIVE_DAYS = 3  # learners with no review for this long are flagged
WEAK_SPOTS = 3  # attributes shown per assignment


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    BEHIND = "behind", "Behind"
    ON_TRACK = "on_track", "On track"
    DONE = "done", "Done"


# Worst first, for sorting a column by status.
STATUS_RANK = {Status.NOT_STARTED: 0, Status.BEHIND: 1, Status.ON_TRACK: 2, Status.DONE: 3}


def due_moment(due_date: date) -> datetime:
    """The end of the due date (midnight after it) in the site's time zone."""
    return datetime.combine(
        due_date + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone()
    )


def elapsed_fraction(*, created_at: datetime, due_at: datetime, now: datetime) -> float:
    """Share of the assignment's time window already used, clamped to [0, 1]."""
    window = (due_at - created_at).total_seconds()
    if window <= 0:
        return 1.0
    return min(1.0, max(0.0, (now - created_at).total_seconds() / window))


def status_for(
    *,
    started: int,
    total: int,
    recall_at_due: float,
    target: float,
    created_at: datetime,
    due_at: datetime,
    now: datetime,
) -> Status:
    """The status rule of the module docstring (pure)."""
    if total and started >= total and recall_at_due >= target:
        return Status.DONE
    if started == 0:
        return Status.NOT_STARTED
    if now >= due_at:
        return Status.BEHIND
    if started / total < elapsed_fraction(created_at=created_at, due_at=due_at, now=now):
        return Status.BEHIND
    return Status.ON_TRACK


@dataclass(frozen=True)
class Cell:
    """One learner's figures for one assignment (a dashboard cell, a gradebook row)."""

    assignment: Assignment
    started: int
    total: int
    reviews_recent: int
    mean_recall: float | None  # now, over the started cards; None if none started
    recall_at_due: float  # over every card of the deck, unstarted cards count 0
    status: Status
    overdue: bool  # past the due date and not done

    @property
    def status_rank(self) -> int:
        return STATUS_RANK[self.status]


@dataclass(frozen=True)
class Row:
    learner: object  # a User
    cells: list[Cell]
    last_review: datetime | None
    inactive: bool  # no review of the assigned decks in INACTIVE_DAYS

    def cell_for(self, assignment_id: int) -> Cell | None:
        return next((c for c in self.cells if c.assignment.pk == assignment_id), None)


@dataclass(frozen=True)
class WeakSpot:
    name: str
    mean_recall: float
    samples: int  # (learner, card) pairs behind the mean


@dataclass(frozen=True)
class Dashboard:
    classroom: Classroom
    assignments: list[Assignment]
    rows: list[Row]
    weak_spots: dict[int, list[WeakSpot]]  # by assignment pk
    now: datetime

    def weak_spots_by_assignment(self) -> list[tuple[Assignment, list[WeakSpot]]]:
        return [(a, self.weak_spots.get(a.pk, [])) for a in self.assignments]


@dataclass(frozen=True)
class CardProgress:
    card: Card
    state: ReviewState | None
    recall: float | None


# --- bulk reads ----------------------------------------------------------------


@dataclass(frozen=True)
class _DeckCard:
    card_id: int
    attribute_id: int | None
    attribute_name: str | None


@dataclass
class _Memory:
    """The raw material: deck contents, states, recent review counts, decays."""

    deck_cards: dict[int, list[_DeckCard]]
    states: dict[tuple[int, int], tuple[float | None, datetime | None]]
    recent: dict[tuple[int, int], int]
    decays: dict[int, float]


def _read_memory(*, user_ids: list[int], deck_ids: list[int], now: datetime) -> _Memory:
    """Four queries, whatever the number of learners, decks or reviews."""
    deck_cards: dict[int, list[_DeckCard]] = defaultdict(list)
    links = Deck.cards.through.objects.filter(deck_id__in=deck_ids, card__retired=False)
    for deck_id, card_id, attribute_id, attribute_name in links.values_list(
        "deck_id", "card_id", "card__attribute_id", "card__attribute__name"
    ).order_by():
        deck_cards[deck_id].append(_DeckCard(card_id, attribute_id, attribute_name))
    card_ids = sorted({dc.card_id for cards in deck_cards.values() for dc in cards})
    if not user_ids or not card_ids:
        return _Memory(deck_cards, {}, {}, {})
    states = {
        (user_id, card_id): (stability, last_review)
        for user_id, card_id, stability, last_review in ReviewState.objects.filter(
            user_id__in=user_ids, card_id__in=card_ids
        )
        .values_list("user_id", "card_id", "stability", "last_review")
        .order_by()
    }
    recent = {
        (row["user_id"], row["card_id"]): row["n"]
        for row in ReviewLog.objects.filter(
            user_id__in=user_ids,
            card_id__in=card_ids,
            reviewed_at__gte=now - timedelta(days=RECENT_DAYS),
            reviewed_at__lte=now,
        )
        .values("user_id", "card_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    decays = {
        profile.user_id: scheduling.decay_for(profile)
        for profile in StudyProfile.objects.filter(user_id__in=user_ids).only(
            "user_id", "parameters"
        )
    }
    return _Memory(deck_cards, states, recent, decays)


def _default_decay() -> float:
    return scheduling.decay_for(StudyProfile())


def _cell(
    *, memory: _Memory, user_id: int, assignment: Assignment, now: datetime
) -> tuple[Cell, list[tuple[_DeckCard, float]], datetime | None]:
    """A learner's cell, their (card, recall now) pairs, and their last review in the deck."""
    decay = memory.decays.get(user_id)
    if decay is None:
        decay = _default_decay()
    recall = scheduling.recall_curve(decay)
    due_at = due_moment(assignment.due_date)
    at_due = max(now, due_at)
    cards = memory.deck_cards.get(assignment.deck_id, [])
    recalls: list[tuple[_DeckCard, float]] = []
    recall_at_due_sum = 0.0
    reviews = 0
    last_review: datetime | None = None
    for deck_card in cards:
        key = (user_id, deck_card.card_id)
        reviews += memory.recent.get(key, 0)
        if key not in memory.states:
            continue
        stability, reviewed = memory.states[key]
        recalls.append((deck_card, recall(stability, reviewed, now)))
        recall_at_due_sum += recall(stability, reviewed, at_due)
        if reviewed and (last_review is None or reviewed > last_review):
            last_review = reviewed
    total = len(cards)
    started = len(recalls)
    recall_at_due = recall_at_due_sum / total if total else 0.0
    status = status_for(
        started=started,
        total=total,
        recall_at_due=recall_at_due,
        target=assignment.target_recall,
        created_at=assignment.created_at,
        due_at=due_at,
        now=now,
    )
    cell = Cell(
        assignment=assignment,
        started=started,
        total=total,
        reviews_recent=reviews,
        mean_recall=sum(r for _, r in recalls) / started if started else None,
        recall_at_due=recall_at_due,
        status=status,
        overdue=now >= due_at and status != Status.DONE,
    )
    return cell, recalls, last_review


# --- what the views call ---------------------------------------------------------


def classroom_dashboard(*, classroom: Classroom, now: datetime) -> Dashboard:
    """Rows (learners) x columns (assignments), plus weak spots per assignment."""
    assignments = list(classroom.assignments.select_related("deck"))
    enrollments = list(
        Enrollment.objects.filter(classroom=classroom).select_related("user").order_by("user_id")
    )
    learners = [enrollment.user for enrollment in enrollments]
    memory = _read_memory(
        user_ids=[learner.pk for learner in learners],
        deck_ids=[assignment.deck_id for assignment in assignments],
        now=now,
    )
    # attribute -> [sum of recall, count], per assignment
    weak: dict[int, dict[str, list[float]]] = {
        a.pk: defaultdict(lambda: [0.0, 0]) for a in assignments
    }
    rows = []
    for learner in learners:
        cells = []
        last_review: datetime | None = None
        for assignment in assignments:
            cell, recalls, last = _cell(
                memory=memory, user_id=learner.pk, assignment=assignment, now=now
            )
            cells.append(cell)
            if last and (last_review is None or last > last_review):
                last_review = last
            for deck_card, recall in recalls:
                if deck_card.attribute_name:
                    tally = weak[assignment.pk][deck_card.attribute_name]
                    tally[0] += recall
                    tally[1] += 1
        inactive = last_review is None or now - last_review > timedelta(days=INACTIVE_DAYS)
        rows.append(Row(learner=learner, cells=cells, last_review=last_review, inactive=inactive))
    weak_spots = {
        assignment_pk: sorted(
            (WeakSpot(name=name, mean_recall=s / n, samples=int(n)) for name, (s, n) in by.items()),
            key=lambda spot: (spot.mean_recall, spot.name),
        )[:WEAK_SPOTS]
        for assignment_pk, by in weak.items()
    }
    return Dashboard(
        classroom=classroom, assignments=assignments, rows=rows, weak_spots=weak_spots, now=now
    )


SORT_KEYS = ("name", "last")


def sort_rows(rows: Iterable[Row], sort: str) -> tuple[list[Row], str]:
    """Order rows by `sort` ("name", "last", or an assignment pk; "-" reverses).

    Returns the rows and the sort actually applied (unknown keys fall back to "name").
    """
    rows = list(rows)
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    by_name = sorted(rows, key=lambda row: row.learner.username.casefold())
    if key == "name":
        ordered = by_name
    elif key == "last":
        # Least recently active first: the learners who need a nudge.
        never = datetime.min.replace(tzinfo=timezone.get_current_timezone())
        ordered = sorted(by_name, key=lambda row: row.last_review or never)
    elif key.isdecimal() and len(key) <= 18 and rows and rows[0].cell_for(int(key)) is not None:
        pk = int(key)
        ordered = sorted(
            by_name,
            key=lambda row: (row.cell_for(pk).status_rank, row.cell_for(pk).mean_recall or 0.0),
        )
    else:
        return by_name, "name"
    if descending:
        ordered.reverse()
    return ordered, sort


def learner_assignments(*, user, now: datetime) -> list[Cell]:
    """The user's assignments in active classrooms, soonest due first, with their figures."""
    assignments = list(
        Assignment.objects.filter(
            classroom__in=Classroom.objects.for_learner(user).active()
        ).select_related("deck", "classroom")
    )
    memory = _read_memory(
        user_ids=[user.pk], deck_ids=[assignment.deck_id for assignment in assignments], now=now
    )
    return [
        _cell(memory=memory, user_id=user.pk, assignment=assignment, now=now)[0]
        for assignment in assignments
    ]


def learner_cards(*, user, assignment: Assignment, now: datetime) -> list[CardProgress]:
    """Per-card memory state of one learner, for the cards of one assignment's deck only."""
    cards = list(assignment.deck.cards.active().select_related("attribute").order_by("order", "pk"))
    states = {
        state.card_id: state
        for state in ReviewState.objects.filter(user=user, card__in=[c.pk for c in cards])
    }
    profile = StudyProfile.objects.filter(user=user).first() or StudyProfile()
    decay = scheduling.decay_for(profile)
    return [
        CardProgress(
            card=card,
            state=states.get(card.pk),
            recall=(
                scheduling.retrievability(
                    stability=states[card.pk].stability,
                    last_review=states[card.pk].last_review,
                    now=now,
                    decay=decay,
                )
                if card.pk in states
                else None
            ),
        )
        for card in cards
    ]
