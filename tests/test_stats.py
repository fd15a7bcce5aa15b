"""Statistics on constructed histories: known logs give known tables, counts and cells."""

from datetime import UTC, date, datetime, timedelta

import pytest

from study import stats
from study.models import (
    Card,
    Comparison,
    Deck,
    Rating,
    ReviewKind,
    ReviewLog,
    ReviewState,
    State,
    StudyProfile,
)


def profile(zone: str = "UTC", day_start_hour: int = 4) -> StudyProfile:
    return StudyProfile(time_zone=zone, day_start_hour=day_start_hour)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def before(interval_days: float, at: datetime) -> dict:
    """A `before` snapshot of a review-state card whose interval was `interval_days`."""
    last = at - timedelta(days=interval_days)
    return {"state": 2, "due": at.isoformat(), "last_review": last.isoformat()}


# --- study days and time zones ---------------------------------------------------------


def test_review_before_day_start_counts_for_previous_day():
    # 03:30 in Berlin (winter, UTC+1) with the day starting at 4: still the 9th.
    assert stats.study_date(utc(2025, 1, 10, 2, 30), profile("Europe/Berlin")) == date(2025, 1, 9)


def test_review_after_day_start_counts_for_that_day():
    assert stats.study_date(utc(2025, 1, 10, 3, 30), profile("Europe/Berlin")) == date(2025, 1, 10)


def test_same_instant_is_a_different_study_day_in_los_angeles_and_tokyo():
    moment = utc(2025, 3, 10, 20, 0)  # 13:00 Mar 10 in Los Angeles, 05:00 Mar 11 in Tokyo
    assert stats.study_date(moment, profile("America/Los_Angeles")) == date(2025, 3, 10)
    assert stats.study_date(moment, profile("Asia/Tokyo")) == date(2025, 3, 11)


# --- heatmap ---------------------------------------------------------------------------


def test_heatmap_counts_reviews_per_study_day():
    tokyo = profile("Asia/Tokyo")
    times = [
        utc(2025, 3, 10, 20, 0),  # Mar 11, 05:00 Tokyo
        utc(2025, 3, 11, 18, 30),  # Mar 12, 03:30 Tokyo: still the study day of Mar 11
        utc(2025, 3, 11, 19, 30),  # Mar 12, 04:30 Tokyo
    ]
    heat = stats.heatmap(times, profile=tokyo, today=date(2025, 3, 12))
    counts = {cell.day: cell.count for cell in heat.days if cell.count}
    assert counts == {date(2025, 3, 11): 2, date(2025, 3, 12): 1}


def test_heatmap_totals_and_days_studied():
    la = profile("America/Los_Angeles")
    times = [utc(2025, 3, 10, 20, 0)] * 3 + [utc(2025, 3, 12, 20, 0)]
    heat = stats.heatmap(times, profile=la, today=date(2025, 3, 12))
    assert (heat.total, heat.days_studied, heat.period_days) == (4, 2, 365)


def test_heatmap_ignores_reviews_older_than_a_year():
    heat = stats.heatmap([utc(2023, 1, 1, 12)], profile=profile(), today=date(2025, 3, 12))
    assert heat.total == 0


def test_streak_counts_back_from_yesterday_when_today_not_studied_yet():
    days = [date(2025, 3, d) for d in (5, 7, 8, 9)]
    times = [datetime(d.year, d.month, d.day, 12, tzinfo=UTC) for d in days]
    heat = stats.heatmap(times, profile=profile(), today=date(2025, 3, 10))
    assert (heat.current_streak, heat.longest_streak) == (3, 3)


def test_heatmap_levels_scale_to_busiest_day():
    times = [utc(2025, 3, 9, 12)] * 4 + [utc(2025, 3, 10, 12)]
    heat = stats.heatmap(times, profile=profile(), today=date(2025, 3, 10))
    levels = {cell.day: cell.level for cell in heat.days[-3:]}
    assert levels == {date(2025, 3, 8): 0, date(2025, 3, 9): 4, date(2025, 3, 10): 1}


def test_heatmap_places_days_by_week_and_weekday():
    heat = stats.heatmap([], profile=profile(), today=date(2025, 3, 10))  # a Monday
    last = heat.days[-1]
    assert (last.y, last.x, heat.weeks) == (0, heat.weeks - 1, 53)


# --- true retention ---------------------------------------------------------------------


