"""Classrooms in a real browser: an instructor and a learner, each in their own context.

Each test also asserts that the browser reported no console error, CSP violation, page
error or 5xx response (collected by the `problems` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from study.models import ReviewLog

from .helpers import PHONE, besides_rejected_post, log_in, page_width, screenshot

pytestmark = pytest.mark.browser

DEMO_CLASSROOM = "Neuro 101 (demo)"
STATUSES = {"Not started", "Behind", "On track", "Done"}
# A cell's figures, e.g. "3/16 started · 3 reviews (7 d) · recall 97 %".
FIGURES = re.compile(r"^(\d+)/(\d+) started · (\d+) reviews? \(7 d\) · recall (—|\d+ %)$")


def learner_row(page: Page, username: str) -> Locator:
    return page.locator("table.dashboard tbody tr").filter(
        has=page.get_by_role("rowheader", name=username, exact=True)
    )


def row_names(page: Page) -> list[str]:
    return page.locator("table.dashboard tbody th[scope=row]").all_inner_texts()


def status_text(row: Locator) -> str:
    """The status word(s) of a row's first cell, without the screen-reader suffix."""
    return row.locator(".status").first.evaluate("link => link.firstChild.textContent").strip()


def study_cards(page: Page, count: int) -> None:
    """Answer `count` cards Good with the keyboard (Space shows the answer, 3 is Good)."""
    for _ in range(count):
        expect(page.get_by_role("button", name="Show answer")).to_be_visible()
        page.keyboard.press("Space")
        expect(page.locator(".ratings button")).to_have_count(4)
        page.keyboard.press("3")
    expect(page.get_by_role("button", name="Show answer")).to_be_visible()


def open_demo_dashboard(page: Page, base_url: str) -> None:
    log_in(page, base_url, "instructor")
    page.get_by_role("link", name="Classrooms").click()
    page.get_by_role("link", name=DEMO_CLASSROOM).click()
    expect(page.get_by_role("heading", name=DEMO_CLASSROOM, level=1)).to_be_visible()


# --- the whole round: create, assign, join, study, see progress ----------------------


