"""The only module that talks to `fsrs`.

Converts `ReviewState` rows to and from `fsrs.Card`, reviews, previews the four
outcomes, undoes, and computes retrievability.

Fuzz: py-fsrs draws its interval fuzz from the global `random()`, so a preview and the
real answer would differ. We run fsrs with fuzzing off and apply the same fuzz ranges
ourselves from a generator seeded by (learner, card, review number): the interval
shown on a button is exactly the interval that button schedules.
"""

from __future__ import annotations

import math
import random
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import fsrs
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from fsrs.scheduler import DEFAULT_PARAMETERS, FUZZ_RANGES

from .models import Rating, ReviewKind, ReviewLog, ReviewState, State, StudyProfile
from .rows import Table

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(DEFAULT_PARAMETERS)
PARAMETER_COUNT = len(DEFAULT_PARAMETERS)
MAX_DURATION_MS = 60_000  # like Anki: a card left open over lunch counts as one minute


class ReviewError(Exception):
    """A review that cannot be recorded; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class DuplicateReview(Exception):
    """The same client token was already recorded: answer as if it succeeded."""

    def __init__(self, log: ReviewLog) -> None:
        super().__init__("already recorded")
        self.log = log


@dataclass(frozen=True)
class Outcome:
    rating: int
    state: int
    step: int | None
    stability: float
    difficulty: float
    due: datetime
    last_review: datetime
    interval: timedelta

    @property
    def label(self) -> str:
        return format_interval(self.interval)


def fuzz_enabled() -> bool:
    return getattr(settings, "FSRS_ENABLE_FUZZING", True)


@lru_cache(maxsize=256)
def _scheduler(
    parameters: tuple[float, ...],
    desired_retention: float,
    learning_steps: tuple[int, ...],
    relearning_steps: tuple[int, ...],
    maximum_interval: int,
) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        parameters=parameters,
        desired_retention=desired_retention,
        learning_steps=tuple(timedelta(minutes=m) for m in learning_steps),
        relearning_steps=tuple(timedelta(minutes=m) for m in relearning_steps),
        maximum_interval=maximum_interval,
        enable_fuzzing=False,
    )


def scheduler_for(profile: StudyProfile) -> fsrs.Scheduler:
    """The learner's scheduler (fuzz is applied separately, deterministically)."""
    return _scheduler(
        tuple(profile.parameters) or DEFAULT_PARAMETERS,
        float(profile.desired_retention),
        tuple(profile.learning_steps),
        tuple(profile.relearning_steps),
        int(profile.maximum_interval),
    )


def validate_parameters(parameters: list[float]) -> str | None:
    """None if fsrs accepts these 21 parameters, else a message a person understands."""
    if len(parameters) != PARAMETER_COUNT:
        return f"FSRS-6 needs exactly {PARAMETER_COUNT} parameters, got {len(parameters)}."
    try:
        fsrs.Scheduler(parameters=parameters)
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def to_fsrs(state: ReviewState | None) -> fsrs.Card:
    if state is None:
        return fsrs.Card(card_id=0, due=datetime(2000, 1, 1, tzinfo=UTC))
    return fsrs.Card(
        # Never None: without an id, fsrs.Card sleeps 1 ms to make a unique one.
        card_id=state.card_id or 0,
        state=fsrs.State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=state.due.astimezone(UTC),
        last_review=state.last_review.astimezone(UTC) if state.last_review else None,
    )


def _fuzzed_days(interval_days: int, maximum_interval: int, rng: random.Random) -> int:
    """py-fsrs's `_get_fuzzed_interval`, with our seeded generator instead of `random()`."""
    if interval_days < 2.5:
        return interval_days
    delta = 1.0
    for fuzz_range in FUZZ_RANGES:
        delta += fuzz_range["factor"] * max(
            min(float(interval_days), fuzz_range["end"]) - fuzz_range["start"], 0.0
        )
    min_ivl = max(2, round(interval_days - delta))
    max_ivl = min(round(interval_days + delta), maximum_interval)
    min_ivl = min(min_ivl, max_ivl)
    fuzzed = rng.random() * (max_ivl - min_ivl + 1) + min_ivl
    return min(round(fuzzed), maximum_interval)


