"""The Django side of `make bench`, run by bench.py as a subprocess against one database.

    bench_django.py sessions N            -> JSON {"learners": [...], "instructor": key, ...}
    bench_django.py scale-up LEARNERS     -> clone states onto extra accounts, add a heavy learner
    bench_django.py next-card             -> timings + EXPLAIN (ANALYZE) of queue.plan (next card)
    bench_django.py queries SESSIONS.json -> SQL queries per request of each benchmarked page
    bench_django.py optimizer             -> optimizer.optimize on the 10 000-review learner

Not a test module (pytest only collects test_*.py). Prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motorneuron.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import (  # noqa: E402
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,  # noqa: E402
)
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from study import optimizer, queue  # noqa: E402
from study.backends import ProfileModelBackend  # noqa: E402
from study.models import Classroom, Deck, ReviewState  # noqa: E402

PREFIX = "synth"
PAD_PREFIX = "pad"
HEAVY = "synth-heavy"
TOKEN = re.compile(r'name="t" value="([^"]+)"')
CHOICE = re.compile(r'name="choice" value="([^"]+)"')


def out(data) -> None:
    json.dump(data, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")


def mint_session(user) -> str:
    """A logged-in session as `login()` stores it, without paying a password hash per user."""
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "study.backends.ProfileModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def sessions(count: int) -> None:
    User = get_user_model()
    learners = User.objects.filter(username__regex=rf"^{PREFIX}-[0-9]+$").order_by("pk")[:count]
    instructor = User.objects.get(username=f"{PREFIX}-instructor")
    classrooms = list(
        Classroom.objects.filter(owner=instructor).order_by("pk").values_list("pk", flat=True)
    )
    out(
        {
            "learners": [mint_session(user) for user in learners],
            "instructor": mint_session(instructor),
            "classrooms": classrooms,
        }
    )


def scale_up(learners: int) -> None:
    """Bring the state table to ~1 M rows and give one learner 10 000 reviews.

    The extra accounts get copies of the simulated learners' states (no logs): the next-card
    query then runs against a table of the size of a 10 000-learner school. The heavy learner
    gets 11 simulated learners' logs, each history shifted 60 days further into the past, so
    every card has one long history (what the optimizer reads), ~10 400 reviews in all.
    """
    User = get_user_model()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO auth_user (username, password, is_superuser, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            SELECT %s || '-' || g, '!', false, '', '', '', false, true, now()
            FROM generate_series(1, %s) AS g
            """,
            [PAD_PREFIX, learners],
        )
        cursor.execute(
            """
            INSERT INTO study_studyprofile (user_id, time_zone, day_start_hour, new_per_day,
                reviews_per_day, desired_retention, parameters, learning_steps,
                relearning_steps, maximum_interval)
            SELECT id, 'UTC', 4, 20, 200, 0.9, '[]', '[1, 10]', '[10]', 36500
            FROM auth_user WHERE username LIKE %s
            """,
            [f"{PAD_PREFIX}-%"],
        )
        # Pad user k copies simulated learner (k mod n): realistic due dates and states.
        cursor.execute(
            """
            WITH src AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM auth_user
                WHERE username ~ %s),
            pad AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM auth_user
                WHERE username LIKE %s),
            n AS (SELECT count(*) AS n FROM src)
            INSERT INTO study_reviewstate (user_id, card_id, state, step, stability, difficulty,
                                           due, last_review, reps, lapses, version)
            SELECT pad.id, s.card_id, s.state, s.step, s.stability, s.difficulty, s.due,
                   s.last_review, s.reps, s.lapses, s.version
            FROM pad CROSS JOIN n JOIN src ON src.i = pad.i %% n.n
            JOIN study_reviewstate s ON s.user_id = src.id
            """,
            [rf"^{PREFIX}-[0-9]+$", f"{PAD_PREFIX}-%"],
        )
        heavy = User.objects.create(username=HEAVY, password="!")
        cursor.execute(
            """
            WITH src AS (
                SELECT id, row_number() OVER (ORDER BY id) - 1 AS i FROM auth_user
                WHERE username ~ %s ORDER BY id LIMIT 11)
            INSERT INTO study_reviewlog (user_id, card_id, rating, reviewed_at, duration_ms,
                                         kind, before, after, token)
            SELECT %s, l.card_id, l.rating, l.reviewed_at - (src.i * interval '60 days'),
                   l.duration_ms, l.kind, l.before, l.after, src.i || '-' || l.token
            FROM src JOIN study_reviewlog l ON l.user_id = src.id
            """,
            [rf"^{PREFIX}-[0-9]+$", heavy.pk],
        )
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM study_reviewstate")
        states = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM study_reviewlog WHERE user_id = %s", [heavy.pk])
        heavy_logs = cursor.fetchone()[0]
    out({"states": states, "heavy_logs": heavy_logs})


