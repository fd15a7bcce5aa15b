"""Synthetic learners with realistic histories, for benchmarks and capacity planning.

Every learner is simulated day by day through the real scheduler maths
(`scheduling.outcome`, the same pure function `scheduling.review` stores), so every
review log replays to its review state exactly. Nothing goes through `review()` itself:
the rows are written with bulk inserts at the end (COPY on PostgreSQL), which is what
makes 1 000 learners x 60 days (~0.8 M logs) take a minute instead of an hour.

The simulation is pure, so chunks of learners are simulated in worker processes (`--jobs`,
the machine's cores by default), each rendering its rows as the writer needs them, while
this process writes the chunks already done, in learner order: the same rows and ids as a
serial run.

A simulated learner:
- studies on a given day with a personal probability (0.6-0.98);
- starts a session at a random evening hour and follows the queue's order: learning cards
  due now, then review cards due this study day (most overdue first, within reviews/day),
  then new cards in deck order (within new/day), then waits for learning steps due soon;
- recalls a card with probability = its predicted recall (retrievability) + a personal skill
  drawn around 0, so the class's retention lands around the desired retention.

The same --seed, --now and database ids give the same data (fuzz is seeded by user id, as in
the app).
"""

from __future__ import annotations

import heapq
import io
import json
import multiprocessing
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from study import scheduling
from study.models import (
    INSTRUCTORS,
    Assignment,
    Classroom,
    Deck,
    Enrollment,
    Rating,
    ReviewKind,
    ReviewLog,
    ReviewState,
    State,
    StudyProfile,
)

T, R = TypeVar("T"), TypeVar("R")
PASSWORD = "synthetic"  # every synthetic account shares it (benchmarks log in with it)
BATCH = 5_000
CHUNK = 25  # learners simulated, then written, at a time
FIRST_TRY_RECALL = 0.7  # a card never seen before: answered right this often
LEARNING_WAIT = timedelta(minutes=15)  # a learner waits this long for a learning step
MAX_SESSION_REVIEWS = 500  # a guard: a session always ends
IN_LEARNING = (State.LEARNING, State.RELEARNING)
STATE_FIELDS = tuple(f.attname for f in ReviewState._meta.concrete_fields if not f.primary_key)
LOG_FIELDS = (
    "user_id",
    "card_id",
    "rating",
    "reviewed_at",
    "duration_ms",
    "kind",
    "before",
    "after",
    "token",
)


@dataclass
class Learner:
    """One simulated learner's habits, drawn from the seeded generator."""

    index: int
    study_chance: float
    skill: float
    rng: random.Random
    user_id: int = 0
    states: dict[int, ReviewState] = field(default_factory=dict)
    logs: list[tuple] = field(default_factory=list)  # rows in LOG_FIELDS order


@dataclass(frozen=True)
class History:
    """A chunk's simulated rows, ready for `write_history`: COPY text on PostgreSQL (made in
    the worker, so that this process only sends it), otherwise the states and log rows."""

    state_count: int
    log_count: int
    states: str | list[ReviewState]
    logs: str | list[tuple]