def test_retention_table_from_known_logs():
    today = date(2025, 3, 10)
    noon = utc(2025, 3, 10, 12)
    logs = [
        (noon, Rating.GOOD, ReviewKind.REVIEW, before(5, noon)),  # young pass today
        (noon, Rating.AGAIN, ReviewKind.REVIEW, before(5, noon)),  # young fail today
        (noon, Rating.HARD, ReviewKind.REVIEW, before(30, noon)),  # mature pass today
        (noon - timedelta(days=1), Rating.EASY, ReviewKind.REVIEW, before(40, noon)),
        (noon - timedelta(days=1), Rating.AGAIN, ReviewKind.REVIEW, before(21, noon)),
        (noon - timedelta(days=20), Rating.GOOD, ReviewKind.REVIEW, before(3, noon)),
        (noon, Rating.AGAIN, ReviewKind.NEW, None),  # not a review-state card: ignored
        (noon, Rating.AGAIN, ReviewKind.RELEARNING, before(1, noon)),  # ignored too
    ]
    rows = stats.retention(logs, profile=profile(), today=today)
    table = {
        row.label: (row.young_passed, row.young_failed, row.mature_passed, row.mature_failed)
        for row in rows
    }
    assert table == {
        "Today": (1, 1, 1, 0),
        "Yesterday": (0, 0, 1, 1),
        "Last 7 days": (1, 1, 2, 1),
        "Last 30 days": (2, 1, 2, 1),
        "Last year": (2, 1, 2, 1),
    }


def test_retention_rates_and_empty_periods():
    noon = utc(2025, 3, 10, 12)
    logs = [(noon, Rating.GOOD, ReviewKind.REVIEW, before(2, noon))] * 3
    logs += [(noon, Rating.AGAIN, ReviewKind.REVIEW, before(2, noon))]
    today_row, yesterday_row, *_ = stats.retention(logs, profile=profile(), today=date(2025, 3, 10))
    assert (today_row.rate, today_row.percent, today_row.mature_rate) == (0.75, "75.0%", None)
    assert (yesterday_row.total, yesterday_row.percent) == (0, "—")


def test_retention_uses_the_study_day_of_the_learner():
    # 02:00 local on Mar 11 in Tokyo with day start 4 is still the study day of Mar 10.
    moment = utc(2025, 3, 10, 17, 0)
    logs = [(moment, Rating.GOOD, ReviewKind.REVIEW, before(3, moment))]
    rows = stats.retention(logs, profile=profile("Asia/Tokyo"), today=date(2025, 3, 11))
    assert (rows[0].total, rows[1].total) == (0, 1)


# --- forecast and distributions ----------------------------------------------------------


def test_forecast_counts_cards_per_day_with_overdue_today():
    today = date(2025, 3, 10)
    dues = [
        utc(2025, 3, 1, 12),  # overdue: today
        utc(2025, 3, 10, 12),  # today
        utc(2025, 3, 11, 3),  # 03:00 before day start: still today
        utc(2025, 3, 11, 5),  # tomorrow
        utc(2025, 3, 14, 12),  # in 4 days
        utc(2025, 4, 30, 12),  # beyond 30 days: not shown
    ]
    days = stats.forecast(dues, profile=profile(), today=today)
    assert len(days) == 30
    assert [count for _, count in days[:5]] == [3, 1, 0, 0, 1]
    assert sum(count for _, count in days) == 5


def test_forecast_in_los_angeles_uses_local_days():
    due = utc(2025, 3, 11, 10, 0)  # 03:00 Mar 11 in Los Angeles: study day Mar 10
    days = stats.forecast([due], profile=profile("America/Los_Angeles"), today=date(2025, 3, 10))
    assert days[0][1] == 1


def row(stability=None, difficulty=None, state=State.REVIEW, last_review=None, card_id=1):
    return stats.StateRow(card_id, state, stability, difficulty, utc(2025, 1, 1), last_review)


def test_stability_distribution_bins():
    rows = [row(0.5), row(2), row(10), row(10), row(400), row(None)]
    counts = dict(stats.stability_distribution(rows))
    assert counts["< 1 day"] == 1
    assert counts["1–3 days"] == 1
    assert counts["1–2 weeks"] == 2
    assert counts["1 year or more"] == 1
    assert sum(counts.values()) == 5


def test_difficulty_distribution_bins():
    counts = dict(stats.difficulty_distribution([row(1, 1.0), row(1, 5.5), row(1, 10.0)]))
    assert (counts["1–2"], counts["5–6"], counts["9–10"]) == (1, 1, 1)


def test_retrievability_distribution_uses_elapsed_time():
    now = utc(2025, 3, 10)
    fresh = row(stability=10, last_review=now)  # 100%
    at_stability = row(stability=10, last_review=now - timedelta(days=10))  # 90%
    counts = dict(stats.retrievability_distribution([fresh, at_stability], now=now, decay=0.1542))
    assert counts["90–100%"] == 2


