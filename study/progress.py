"""Classroom progress: what each learner remembers of each assigned deck.

Everything here is derived from ReviewState / ReviewLog at request time, never stored.
Predicted recall is `scheduling.retrievability` with each learner's own FSRS decay; the
dashboards have the database evaluate it (`scheduling.recall_sql`, the same curve) and sum
it per learner and deck.

Status of one learner on one assignment, checked in this order:

1. **done**: every card of the deck started and the mean predicted recall of the deck,
   evaluated at the end of the due date (or now, once that has passed), reaches the
   assignment's target;
2. **not started**: no card of the deck started;
3. **behind**: the due date has passed, or the fraction of cards started is below the
   fraction of time elapsed between the assignment's creation and the end of its due date;
4. **on track**: otherwise.

The whole dashboard is a constant number of queries, whatever the class size or history:
the database aggregates the per-card rows, so Python handles one row per cell.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import scheduling
from .models import (
    Assignment,
    Attribute,
    Card,
    Classroom,
    Deck,
    Enrollment,
    ReviewLog,
    ReviewState,
    StudyProfile,
)
from .rows import Table, column, table

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


@dataclass(frozen=True)
class _Column:
    """An assignment, with what all its cells share."""

    assignment: Assignment
    total: int  # active cards in the deck
    due_at: datetime  # `due_moment(assignment.due_date)`
    later_days: float  # from now to when recall at the due date is evaluated (0 once past)


@dataclass(frozen=True)
class _Memory:
    """One learner's memory of one assignment's deck, summed over the cards they started."""

    started: int = 0
    recall_now: float = 0.0
    recall_at_due: float = 0.0
    last_review: datetime | None = None


NO_MEMORY = _Memory()


@dataclass(frozen=True)
class _Progress:
    """The figures of every cell, aggregated by the database: a class of 40 learners and
    4 decks is 160 rows, not thousands of per-card rows to read and sum in Python."""

    columns: list[_Column]
    memory: dict[tuple[int, int], _Memory]  # (user id, assignment id)
    recent: dict[tuple[int, int], int]  # reviews in the last RECENT_DAYS, same keys
    weak: dict[int, list[WeakSpot]]  # by assignment id, every attribute, unsorted

    def last_review(self, user_id: int) -> datetime | None:
        """The learner's last review of any assigned card."""
        moments = (self.memory.get((user_id, c.assignment.pk), NO_MEMORY) for c in self.columns)
        return max((m.last_review for m in moments if m.last_review), default=None)


def _rows_sql(name: str, columns: dict[str, str], rows: list[tuple]) -> tuple[str, list]:
    """A CTE of literal rows, `columns` naming their SQL types, sent as one JSON parameter:
    a short query whatever the class size, one parameter to adapt (psycopg adapts list
    parameters element by element in Python; `json.dumps` is C), the same on both
    databases. The casts give each column its type (JSON has one kind of number)."""
    if connection.vendor == "postgresql":
        item, source = "j->>{}", "json_array_elements(%s::json) AS j"
    else:
        item, source = "json_extract(j.value, '$[{}]')", "json_each(%s) AS j"
    values = ", ".join(
        f"CAST({item.format(i)} AS {sql_type})" for i, sql_type in enumerate(columns.values())
    )
    return f"{name} ({', '.join(columns)}) AS (SELECT {values} FROM {source})", [json.dumps(rows)]


