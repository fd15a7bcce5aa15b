"""Fit a learner's FSRS-6 parameters to their own review log with fsrs-rs-python.

The only module that imports `fsrs_rs_python`. The optimizer works in whole days, so each
review becomes (rating, study days since the card's previous review), with study days in
the learner's time zone and day-start hour, as Anki does. One FSRSItem per review that
follows the card's first review, keeping only items with a long-term (≥ 1 day) review, as
fsrs-rs-python's own example does (fsrs-rs panics on items without one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from fsrs_rs_python import FSRS, FSRSItem, FSRSReview

from . import scheduling
from .models import ReviewLog, StudyProfile

# fsrs-rs `compute_parameters` (src/training.rs): with fewer than 8 training items it returns
# the defaults; with fewer than 64 it only fits the four initial stabilities. We only offer a
# fit once the full model is trained.
MIN_ITEMS_ANY_FIT = 8
MIN_ITEMS = 64
DIGITS = 4  # parameters are stored rounded, as Anki shows them


@dataclass(frozen=True)
class Evaluation:
    """How well parameters predict the history: log loss and RMSE of binned recall (0–1)."""

    log_loss: float
    rmse: float

    @property
    def rmse_percent(self) -> str:
        return f"{100 * self.rmse:.1f}%"


@dataclass(frozen=True)
class Result:
    status: str  # "not_enough" | "improved" | "not_better" | "invalid"
    items: int
    old_parameters: list[float]
    parameters: list[float]  # what the profile uses after the run
    old: Evaluation | None = None
    new: Evaluation | None = None
    rescheduled: int = 0
    message: str = ""

    @property
    def needed(self) -> int:
        return max(0, MIN_ITEMS - self.items)

    @property
    def saved(self) -> bool:
        return self.status == "improved"


def study_day_number(moment: datetime, profile: StudyProfile) -> int:
    """Ordinal of the learner's study day containing `moment` (day starts at day_start_hour)."""
    local = moment.astimezone(profile.zone) - timedelta(hours=profile.day_start_hour)
    return local.date().toordinal()


def items_from_histories(histories: Iterable[Sequence[tuple[int, int]]]) -> list[FSRSItem]:
    """Each history is one card's [(study day number, rating), ...] in review order."""
    items: list[FSRSItem] = []
    for history in histories:
        reviews: list[FSRSReview] = []
        last_day = history[0][0] if history else 0
        for day, rating in history:
            elapsed = max(0, day - last_day)
            reviews.append(FSRSReview(int(rating), elapsed))
            last_day = day
            # fsrs-rs predicts the last review of an item from the days since the one
            # before; a same-day last review (delta 0) makes `evaluate` reject the batch.
            if len(reviews) > 1 and elapsed > 0:
                item = FSRSItem(list(reviews))
                if item.long_term_review_cnt() > 0:
                    items.append(item)
    return items


def histories_for(*, user, profile: StudyProfile) -> dict[int, list[tuple[int, int]]]:
    """The learner's review log as {card_id: [(study day, rating), ...]} (one query)."""
    histories: dict[int, list[tuple[int, int]]] = {}
    logs = (
        ReviewLog.objects.for_user(user)
        .order_by("card_id", "reviewed_at", "pk")
        .values_list("card_id", "reviewed_at", "rating")
    )
    for card_id, reviewed_at, rating in logs:
        histories.setdefault(card_id, []).append((study_day_number(reviewed_at, profile), rating))
    return histories


def current_parameters(profile: StudyProfile) -> list[float]:
    return list(profile.parameters) or list(scheduling.DEFAULT_PARAMETERS)


def fit(items: Sequence[FSRSItem], *, relearning_steps: int = 1) -> list[float]:
    """Fitted 21 parameters (fsrs-rs starts from its defaults; the start does not matter)."""
    fsrs = FSRS(list(scheduling.DEFAULT_PARAMETERS))
    fitted = fsrs.compute_parameters(list(items), num_relearning_steps=max(1, relearning_steps))
    return [round(float(value), DIGITS) for value in fitted]


def evaluate(parameters: Sequence[float], items: Sequence[FSRSItem]) -> Evaluation:
    result = FSRS(list(parameters)).evaluate(list(items))
    return Evaluation(log_loss=float(result.log_loss), rmse=float(result.rmse_bins))


def optimize(*, user, profile: StudyProfile, reschedule: bool = False) -> Result:
    """Fit parameters to the learner's history; save them only if they predict it better.

    Below fsrs-rs's threshold nothing is fitted and the current parameters stay.
    With `reschedule`, every card is replayed under the new parameters in the same
    transaction as the save.
    """
    old_parameters = current_parameters(profile)
    items = items_from_histories(histories_for(user=user, profile=profile).values())

    def kept(status: str, message: str, **evaluations: Evaluation) -> Result:
        """A result that leaves the learner's parameters as they were."""
        return Result(
            status=status,
            items=len(items),
            old_parameters=old_parameters,
            parameters=old_parameters,
            message=message,
            **evaluations,
        )

    if len(items) < MIN_ITEMS:
        missing = MIN_ITEMS - len(items)
        return kept(
            "not_enough",
            f"Not enough history yet: optimizing needs {MIN_ITEMS} reviews of cards seen on "
            f"an earlier day, you have {len(items)}. About {missing} more review"
            f"{'s' if missing != 1 else ''} needed; your parameters were kept.",
        )
    fitted = fit(items, relearning_steps=len(profile.relearning_steps))
    old = evaluate(old_parameters, items)
    new = evaluate(fitted, items)
    if problem := scheduling.validate_parameters(fitted):
        return kept(
            "invalid",
            f"The fitted parameters were not usable ({problem}); yours were kept.",
            old=old,
            new=new,
        )
    if new.log_loss >= old.log_loss:
        return kept(
            "not_better",
            "Your current parameters already fit your history as well; they were kept.",
            old=old,
            new=new,
        )
    rescheduled = 0
    with transaction.atomic():
        profile.parameters = fitted
        profile.save(update_fields=["parameters"])
        if reschedule:
            rescheduled = scheduling.reschedule_all(user=user, profile=profile)
    message = "New parameters saved; they apply from your next review."
    if reschedule:
        message = f"New parameters saved and {rescheduled} card{'s' if rescheduled != 1 else ''} "
        message += "rescheduled."
    return Result(
        status="improved",
        items=len(items),
        old_parameters=old_parameters,
        parameters=fitted,
        old=old,
        new=new,
        rescheduled=rescheduled,
        message=message,
    )
