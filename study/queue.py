"""Which card comes next, and how many are left today.

Order (as in Anki): learning/relearning cards that are due now, then review cards due
this study day (most overdue first, within reviews/day), then new cards in deck order
(within new/day), and finally learning cards due later today, so a session can finish
its learning steps.

`plan` is the hot path of every study request: one query whatever the learner's history
size, which counts today's reviews (index `log_user_time`) and reads the learner's states
(one range of the unique (user, card) index) joined to the deck's cards, so its size is
the cards studied, never the history's. The cards themselves come from the per-process
catalog (study/catalog.py). Counts and the next card are then picked in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.db import connection

from . import catalog
from .models import Card, Deck, ReviewKind, ReviewLog, ReviewState, State, StudyProfile

# What planning reads of every state of the deck (the version goes into the answer form)...
PLAN_COLUMNS = ("state", "due", "version")
# ...and the rest of a state, read for one card only: the one whose answer is shown.
DETAIL_COLUMNS = ("id", "step", "stability", "difficulty", "last_review", "reps", "lapses")


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


@dataclass
class Plan:
    """Today's queue for one learner in one deck."""

    done: DoneToday
    counts: QueueCounts
    next_card_id: int | None
    user_id: int
    # card id -> (card id, *PLAN_COLUMNS), datetimes as epoch microseconds (cheaper to read
    # and compare); with a `detail_card_id`, every row also has *DETAIL_COLUMNS, None except
    # in that card's row.
    rows: dict[int, tuple] = field(repr=False)
    detail_card_id: int | None = None

    def version_for(self, card_id: int) -> int:
        """The version of the learner's state of this card (0 before its first answer)."""
        row = self.rows.get(card_id)
        return 0 if row is None else row[VERSION]

    def state_for(self, card_id: int) -> ReviewState | None:
        """The learner's state of the card this plan was made for (`plan(card_id=...)`)."""
        row = self.rows.get(card_id)
        if row is None:
            return None
        if card_id != self.detail_card_id:
            raise ValueError(f"This plan holds only the planning columns of card {card_id}.")
        values = dict(zip(PLAN_COLUMNS + DETAIL_COLUMNS, row[1:], strict=True))
        for name in ("due", "last_review"):
            values[name] = from_micros(values[name])
        return ReviewState(user_id=self.user_id, card_id=card_id, **values)

    @property
    def next_due(self) -> datetime | None:
        """When the learner's next card in this deck falls due (for the done screen)."""
        return from_micros(min((row[DUE] for row in self.rows.values()), default=None))


CARD, STATE, DUE, VERSION = 0, 1, 2, 3  # positions in a Plan row
LAST_REVIEW = 1 + len(PLAN_COLUMNS) + DETAIL_COLUMNS.index("last_review")


@lru_cache(maxsize=4)
def _sql(vendor: str) -> tuple[str, str, str]:
    """The texts of `_done_sql` and of `_today_sql` without and with a card's details, for
    `vendor` (quoting and the datetime columns differ by database), written once per
    process: on every study request, writing them cost a tenth of the time `plan` spends
    in Python."""
    quote = connection.ops.quote_name
    done = (
        "SELECT COUNT(*) AS total, "
        "COALESCE(SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END), 0) AS new, "
        "COALESCE(SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END), 0) AS reviews "
        f"FROM {quote(ReviewLog._meta.db_table)} "
        "WHERE user_id = %s AND reviewed_at >= %s AND reviewed_at < %s"
    )

    def column(name: str) -> str:
        expression = f"s.{quote(name)}"
        return _as_micros_sql(expression) if name in ("due", "last_review") else expression

    # A subquery PostgreSQL may not pull up: pulled up, the generic plan it caches for the
    # prepared statement probes that index once per card of the deck (380 buffer hits for
    # a 95-card deck, not 8), which cost 0.15-0.2 ms more of its CPU per study request.
    fence = " OFFSET 0" if vendor == "postgresql" else ""
    deck_cards = (
        f"JOIN {quote(Deck.cards.through._meta.db_table)} dc "
        "ON dc.card_id = s.card_id AND dc.deck_id = %s"
    )
    states = f"FROM {quote(ReviewState._meta.db_table)} WHERE user_id = %s{fence}"

    def counts_then_states(columns: list[str], detail: str) -> str:
        # The counts' row first (no card: its card id is NULL; NULLs pad it to the states'
        # width), then one row per state of the deck's cards.
        return (
            f"SELECT NULL, d.total, d.new, d.reviews{', NULL' * (len(columns) - 3)} "
            f"FROM ({done}) d UNION ALL "
            f"SELECT s.card_id, {', '.join(columns)} "
            f"FROM (SELECT *{detail} {states}) s {deck_cards}"
        )

    plan_columns = [column(name) for name in PLAN_COLUMNS]
    details = [f"CASE WHEN s.detail THEN {column(name)} END" for name in DETAIL_COLUMNS]
    today = counts_then_states(plan_columns, detail="")
    detailed = counts_then_states(plan_columns + details, detail=", card_id = %s AS detail")
    return done, today, detailed


def _done_sql(*, user, profile: StudyProfile, now: datetime) -> tuple[str, list]:
    """The count of today's answers (index `log_user_time`), as SQL and parameters."""
    day = profile.study_day(now)
    # Adapted as the ORM does (SQLite stores naive UTC text), so boundaries compare alike.
    start, end = (connection.ops.adapt_datetimefield_value(m) for m in (day.start, day.end))
    return _sql(connection.vendor)[0], [ReviewKind.NEW, ReviewKind.REVIEW, user.pk, start, end]