def outcome(
    *,
    profile: StudyProfile,
    state: ReviewState | None,
    rating: int,
    now: datetime,
    seed: str,
) -> Outcome:
    """What `rating` at `now` does to `state` (pure: nothing is saved)."""
    now = now.astimezone(UTC)
    scheduler = scheduler_for(profile)
    card, _ = scheduler.review_card(to_fsrs(state), fsrs.Rating(rating), review_datetime=now)
    due = card.due
    if fuzz_enabled() and card.state == fsrs.State.Review:
        days = (card.due - now).days
        due = now + timedelta(days=_fuzzed_days(days, scheduler.maximum_interval, _rng(seed)))
    return Outcome(
        rating=rating,
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=due,
        last_review=now,
        interval=due - now,
    )


def _rng(seed: str) -> random.Random:
    return random.Random(seed)


def fuzz_seed(*, user_id: int, card_id: int, reps: int) -> str:
    return f"{user_id}:{card_id}:{reps}"


def preview(
    *, profile: StudyProfile, user_id: int, card_id: int, state: ReviewState | None, now: datetime
) -> dict[int, Outcome]:
    """The four outcomes, one per rating; equal to what `review` will store at `now`."""
    seed = fuzz_seed(user_id=user_id, card_id=card_id, reps=state.reps if state else 0)
    return {
        rating: outcome(profile=profile, state=state, rating=rating, now=now, seed=seed)
        for rating in Rating.values
    }


def review(
    *,
    user,
    profile: StudyProfile,
    card_id: int,
    rating: int,
    expected_version: int,
    token: str,
    now: datetime,
    duration_ms: int = 0,
    shown: ReviewState | None = None,
) -> ReviewLog:
    """Record one answer to the card as shown at `expected_version` (0: new): log it and
    update the state in one atomic write that lands only if the stored state is still that
    one. `shown` is the state as the answer form carried it (`ReviewState.to_form`); without
    it, the state is read first.

    No lock is held while fsrs computes: the write's version check is what refuses a
    concurrent change (another tab's answer, an undo), and on PostgreSQL the write is a
    single statement, so an answer costs no BEGIN/COMMIT round trips (docs/performance.md).

    Raises DuplicateReview when `token` was already recorded (a double submit), and
    ReviewError(409) when the card changed since it was shown.
    """
    if rating not in Rating.values:
        raise ReviewError("Rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy).")
    try:
        if expected_version == 0:
            state = None  # new when shown: the write's INSERT refuses if a state appeared
        elif shown is not None and (shown.user_id, shown.card_id) == (user.pk, card_id):
            state = shown
        else:
            state = _current_state(user_id=user.pk, card_id=card_id)
        if (state.version if state else 0) != expected_version:
            raise _Stale
        result = outcome(
            profile=profile,
            state=state,
            rating=rating,
            now=now,
            seed=fuzz_seed(user_id=user.pk, card_id=card_id, reps=state.reps if state else 0),
        )
        before = state.snapshot() if state else None
        if state is None:
            state = ReviewState(user=user, card_id=card_id, version=0)
        kind = ReviewKind.NEW if before is None else before["state"]
        apply_outcome(state, result, lapsed=kind == ReviewKind.REVIEW and rating == Rating.AGAIN)
        log = ReviewLog(
            user=user,
            card_id=card_id,
            rating=rating,
            reviewed_at=result.last_review,
            duration_ms=max(0, min(duration_ms, MAX_DURATION_MS)),
            kind=kind,
            before=before,
            after=state.snapshot(),
            token=token,
        )
        state.version += 1
        if not _record(log, state, read_version=expected_version):
            raise _Stale
        return log
    except (_Stale, IntegrityError) as exc:
        duplicate = ReviewLog.objects.filter(user=user, token=token).first()
        if duplicate is not None:
            raise DuplicateReview(duplicate) from exc
        raise ReviewError(
            "This card changed since it was shown (answered in another tab?). "
            "The next card is shown instead.",
            status=409,
        ) from exc


class _Stale(Exception):
    pass


@lru_cache(maxsize=4)
def _current_state_query(vendor: str) -> tuple[str, Table]:
    """The SELECT of one state, written once per process for `vendor`."""
    table = Table.of(ReviewState, "s")
    sql = (
        f"SELECT {', '.join(table.select('s'))} "
        f"FROM {connection.ops.quote_name(ReviewState._meta.db_table)} s "
        f"WHERE s.user_id = %s AND s.card_id = %s"
    )
    return sql, table


