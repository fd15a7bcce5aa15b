"""Per-learner memory: profile settings, FSRS state per card, and the append-only review log."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.dateparse import parse_datetime

from .content import Card


class State(models.IntegerChoices):
    """Mirrors fsrs.State; a card with no ReviewState row is new."""

    LEARNING = 1, "Learning"
    REVIEW = 2, "Review"
    RELEARNING = 3, "Relearning"


class Rating(models.IntegerChoices):
    """Mirrors fsrs.Rating."""

    AGAIN = 1, "Again"
    HARD = 2, "Hard"
    GOOD = 3, "Good"
    EASY = 4, "Easy"


class ReviewKind(models.IntegerChoices):
    """What the card was when it was reviewed (the state before); NEW counts against new/day."""

    NEW = 0, "New"
    LEARNING = 1, "Learning"
    REVIEW = 2, "Review"
    RELEARNING = 3, "Relearning"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/London).")


def default_learning_steps() -> list[int]:
    return [1, 10]


def default_relearning_steps() -> list[int]:
    return [10]


@dataclass(frozen=True)
class StudyDay:
    """The learner's current study day as a half-open UTC interval [start, end)."""

    start: datetime
    end: datetime


class StudyProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_profile"
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    day_start_hour = models.PositiveSmallIntegerField(
        default=4, validators=[MaxValueValidator(23)], help_text="Hour the study day starts"
    )
    new_per_day = models.PositiveIntegerField(default=20, validators=[MaxValueValidator(9999)])
    reviews_per_day = models.PositiveIntegerField(
        default=200, validators=[MaxValueValidator(99999)]
    )
    desired_retention = models.FloatField(
        default=0.9, validators=[MinValueValidator(0.70), MaxValueValidator(0.97)]
    )
    parameters = models.JSONField(
        default=list, blank=True, help_text="21 FSRS-6 parameters; empty means the defaults"
    )
    learning_steps = models.JSONField(default=default_learning_steps, help_text="Minutes")
    relearning_steps = models.JSONField(default=default_relearning_steps, help_text="Minutes")
    maximum_interval = models.PositiveIntegerField(default=36500)

    def __str__(self) -> str:
        return f"Study profile of {self.user}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def study_day(self, now: datetime) -> StudyDay:
        local = now.astimezone(self.zone)
        day = local.date()
        if local.hour < self.day_start_hour:
            day -= timedelta(days=1)
        starts_at = time(self.day_start_hour)
        start = datetime.combine(day, starts_at, tzinfo=self.zone)
        end = datetime.combine(day + timedelta(days=1), starts_at, tzinfo=self.zone)
        return StudyDay(start=start.astimezone(UTC), end=end.astimezone(UTC))


UTC = zoneinfo.ZoneInfo("UTC")


class ReviewStateQuerySet(models.QuerySet):
    def for_user(self, user) -> ReviewStateQuerySet:
        return self.filter(user=user)


class ReviewState(models.Model):
    """FSRS memory state of one card for one learner. Created at the card's first review."""

    # No index of its own: (user, card) below serves every lookup by user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_states",
        db_index=False,
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="review_states")
    state = models.PositiveSmallIntegerField(choices=State.choices)
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # Bumped on every change (review or undo): a form shown at version N is stale after.
    version = models.PositiveIntegerField(default=0)

    objects = ReviewStateQuerySet.as_manager()

    SNAPSHOT_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps")

    class Meta:
        # One index that starts with user: a review then changes no indexed column, so
        # PostgreSQL can update the row in place (HOT) without touching any index.
        constraints = [
            models.UniqueConstraint(fields=["user", "card"], name="one_state_per_user_card")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.card_id} · {self.get_state_display()}"

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe copy of the memory state, stored in the log so undo restores it exactly."""
        data = {name: getattr(self, name) for name in self.SNAPSHOT_FIELDS}
        data["lapses"] = self.lapses
        for name in ("due", "last_review"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        return data

    def restore(self, snapshot: dict[str, Any]) -> None:
        for name in (*self.SNAPSHOT_FIELDS, "lapses"):
            value = snapshot[name]
            if name in ("due", "last_review") and value is not None:
                value = parse_datetime(value)
            setattr(self, name, value)

    def to_form(self) -> dict[str, Any]:
        """What an answer form carries (signed) of the state it was shown at: enough for
        the review to compute its outcome without reading the row again."""
        return {"id": self.pk, "version": self.version, **self.snapshot()}

    @classmethod
    def from_form(cls, data: dict[str, Any], *, user_id: int, card_id: int) -> ReviewState:
        """The state `to_form` carried, for this learner and card (a form signed for another
        learner's state names a row the review's write will not touch: see scheduling)."""
        state = cls(pk=data["id"], user_id=user_id, card_id=card_id, version=data["version"])
        state.restore(data)
        state._state.adding = False
        return state


class ReviewLogQuerySet(models.QuerySet):
    def for_user(self, user) -> ReviewLogQuerySet:
        return self.filter(user=user)

    def between(self, start: datetime, end: datetime) -> ReviewLogQuerySet:
        return self.filter(reviewed_at__gte=start, reviewed_at__lt=end)


class ReviewLog(models.Model):
    """One answer. Append-only; undo deletes the entry it reverts (logs = reviews not undone)."""

    # No index of its own: the (user, ...) indexes below start with it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="review_logs",
        db_index=False,
    )
    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="review_logs")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    kind = models.PositiveSmallIntegerField(choices=ReviewKind.choices)
    before = models.JSONField(null=True, blank=True, help_text="State before; null if new")
    after = models.JSONField()
    token = models.CharField(max_length=64, help_text="Client token: a resubmit counts once")

    objects = ReviewLogQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "token"], name="one_log_per_token"),
        ]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="log_user_time"),
            models.Index(fields=["user", "card", "reviewed_at"], name="log_user_card_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user} rated {self.get_rating_display()} on {self.card_id}"