def done_today(*, user, profile: StudyProfile, now: datetime) -> DoneToday:
    """What the learner answered this study day (raw SQL: see `_today`)."""
    sql, params = _done_sql(user=user, profile=profile, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total, new, reviews = cursor.fetchone()
    return DoneToday(new=int(new), reviews=int(reviews), total=int(total))


def _as_micros_sql(column: str) -> str:
    """A datetime column as integer microseconds since the epoch, where the database can.

    On PostgreSQL this makes the deck's rows about twice as cheap to read: psycopg builds
    each timestamptz through a Python loader, an integer in C. SQLite returns datetimes.
    """
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM {column}) * 1000000)::bigint"
    return column


def _today_sql(
    *, user, profile: StudyProfile, deck: Deck, now: datetime, card_id: int | None
) -> tuple[str, list]:
    """The query behind `_today`, as SQL and parameters.

    Its first row holds today's answer counts (total, new, reviews) after a NULL card id;
    each other row is a state of the deck's cards: (card id, *PLAN_COLUMNS), and with
    `card_id`, *DETAIL_COLUMNS too, NULL except in that card's row. The learner's states
    come from one range scan of the unique (user, card) index, so their number is the cards
    the learner has studied, never the history's; they are then joined to the deck's
    cards. The counts go in a row of their own and the details only where asked for: sent
    on every row, they were a third of what reading the rows cost the client.
    """
    _, params = _done_sql(user=user, profile=profile, now=now)
    _, today, detailed = _sql(connection.vendor)
    if card_id is None:
        return today, [*params, user.pk, deck.pk]
    return detailed, [*params, card_id, user.pk, deck.pk]


def _today(
    *, user, profile: StudyProfile, deck: Deck, now: datetime, card_id: int | None
) -> tuple[DoneToday, list]:
    """Today's answer counts and the learner's states of the deck's cards, in one query.

    Raw SQL, in one round trip, because this runs on every study request and the ORM
    spent longer building queries than the database spent answering them.
    """
    sql, params = _today_sql(user=user, profile=profile, deck=deck, now=now, card_id=card_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Found by its NULL card id, not its place: SQL does not promise UNION ALL's order.
    total, new, reviews = next(row for row in rows if row[CARD] is None)[1:4]
    done = DoneToday(new=int(new), reviews=int(reviews), total=int(total))
    states = [row for row in rows if row[CARD] is not None]
    if connection.vendor != "postgresql":
        states = [_with_micros(row) for row in states]
    return done, states


def _with_micros(row: tuple) -> tuple:
    """A state row from SQLite, which returns datetimes, with them as epoch microseconds."""
    converted = list(row)
    converted[DUE] = to_micros(row[DUE])
    if len(row) > LAST_REVIEW:  # a row with the details
        converted[LAST_REVIEW] = to_micros(row[LAST_REVIEW])
    return tuple(converted)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime | str | int | None) -> int | None:
    """Microseconds since the epoch (SQLite hands raw queries naive UTC datetimes, or the
    text it stores them as where it cannot tell the column's type, as inside a CASE)."""
    if moment is None or isinstance(moment, int):
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // MICROSECOND


def from_micros(micros: int | None) -> datetime | None:
    return None if micros is None else EPOCH + micros * MICROSECOND


def plan(
    *, user, profile: StudyProfile, deck: Deck, now: datetime, card_id: int | None = None
) -> Plan:
    """Today's queue; `card_id` names the card whose full state the caller will need."""
    done, state_rows = _today(user=user, profile=profile, deck=deck, now=now, card_id=card_id)
    cards = catalog.for_user(user).cards(deck)
    day_end, now_us = to_micros(profile.study_day(now).end), to_micros(now)
    rows: dict[int, tuple] = {}
    learning: list[tuple[int, int]] = []
    reviews: list[tuple[int, int]] = []
    for row in state_rows:
        studied, due = row[CARD], row[DUE]
        if studied not in cards:
            continue  # retired: it keeps its state (and maybe its deck link) but is not studied
        rows[studied] = row
        if due < day_end:
            (reviews if row[STATE] == State.REVIEW else learning).append((due, studied))
    new = [card for card in cards if card not in rows]  # card ids, already in deck order
    new_left = max(0, min(len(new), profile.new_per_day - done.new))
    reviews_left = max(0, min(len(reviews), profile.reviews_per_day - done.reviews))
    counts = QueueCounts(new=new_left, learning=len(learning), review=reviews_left)
    due_now = [item for item in learning if item[0] <= now_us]
    if due_now:
        next_card_id = min(due_now)[1]
    elif reviews_left:
        next_card_id = min(reviews)[1]
    elif new_left:
        next_card_id = new[0]
    elif learning:
        next_card_id = min(learning)[1]
    else:
        next_card_id = None
    return Plan(
        done=done,
        counts=counts,
        next_card_id=next_card_id,
        user_id=user.pk,
        rows=rows,
        detail_card_id=card_id,
    )


def next_card(*, user, profile: StudyProfile, deck: Deck, now: datetime) -> NextCard | None:
    """The next card (from the catalog) with its state."""
    today = plan(user=user, profile=profile, deck=deck, now=now)
    if today.next_card_id is None:
        return None
    if today.next_card_id in today.rows:  # a card studied before: read its whole state
        today = plan(user=user, profile=profile, deck=deck, now=now, card_id=today.next_card_id)
    card = catalog.for_user(user).cards(deck)[today.next_card_id]
    return NextCard(card=card, state=today.state_for(card.pk))