def test_state_counts():
    rows = [row(state=State.LEARNING), row(state=State.REVIEW), row(state=State.REVIEW)]
    counts = stats.state_counts(rows, new=7)
    assert counts.as_pairs() == [("New", 7), ("Learning", 1), ("Review", 2), ("Relearning", 0)]


def test_bar_chart_scales_to_highest_bar():
    chart = stats.bar_chart("t", [("a", 2), ("b", 4), ("c", 0)], unit="cards", column_label="x")
    assert [bar.height for bar in chart.bars] == [50.0, 100.0, 0]
    assert chart.total == 6


# --- memory map --------------------------------------------------------------------------


@pytest.fixture
def comparison(content) -> Comparison:
    return Comparison.objects.get(slug="umn-lmn")


def test_memory_map_colours_cells_by_retrievability(comparison):
    now = utc(2025, 3, 10)
    attribute = comparison.rows()[0]
    left = Card.objects.get(attribute=attribute, kind="recall", side="left")
    states = {left.pk: row(stability=10, last_review=now - timedelta(days=10), card_id=left.pk)}
    cards = Card.objects.active().filter(attribute=attribute)
    the_map = stats.memory_map(
        comparison,
        rows=[attribute],
        cards=cards.values_list("pk", "attribute_id", "kind", "side"),
        states=states,
        now=now,
        decay=0.1542,
    )
    first = the_map.rows[0]
    assert (first.left.css, first.left.percent) == ("r9", 90)
    assert (first.right.css, first.right.text) == ("r-new", "not studied yet")
    assert first.both.card_id is not None and not first.both.studied
    assert the_map.studied == 1


def test_cell_levels_are_deciles():
    assert [stats.level(v) for v in (0.0, 0.05, 0.5, 0.899, 0.9, 1.0)] == [0, 0, 5, 8, 9, 9]


# --- overview and the row deck (database) -------------------------------------------------


def make_log(user, card, at, rating=Rating.GOOD, kind=ReviewKind.REVIEW, interval=5):
    return ReviewLog(
        user=user,
        card=card,
        rating=rating,
        reviewed_at=at,
        kind=kind,
        before=before(interval, at) if kind != ReviewKind.NEW else None,
        after={},
        token=f"{card.pk}-{at.isoformat()}-{rating}",
    )


def test_overview_of_a_learner_with_no_reviews(learner, content):
    result = stats.overview(user=learner, profile=learner.study_profile, now=utc(2025, 3, 10, 12))
    assert result.heatmap.total == 0
    assert result.states.new == Card.objects.active().filter(decks__isnull=False).distinct().count()
    assert result.average_retrievability is None
    assert all(row.total == 0 for row in result.retention)
    assert result.memory_map is not None and result.memory_map.studied == 0


def test_overview_counts_logs_and_states(learner, content):
    now = utc(2025, 3, 10, 12)
    cards = list(Card.objects.active()[:3])
    ReviewLog.objects.bulk_create(
        [
            make_log(learner, cards[0], now - timedelta(hours=1)),
            make_log(learner, cards[1], now - timedelta(days=1), rating=Rating.AGAIN),
        ]
    )
    ReviewState.objects.create(
        user=learner,
        card=cards[0],
        state=State.REVIEW,
        stability=10,
        difficulty=5,
        due=now + timedelta(days=2),
        last_review=now - timedelta(days=10),
    )
    result = stats.overview(user=learner, profile=learner.study_profile, now=now)
    assert result.heatmap.total == 2
    assert (result.retention[0].total, result.retention[1].total) == (1, 1)
    assert result.states.review == 1
    assert result.forecast.total == 1
    assert round(result.average_retrievability, 2) == 0.9


def test_overview_ignores_other_learners(learner, other_learner, content):
    now = utc(2025, 3, 10, 12)
    card = Card.objects.active().first()
    ReviewLog.objects.bulk_create([make_log(other_learner, card, now)])
    result = stats.overview(user=learner, profile=learner.study_profile, now=now)
    assert result.heatmap.total == 0


def test_row_deck_holds_just_that_rows_cards(learner, comparison):
    attribute = comparison.rows()[0]
    deck = stats.study_row_deck(user=learner, attribute=attribute)
    expected = set(Card.objects.active().filter(attribute=attribute).values_list("pk", flat=True))
    assert set(deck.cards.values_list("pk", flat=True)) == expected
    assert (deck.owner, deck.name, deck.groups) == (learner, f"Row: {attribute.name}", [])


def test_row_deck_is_reused(learner, comparison):
    attribute = comparison.rows()[0]
    first = stats.study_row_deck(user=learner, attribute=attribute)
    again = stats.study_row_deck(user=learner, attribute=attribute)
    assert first.pk == again.pk
    assert Deck.objects.filter(owner=learner).count() == 1
