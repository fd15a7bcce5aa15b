"""No lost or doubled reviews under real concurrency: threads, each with its own connection.

The PostgreSQL tests run in CI's PostgreSQL pass (select_for_update is a no-op on SQLite);
the SQLite scenario runs the same storm against a file database in a fresh interpreter,
because pytest's in-memory SQLite is a shared-cache database with different locking.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from study import scheduling
from study.models import Deck, ReviewLog, ReviewState

from .conftest import FIXTURE, ROOT, postgres_only

needs_postgres = postgres_only("row locks")


def on_postgres(test):
    return pytest.mark.postgres(needs_postgres(test))


THREADS = 16


def run_together(count: int, work) -> tuple[list, list[BaseException]]:
    """Run work(i) in `count` threads released at once; each closes its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def logged_in_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def token_for(client: Client, deck: Deck, card_id: int | None = None) -> str:
    url = reverse("study:study", args=[deck.slug])
    response = client.get(url, {"card": card_id} if card_id else {})
    return response.context["token"]


def assert_consistent(user) -> None:
    """One state per card, reps == logs, and the state is exactly the last log's `after`."""
    states = {state.card_id: state for state in ReviewState.objects.filter(user=user)}
    logs: dict[int, list[ReviewLog]] = {}
    for log in ReviewLog.objects.filter(user=user).order_by("reviewed_at", "pk"):
        logs.setdefault(log.card_id, []).append(log)
    assert set(states) == set(logs), "a state without logs, or logs without a state"
    for card_id, state in states.items():
        assert state.reps == len(logs[card_id]), f"card {card_id}: reps != number of logs"
        assert logs[card_id][-1].after == state.snapshot(), f"card {card_id}: state != last log"


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_submissions_of_the_same_review_record_it_once(content, learner):
    deck = Deck.objects.get(slug="all")
    clients = [logged_in_client(learner) for _ in range(THREADS)]
    token = token_for(clients[0], deck)
    url = reverse("study:review", args=[deck.slug])

    statuses, errors = run_together(
        THREADS, lambda i: clients[i].post(url, {"t": token, "rating": "3"}).status_code
    )

    assert errors == []
    assert set(statuses) <= {302, 409}, statuses
    assert ReviewLog.objects.filter(user=learner).count() == 1
    state = ReviewState.objects.get(user=learner)
    assert (state.reps, state.version) == (1, 1)
    assert_consistent(learner)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_of_different_cards_are_all_recorded(content, learner):
    deck = Deck.objects.get(slug="all")
    card_ids = list(deck.cards.active().order_by("order", "pk").values_list("pk", flat=True))
    card_ids = card_ids[:THREADS]
    clients = [logged_in_client(learner) for _ in card_ids]
    tokens = [token_for(client, deck, card) for client, card in zip(clients, card_ids, strict=True)]
    url = reverse("study:review", args=[deck.slug])

    statuses, errors = run_together(
        len(card_ids), lambda i: clients[i].post(url, {"t": tokens[i], "rating": "3"}).status_code
    )

    assert errors == []
    assert statuses == [302] * len(card_ids)
    assert set(ReviewLog.objects.filter(user=learner).values_list("card_id", flat=True)) == set(
        card_ids
    )
    assert_consistent(learner)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_undos_and_reviews_never_corrupt_state(content, learner):
    deck = Deck.objects.get(slug="all")
    card_ids = list(deck.cards.active().order_by("order", "pk").values_list("pk", flat=True))[:8]
    profile = learner.study_profile
    start = timezone.now() - timedelta(hours=1)
    for n, card_id in enumerate(card_ids):  # each card reviewed once, an hour ago
        scheduling.review(
            user=learner,
            profile=profile,
            card_id=card_id,
            rating=3,
            expected_version=0,
            token=f"seed-{n}",
            now=start + timedelta(seconds=n),
        )

    def work(i: int):
        if i % 2:
            return scheduling.undo_last(user=learner)
        card_id = card_ids[i // 2]
        state = ReviewState.objects.filter(user=learner, card_id=card_id).first()
        try:
            return scheduling.review(
                user=learner,
                profile=profile,
                card_id=card_id,
                rating=3,
                expected_version=state.version if state else 0,
                token=f"again-{i}",
                now=timezone.now(),
            )
        except scheduling.ReviewError as exc:
            assert exc.status == 409
            return exc

    _, errors = run_together(THREADS, work)

    assert errors == []
    assert_consistent(learner)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_an_undo_waiting_on_a_review_of_the_same_card_undoes_that_review(content, learner):
    """The interleaving that loses a review if undo picks its log before the state lock:
    the review has written but not committed yet (inside a caller's transaction, so the
    state row stays locked); undo picks the latest log and waits on the row; the review
    commits a newer log. Undo must revert the newer review, not the one it picked."""
    card_id = Deck.objects.get(slug="all").cards.active().order_by("order", "pk").first().pk
    profile = learner.study_profile
    first = scheduling.review(
        user=learner,
        profile=profile,
        card_id=card_id,
        rating=3,
        expected_version=0,
        token="first",
        now=timezone.now() - timedelta(hours=1),
    )
    holding = threading.Event()
    release = threading.Event()
    undone: list = []

    def reviewer():
        try:
            with transaction.atomic():
                scheduling.review(
                    user=learner,
                    profile=profile,
                    card_id=card_id,
                    rating=3,
                    expected_version=1,
                    token="second",
                    now=timezone.now(),
                )
                holding.set()  # written, row locked, not committed
                release.wait(10)
        finally:
            connections.close_all()

    def undoer():
        try:
            undone.append(scheduling.undo_last(user=learner))
        finally:
            connections.close_all()

    review_thread = threading.Thread(target=reviewer)
    review_thread.start()
    assert holding.wait(10)
    undo_thread = threading.Thread(target=undoer)
    undo_thread.start()
    _wait_for_a_lock_wait()
    release.set()
    review_thread.join(10)
    undo_thread.join(10)

    assert undone[0].token == "second"
    assert list(ReviewLog.objects.filter(user=learner).values_list("pk", flat=True)) == [first.pk]
    assert_consistent(learner)


def _wait_for_a_lock_wait() -> None:
    """Until another backend waits on a lock (the undo blocked on the state row)."""
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the undo never waited on the review's lock")


# --- SQLite ---------------------------------------------------------------------------

SQLITE_STORM = r"""
import json, sys, threading
import django
django.setup()
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse

setup_test_environment()
call_command("migrate", verbosity=0)
call_command("loaddata", sys.argv[1], verbosity=0)
from django.contrib.auth.models import User
from study.models import Deck, ReviewLog, ReviewState

user = User.objects.create_user("lena", password="correct-horse-battery-staple")
deck = Deck.objects.get(slug="all")
url = reverse("study:review", args=[deck.slug])
cards = list(deck.cards.filter(retired=False).order_by("order", "pk").values_list("pk", flat=True))

def client():
    c = Client()
    c.force_login(user)
    return c

def token(c, card=None):
    r = c.get(reverse("study:study", args=[deck.slug]), {"card": card} if card else {})
    return r.context["token"]

def storm(jobs):
    barrier = threading.Barrier(len(jobs))
    statuses, errors = [], []
    def run(c, t):
        try:
            barrier.wait()
            statuses.append(c.post(url, {"t": t, "rating": "3"}).status_code)
        except BaseException as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()
    threads = [threading.Thread(target=run, args=job) for job in jobs]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return statuses, errors

first = client()
same = token(first, cards[0])
s1, e1 = storm([(client(), same) for _ in range(16)])
logs_same = ReviewLog.objects.filter(card_id=cards[0]).count()
others = cards[1:9]
s2, e2 = storm([(c, token(c, card)) for c, card in ((client(), card) for card in others)])
print(json.dumps({
    "same_statuses": s1, "different_statuses": s2, "errors": e1 + e2,
    "logs_same": logs_same,
    "logs_total": ReviewLog.objects.count(),
    "states_total": ReviewState.objects.count(),
}))
"""


def test_sqlite_concurrent_reviews_never_answer_database_is_locked(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'storm.sqlite3'}",
        "TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "motorneuron.settings",
        "LOG_LEVEL": "ERROR",
    }
    run = subprocess.run(
        [sys.executable, "-c", SQLITE_STORM, str(FIXTURE)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["errors"] == []
    assert "database is locked" not in run.stderr
    assert set(result["same_statuses"]) <= {302, 409} and len(result["same_statuses"]) == 16
    assert result["different_statuses"] == [302] * 8
    assert result["logs_same"] == 1
    assert (result["logs_total"], result["states_total"]) == (9, 9)
