"""Fixtures for the Playwright tests: Debian's Chromium against pytest-django's live server.

`playwright install` cannot download browsers on these machines, so we launch the system
Chromium. Outside CI a machine without it skips these tests with a clear message; in CI
(env CI set) a missing Chromium is a failure, never a silent skip.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from study.models import Card, ReviewLog, ReviewState

from .helpers import DESKTOP, MOBILE

# Sync Playwright runs an event loop in this thread; Django would then refuse ORM calls
# made by the test itself (set-up data, assertions) as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
CSP_MARKERS = ("Content Security Policy", "Refused to")

# Short waits: everything is local, so anything slower than this is a bug worth seeing.
expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests but {CHROMIUM} is missing.")
        pytest.skip("Chromium not installed: apt-get install -y chromium")
    with sync_playwright() as driver:
        yield driver
        # While Playwright's event loop runs in this thread, Django keeps its connections
        # per async context instead of per thread, so every ORM call made meanwhile (by
        # these tests and by any test after them) went through connections of its own.
        # Close them before the loop stops: after it, nothing can reach them, and an open
        # one stops PostgreSQL from dropping the test database.
        connections.close_all()


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """PBKDF2 costs ~0.4 s a hash; load_demo hashes 8 passwords, and every test logs in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo_users(db, request: pytest.FixtureRequest) -> None:
    """The demo accounts (learner, instructor, admin), then the content fixture.

    In this order on purpose: with the content present, load_demo also plays weeks of
    simulated reviews for `learner` (seconds per test, and a learner whose queue depends on
    that simulation). These tests need the accounts and a learner with a clean slate.
    """
    call_command("load_demo", verbosity=0)
    request.getfixturevalue("content")


# The simulated demo history, recorded once per session: (username, card key, row) lists.
_history: dict[str, list[tuple[str, str, dict]]] = {}


@pytest.fixture
def demo_history(db, request: pytest.FixtureRequest) -> None:
    """The demo accounts with weeks of simulated reviews, and the demo classroom.

    The reverse of `demo_users`: with the content present, load_demo also builds "Neuro 101
    (demo)" and plays ~1 500 reviews through the real scheduler for `learner` and four
    classmates. That takes seconds, so the first test records the result and later tests
    insert the same rows in bulk (cards matched by their stable key: their ids differ from
    test to test on PostgreSQL). Then load_demo runs again and, finding history, only builds
    the classroom. Use it with `open_page`, not with `page` (which asks for `demo_users`).
    """
    if not _history:
        request.getfixturevalue("content")
        call_command("load_demo", verbosity=0)
        _history.update({model.__name__: _record(model) for model in (ReviewState, ReviewLog)})
        return
    request.getfixturevalue("demo_users")  # accounts first, then the content
    users = dict(User.objects.values_list("username", "pk"))
    cards = dict(Card.objects.values_list("key", "pk"))
    for model in (ReviewState, ReviewLog):
        model.objects.bulk_create(
            model(**row, user_id=users[username], card_id=cards[key])
            for username, key, row in _history[model.__name__]
        )
    call_command("load_demo", verbosity=0)


def _record(model) -> list[tuple[str, str, dict]]:
    rows = model.objects.values("user__username", "card__key", *_own_fields(model))
    return [(row.pop("user__username"), row.pop("card__key"), row) for row in rows]


def _own_fields(model) -> list[str]:
    skip = {"id", "user", "card"}
    return [f.attname for f in model._meta.concrete_fields if f.name not in skip]


@pytest.fixture
def problems() -> list[str]:
    """Console errors, CSP violations, uncaught page errors and 5xx responses, as text."""
    return []


def _watch(context: BrowserContext, problems: list[str]) -> None:
    def on_console(message) -> None:
        text = message.text
        if any(marker in text for marker in CSP_MARKERS):
            problems.append(f"CSP violation: {text}")
        elif message.type == "error":
            problems.append(f"console error: {text} ({message.location.get('url', '')})")

    def on_response(response) -> None:
        if response.status >= 500:
            problems.append(f"HTTP {response.status} from {response.url}")

    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    context.on("response", on_response)


def _page(browser: Browser, problems: list[str], **options) -> Iterator[Page]:
    context = browser.new_context(**options)
    _watch(context, problems)
    yield context.new_page()
    context.close()


@pytest.fixture
def open_page(browser: Browser, live_server, problems: list[str]) -> Iterator[Callable[..., Page]]:
    """Open pages in fresh browser contexts (separate logins), all watched by `problems`.

    Keyword options go to `new_context`; the viewport defaults to the desktop size.
    """
    contexts: list[BrowserContext] = []

    def open_(**options) -> Page:
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        _watch(context, problems)
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server, demo_users, problems: list[str]) -> Iterator[Page]:
    """A desktop-sized page with JavaScript on."""
    yield from _page(browser, problems, viewport=DESKTOP)


@pytest.fixture
def page_without_js(
    browser: Browser, live_server, demo_users, problems: list[str]
) -> Iterator[Page]:
    yield from _page(browser, problems, viewport=DESKTOP, java_script_enabled=False)


@pytest.fixture
def mobile_page(browser: Browser, live_server, demo_users, problems: list[str]) -> Iterator[Page]:
    yield from _page(browser, problems, viewport=MOBILE, is_mobile=True, has_touch=True)
