"""The study loop in a real browser: keyboard with HTMX, buttons without JavaScript, mobile.

Each test also asserts that the browser reported no console error, CSP violation, page
error or 5xx response (collected by the `problems` fixture).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from study.models import Card, CardKind, ReviewLog, StudyProfile

from .helpers import log_in, screenshot

pytestmark = pytest.mark.browser

INTERVAL = re.compile(r"^(<1m|\d+(m|h|d)|\d+(\.\d)?(mo|y))$")


def progress(page: Page) -> tuple[int, int, int]:
    """The study page's progress line as (new, learning, review)."""
    text = page.locator(".progress").inner_text()
    found = re.search(r"(\d+) new\D+(\d+) learning\D+(\d+) review", text)
    assert found, f"no progress counts in {text!r}"
    return int(found[1]), int(found[2]), int(found[3])


def expect_progress(page: Page, new: int, learning: int, review: int) -> None:
    """Wait (briefly) for the progress line to read exactly these counts."""
    expect(page.locator(".progress")).to_contain_text(
        re.compile(rf"\b{new} new\W+{learning} learning\W+{review} review")
    )


def mark_document(page: Page) -> None:
    """Set a marker on window; it survives swaps but not a full page load."""
    page.evaluate("window.__studyMarker = 'still here'")


def document_survived(page: Page) -> bool:
    return page.evaluate("window.__studyMarker") == "still here"


def front(page: Page) -> str:
    return page.locator("#card-front").inner_text()


def rating_labels(page: Page) -> list[str]:
    return [label.strip() for label in page.locator(".ratings .label").all_inner_texts()]


# --- JavaScript on: keyboard only -------------------------------------------------