def _progress_sql(
    *,
    learners: list[tuple[int, float, float]],
    assignments: list[tuple[int, int, float]],
    now: datetime,
    weak_spots: bool,
) -> tuple[str, list]:
    """One query for every cell's figures and, with `weak_spots`, every attribute's.

    `learners` are (user id, decay, `curve_factor(decay)`); `assignments` are (assignment
    id, deck id, days from now to its due date or 0). `pair` has one row per active card of
    each assigned deck, with its attribute's name (PostgreSQL computes it once: a CTE used
    more than once is materialized). `s` has one row per learner's started card of an
    assigned deck, with the days since its last review; `m` has one row per such card and
    assignment holding it, with its recall now and at the due date
    (`scheduling.recall_sql`); `r` has one row per review in the last RECENT_DAYS and
    assignment holding its card. The result's rows are, by their first column: 'cell'
    (user id, assignment id, NULL, started, recall now summed, recall at due summed, last
    review); 'weak' (NULL, assignment id, attribute name, cards, recall now summed, ...);
    'recent' (user id, assignment id, NULL, reviews, ...); 'total' (NULL, assignment id,
    NULL, active cards in the deck, ...). The last review is a Unix time on PostgreSQL (a
    float loads several times faster than a timestamp) and naive UTC text on SQLite.
    PostgreSQL aggregates cells and weak spots in one pass (GROUPING SETS), SQLite in two.
    """
    quote = connection.ops.quote_name
    real = "double precision"
    learner_sql, learner_params = _rows_sql(
        "learner", {"user_id": "integer", "decay": real, "factor": real}, learners
    )
    assignment_sql, assignment_params = _rows_sql(
        "assignment", {"assignment_id": "integer", "deck_id": "integer", "later": real}, assignments
    )
    pair_sql = (
        "pair AS (SELECT dc.card_id, a.assignment_id, a.later, t.name AS attribute "
        f"FROM assignment a JOIN {quote(Deck.cards.through._meta.db_table)} dc "
        "ON dc.deck_id = a.deck_id "
        f"JOIN {quote(Card._meta.db_table)} c ON c.id = dc.card_id AND NOT c.retired "
        f"LEFT JOIN {quote(Attribute._meta.db_table)} t ON t.id = c.attribute_id)"
    )
    # Days since the last review, clamped at 0 by clamping the review in time (a review
    # in the future counts as now), so that `recall_sql` reads it once.
    reviewed = "CASE WHEN s.last_review > %s THEN %s ELSE s.last_review END"
    if connection.vendor == "postgresql":
        elapsed = f"(%s::{real} - date_part('epoch', {reviewed})) / 86400"  # not NUMERIC
        now_params = [now.timestamp(), now, now]
        last_review = "date_part('epoch', MAX(last_review))"
        # A subquery PostgreSQL may not pull up: it would inline `elapsed` into both
        # recalls of every card x assignment row instead of computing it once per state.
        fence = " OFFSET 0"
    else:
        elapsed = f"(julianday(%s) - julianday({reviewed}))"  # exact to the millisecond
        now_params = [connection.ops.adapt_datetimefield_value(now)] * 3
        last_review, fence = "MAX(last_review)", ""

    def recall(days: str) -> str:
        return scheduling.recall_sql(
            stability="stability", elapsed_days=days, decay="decay", factor="factor"
        )

    since, until = (
        connection.ops.adapt_datetimefield_value(moment)
        for moment in (now - timedelta(days=RECENT_DAYS), now)
    )
    sql = (
        f"WITH {learner_sql}, {assignment_sql}, {pair_sql}, "
        "s AS (SELECT s.user_id, s.card_id, s.last_review, s.stability, l.decay, l.factor, "
        f"{elapsed} AS elapsed FROM {quote(ReviewState._meta.db_table)} s "
        "JOIN learner l ON l.user_id = s.user_id "
        f"WHERE s.card_id IN (SELECT card_id FROM pair){fence}), "
        "m AS (SELECT s.user_id, p.assignment_id, p.attribute, s.last_review, "
        f"{recall('s.elapsed')} AS recall_now, {recall('(s.elapsed + p.later)')} AS recall_due "
        "FROM s JOIN pair p ON p.card_id = s.card_id), "
        f"r AS (SELECT r.user_id, p.assignment_id FROM {quote(ReviewLog._meta.db_table)} r "
        "JOIN learner l ON l.user_id = r.user_id JOIN pair p ON p.card_id = r.card_id "
        "WHERE r.reviewed_at >= %s AND r.reviewed_at <= %s) "
    )
    figures = f"COUNT(*), SUM(recall_now), SUM(recall_due), {last_review} FROM m"
    if weak_spots and connection.vendor == "postgresql":
        parts = [
            "SELECT CASE WHEN GROUPING(user_id) = 1 THEN 'weak' ELSE 'cell' END, user_id, "
            f"assignment_id, attribute, {figures} "
            "GROUP BY GROUPING SETS ((user_id, assignment_id), (assignment_id, attribute))"
        ]
    else:
        parts = [f"SELECT 'cell', user_id, assignment_id, NULL, {figures} GROUP BY 2, 3"]
        if weak_spots:
            parts.append(f"SELECT 'weak', NULL, assignment_id, attribute, {figures} GROUP BY 3, 4")
    parts.append(
        "SELECT 'recent', user_id, assignment_id, NULL, COUNT(*), NULL, NULL, NULL FROM r "
        "GROUP BY user_id, assignment_id"
    )
    parts.append(
        "SELECT 'total', NULL, assignment_id, NULL, COUNT(*), NULL, NULL, NULL FROM pair "
        "GROUP BY assignment_id"
    )
    sql += " UNION ALL ".join(parts)
    return sql, [*learner_params, *assignment_params, *now_params, since, until]


