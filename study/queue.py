"""Which card comes next, and how many are left today.

Order (as in Anki): learning/relearning cards that are due now, then review cards due
this study day (most overdue first, within reviews/day), then new cards in deck order
(within new/day), and finally learning cards due later today, so a session can finish
its learning steps.

`plan` is the hot path of every study request: two queries whatever the learner's
history size. One counts today's reviews (index `log_user_time`); the other reads the
deck's cards with the learner's state of each (`LEFT JOIN` on the unique
(user, card) index), so its size is the deck's, never the history's. Counts and the
next card are then picked in Python from those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection

from .models import Card, Deck, ReviewKind, ReviewLog, ReviewState, State, StudyProfile

IN_LEARNING = (State.LEARNING, State.RELEARNING)
STATE_COLUMNS = (
    "state",
    "step",
    "stability",
    "difficulty",
    "due",
    "last_review",
    "reps",
    "lapses",
    "version",
)


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
    # card id -> (state id, *STATE_COLUMNS); ReviewState objects are built only on demand.
    rows: dict[int, tuple] = field(repr=False)

    def state_for(self, card_id: int) -> ReviewState | None:
        row = self.rows.get(card_id)
        if row is None:
            return None
        state_id, *columns = row
        values = dict(zip(STATE_COLUMNS, columns, strict=True))
        return ReviewState(pk=state_id, user_id=self.user_id, card_id=card_id, **values)

    @property
    def next_state(self) -> ReviewState | None:
        return self.state_for(self.next_card_id) if self.next_card_id else None

    @property
    def next_due(self) -> datetime | None:
        """When the learner's next card in this deck falls due (for the done screen)."""
        return min((row[DUE] for row in self.rows.values()), default=None)


STATE, DUE, LAST_REVIEW = 1, 5, 6  # positions in a Plan row


def done_today(*, user, profile: StudyProfile, now: datetime) -> DoneToday:
    """What the learner answered this study day (index `log_user_time`; raw SQL because
    it runs on every study request and the ORM took longer to build it than to run it)."""
    day = profile.study_day(now)
    quote = connection.ops.quote_name
    sql = (
        "SELECT COUNT(*), "
        "COALESCE(SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN kind = %s THEN 1 ELSE 0 END), 0) "
        f"FROM {quote(ReviewLog._meta.db_table)} "
        "WHERE user_id = %s AND reviewed_at >= %s AND reviewed_at < %s"
    )
    # Adapted as the ORM does (SQLite stores naive UTC text), so boundaries compare alike.
    start, end = (connection.ops.adapt_datetimefield_value(m) for m in (day.start, day.end))
    params = [ReviewKind.NEW, ReviewKind.REVIEW, user.pk, start, end]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total, new, reviews = cursor.fetchone()
    return DoneToday(new=int(new), reviews=int(reviews), total=int(total))


def _deck_rows(*, user_id: int, deck_id: int) -> list[tuple]:
    """(card id, order, state id, *STATE_COLUMNS) for every active card of the deck.

    Raw SQL because this runs on every study request and the ORM spent longer building
    the query than the database spent answering it (see docs/performance.md).
    """
    quote = connection.ops.quote_name
    state_columns = ", ".join(f"s.{quote(name)}" for name in STATE_COLUMNS)
    sql = (
        f"SELECT c.id, c.{quote('order')}, s.id, {state_columns} "
        f"FROM {quote(Deck.cards.through._meta.db_table)} dc "
        f"JOIN {quote(Card._meta.db_table)} c ON c.id = dc.card_id "
        f"LEFT JOIN {quote(ReviewState._meta.db_table)} s "
        "ON s.card_id = dc.card_id AND s.user_id = %s "
        "WHERE dc.deck_id = %s AND NOT c.retired"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, deck_id])
        return cursor.fetchall()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands raw queries naive UTC datetimes; PostgreSQL aware ones."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def plan(
    *, user, profile: StudyProfile, deck: Deck, now: datetime, done: DoneToday | None = None
) -> Plan:
    done = done or done_today(user=user, profile=profile, now=now)
    day_end = profile.study_day(now).end
    new: list[tuple[int, int]] = []
    rows: dict[int, tuple] = {}
    learning: list[tuple[datetime, int]] = []
    reviews: list[tuple[datetime, int]] = []
    for card_id, order, *row in _deck_rows(user_id=user.pk, deck_id=deck.pk):
        if row[0] is None:
            new.append((order, card_id))
            continue
        row[DUE], row[LAST_REVIEW] = _aware(row[DUE]), _aware(row[LAST_REVIEW])
        rows[card_id] = tuple(row)
        state, due = row[STATE], row[DUE]
        if due < day_end:
            (reviews if state == State.REVIEW else learning).append((due, card_id))
    new_left = max(0, min(len(new), profile.new_per_day - done.new))
    reviews_left = max(0, min(len(reviews), profile.reviews_per_day - done.reviews))
    counts = QueueCounts(new=new_left, learning=len(learning), review=reviews_left)
    due_now = [item for item in learning if item[0] <= now]
    if due_now:
        next_card_id = min(due_now)[1]
    elif reviews_left:
        next_card_id = min(reviews)[1]
    elif new_left:
        next_card_id = min(new)[1]
    elif learning:
        next_card_id = min(learning)[1]
    else:
        next_card_id = None
    return Plan(done=done, counts=counts, next_card_id=next_card_id, user_id=user.pk, rows=rows)


def next_card(*, user, profile: StudyProfile, deck: Deck, now: datetime) -> NextCard | None:
    """The next card with its state (one more query than `plan`, for the card itself)."""
    today = plan(user=user, profile=profile, deck=deck, now=now)
    if today.next_card_id is None:
        return None
    card = Card.objects.select_related("attribute", "vignette").get(pk=today.next_card_id)
    return NextCard(card=card, state=today.next_state)