def test_learner_joining_with_code_and_studying_shows_on_instructor_dashboard(
    page: Page, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    # The instructor creates a classroom and assigns a deck through the real forms.
    teacher = page
    log_in(teacher, live_server.url, "instructor")
    teacher.get_by_role("link", name="Classrooms").click()
    teacher.get_by_role("link", name="New classroom").click()
    teacher.get_by_label("Name").fill("Neuro 201")
    teacher.get_by_role("button", name="Create classroom").click()
    expect(teacher.get_by_role("heading", name="Neuro 201", level=1)).to_be_visible()
    expect(teacher.get_by_role("status")).to_contain_text("Classroom “Neuro 201” created.")
    expect(teacher.get_by_text("No learners yet. Share the join code.")).to_be_visible()
    code = teacher.locator(".join-code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{8,}", code), code

    due = timezone.localdate() + timedelta(days=14)
    teacher.get_by_role("link", name="Assign a deck").click()
    teacher.get_by_label("Deck").select_option(label="Lesion signs")
    teacher.get_by_label("Due date").fill(due.isoformat())
    teacher.get_by_role("button", name="Assign deck").click()
    expect(teacher.get_by_role("status")).to_contain_text("Assignment added.")
    assignments = teacher.get_by_role("region", name="Assignments")
    expect(assignments).to_contain_text(f"Lesion signs due {due:%a} {due.day} {due:%b %Y}")

    # A learner with no history joins with the code in their own browser context.
    student = open_page()
    log_in(student, live_server.url, "eli")
    student.get_by_role("link", name="Classrooms").click()
    student.get_by_label("Join code").fill(code)
    screenshot(student, "classroom-join.png")
    student.get_by_role("button", name="Join", exact=True).click()

    expect(student.get_by_role("status")).to_contain_text("You joined “Neuro 201”.")
    assigned = student.get_by_role("region", name="Assigned to you")
    expect(assigned).to_contain_text("Neuro 201")
    expect(assigned.locator(".status")).to_have_text("Not started")

    assigned.get_by_role("link", name="Study Lesion signs").click()
    study_cards(student, 3)
    assert ReviewLog.objects.filter(user__username="eli").count() == 3

    student.get_by_role("link", name="Decks", exact=True).click()
    expect(assigned.locator(".counts")).to_contain_text(re.compile(r"Started\s*3/\d+"))
    expect(assigned.locator(".status")).to_have_text("On track")
    screenshot(student, "home-assigned.png")

    # The instructor's dashboard now shows that learner's progress.
    teacher.reload()
    row = learner_row(teacher, "eli")
    expect(row).to_have_count(1)
    figures = FIGURES.match(row.locator(".figures").inner_text())
    assert figures, row.locator(".figures").inner_text()
    started, total, reviews, _recall = figures.groups()
    assert int(started) == 3 and int(total) > 3
    assert int(reviews) == 3
    assert status_text(row) == "On track"
    expect(row.locator("time[datetime]")).to_be_visible()
    expect(row.locator(".flag")).to_have_count(0)
    assert problems == []


def test_wrong_join_code_shows_a_message_and_joins_nothing(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url, "eli")
    page.get_by_role("link", name="Classrooms").click()
    page.get_by_label("Join code").fill("ZZZZ-ZZZZ")
    page.get_by_role("button", name="Join", exact=True).click()

    expect(page.get_by_text("No open classroom has that join code.")).to_be_visible()
    expect(page.get_by_role("region", name="Classrooms you belong to")).to_contain_text(
        "You are not in any classroom yet."
    )
    assert besides_rejected_post(problems, "/classrooms/join/") == []


# --- the demo classroom: six learners with simulated history ------------------------


def test_demo_dashboard_shows_every_learner_with_a_status_and_weak_spots(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page()
    open_demo_dashboard(page, live_server.url)

    assert row_names(page) == ["amira", "ben", "chen", "dana", "eli", "learner"]
    for name in row_names(page):
        assert status_text(learner_row(page, name)) in STATUSES
    assert status_text(learner_row(page, "eli")) == "Not started"
    expect(learner_row(page, "eli")).to_contain_text("never")
    # chen stopped studying two weeks ago: flagged, with no recent reviews.
    chen = learner_row(page, "chen")
    expect(chen.locator(".flag")).to_have_text("No review in 3+ days")
    assert FIGURES.match(chen.locator(".figures").inner_text())[3] == "0"
    amira = FIGURES.match(learner_row(page, "amira").locator(".figures").inner_text())
    assert int(amira[1]) > 0 and int(amira[3]) > 0
    expect(page.locator("ol.weak-spots li")).to_have_count(3)
    screenshot(page, "classroom-dashboard.png")
    assert problems == []


def test_sorting_the_dashboard_swaps_the_table_in_place(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page()
    open_demo_dashboard(page, live_server.url)
    page.evaluate("window.__marker = 'still here'")

    page.get_by_role("link", name="Last review").click()

    expect(page.get_by_role("columnheader", name="Last review")).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(page).to_have_url(re.compile(r"\?sort=last$"))
    # Least recently active first: eli never studied, chen stopped two weeks ago.
    assert row_names(page)[:2] == ["eli", "chen"]
    assert page.evaluate("window.__marker") == "still here", "sorting reloaded the page"
    assert problems == []


def test_demo_dashboard_fits_a_390px_phone_without_horizontal_scroll(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page(**PHONE)
    open_demo_dashboard(page, live_server.url)

    expect(page.locator("table.dashboard")).to_be_visible()
    # The table may scroll inside its own box; the page itself must not.
    assert page_width(page) <= PHONE["viewport"]["width"]
    assert problems == []