def test_space_reveals_answer_with_an_interval_on_each_rating(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/lesion-signs/")
    expect(page.get_by_role("button", name="Show answer")).to_be_visible()
    screenshot(page, "study-front.png")
    mark_document(page)

    page.keyboard.press("Space")

    expect(page.get_by_role("region", name="Answer")).to_be_visible()
    expect(page.locator(".ratings button")).to_have_count(4)
    assert rating_labels(page) == ["Again", "Hard", "Good", "Easy"]
    intervals = page.locator(".ratings .interval").all_inner_texts()
    assert all(INTERVAL.match(interval) for interval in intervals), intervals
    assert intervals[3].endswith("d"), "Easy on a new card should schedule days ahead"
    good = page.get_by_role("button", name=re.compile(r"^Good, next review in \S+$"))
    expect(good).to_be_visible()
    assert document_survived(page), "revealing the answer reloaded the page"
    screenshot(page, "study-answer.png")
    assert problems == []


def test_rating_key_shows_next_card_in_place_and_moves_counts(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/lesion-signs/")
    new, learning, review = progress(page)
    first = front(page)
    mark_document(page)

    page.keyboard.press("Space")
    expect(page.locator(".ratings button")).to_have_count(4)
    page.keyboard.press("3")

    expect(page.get_by_role("button", name="Show answer")).to_be_visible()
    expect_progress(page, new - 1, learning + 1, review)
    assert front(page) != first
    assert document_survived(page), "the rating caused a full page load"
    assert ReviewLog.objects.filter(user__username="learner", rating=3).count() == 1
    assert problems == []


def test_u_key_undoes_the_last_answer_and_restores_counts(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/lesion-signs/")
    new, learning, review = progress(page)
    mark_document(page)
    page.keyboard.press("Space")
    expect(page.locator(".ratings button")).to_have_count(4)
    page.keyboard.press("3")
    expect_progress(page, new - 1, learning + 1, review)
    second = front(page)

    page.keyboard.press("Space")
    expect(page.locator(".ratings button")).to_have_count(4)
    page.keyboard.press("1")
    expect_progress(page, new - 2, learning + 2, review)
    assert front(page) != second

    page.keyboard.press("u")

    expect(page.get_by_role("status").filter(has_text="Last answer undone.")).to_be_visible()
    expect(page.locator("#card-front")).to_have_text(second)
    expect_progress(page, new - 1, learning + 1, review)
    assert document_survived(page), "undo caused a full page load"
    assert ReviewLog.objects.filter(user__username="learner").count() == 1
    assert problems == []


def test_wrong_choice_on_identify_card_shows_explanation_and_only_again(
    page: Page, live_server, problems: list[str]
) -> None:
    card = Card.objects.filter(decks__slug="diseases", kind=CardKind.IDENTIFY).first()
    wrong = next(choice for choice in card.choices if choice != card.answer)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/diseases/?card={card.pk}")
    expect(page.locator("#card-front")).to_have_text(card.front)

    page.keyboard.press(str(card.choices.index(wrong) + 1))

    expect(page.locator(".verdict.wrong")).to_contain_text(f"the answer is {card.answer}")
    expect(page.get_by_role("region", name="Answer")).to_contain_text(card.explanation)
    expect(page.locator(".ratings button")).to_have_count(1)
    expect(page.locator(".ratings button")).to_contain_text("Continue (Again)")
    screenshot(page, "study-identify.png")
    assert problems == []


def test_right_choice_on_identify_card_offers_hard_good_easy(
    page: Page, live_server, problems: list[str]
) -> None:
    card = Card.objects.filter(decks__slug="diseases", kind=CardKind.IDENTIFY).last()
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/diseases/?card={card.pk}")
    expect(page.locator("#card-front")).to_have_text(card.front)

    page.keyboard.press(str(card.choices.index(card.answer) + 1))

    expect(page.locator(".verdict.right")).to_contain_text(f"Correct: {card.answer}")
    expect(page.get_by_role("region", name="Answer")).to_contain_text(card.explanation)
    expect(page.locator(".ratings button")).to_have_count(3)
    assert rating_labels(page) == ["Hard", "Good", "Easy"]
    assert problems == []


def test_done_screen_shows_when_the_next_card_is_due(
    page: Page, live_server, problems: list[str]
) -> None:
    StudyProfile.objects.filter(user__username="learner").update(new_per_day=1)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/anatomy/")
    expect_progress(page, 1, 0, 0)

    page.keyboard.press("Space")
    expect(page.locator(".ratings button")).to_have_count(4)
    page.keyboard.press("4")

    done = page.get_by_role("region", name="All done for now")
    expect(done).to_be_visible()
    expect(done).to_contain_text("Today you answered 1 card (1 new, 0 reviews).")
    # Easy on a new card schedules days ahead; fuzz can make it "1 week" rather than "N days".
    expect(done.locator("time[datetime]")).to_have_text(re.compile(r"^\d+\s(day|week)s?\b"))
    expect_progress(page, 0, 0, 0)
    screenshot(page, "study-done.png")
    assert problems == []


# --- JavaScript off: the same loop with plain forms ---------------------------------


def test_study_round_with_buttons_works_without_javascript(
    page_without_js: Page, live_server, problems: list[str]
) -> None:
    page = page_without_js
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/lesion-signs/")
    new, learning, review = progress(page)
    first = front(page)

    page.get_by_role("button", name="Show answer").click()
    expect(page).to_have_url(re.compile(r"/study/lesion-signs/answer/\?t="))
    page.get_by_role("button", name=re.compile(r"^Good,")).click()

    expect(page).to_have_url(f"{live_server.url}/study/lesion-signs/")
    expect_progress(page, new - 1, learning + 1, review)
    assert front(page) != first

    page.get_by_role("button", name="Undo last answer").click()

    expect(page).to_have_url(re.compile(r"/study/lesion-signs/\?card=\d+$"))
    expect(page.locator("#card-front")).to_have_text(first)
    expect_progress(page, new, learning, review)
    assert not ReviewLog.objects.filter(user__username="learner").exists()
    assert problems == []


# --- small screens and the other pages --------------------------------------------


def test_study_page_fits_a_390px_phone_without_horizontal_scroll(
    mobile_page: Page, live_server, problems: list[str]
) -> None:
    page = mobile_page
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/study/lesion-signs/")
    page.keyboard.press("Space")
    expect(page.locator(".ratings button")).to_have_count(4)

    for button in page.locator(".ratings button").all():
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "study-mobile.png")
    assert problems == []


def test_home_page_lists_every_deck_with_a_study_button(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)

    expect(page.locator(".deck-card")).to_have_count(4)
    expect(page.get_by_role("link", name="Study All UMN vs LMN")).to_be_visible()
    screenshot(page, "home.png")
    assert problems == []


def test_comparison_page_shows_the_umn_lmn_table(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.get_by_role("link", name="UMN | LMN table").click()

    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="UMN")).to_be_visible()
    expect(table.get_by_role("columnheader", name="LMN")).to_be_visible()
    expect(table.get_by_role("rowheader", name="Muscle tone")).to_be_visible()
    # The page opens with a long list of sources; the picture is of the table itself.
    table.evaluate("table => table.scrollIntoView()")
    screenshot(page, "comparison.png", full_page=False)
    assert problems == []


def test_comparison_table_fits_a_desktop_window_without_its_own_scrollbar(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/comparisons/umn-lmn/")

    scroller = page.locator(".table-scroll")
    expect(scroller).to_be_visible()
    width, room = scroller.evaluate("box => [box.scrollWidth, box.clientWidth]")
    assert width <= room, f"table is {width}px wide in a {room}px box: long URLs do not wrap"
    assert problems == []


def test_comparison_page_fits_a_390px_phone_without_horizontal_scroll(
    mobile_page: Page, live_server, problems: list[str]
) -> None:
    page = mobile_page
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/comparisons/umn-lmn/")

    expect(page.get_by_role("table")).to_be_visible()
    # The table may scroll inside its own box; the page itself must not.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []
