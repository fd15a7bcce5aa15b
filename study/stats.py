"""Learner statistics: heatmap, forecast, true retention, distributions and the memory map.

`overview` runs a fixed handful of queries (reviews of the last year, the learner's card
states, the count of new cards, the comparison table) whatever the history size; the rest
are pure functions over their results, so each figure is testable on constructed data.
Days are the learner's study days: local time zone, starting at `day_start_hour`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from . import scheduling
from .models import (
    Attribute,
    Card,
    CardKind,
    Comparison,
    Deck,
    Rating,
    ReviewKind,
    ReviewLog,
    ReviewState,
    Side,
    State,
    StudyProfile,
)

HEATMAP_DAYS = 365
HEATMAP_CELL = 12  # SVG units per day square (10 + a 2 unit gap)
HEATMAP_TOP = 14  # room for the month labels
FORECAST_DAYS = 30
MATURE_DAYS = 21  # Anki: a card is mature once its interval is 21 days or more
LEVELS = 10  # memory-map colour classes r0..r9 (retrievability deciles)


def study_date(moment: datetime, profile: StudyProfile) -> date:
    """The learner's study day containing `moment` (a review at 03:30 with day start 4 counts
    for the day before)."""
    local = moment.astimezone(profile.zone) - timedelta(hours=profile.day_start_hour)
    return local.date()


# --- heatmap -------------------------------------------------------------------


@dataclass(frozen=True)
class HeatmapDay:
    day: date
    count: int
    level: int  # 0 (none) .. 4 (busiest), a CSS class h0..h4
    x: int  # week column
    y: int  # weekday row, Monday = 0

    @property
    def px(self) -> int:
        return self.x * HEATMAP_CELL

    @property
    def py(self) -> int:
        return self.y * HEATMAP_CELL + HEATMAP_TOP


@dataclass(frozen=True)
class Heatmap:
    days: list[HeatmapDay]
    weeks: int
    total: int
    days_studied: int
    current_streak: int
    longest_streak: int
    months: list[tuple[str, int]]  # text alternative: (“March 2025”, reviews)

    @property
    def period_days(self) -> int:
        return len(self.days)

    @property
    def width(self) -> int:
        return self.weeks * HEATMAP_CELL

    @property
    def height(self) -> int:
        return 7 * HEATMAP_CELL + HEATMAP_TOP

    @property
    def month_labels(self) -> list[tuple[int, str]]:
        """(x, “Mar”) where each month starts, for the top of the SVG."""
        return [
            (cell.px, f"{cell.day:%b}")
            for cell in self.days
            if cell.day.day == 1 and cell.x < self.weeks - 2
        ]

    @property
    def average_per_study_day(self) -> float:
        return self.total / self.days_studied if self.days_studied else 0.0

    @property
    def average_per_day(self) -> float:
        return self.total / self.period_days if self.period_days else 0.0

    @property
    def studied_percent(self) -> int:
        return round(100 * self.days_studied / self.period_days) if self.period_days else 0


def heatmap(
    review_times: Iterable[datetime],
    *,
    profile: StudyProfile,
    today: date,
    days: int = HEATMAP_DAYS,
) -> Heatmap:
    first = today - timedelta(days=days - 1)
    counts = Counter(study_date(moment, profile) for moment in review_times)
    busiest = max((counts[first + timedelta(n)] for n in range(days)), default=0)
    start_column = first - timedelta(days=first.weekday())  # the Monday of the first week
    cells = []
    months: dict[tuple[int, int], int] = {}
    for n in range(days):
        day = first + timedelta(days=n)
        count = counts.get(day, 0)
        level = math.ceil(4 * count / busiest) if count else 0
        cells.append(HeatmapDay(day, count, level, (day - start_column).days // 7, day.weekday()))
        months[(day.year, day.month)] = months.get((day.year, day.month), 0) + count
    studied = [cell.count > 0 for cell in cells]
    return Heatmap(
        days=cells,
        weeks=cells[-1].x + 1 if cells else 0,
        total=sum(cell.count for cell in cells),
        days_studied=sum(studied),
        current_streak=_current_streak(studied),
        longest_streak=_longest_streak(studied),
        months=[(date(y, m, 1).strftime("%B %Y"), c) for (y, m), c in months.items()],
    )


def _current_streak(studied: list[bool]) -> int:
    """Consecutive study days up to today; a day not yet studied today does not break it."""
    flags = studied[:-1] if studied and not studied[-1] else studied
    streak = 0
    for flag in reversed(flags):
        if not flag:
            break
        streak += 1
    return streak


def _longest_streak(studied: list[bool]) -> int:
    longest = run = 0
    for flag in studied:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest


# --- true retention --------------------------------------------------------------


@dataclass
class RetentionRow:
    label: str
    young_passed: int = 0
    young_failed: int = 0
    mature_passed: int = 0
    mature_failed: int = 0

    @property
    def young(self) -> int:
        return self.young_passed + self.young_failed

    @property
    def mature(self) -> int:
        return self.mature_passed + self.mature_failed

    @property
    def total(self) -> int:
        return self.young + self.mature

    @property
    def passed(self) -> int:
        return self.young_passed + self.mature_passed

    @staticmethod
    def _rate(passed: int, count: int) -> float | None:
        return passed / count if count else None

    @property
    def young_rate(self) -> float | None:
        return self._rate(self.young_passed, self.young)

    @property
    def mature_rate(self) -> float | None:
        return self._rate(self.mature_passed, self.mature)

    @property
    def rate(self) -> float | None:
        return self._rate(self.passed, self.total)

    @property
    def young_percent(self) -> str:
        return _percent(self.young_rate)

    @property
    def mature_percent(self) -> str:
        return _percent(self.mature_rate)

    @property
    def percent(self) -> str:
        return _percent(self.rate)


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


RETENTION_PERIODS = (("Today", 0, 1), ("Yesterday", 1, 1), ("Last 7 days", 0, 7))
RETENTION_PERIODS += (("Last 30 days", 0, 30), ("Last year", 0, 365))


def scheduled_interval_days(before: dict[str, Any] | None) -> float:
    """The interval the card was on when reviewed (due − last review in the state before)."""
    if not before or not before.get("due") or not before.get("last_review"):
        return 0.0
    due, last = parse_datetime(before["due"]), parse_datetime(before["last_review"])
    if due is None or last is None:
        return 0.0
    return (due - last).total_seconds() / 86400


def retention(
    logs: Iterable[tuple[datetime, int, int, dict | None]],
    *,
    profile: StudyProfile,
    today: date,
) -> list[RetentionRow]:
    """Pass rate of reviews of cards in the review state (Hard/Good/Easy pass, Again fails),
    young (interval < 21 days) vs mature, for today, yesterday, 7 / 30 / 365 days."""
    rows = [RetentionRow(label) for label, _, _ in RETENTION_PERIODS]
    for reviewed_at, rating, kind, before in logs:
        if kind != ReviewKind.REVIEW:
            continue
        age = (today - study_date(reviewed_at, profile)).days
        mature = scheduled_interval_days(before) >= MATURE_DAYS
        passed = rating != Rating.AGAIN
        for row, (_, offset, length) in zip(rows, RETENTION_PERIODS, strict=True):
            if offset <= age < offset + length:
                name = ("mature_" if mature else "young_") + ("passed" if passed else "failed")
                setattr(row, name, getattr(row, name) + 1)
    return rows


# --- forecast and distributions --------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    height: float  # 0..100 in chart units
    title: str

    @property
    def y(self) -> float:
        return 100 - self.height


@dataclass(frozen=True)
class BarChart:
    title: str
    unit: str  # “cards”
    bars: list[Bar]
    column_label: str  # header of the label column in the table alternative
    empty: str = "Nothing to show yet."
    slot: int = 10  # width of one bar slot in chart units
    width: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "width", self.slot * len(self.bars))

    @property
    def total(self) -> int:
        return sum(bar.value for bar in self.bars)

    @property
    def bar_width(self) -> float:
        return self.slot * 0.8

    @property
    def first_label(self) -> str:
        return self.bars[0].label if self.bars else ""

    @property
    def last_label(self) -> str:
        return self.bars[-1].label if self.bars else ""


def bar_chart(
    title: str,
    pairs: Sequence[tuple[str, int]],
    *,
    unit: str,
    column_label: str,
    empty: str = "Nothing to show yet.",
) -> BarChart:
    highest = max((value for _, value in pairs), default=0)
    bars = [
        Bar(
            label=label,
            value=value,
            x=index * 10 + 1,
            height=round(100 * value / highest, 2) if highest else 0,
            title=f"{label}: {value} {unit}",
        )
        for index, (label, value) in enumerate(pairs)
    ]
    return BarChart(title=title, unit=unit, bars=bars, column_label=column_label, empty=empty)


@dataclass(frozen=True)
class StateRow:
    """One ReviewState, as read for the statistics (card_id, state, memory, due)."""

    card_id: int
    state: int
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None


def forecast(
    dues: Iterable[datetime], *, profile: StudyProfile, today: date, days: int = FORECAST_DAYS
) -> list[tuple[date, int]]:
    """Cards due on each of the next `days` study days; overdue cards count for today."""
    counts = [0] * days
    for due in dues:
        offset = max(0, (study_date(due, profile) - today).days)
        if offset < days:
            counts[offset] += 1
    return [(today + timedelta(days=n), count) for n, count in enumerate(counts)]


STABILITY_BINS = (
    (1, "< 1 day"),
    (3, "1–3 days"),
    (7, "3–7 days"),
    (14, "1–2 weeks"),
    (30, "2 weeks–1 month"),
    (90, "1–3 months"),
    (180, "3–6 months"),
    (365, "6–12 months"),
    (math.inf, "1 year or more"),
)


def stability_distribution(states: Iterable[StateRow]) -> list[tuple[str, int]]:
    counts = [0] * len(STABILITY_BINS)
    for row in states:
        if row.stability is None:
            continue
        index = next(i for i, (edge, _) in enumerate(STABILITY_BINS) if row.stability < edge)
        counts[index] += 1
    return [(label, count) for (_, label), count in zip(STABILITY_BINS, counts, strict=True)]


def difficulty_distribution(states: Iterable[StateRow]) -> list[tuple[str, int]]:
    """FSRS difficulty runs from 1 (easiest) to 10, in nine bins of width 1."""
    counts = [0] * 9
    for row in states:
        if row.difficulty is not None:
            counts[min(8, max(0, int(row.difficulty - 1)))] += 1
    return [(f"{n + 1}–{n + 2}", count) for n, count in enumerate(counts)]


def retrievability_of(row: StateRow, *, now: datetime, decay: float) -> float:
    return scheduling.retrievability(
        stability=row.stability, last_review=row.last_review, now=now, decay=decay
    )


def retrievability_distribution(
    states: Iterable[StateRow], *, now: datetime, decay: float
) -> list[tuple[str, int]]:
    counts = [0] * 10
    for row in states:
        if row.stability is not None:
            counts[level(retrievability_of(row, now=now, decay=decay))] += 1
    return [(f"{n * 10}–{n * 10 + 10}%", count) for n, count in enumerate(counts)]


def level(value: float) -> int:
    """Decile 0..9 of a probability (1.0 falls in the top one)."""
    return min(LEVELS - 1, max(0, int(value * LEVELS)))


@dataclass(frozen=True)
class StateCounts:
    new: int
    learning: int
    review: int
    relearning: int

    @property
    def total(self) -> int:
        return self.new + self.learning + self.review + self.relearning

    def as_pairs(self) -> list[tuple[str, int]]:
        return [
            ("New", self.new),
            ("Learning", self.learning),
            ("Review", self.review),
            ("Relearning", self.relearning),
        ]


def state_counts(states: Iterable[StateRow], *, new: int) -> StateCounts:
    counts = Counter(row.state for row in states)
    return StateCounts(
        new=new,
        learning=counts[State.LEARNING],
        review=counts[State.REVIEW],
        relearning=counts[State.RELEARNING],
    )


# --- memory map -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """The learner's memory of one card of the table (None: card missing or never studied)."""

    card_id: int | None
    retrievability: float | None

    @property
    def studied(self) -> bool:
        return self.retrievability is not None

    @property
    def css(self) -> str:
        if self.card_id is None:
            return "r-none"
        return f"r{level(self.retrievability)}" if self.studied else "r-new"

    @property
    def percent(self) -> int | None:
        return None if self.retrievability is None else round(100 * self.retrievability)

    @property
    def text(self) -> str:
        if self.card_id is None:
            return "no card"
        if not self.studied:
            return "not studied yet"
        return f"{self.percent}% chance to recall now"


