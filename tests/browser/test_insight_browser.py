"""Statistics, memory map and settings in a real browser.

`demo_history` gives the demo `learner` three weeks of simulated reviews; the plain `page`
fixture gives a learner with none. Each test also asserts that the browser reported no
console error, CSP violation, page error or 5xx response (the `problems` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from study.models import Attribute, Card, Deck, ReviewLog, ReviewState, StudyProfile

from .helpers import (
    PHONE,
    besides_rejected_post,
    log_in,
    page_width,
    screenshot,
    top_of,
    words_broken_across_lines,
)

pytestmark = pytest.mark.browser

STUDY_ROW = "Bulbar syndrome"  # a row the demo learner has not studied yet: 3 new cards


def open_stats(page: Page, base_url: str) -> None:
    log_in(page, base_url)
    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Your statistics", level=1)).to_be_visible()


def numbers(texts: list[str]) -> list[int]:
    return [int(text.strip()) for text in texts]


# --- a learner with three weeks of history ------------------------------------------


def test_stats_page_shows_heatmap_forecast_retention_and_memory_map(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page()
    open_stats(page, live_server.url)
    reviews = ReviewLog.objects.filter(user__username="learner").count()
    assert reviews > 0

    heatmap = page.get_by_role("region", name="Reviews over the last year")
    expect(heatmap).to_contain_text(f"{reviews} reviews on ")
    days = heatmap.locator("svg.heatmap rect")
    assert days.count() >= 365
    assert heatmap.locator("svg.heatmap rect:not(.h0)").count() > 0, "no studied day coloured"

    forecast = page.get_by_role("region", name="Forecast")
    expect(forecast.locator("svg.bars rect.bar")).to_have_count(30)
    assert sum(numbers(forecast.locator("tbody td").all_text_contents())) > 0

    retention = page.get_by_role("table", name="True retention by period")
    for period in ("Today", "Yesterday", "Last 7 days", "Last 30 days", "Last year"):
        expect(retention.get_by_role("rowheader", name=period, exact=True)).to_have_count(1)
    last_year = retention.get_by_role("row").filter(has_text="Last year")
    expect(last_year).to_contain_text(re.compile(r"\d+\.\d%"))

    memory_map = page.locator("table.memory-map")
    expect(memory_map.get_by_role("rowheader", name="Muscle tone")).to_be_visible()
    expect(memory_map.locator("caption")).to_contain_text(re.compile(r": [1-9]\d* cards studied"))
    expect(memory_map.locator(".recall").filter(has_text=re.compile(r"^\d+%"))).not_to_have_count(0)
    # The memory map is thousands of pixels long: stats.png stops after its first rows, and
    # memory-map.png is a window onto the rows the demo learner has studied.
    screenshot(page, "stats.png", height=top_of(page.locator("#memory-map")) + 700)
    lesion_signs = memory_map.get_by_role("columnheader", name="Lesion signs")
    lesion_signs.evaluate("row => row.scrollIntoView()")
    screenshot(page, "memory-map.png", full_page=False)
    assert problems == []


def test_every_chart_has_a_text_or_table_alternative(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page()
    open_stats(page, live_server.url)

    for svg in page.locator("svg").all():
        assert svg.get_attribute("role") == "img"
        assert (svg.get_attribute("aria-label") or "").strip(), "a chart with no text label"
    charts = page.locator("figure.chart")
    expect(charts).to_have_count(4)  # forecast, stability, difficulty, retrievability
    for chart in charts.all():
        # Every bar has its row in the table behind "Show as a table", with the same value.
        chart.get_by_text("Show as a table").click()
        table = chart.get_by_role("table")
        expect(table).to_be_visible()
        bars = chart.locator("rect.bar title").all_text_contents()
        rows = table.locator("tbody tr").all_inner_texts()
        assert len(bars) == len(rows) > 0
        for bar, row in zip(bars, rows, strict=True):
            label, value = row.split("\t")
            assert bar.startswith(f"{label}: {value} ")
    heatmap = page.get_by_role("region", name="Reviews over the last year")
    heatmap.get_by_text("Show reviews per month as a table").click()
    months = numbers(heatmap.locator("tbody td").all_inner_texts())
    assert sum(months) == ReviewLog.objects.filter(user__username="learner").count()
    # The memory map's colours come with text: a legend and each cell's value.
    expect(page.get_by_role("list", name="Colour legend")).to_contain_text("not studied yet")
    studied = page.locator("table.memory-map .recall .visually-hidden")
    expect(studied.first).to_have_text(" chance to recall now")
    assert problems == []


def test_study_row_button_starts_a_session_of_just_that_row(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    attribute = Attribute.objects.get(name=STUDY_ROW)
    fronts = set(Card.objects.active().filter(attribute=attribute).values_list("front", flat=True))
    # The simulated history decides which of the row's cards are due today; make every one
    # of them come up, so the session shows exactly the row.
    ReviewState.objects.filter(user__username="learner", card__attribute=attribute).update(
        due=timezone.now() - timedelta(minutes=1)
    )
    StudyProfile.objects.filter(user__username="learner").update(new_per_day=999)
    page = open_page()
    open_stats(page, live_server.url)

    page.get_by_role("button", name=f"Study the {STUDY_ROW} row").click()

    expect(page).to_have_url(re.compile(rf"/study/row-\d+-{attribute.pk}/$"))
    deck = Deck.objects.get(slug=page.url.rstrip("/").rsplit("/", 1)[1])
    assert set(deck.cards.values_list("front", flat=True)) == fronts
    seen = set()
    for _ in fronts:
        expect(page.get_by_role("button", name="Show answer")).to_be_visible()
        seen.add(page.locator("#card-front").inner_text())
        page.keyboard.press("Space")
        expect(page.locator(".ratings button")).to_have_count(4)
        page.keyboard.press("4")  # Easy: a new card leaves today's session
    expect(page.get_by_role("region", name="All done for now")).to_be_visible()
    assert seen == fronts
    assert problems == []


def test_memory_map_breaks_no_row_name_or_study_button_mid_word(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page()
    open_stats(page, live_server.url)

    memory_map = page.locator("table.memory-map")
    expect(memory_map).to_be_visible()
    # `overflow-wrap: anywhere` on table cells once squeezed these to "Cell bodi es", "St ud y".
    assert words_broken_across_lines(memory_map.locator("th")) == []
    assert words_broken_across_lines(memory_map.locator(".row-study button")) == []
    assert problems == []


def test_stats_page_fits_a_390px_phone_without_horizontal_scroll(
    demo_history, open_page: Callable[..., Page], live_server, problems: list[str]
) -> None:
    page = open_page(**PHONE)
    open_stats(page, live_server.url)

    expect(page.locator("svg.heatmap")).to_be_visible()
    # The heatmap and tables may scroll inside their own boxes; the page itself must not
    # (absolutely positioned screen-reader text inside a box that is not `position: relative`
    # escapes its clipping and widened this page to 565 px).
    assert page_width(page) <= PHONE["viewport"]["width"]
    assert problems == []


# --- a learner with no reviews ----------------------------------------------------------


def test_stats_page_renders_for_a_learner_with_no_reviews(
    page: Page, live_server, problems: list[str]
) -> None:
    open_stats(page, live_server.url)

    expect(page.get_by_role("region", name="Reviews over the last year")).to_contain_text(
        "0 reviews on 0 of"
    )
    expect(page.get_by_text("No cards scheduled in the next 30 days.")).to_be_visible()
    expect(page.locator("table.memory-map caption")).to_contain_text(": 0 cards studied")
    expect(page.get_by_role("button", name="Study the Muscle tone row")).to_be_visible()
    assert problems == []


def test_settings_page_shows_each_setting_with_its_hint(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.get_by_role("link", name="Settings").click()

    expect(page.get_by_role("heading", name="Study settings", level=1)).to_be_visible()
    retention = page.get_by_label("Desired retention")
    expect(retention).to_have_value("0.9")
    expect(retention).to_have_accessible_description(re.compile("workload grows steeply"))
    for label in ("New cards per day", "Reviews per day", "Time zone", "Learning steps"):
        expect(page.get_by_label(label, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Optimize my parameters")).to_be_visible()
    screenshot(page, "settings.png")
    assert problems == []


def test_bad_retention_shows_a_field_error_and_saves_nothing(
    page: Page, live_server, problems: list[str]
) -> None:
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/settings/")
    page.get_by_label("Desired retention").fill("1.5")
    page.get_by_label("New cards per day").fill("5")

    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_role("alert")).to_have_text(
        "Nothing was saved: please correct the fields marked below."
    )
    retention = page.get_by_label("Desired retention")
    expect(retention).to_have_attribute("aria-invalid", "true")
    field = page.locator("div").filter(has=retention).last
    expect(field.locator(".errorlist")).to_have_text(re.compile(r"at most 0\.97"))
    profile = StudyProfile.objects.get(user__username="learner")
    assert (profile.desired_retention, profile.new_per_day) == (0.9, 20)
    assert besides_rejected_post(problems, "/settings/") == []