def next_card() -> None:
    """Time queue.plan, the next-card selection, for simulated learners; EXPLAIN its queries."""
    User = get_user_model()
    deck = Deck.objects.get(slug="all")
    # Loaded as a request loads them (profile and content stamp ride along with the user).
    backend = ProfileModelBackend()
    pks = User.objects.filter(username__regex=rf"^{PREFIX}-[0-9]+$").order_by("pk")[:10]
    users = [backend.get_user(pk) for pk in pks.values_list("pk", flat=True)]
    now = timezone.now()
    for user in users:  # fill the content catalog, as a worker's first request does
        queue.plan(user=user, profile=user.study_profile, deck=deck, now=now)
    timings = []
    for _ in range(30):
        for user in users:
            started = time.perf_counter()
            queue.plan(user=user, profile=user.study_profile, deck=deck, now=now)
            timings.append((time.perf_counter() - started) * 1000)
    user = users[0]
    with CaptureQueriesContext(connection) as captured:
        queue.plan(user=user, profile=user.study_profile, deck=deck, now=now)
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plans.append(
                {"sql": query["sql"], "plan": "\n".join(row[0] for row in cursor.fetchall())}
            )
    timings.sort()
    out(
        {
            "states": ReviewState.objects.count(),
            "samples": len(timings),
            "median_ms": statistics.median(timings),
            "p95_ms": timings[int(len(timings) * 0.95)],
            "queries": len(captured.captured_queries),
            "plans": plans,
        }
    )


def _count(client: Client, method: str, url: str, **kwargs) -> tuple[int, int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, **kwargs)
    return len(captured.captured_queries), response.status_code, response.content.decode()


def queries(path: str) -> None:
    """SQL queries per request, counted in-process on the same database and settings."""
    data = json.loads(Path(path).read_text())
    results = {}
    learner = Client()
    for key in reversed(data["learners"]):  # a learner with a card left to study today
        learner.cookies[settings.SESSION_COOKIE_NAME] = key
        # Warm up: first-request work (connection, content catalog) is not per-request work.
        learner.get("/study/all/")
        count, status, body = _count(learner, "get", "/study/all/")
        if token := TOKEN.search(body):
            break
    results["healthz"] = _count(learner, "get", "/healthz")[:2]
    results["study"] = (count, status)
    if token:
        params = {"t": token.group(1)}
        if choice := CHOICE.search(body):
            params["choice"] = choice.group(1)
        _, _, body = _count(learner, "get", "/study/all/answer/", data=params)
        token = TOKEN.search(body)
        results["review"] = _count(
            learner,
            "post",
            "/study/all/review/",
            data={"t": token.group(1), "rating": "3"},
            headers={"HX-Request": "true"},
        )[:2]
    instructor = Client()
    instructor.cookies[settings.SESSION_COOKIE_NAME] = data["instructor"]
    if data["classrooms"]:
        url = f"/classrooms/{data['classrooms'][0]}/"
        instructor.get(url)
        results["dashboard"] = _count(instructor, "get", url)[:2]
    out(results)


def run_optimizer() -> None:
    User = get_user_model()
    user = User.objects.select_related("study_profile").get(username=HEAVY)
    reviews = user.review_logs.count()
    # From the default parameters, and rolled back: a run that saved its fit would leave
    # the next run comparing against it ("not better") instead of measuring the same work.
    user.study_profile.parameters = []
    with transaction.atomic():
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            result = optimizer.optimize(user=user, profile=user.study_profile)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    out(
        {
            "reviews": reviews,
            "items": result.items,
            "status": result.status,
            "seconds": seconds,
            "queries": len(captured.captured_queries),
        }
    )


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {
        "sessions": lambda: sessions(int(args[0])),
        "scale-up": lambda: scale_up(int(args[0])),
        "next-card": next_card,
        "queries": lambda: queries(args[0]),
        "optimizer": run_optimizer,
    }[command]()