def _current_state(*, user_id: int, card_id: int) -> ReviewState | None:
    """The learner's state of the card (None if new), as `filter().first()` reads it.

    The SQL is written once per process: compiling a queryset cost more than the database
    took to answer on every review, and even `raw()` spent ~0.1 ms of CPU mapping its
    columns (docs/performance.md).
    """
    sql, table = _current_state_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, card_id])
        row = cursor.fetchone()
    return None if row is None else table.instance(row)


def _record(log: ReviewLog, state: ReviewState, *, read_version: int) -> bool:
    """Insert `log` and save `state` together, only if the stored state is still the one
    read: the row `state.pk` of this learner and card at `read_version`, or no row at all
    for a new state (no pk). False, writing nothing, if it is not.

    On PostgreSQL one statement does both (the state's write in a WITH, the log inserted
    from its result), so it is atomic without a transaction of its own. SQLite cannot write
    in a WITH: there it is a transaction of two statements.
    """
    if connection.vendor == "postgresql":
        # Inside a caller's transaction, a failed statement would abort it: a savepoint
        # keeps the failure to this write (as atomic() did for the whole review).
        guard = transaction.atomic() if connection.in_atomic_block else nullcontext()
        with guard, connection.cursor() as cursor:
            cursor.execute(*_guarded_write_sql(log, state, read_version=read_version))
            row = cursor.fetchone()
        if row is None:
            return False
        log.pk = row[0]
        log._state.adding, log._state.db = False, connection.alias
        return True
    with transaction.atomic():
        if state.pk is None:
            _insert_row(state)
        elif not _update_state(state, read_version=read_version):
            return False
        _insert_row(log)
    return True


@lru_cache(maxsize=4)
def _write_sql(model: type, vendor: str) -> tuple[str, str, list]:
    """The INSERT's head (`INSERT INTO table (columns)`, values to follow) and the
    UPDATE-by-id of every concrete field of `model`, built once per process. `vendor` keys
    the cache: quoting depends on it."""
    quote = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    insert_into = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)})"
    )
    update = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    return insert_into, update, fields


def _placeholders(fields: list) -> str:
    return ", ".join(["%s"] * len(fields))


@lru_cache(maxsize=4)
def _guarded_write_templates(vendor: str) -> tuple[str, str]:
    """PostgreSQL's one-statement writes of a review, for a new state and a known one:
    the state's INSERT (skipped if a state appeared meanwhile) or its UPDATE (only at the
    version read), and the log inserted once per state row written: none if it was not."""
    state_into, _, state_fields = _write_sql(ReviewState, vendor)
    log_into, _, log_fields = _write_sql(ReviewLog, vendor)
    log_pk = connection.ops.quote_name(ReviewLog._meta.pk.column)
    log_insert = f"{log_into} SELECT {_placeholders(log_fields)} FROM written RETURNING {log_pk}"
    state_insert = f"{state_into} VALUES ({_placeholders(state_fields)})"
    return (
        f"WITH written AS ({state_insert} ON CONFLICT DO NOTHING RETURNING 1) {log_insert}",
        f"WITH written AS ({_state_update_sql(vendor)} RETURNING 1) {log_insert}",
    )


def _guarded_write_sql(
    log: ReviewLog, state: ReviewState, *, read_version: int
) -> tuple[str, list]:
    when_new, when_known = _guarded_write_templates(connection.vendor)
    log_params = _row_params(log, _write_sql(ReviewLog, connection.vendor)[2], adding=True)
    if state.pk is None:
        state_fields = _write_sql(ReviewState, connection.vendor)[2]
        return when_new, [*_row_params(state, state_fields, adding=True), *log_params]
    return when_known, [*_state_update_params(state, read_version), *log_params]


def _row_params(obj, fields: list, *, adding: bool) -> list:
    """Each field's value as `save()` sends it: its pre_save hook, then its own adapter."""
    return [f.get_db_prep_save(f.pre_save(obj, adding), connection) for f in fields]