@dataclass(frozen=True)
class MapRow:
    attribute: Attribute
    left: Cell
    right: Cell
    both: Cell

    @property
    def card_count(self) -> int:
        return sum(cell.card_id is not None for cell in (self.left, self.right, self.both))


@dataclass(frozen=True)
class MemoryMap:
    comparison: Comparison
    rows: list[MapRow]
    legend: list[tuple[str, str]] = field(
        default_factory=lambda: [(f"r{n}", f"{n * 10}–{n * 10 + 10}%") for n in range(LEVELS)]
    )

    @property
    def studied(self) -> int:
        return sum(cell.studied for row in self.rows for cell in (row.left, row.right, row.both))


def memory_map(
    comparison: Comparison,
    *,
    rows: list[Attribute],
    cards: Iterable[tuple[int, int, str, str]],
    states: dict[int, StateRow],
    now: datetime,
    decay: float,
) -> MemoryMap:
    """`cards` are (card_id, attribute_id, kind, side) of the comparison's active cards."""
    by_place: dict[tuple[int, str], int] = {}
    for card_id, attribute_id, kind, side in cards:
        place = side if kind == CardKind.RECALL else "both"
        by_place[(attribute_id, place)] = card_id

    def cell(attribute_id: int, place: str) -> Cell:
        card_id = by_place.get((attribute_id, place))
        state = states.get(card_id) if card_id is not None else None
        value = (
            retrievability_of(state, now=now, decay=decay)
            if state is not None and state.stability is not None
            else None
        )
        return Cell(card_id=card_id, retrievability=value)

    return MemoryMap(
        comparison=comparison,
        rows=[
            MapRow(
                attribute=row,
                left=cell(row.pk, Side.LEFT),
                right=cell(row.pk, Side.RIGHT),
                both=cell(row.pk, "both"),
            )
            for row in rows
        ],
    )