def _as_datetime(value) -> datetime | None:
    """A datetime aggregated by raw SQL: a Unix time, or naive UTC text from SQLite."""
    if isinstance(value, float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _read_progress(
    *,
    parameters: dict[int, list[float] | None],
    assignments: list[Assignment],
    now: datetime,
    weak_spots: bool,
) -> _Progress:
    """One query, whatever the number of learners, decks or reviews. `parameters` are
    the learners' FSRS parameters by user id (None: no profile yet, the defaults)."""
    if not assignments:
        return _Progress([], {}, {}, {})
    learners = []
    for user_id, fsrs_parameters in parameters.items():
        decay = scheduling.decay_of(fsrs_parameters or [])
        learners.append((user_id, decay, scheduling.curve_factor(decay)))
    windows = []  # (assignment, due_at, later)
    for assignment in assignments:
        due_at = due_moment(assignment.due_date)
        windows.append((assignment, due_at, (max(now, due_at) - now).total_seconds() / 86400))
    sql, params = _progress_sql(
        learners=learners,
        assignments=[(a.pk, a.deck_id, later) for a, _, later in windows],
        now=now,
        weak_spots=weak_spots,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    memory: dict[tuple[int, int], _Memory] = {}
    recent: dict[tuple[int, int], int] = {}
    totals: dict[int, int] = {}
    weak: dict[int, list[WeakSpot]] = defaultdict(list)
    for kind, user_id, assignment_id, name, n, recall_now, recall_due, last in rows:
        if kind == "cell":
            memory[user_id, assignment_id] = _Memory(
                int(n), float(recall_now), float(recall_due), _as_datetime(last)
            )
        elif kind == "recent":
            recent[user_id, assignment_id] = int(n)
        elif kind == "total":
            totals[assignment_id] = int(n)
        elif name is not None:  # cards without an attribute (vignettes) are no weak spot
            weak[assignment_id].append(WeakSpot(name, float(recall_now) / n, int(n)))
    columns = [_Column(a, totals.get(a.pk, 0), due_at, later) for a, due_at, later in windows]
    return _Progress(columns, memory, recent, dict(weak))


def _cell(*, memory: _Memory, reviews_recent: int, column: _Column, now: datetime) -> Cell:
    total = column.total
    recall_at_due = memory.recall_at_due / total if total else 0.0  # unstarted cards: 0
    assignment = column.assignment
    status = status_for(
        started=memory.started,
        total=total,
        recall_at_due=recall_at_due,
        target=assignment.target_recall,
        created_at=assignment.created_at,
        due_at=column.due_at,
        now=now,
    )
    return Cell(
        assignment=assignment,
        started=memory.started,
        total=total,
        reviews_recent=reviews_recent,
        mean_recall=memory.recall_now / memory.started if memory.started else None,
        recall_at_due=recall_at_due,
        status=status,
        overdue=now >= column.due_at and status != Status.DONE,
    )


def _cells(progress: _Progress, user_id: int, now: datetime) -> list[Cell]:
    return [
        _cell(
            memory=progress.memory.get((user_id, column.assignment.pk), NO_MEMORY),
            reviews_recent=progress.recent.get((user_id, column.assignment.pk), 0),
            column=column,
            now=now,
        )
        for column in progress.columns
    ]


# --- what the views call ---------------------------------------------------------


@dataclass(frozen=True)
class _DashboardQueries:
    assignments: str
    assignment: Table
    deck: Table
    learners: str
    learner: Table
    parameters: Table


@lru_cache(maxsize=4)
def _dashboard_queries(vendor: str) -> _DashboardQueries:
    """The dashboard's reads of the classroom's assignments (with their decks) and of its
    learners (with their FSRS parameters), written once per process for `vendor`: built by
    the ORM on every dashboard, the two cost 2.7 M instructions more per dashboard (4 % of
    its Django side), most of it compiling queries that read a few rows. Same rows, order
    and instances as `classroom.assignments.select_related("deck")` (the Meta ordering)
    and the learners' `.only("username")`."""
    User = get_user_model()
    assignment, deck = Table.of(Assignment, "a"), Table.of(Deck, "d")
    learner = Table.of(User, "u", only=("id", "username"))
    parameters = Table.of(StudyProfile, "p", only=("parameters",))
    assignments = (
        f"SELECT {', '.join(assignment.select('a') + deck.select('d'))} "
        f"FROM {table(Assignment)} a JOIN {table(Deck)} d "
        f"ON {column(Deck, 'id', 'd')} = {column(Assignment, 'deck', 'a')} "
        f"WHERE {column(Assignment, 'classroom', 'a')} = %s "
        f"ORDER BY {column(Assignment, 'due_date', 'a')}, {column(Assignment, 'id', 'a')}"
    )
    learners = (
        f"SELECT {', '.join(learner.select('u') + parameters.select('p'))} "
        f"FROM {table(User)} u JOIN {table(Enrollment)} e "
        f"ON {column(Enrollment, 'user', 'e')} = {column(User, 'id', 'u')} "
        f"LEFT JOIN {table(StudyProfile)} p "
        f"ON {column(StudyProfile, 'user', 'p')} = {column(User, 'id', 'u')} "
        f"WHERE {column(Enrollment, 'classroom', 'e')} = %s ORDER BY {column(User, 'id', 'u')}"
    )
    return _DashboardQueries(assignments, assignment, deck, learners, learner, parameters)


def _assignments_and_learners(classroom: Classroom) -> tuple[list[Assignment], list]:
    """The classroom's assignments, each with its deck, and its learners (Users with only
    the username loaded, and `fsrs_parameters`: None without a study profile)."""
    queries = _dashboard_queries(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(queries.assignments, [classroom.pk])
        assignment_rows = cursor.fetchall()
        cursor.execute(queries.learners, [classroom.pk])
        learner_rows = cursor.fetchall()
    split = len(queries.assignment.fields)
    assignments = []
    for row in assignment_rows:
        assignment = queries.assignment.instance(row[:split])
        assignment.deck = queries.deck.instance(row[split:])
        assignments.append(assignment)
    split = len(queries.learner.fields)
    learners = []
    for row in learner_rows:
        user = queries.learner.instance(row[:split])
        (user.fsrs_parameters,) = queries.parameters.values(row[split:])
        learners.append(user)
    return assignments, learners


def classroom_dashboard(*, classroom: Classroom, now: datetime) -> Dashboard:
    """Rows (learners) x columns (assignments), plus weak spots per assignment."""
    assignments, learners = _assignments_and_learners(classroom)
    progress = _read_progress(
        parameters={learner.pk: learner.fsrs_parameters for learner in learners},
        assignments=assignments,
        now=now,
        weak_spots=True,
    )
    rows = []
    for user in learners:
        cells = _cells(progress, user.pk, now)
        last_review = progress.last_review(user.pk)
        inactive = last_review is None or now - last_review > timedelta(days=INACTIVE_DAYS)
        rows.append(Row(learner=user, cells=cells, last_review=last_review, inactive=inactive))
    weak_spots = {
        assignment_pk: sorted(spots, key=lambda spot: (spot.mean_recall, spot.name))[:WEAK_SPOTS]
        for assignment_pk, spots in progress.weak.items()
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
    # The profile came with the user (study.backends); a user without one has the defaults.
    profile = getattr(user, "study_profile", None)
    progress = _read_progress(
        parameters={user.pk: profile.parameters if profile else None},
        assignments=assignments,
        now=now,
        weak_spots=False,
    )
    return _cells(progress, user.pk, now)


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