def _insert_row(obj) -> None:
    """`obj.save()` of a new row, in one statement without compiling a query (the ORM's
    save path cost more CPU than the database's work, docs/performance.md). No signals are
    sent; none are connected to review states or logs."""
    insert_into, _, fields = _write_sql(type(obj), connection.vendor)
    insert = f"{insert_into} VALUES ({_placeholders(fields)})"
    if connection.features.can_return_columns_from_insert:
        insert += " " + connection.ops.return_insert_columns([obj._meta.pk])[0]
    with connection.cursor() as cursor:
        cursor.execute(insert, _row_params(obj, fields, adding=True))
        if connection.features.can_return_columns_from_insert:
            obj.pk = cursor.fetchone()[0]
        else:
            obj.pk = connection.ops.last_insert_id(cursor, obj._meta.db_table, obj._meta.pk.column)
    obj._state.adding, obj._state.db = False, connection.alias


@lru_cache(maxsize=4)
def _state_update_sql(vendor: str) -> str:
    """The state's `save()` as an UPDATE that finds its row only if it is still the one
    read: same id, learner, card and version. The learner and card are checked too because
    an answer form names the row (`ReviewState.to_form`)."""
    quote = connection.ops.quote_name
    guard = " AND ".join(f"{quote(column)} = %s" for column in ("user_id", "card_id", "version"))
    return f"{_write_sql(ReviewState, vendor)[1]} AND {guard}"


def _state_update_params(state: ReviewState, read_version: int) -> list:
    fields = _write_sql(ReviewState, connection.vendor)[2]
    params = _row_params(state, fields, adding=False)
    return [*params, state.pk, state.user_id, state.card_id, read_version]


def _update_state(state: ReviewState, *, read_version: int) -> bool:
    """Save `state` if its row is still as read (`_state_update_sql`); False if it is not
    (changed or deleted meanwhile)."""
    with connection.cursor() as cursor:
        sql = _state_update_sql(connection.vendor)
        cursor.execute(sql, _state_update_params(state, read_version))
        return cursor.rowcount == 1


def apply_outcome(state: ReviewState, result: Outcome, *, lapsed: bool) -> None:
    """Write an outcome into a state (unsaved): the one place that maps Outcome to columns."""
    state.state = result.state
    state.step = result.step
    state.stability = result.stability
    state.difficulty = result.difficulty
    state.due = result.due
    state.last_review = result.last_review
    state.reps += 1
    state.lapses += 1 if lapsed else 0


def undo_last(*, user, card_ids=None) -> ReviewLog | None:
    """Revert the learner's latest review (optionally among `card_ids`) exactly.

    The state is restored from the log's `before` snapshot (or removed if the card was
    new) and the log entry is deleted. Returns the undone log, or None if nothing to undo.
    """
    with transaction.atomic():
        logs = ReviewLog.objects.filter(user=user)
        if card_ids is not None:
            logs = logs.filter(card_id__in=card_ids)
        card_id = logs.order_by("-reviewed_at", "-pk").values_list("card_id", flat=True).first()
        if card_id is None:
            return None
        state = ReviewState.objects.select_for_update().filter(user=user, card_id=card_id).first()
        if state is None:
            return None  # a concurrent undo removed the card's only review meanwhile
        # Read the card's latest log only now: while we waited for the state lock, a review
        # of this card may have committed a newer log, and that is the one to revert.
        log = (
            ReviewLog.objects.select_for_update()
            .filter(user=user, card_id=card_id)
            .order_by("-reviewed_at", "-pk")
            .first()
        )
        if log is None:
            return None
        if log.before is None:
            state.delete()
        else:
            state.restore(log.before)
            state.version += 1
            state.save()
        log.delete()
        return log


def retrievability(
    *, stability: float | None, last_review: datetime | None, now: datetime, decay: float
) -> float:
    """FSRS-6 predicted recall probability; elapsed time in fractional days, clamped at 0.

    (py-fsrs rounds elapsed time down to whole days; a dashboard wants the smooth curve.)
    `recall_sql` is the same curve for the database to evaluate.
    """
    if stability is None or last_review is None or stability <= 0:
        return 0.0
    elapsed_days = max(0.0, (now - last_review).total_seconds() / 86400)
    return (1 + curve_factor(decay) * elapsed_days / stability) ** -decay


def curve_factor(decay: float) -> float:
    """The forgetting curve's factor: recall is 0.9 when elapsed time equals stability."""
    return 0.9 ** (1 / -decay) - 1


