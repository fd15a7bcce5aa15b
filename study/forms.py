from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

from . import scheduling
from .models import StudyProfile


class SignupForm(UserCreationForm):
    """Sign-up makes a plain learner: never staff, never an instructor."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


# --- learner settings -----------------------------------------------------------

STEP_UNITS = {"m": 1, "h": 60, "d": 1440}
MAX_STEPS = 10
MAX_STEP_MINUTES = 30 * 1440


def format_steps(minutes: list[int]) -> str:
    """[1, 10, 1440] -> "1m 10m 1d" (the largest unit that divides the step exactly)."""
    parts = []
    for step in minutes:
        unit = next(u for u in ("d", "h", "m") if step % STEP_UNITS[u] == 0)
        parts.append(f"{step // STEP_UNITS[unit]}{unit}")
    return " ".join(parts)


def parse_steps(text: str) -> list[int]:
    """ "1m 10m 1h" -> [1, 10, 60]; a bare number is minutes. Raises ValidationError."""
    steps = []
    for token in text.replace(",", " ").split():
        number, unit = (token[:-1], token[-1].lower()) if token[-1].isalpha() else (token, "m")
        if unit not in STEP_UNITS or not number.isdigit():
            raise ValidationError(
                f"“{token}” is not a step: write minutes, hours or days like 1m 10m 1h 1d."
            )
        minutes = int(number) * STEP_UNITS[unit]
        if not 1 <= minutes <= MAX_STEP_MINUTES:
            raise ValidationError(
                f"Each step must be between 1 minute and 30 days; “{token}” is not."
            )
        steps.append(minutes)
    if len(steps) > MAX_STEPS:
        raise ValidationError(f"Use at most {MAX_STEPS} steps.")
    return steps


class StepsField(forms.CharField):
    def prepare_value(self, value):
        return format_steps(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[int]:
        return parse_steps(super().to_python(value) or "")


class ParametersField(forms.CharField):
    def prepare_value(self, value):
        return ", ".join(f"{v:g}" for v in value) if isinstance(value, list) else value

    def to_python(self, value) -> list[float]:
        text = (super().to_python(value) or "").replace(",", " ").split()
        try:
            numbers = [float(token) for token in text]
        except ValueError as exc:
            raise ValidationError(
                "Parameters must be numbers separated by commas or spaces."
            ) from exc
        if numbers and (problem := scheduling.validate_parameters(numbers)):
            raise ValidationError(problem)
        return numbers


class SettingsForm(forms.ModelForm):
    """A learner's study settings; every bound matches what the scheduler accepts."""

    desired_retention = forms.FloatField(
        label="Desired retention",
        min_value=0.70,
        max_value=0.97,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.70", "max": "0.97"}),
        error_messages={
            "min_value": "Choose a retention of at least 0.70: below that you forget too much.",
            "max_value": (
                "Choose a retention of at most 0.97: above that the reviews per day explode."
            ),
        },
        help_text=(
            "The chance you still remember a card when it comes back, 0.70–0.97. Higher means "
            "you forget less but get more reviews per day; the workload grows steeply above "
            "0.90, which is a good default."
        ),
    )
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        help_text="Your local zone, e.g. Europe/London or America/Los_Angeles.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    learning_steps = StepsField(
        label="Learning steps",
        required=False,
        help_text="Waits before a new card graduates, e.g. “1m 10m” (m, h or d).",
    )
    relearning_steps = StepsField(
        label="Relearning steps",
        required=False,
        help_text="Waits after you forget a card, e.g. “10m”.",
    )
    parameters = ParametersField(
        label="FSRS parameters (advanced)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "21 numbers separated by commas, usually filled in by “Optimize my parameters”. "
            "Leave empty for the defaults."
        ),
    )

    class Meta:
        model = StudyProfile
        fields = (
            "desired_retention",
            "new_per_day",
            "reviews_per_day",
            "time_zone",
            "day_start_hour",
            "learning_steps",
            "relearning_steps",
            "parameters",
        )
        labels = {
            "new_per_day": "New cards per day",
            "reviews_per_day": "Reviews per day",
            "day_start_hour": "Study day starts at (hour, 0–23)",
        }
        help_texts = {
            "new_per_day": "0–9999. Each new card brings several reviews in the following days.",
            "reviews_per_day": "0–99999. Reviews beyond this wait for the next day.",
            "day_start_hour": "Reviews before this hour count for the previous day (default 4).",
        }