class Command(BaseCommand):
    help = (
        "Create N synthetic learners (password 'synthetic') with D days of simulated study "
        "history through the real scheduler, optionally spread over C classrooms."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--learners", type=int, required=True)
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--classrooms", type=int, default=0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--deck", default="all", help="Deck the learners study (slug)")
        parser.add_argument("--prefix", default="synth", help="Username prefix")
        parser.add_argument(
            "--now", default="", help="End of the history (ISO datetime); default: now"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes simulating learners (default: one per core; 1: no workers)",
        )

    def handle(self, *args, **options) -> None:
        if options["learners"] < 1 or options["days"] < 1 or options["classrooms"] < 0:
            raise CommandError("--learners and --days must be at least 1, --classrooms >= 0.")
        if options["jobs"] < 1:
            raise CommandError("--jobs must be at least 1.")
        deck = Deck.objects.filter(slug=options["deck"]).first()
        if deck is None:
            raise CommandError(
                f"No deck “{options['deck']}”: load the content first "
                "(manage.py loaddata fixtures/motor_neurons.json)."
            )
        prefix = options["prefix"]
        User = get_user_model()
        if User.objects.filter(username__startswith=f"{prefix}-").exists():
            raise CommandError(
                f"Synthetic users “{prefix}-…” already exist: use another --prefix "
                "or a fresh database."
            )
        now = parse_datetime(options["now"]) if options["now"] else timezone.now()
        if now is None or timezone.is_naive(now):
            raise CommandError("--now must be an ISO datetime with a time zone.")
        started = time.perf_counter()
        with transaction.atomic():
            learners = self.create_learners(options["learners"], prefix, options["seed"])
            card_ids = list(
                deck.cards.active().order_by("order", "pk").values_list("pk", flat=True)
            )
            simulate_chunk = partial(
                simulated_history,
                card_ids=card_ids,
                profile=StudyProfile(),  # the defaults every synthetic learner has
                now=now,
                days=options["days"],
                copy_text=connection.vendor == "postgresql",
            )
            # Chunks, so memory stays flat whatever N is; small enough that every job has one.
            size = max(1, min(CHUNK, -(-len(learners) // options["jobs"])))
            chunks = [learners[i : i + size] for i in range(0, len(learners), size)]
            states = logs = 0
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for history in in_order(simulate_chunk, chunks, jobs=options["jobs"]):
                write_history(history)
                states, logs = states + history.state_count, logs + history.log_count
            if options["classrooms"]:
                self.create_classrooms(learners, options["classrooms"], prefix, now, options)
        self.stdout.write(
            f"{len(learners)} learners, {states} review states, {logs} review logs "
            f"in {time.perf_counter() - started:.1f}s."
        )

    def create_learners(self, count: int, prefix: str, seed: int) -> list[Learner]:
        """Users and profiles in bulk (no post_save signal fires, so profiles are made here)."""
        User = get_user_model()
        password = make_password(PASSWORD)  # hashing is slow on purpose: once, reused
        width = len(str(count))
        users = User.objects.bulk_create(
            [
                User(username=f"{prefix}-{i:0{width}d}", password=password)
                for i in range(1, count + 1)
            ],
            batch_size=BATCH,
        )
        if any(user.pk is None for user in users):  # backends that cannot return ids
            by_name = dict(
                User.objects.filter(username__startswith=f"{prefix}-").values_list("username", "pk")
            )
            for user in users:
                user.pk = by_name[user.username]
        StudyProfile.objects.bulk_create(
            [StudyProfile(user_id=user.pk) for user in users], batch_size=BATCH
        )
        learners = []
        for index, user in enumerate(users):
            rng = random.Random(f"{seed}:{index}")
            learners.append(
                Learner(
                    index=index,
                    study_chance=rng.uniform(0.6, 0.98),
                    skill=rng.gauss(0.0, 0.05),
                    rng=rng,
                    user_id=user.pk,
                )
            )
        return learners

    def create_classrooms(
        self, learners: list[Learner], count: int, prefix: str, now: datetime, options
    ) -> None:
        """C classrooms of one synthetic instructor; learners spread evenly; every deck assigned."""
        User = get_user_model()
        instructor = User.objects.create(
            username=f"{prefix}-instructor", password=make_password(PASSWORD)
        )
        instructor.groups.add(Group.objects.get_or_create(name=INSTRUCTORS)[0])
        width = len(str(count))
        classrooms = Classroom.objects.bulk_create(
            [
                Classroom(owner=instructor, name=f"Synthetic class {i:0{width}d}")
                for i in range(1, count + 1)
            ]
        )
        started = now - timedelta(days=options["days"])
        Classroom.objects.filter(owner=instructor).update(created_at=started)
        Enrollment.objects.bulk_create(
            [
                Enrollment(classroom=classrooms[learner.index % count], user_id=learner.user_id)
                for learner in learners
            ],
            batch_size=BATCH,
        )
        due_date = (now + timedelta(days=14)).date()
        decks = list(Deck.objects.filter(owner__isnull=True))
        Assignment.objects.bulk_create(
            [
                Assignment(classroom=classroom, deck=deck, due_date=due_date)
                for classroom in classrooms
                for deck in decks
            ]
        )
        Assignment.objects.filter(classroom__owner=instructor).update(created_at=started)


# --- the simulation (pure: no database) ------------------------------------------------


def in_order(work: Callable[[T], R], items: Sequence[T], *, jobs: int) -> Iterator[R]:
    """`map(work, items)`, computed by `jobs` forked processes when there is more than one.

    At most `jobs` + 1 results wait at a time, so a slow writer does not let the workers
    fill memory. Forked, the workers inherit the settings and the database connection;
    `work` must not use the connection (it is this process's).
    """
    if jobs <= 1 or len(items) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(work, items)
        return
    with multiprocessing.get_context("fork").Pool(min(jobs, len(items))) as pool:
        pending = deque()
        for item in items:
            pending.append(pool.apply_async(work, (item,)))
            if len(pending) > jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def simulated_history(
    learners: list[Learner],
    *,
    card_ids: list[int],
    profile: StudyProfile,
    now: datetime,
    days: int,
    copy_text: bool,
) -> History:
    """Simulate `learners` and return their rows, as COPY text if `copy_text`."""
    for learner in learners:
        simulate(learner, card_ids=card_ids, profile=profile, now=now, days=days)
    states = [state for learner in learners for state in learner.states.values()]
    logs = [log for learner in learners for log in learner.logs]
    for learner in learners:  # the rows are returned once: let the learners' copies go
        learner.states, learner.logs = {}, []
    if not copy_text:
        return History(len(states), len(logs), states, logs)
    return History(
        len(states),
        len(logs),
        _copy_text([getattr(s, name) for name in STATE_FIELDS] for s in states),
        _copy_text(logs),
    )


def simulate(
    learner: Learner, *, card_ids: list[int], profile: StudyProfile, now: datetime, days: int
) -> None:
    """Play `days` study days before `now` (today itself is left to study)."""
    decay = scheduling.decay_for(profile)
    new_cards = list(card_ids)
    new_cards.reverse()  # pop() from the end = deck order
    rng = learner.rng
    today = profile.study_day(now).start
    for days_ago in range(days, 0, -1):
        day_start = today - timedelta(days=days_ago)
        if rng.random() > learner.study_chance:
            continue
        t = day_start + timedelta(hours=rng.uniform(10, 18), seconds=rng.uniform(0, 3600))
        day_end = day_start + timedelta(days=1)
        _session(learner, t=t, day_end=day_end, new_cards=new_cards, profile=profile, decay=decay)


def _session(
    learner: Learner,
    *,
    t: datetime,
    day_end: datetime,
    new_cards: list[int],
    profile: StudyProfile,
    decay: float,
) -> None:
    states = learner.states
    learning = [(s.due, s.card_id) for s in states.values() if s.state in IN_LEARNING]
    heapq.heapify(learning)
    reviews = sorted(
        (s.due, s.card_id) for s in states.values() if s.state == State.REVIEW and s.due < day_end
    )[: profile.reviews_per_day]
    reviews.reverse()
    new_left = min(profile.new_per_day, len(new_cards))
    for _ in range(MAX_SESSION_REVIEWS):
        if learning and learning[0][0] <= t:
            card_id = heapq.heappop(learning)[1]
        elif reviews:
            card_id = reviews.pop()[1]
        elif new_left:
            card_id = new_cards.pop()
            new_left -= 1
        elif learning and learning[0][0] <= t + LEARNING_WAIT:
            t = learning[0][0]  # wait for the next learning step
            continue
        else:
            return
        state = _review(learner, card_id=card_id, now=t, profile=profile, decay=decay)
        if state.state in IN_LEARNING:
            heapq.heappush(learning, (state.due, card_id))
        t += timedelta(seconds=learner.rng.uniform(6, 40))


def _rating(learner: Learner, state: ReviewState | None, now: datetime, decay: float) -> int:
    if state is None:
        recall = FIRST_TRY_RECALL
    else:
        recall = scheduling.retrievability(
            stability=state.stability, last_review=state.last_review, now=now, decay=decay
        )
    rng = learner.rng
    if rng.random() > recall + learner.skill:
        return Rating.AGAIN
    return rng.choices((Rating.HARD, Rating.GOOD, Rating.EASY), weights=(15, 75, 10))[0]


def _review(
    learner: Learner, *, card_id: int, now: datetime, profile: StudyProfile, decay: float
) -> ReviewState:
    """One answer: the same outcome `scheduling.review` would store, kept in memory."""
    state = learner.states.get(card_id)
    rating = _rating(learner, state, now, decay)
    reps = state.reps if state else 0
    result = scheduling.outcome(
        profile=profile,
        state=state,
        rating=rating,
        now=now,
        seed=scheduling.fuzz_seed(user_id=learner.user_id, card_id=card_id, reps=reps),
    )
    before = state.snapshot() if state else None
    kind = ReviewKind.NEW if state is None else state.state
    if state is None:
        state = ReviewState(user_id=learner.user_id, card_id=card_id, reps=0, lapses=0, version=0)
        learner.states[card_id] = state
    scheduling.apply_outcome(
        state, result, lapsed=kind == ReviewKind.REVIEW and rating == Rating.AGAIN
    )
    state.version += 1
    # A plain tuple in LOG_FIELDS order: a model instance per log would double the run time.
    learner.logs.append(
        (
            learner.user_id,
            card_id,
            rating,
            now,
            learner.rng.randint(2_000, 20_000),
            kind,
            before,
            state.snapshot(),
            f"synthetic-{reps}-{card_id}",
        )
    )
    return state


# --- writing --------------------------------------------------------------------------


def write_history(history: History) -> None:
    """Insert a chunk's states and logs; COPY on PostgreSQL, bulk_create elsewhere."""
    if isinstance(history.states, str):
        _copy(ReviewState, STATE_FIELDS, history.states)
        _copy(ReviewLog, LOG_FIELDS, history.logs)
    else:
        ReviewState.objects.bulk_create(history.states, batch_size=BATCH)
        ReviewLog.objects.bulk_create(
            (ReviewLog(**dict(zip(LOG_FIELDS, row, strict=True))) for row in history.logs),
            batch_size=BATCH,
        )


def _copy(model, fields: Sequence[str], text: str) -> None:
    """PostgreSQL COPY of `text` (`_copy_text`), whose columns follow `fields` (attribute
    names)."""
    columns = ", ".join(
        connection.ops.quote_name(model._meta.get_field(name.removesuffix("_id")).column)
        for name in fields
    )
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        copy.write(text)


def _copy_text(rows: Iterable[Sequence]) -> str:
    """Rows in COPY's text format, one line each."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_text, row)))
        buffer.write("\n")
    return buffer.getvalue()


def _text(value) -> str:
    """A value in COPY's text format (no tabs, newlines or backslashes can occur in ours)."""
    if value is None:
        return r"\N"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)