def recall_sql(*, stability: str, elapsed_days: str, decay: str, factor: str) -> str:
    """`retrievability` as an SQL expression, for a dashboard to aggregate thousands of cards
    in the database. `factor` is `curve_factor(decay)`; `elapsed_days` must be clamped at 0
    by the caller, and NULL means never reviewed (recall 0), as in `retrievability`.

    Each argument appears once: PostgreSQL inlines a subquery's column into every use, and
    evaluating the elapsed time was most of the cost. POWER is built into PostgreSQL and
    registered by Django on SQLite connections.
    """
    return (
        f"COALESCE(CASE WHEN {stability} > 0 "
        f"THEN POWER(1 + {factor} * {elapsed_days} / {stability}, -{decay}) END, 0)"
    )


def decay_for(profile: StudyProfile) -> float:
    return decay_of(profile.parameters)


def decay_of(parameters: list[float]) -> float:
    """The forgetting curve's decay in a profile's FSRS parameters (empty: the defaults)."""
    return (tuple(parameters) or DEFAULT_PARAMETERS)[20]


def replay(*, user_id: int, card_id: int, profile: StudyProfile, history) -> ReviewState:
    """The state `history` [(rating, reviewed_at), ...] leads to under `profile` (pure).

    Each step is the same `outcome` (with the same fuzz seed) that `review` used, so replaying
    under unchanged settings reproduces the stored state exactly.
    """
    state: ReviewState | None = None
    for reps, (rating, reviewed_at) in enumerate(history):
        result = outcome(
            profile=profile,
            state=state,
            rating=rating,
            now=reviewed_at,
            seed=fuzz_seed(user_id=user_id, card_id=card_id, reps=reps),
        )
        kind = ReviewKind.NEW if state is None else state.state
        if state is None:
            state = ReviewState(user_id=user_id, card_id=card_id)
        apply_outcome(state, result, lapsed=kind == ReviewKind.REVIEW and rating == Rating.AGAIN)
    if state is None:
        raise ValueError("Cannot replay an empty history.")
    return state


def reschedule_all(*, user, profile: StudyProfile) -> int:
    """Replay every reviewed card's log under the profile's current parameters and retention.

    Like Anki's "reschedule cards on change": explicit, one transaction, two reads and one
    bulk write whatever the history size. Versions are bumped, so an answer form opened
    before is stale. Returns how many cards were rescheduled.
    """
    with transaction.atomic():
        states = list(ReviewState.objects.select_for_update().filter(user=user))
        histories: dict[int, list[tuple[int, datetime]]] = {}
        logs = (
            ReviewLog.objects.filter(user=user)
            .order_by("card_id", "reviewed_at", "pk")
            .values_list("card_id", "rating", "reviewed_at")
        )
        for card_id, rating, reviewed_at in logs:
            histories.setdefault(card_id, []).append((rating, reviewed_at))
        changed = []
        for state in states:
            history = histories.get(state.card_id)
            if not history:
                continue  # no log to replay (should not happen): leave it as it is
            new = replay(user_id=user.pk, card_id=state.card_id, profile=profile, history=history)
            for name in (*ReviewState.SNAPSHOT_FIELDS, "lapses"):
                setattr(state, name, getattr(new, name))
            state.version += 1
            changed.append(state)
        ReviewState.objects.bulk_update(
            changed, [*ReviewState.SNAPSHOT_FIELDS, "lapses", "version"], batch_size=500
        )
        return len(changed)


def format_interval(interval: timedelta) -> str:
    """Anki-style short interval: <1m, 10m, 3h, 3d, 1.2mo, 2.1y."""
    seconds = interval.total_seconds()
    if seconds < 60:
        return "<1m"
    minutes = seconds / 60
    if minutes < 60:
        return f"{math.floor(minutes + 0.5):d}m"
    hours = minutes / 60
    if hours < 24:
        return f"{math.floor(hours + 0.5):d}h"
    days = hours / 24
    if days < 30:
        return f"{math.floor(days + 0.5):d}d"
    months = days / 30.4375
    if months < 12:
        return f"{months:.1f}mo".replace(".0mo", "mo")
    return f"{days / 365.25:.1f}y".replace(".0y", "y")


__all__ = [
    "DuplicateReview",
    "Outcome",
    "ReviewError",
    "State",
    "curve_factor",
    "decay_for",
    "decay_of",
    "format_interval",
    "outcome",
    "preview",
    "recall_sql",
    "replay",
    "reschedule_all",
    "retrievability",
    "review",
    "scheduler_for",
    "to_fsrs",
    "undo_last",
    "validate_parameters",
]