def map_comparisons(user) -> list[Comparison]:
    """Comparisons whose table the learner can see: shared ones and their own."""
    from django.db.models import Q

    return list(Comparison.objects.filter(Q(owner__isnull=True) | Q(owner=user.pk)))


@transaction.atomic
def study_row_deck(*, user, attribute: Attribute) -> Deck:
    """The learner's private deck of one table row's active cards (kept in step with the row).

    `groups` stays empty, so card generation never re-syncs it to a whole group.
    """
    deck, _ = Deck.objects.get_or_create(
        slug=f"row-{user.pk}-{attribute.pk}",
        defaults={
            "owner": user,
            "name": f"Row: {attribute.name}",
            "comparison": attribute.comparison,
            "groups": [],
            "order": 1000,
            "description": f"Just the cards of the “{attribute.name}” row of the table.",
        },
    )
    deck.cards.set(Card.objects.active().filter(attribute=attribute))
    return deck


# --- the page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    today: date
    heatmap: Heatmap
    retention: list[RetentionRow]
    desired_retention: float
    forecast: BarChart
    states: StateCounts
    stability: BarChart
    difficulty: BarChart
    retrievability: BarChart
    memory_map: MemoryMap | None
    comparisons: list[Comparison]
    average_retrievability: float | None


def overview(*, user, profile: StudyProfile, now: datetime, comparison_slug: str = "") -> Overview:
    """Everything the statistics page shows, in a fixed number of queries."""
    today = study_date(now, profile)
    day = profile.study_day(now)
    since = day.start - timedelta(days=HEATMAP_DAYS)
    logs = list(
        ReviewLog.objects.for_user(user)
        .filter(reviewed_at__gte=since)
        .values_list("reviewed_at", "rating", "kind", "before")
    )
    states = [
        StateRow(*values)
        for values in ReviewState.objects.for_user(user)
        .filter(card__retired=False)
        .values_list("card_id", "state", "stability", "difficulty", "due", "last_review")
    ]
    new = (
        Card.objects.active()
        .filter(decks__in=Deck.objects.visible_to(user))
        .exclude(review_states__user=user)
        .values("pk")
        .distinct()
        .count()
    )
    decay = scheduling.decay_for(profile)
    comparisons = map_comparisons(user)
    comparison = next((c for c in comparisons if c.slug == comparison_slug), None)
    comparison = comparison or (comparisons[0] if comparisons else None)
    the_map = None
    if comparison is not None:
        rows = comparison.rows()
        cards = (
            Card.objects.active()
            .filter(comparison=comparison, attribute__isnull=False)
            .values_list("pk", "attribute_id", "kind", "side")
        )
        the_map = memory_map(
            comparison,
            rows=rows,
            cards=cards,
            states={row.card_id: row for row in states},
            now=now,
            decay=decay,
        )
    recall = [retrievability_of(r, now=now, decay=decay) for r in states if r.stability]
    forecast_days = forecast((row.due for row in states), profile=profile, today=today)
    return Overview(
        today=today,
        heatmap=heatmap((log[0] for log in logs), profile=profile, today=today),
        retention=retention(logs, profile=profile, today=today),
        desired_retention=profile.desired_retention,
        forecast=bar_chart(
            "Cards due on each of the next 30 days",
            [(f"{d:%a} {d.day} {d:%b}", count) for d, count in forecast_days],
            unit="cards",
            column_label="Day",
            empty="No cards scheduled in the next 30 days.",
        ),
        states=state_counts(states, new=new),
        stability=bar_chart(
            "Stability (days until recall drops to 90%)",
            stability_distribution(states),
            unit="cards",
            column_label="Stability",
        ),
        difficulty=bar_chart(
            "Difficulty (1 easiest – 10 hardest)",
            difficulty_distribution(states),
            unit="cards",
            column_label="Difficulty",
        ),
        retrievability=bar_chart(
            "Current retrievability (chance to recall now)",
            retrievability_distribution(states, now=now, decay=decay),
            unit="cards",
            column_label="Retrievability",
        ),
        memory_map=the_map,
        comparisons=comparisons,
        average_retrievability=sum(recall) / len(recall) if recall else None,
    )
