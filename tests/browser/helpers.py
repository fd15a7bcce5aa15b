"""Small helpers shared by the browser tests: logging in and saving screenshots."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

# `make screenshots` saves them into docs/screenshots for the README; any other run (`make
# test`, CI) takes them just the same but into a temporary folder, so it leaves the checkout
# as it found it.
SCREENSHOTS = Path(
    os.environ.get("SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "mnt-screenshots"
)
DEMO_PASSWORD = "motorneuron"
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}
# new_context options for a phone.
PHONE = {"viewport": MOBILE, "is_mobile": True, "has_touch": True}


def log_in(page: Page, base_url: str, username: str = "learner") -> None:
    """Log in through the real login form, as a person would."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your decks")).to_be_visible()


def screenshot(page: Page, name: str, *, full_page: bool = True, height: int | None = None) -> None:
    """Save a screenshot; `height` cuts a long full page after that many pixels."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clip = None
    if height is not None:
        clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page, clip=clip)


def top_of(element: Locator) -> int:
    """The element's distance from the top of the document, in CSS pixels."""
    return round(element.evaluate("e => e.getBoundingClientRect().top + window.scrollY"))


def page_width(page: Page) -> int:
    """The document's scroll width: more than the viewport means the page scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth")


def besides_rejected_post(problems: list[str], path: str, status: int = 400) -> list[str]:
    """`problems` without the one console line Chromium logs for an expected 4xx page.

    A form post answered with 400 (the form with its errors) is logged by Chromium as
    "Failed to load resource"; that line is the point of the test, anything else is not.
    """
    expected = f"Failed to load resource: the server responded with a status of {status}"
    return [p for p in problems if not (expected in p and p.rstrip(")").endswith(path))]


# The words of an element's text that the layout split over two lines (a word broken
# mid-word gives two client rects); hyphens and slashes are fair places to break.
_BROKEN_WORDS = """elements => elements.flatMap(element => {
    const broken = [];
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.data.matchAll(/[^\\s\\-\\/]+/g)) {
            const range = document.createRange();
            range.setStart(node, match.index);
            range.setEnd(node, match.index + match[0].length);
            if (range.getClientRects().length > 1) broken.push(match[0]);
        }
    }
    return broken;
})"""


def words_broken_across_lines(elements: Locator) -> list[str]:
    """Words of these elements' visible text that are split mid-word over two lines."""
    return elements.evaluate_all(_BROKEN_WORDS)
