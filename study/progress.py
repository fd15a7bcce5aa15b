"""Classroom progress: what each learner remembers of each assigned deck.

Everything here is derived from ReviewState / ReviewLog at request time, never stored.
Predicted recall (retrievability) comes from `scheduling.recalls`, the batch form of
`scheduling.retrievability` (equal to it bit for bit), with each learner's own FSRS decay.

Status of one learner on one assignment, checked in this order:

1. **done**: every card of the deck started and the mean predicted recall of the deck,
   evaluated at the end of the due date (or now, once that has passed), reaches the
   assignment's target;
2. **not started**: no card of the deck started;
3. **behind**: the due date has passed, or the fraction of cards started is below the
   fraction of time elapsed between the assignment's creation and the end of its due date;
4. **on track**: otherwise.

The whole dashboard is a constant number of queries, whatever the class size: a few
bulk `values()` reads, then arithmetic in Python, each card's recall evaluated once per
learner and moment (now, each due date) however many decks share it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, Value
from django.utils import timezone

from . import scheduling
from .models import (
    Assignment,
    Card,
    Classroom,
    Deck,
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

    @property
    def figures(self) -> str:
        """The cell's text on the dashboard, e.g. "3/45 started · 1 review (7 d) · recall 87 %"
        (rounded like `{% widthratio mean_recall 1 100 %}`: half to even)."""
        plural = "" if self.reviews_recent == 1 else "s"
        recall = "—" if self.mean_recall is None else f"{round(self.mean_recall * 100)} %"
        return (
            f"{self.started}/{self.total} started · {self.reviews_recent} review{plural} "
            f"({RECENT_DAYS} d) · recall {recall}"
        )


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

# A started card: (stability, time from its last review to `now`), as `scheduling.recalls`
# takes it.
Memory = tuple[float | None, timedelta | None]


@dataclass(frozen=True)
class _Column:
    """An assignment, with what all its cells share."""

    assignment: Assignment
    card_ids: list[int]  # the deck's active cards, in one fixed order: sums add up in it
    card_set: frozenset[int]
    due_at: datetime  # `due_moment(assignment.due_date)`
    later: timedelta  # from now to when recall at the due date is evaluated (0 once past)


@dataclass(frozen=True)
class _Learner:
    """One learner's memories of the assigned cards and their predicted recall, evaluated
    once per card and moment: decks share cards, assignments share due dates."""

    memories: dict[int, Memory]  # by card id
    recall: dict[timedelta, dict[int, float]]  # time from now -> card id -> recall
    recent: dict[int, int]  # reviews in the last RECENT_DAYS, by card id

    def last_review(self, now: datetime) -> datetime | None:
        since = min((e for _, e in self.memories.values() if e is not None), default=None)
        return None if since is None else now - since


@dataclass
class _Memory:
    """The raw material: assigned decks, and each learner's states, review counts, decay."""

    columns: list[_Column]
    # time from now -> the cards to evaluate then (recall now, and at each due date)
    cards_at: dict[timedelta, set[int]]
    attributes: dict[int, str]  # card id -> the name of its attribute (comparison row)
    states: dict[int, dict[int, Memory]]  # user -> card -> memory
    recent: dict[int, dict[int, int]]  # user -> card -> reviews in the last RECENT_DAYS
    decays: dict[int, float]

    def learner(self, user_id: int) -> _Learner:
        memories = self.states.get(user_id, {})
        decay = self.decays.get(user_id)
        if decay is None:
            decay = _default_decay()
        recall = {}
        for later, card_ids in self.cards_at.items():
            started = [card_id for card_id in card_ids if card_id in memories]
            values = scheduling.recalls(
                [memories[card_id] for card_id in started], decay=decay, later=later
            )
            recall[later] = dict(zip(started, values, strict=True))
        return _Learner(memories, recall, self.recent.get(user_id, {}))


def _read_memory(*, user_ids: list[int], assignments: list[Assignment], now: datetime) -> _Memory:
    """Four queries, whatever the number of learners, decks or reviews."""
    deck_cards: dict[int, list[int]] = defaultdict(list)
    attributes: dict[int, str] = {}
    links = Deck.cards.through.objects.filter(
        deck_id__in={a.deck_id for a in assignments}, card__retired=False
    )
    for deck_id, card_id, attribute in links.values_list(
        "deck_id", "card_id", "card__attribute__name"
    ).order_by():
        deck_cards[deck_id].append(card_id)
        if attribute:
            attributes[card_id] = attribute
    columns = []
    cards_at: dict[timedelta, set[int]] = defaultdict(set)
    for assignment in assignments:
        card_ids = deck_cards.get(assignment.deck_id, [])
        due_at = due_moment(assignment.due_date)
        later = max(now, due_at) - now
        columns.append(_Column(assignment, card_ids, frozenset(card_ids), due_at, later))
        cards_at[timedelta(0)].update(card_ids)
        cards_at[later].update(card_ids)
    card_ids = sorted(cards_at[timedelta(0)])
    if not user_ids or not card_ids:
        return _Memory(columns, cards_at, attributes, {}, {}, {})
    # The database subtracts: an interval loads several times faster than a timestamp
    # (Django's time-zone-aware loader parses those in Python), and stays exact.
    since_review = ExpressionWrapper(
        Value(now, output_field=DateTimeField()) - F("last_review"), output_field=DurationField()
    )
    states: dict[int, dict[int, Memory]] = defaultdict(dict)
    for user_id, card_id, stability, elapsed in (
        ReviewState.objects.filter(user_id__in=user_ids, card_id__in=card_ids)
        .values_list("user_id", "card_id", "stability", since_review)
        .order_by()
    ):
        states[user_id][card_id] = (stability, elapsed)
    recent: dict[int, dict[int, int]] = defaultdict(dict)
    for user_id, card_id, n in (
        ReviewLog.objects.filter(
            user_id__in=user_ids,
            card_id__in=card_ids,
            reviewed_at__gte=now - timedelta(days=RECENT_DAYS),
            reviewed_at__lte=now,
        )
        .values("user_id", "card_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "card_id", "n")
        .order_by()
    ):
        recent[user_id][card_id] = n
    decays = {
        profile.user_id: scheduling.decay_for(profile)
        for profile in StudyProfile.objects.filter(user_id__in=user_ids).only(
            "user_id", "parameters"
        )
    }
    return _Memory(columns, cards_at, attributes, states, recent, decays)


def _default_decay() -> float:
    return scheduling.decay_for(StudyProfile())


def _cell(
    *, learner: _Learner, column: _Column, now: datetime
) -> tuple[Cell, list[int], list[float]]:
    """A learner's cell, the cards they started (deck order) and their recall of each now."""
    started = [card_id for card_id in column.card_ids if card_id in learner.memories]
    now_recall = learner.recall[timedelta(0)]
    recall_now = [now_recall[card_id] for card_id in started]
    due_recall = learner.recall[column.later]
    recall_at_due_sum = sum([due_recall[card_id] for card_id in started])  # unstarted: 0
    total = len(column.card_ids)
    recall_at_due = recall_at_due_sum / total if total else 0.0
    assignment = column.assignment
    status = status_for(
        started=len(started),
        total=total,
        recall_at_due=recall_at_due,
        target=assignment.target_recall,
        created_at=assignment.created_at,
        due_at=column.due_at,
        now=now,
    )
    cell = Cell(
        assignment=assignment,
        started=len(started),
        total=total,
        reviews_recent=sum(
            n for card_id, n in learner.recent.items() if card_id in column.card_set
        ),
        mean_recall=sum(recall_now) / len(started) if started else None,
        recall_at_due=recall_at_due,
        status=status,
        overdue=now >= column.due_at and status != Status.DONE,
    )
    return cell, started, recall_now


# --- what the views call ---------------------------------------------------------


def classroom_dashboard(*, classroom: Classroom, now: datetime) -> Dashboard:
    """Rows (learners) x columns (assignments), plus weak spots per assignment."""
    assignments = list(classroom.assignments.select_related("deck"))
    # Only the username is shown: the other User fields are not worth loading.
    learners = list(
        get_user_model()
        .objects.filter(enrollments__classroom=classroom)
        .only("username")
        .order_by("pk")
    )
    memory = _read_memory(
        user_ids=[learner.pk for learner in learners], assignments=assignments, now=now
    )
    attributes = memory.attributes
    # attribute -> [sum of recall, count], per assignment
    weak: dict[int, dict[str, list[float]]] = {
        a.pk: defaultdict(lambda: [0.0, 0]) for a in assignments
    }
    rows = []
    for user in learners:
        learner = memory.learner(user.pk)
        cells = []
        for column in memory.columns:
            cell, started, recalls = _cell(learner=learner, column=column, now=now)
            cells.append(cell)
            tallies = weak[column.assignment.pk]
            for card_id, recall in zip(started, recalls, strict=True):
                if card_id in attributes:
                    tally = tallies[attributes[card_id]]
                    tally[0] += recall
                    tally[1] += 1
        # Every card read is in some assigned deck: the learner's last review of any of them.
        last_review = learner.last_review(now)
        inactive = last_review is None or now - last_review > timedelta(days=INACTIVE_DAYS)
        rows.append(Row(learner=user, cells=cells, last_review=last_review, inactive=inactive))
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
    memory = _read_memory(user_ids=[user.pk], assignments=assignments, now=now)
    learner = memory.learner(user.pk)
    return [_cell(learner=learner, column=column, now=now)[0] for column in memory.columns]


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
