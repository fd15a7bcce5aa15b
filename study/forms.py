import zoneinfo
from datetime import date

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

from . import scheduling
from .models import Assignment, Classroom, Deck, StudyProfile


class SignupForm(UserCreationForm):
    """Sign-up makes a plain learner: never staff, never an instructor.

    `time_zone` is filled from the browser by static/js/timezone.js; without JS (or with
    an unknown zone) the learner starts on UTC and can change it in settings.
    """

    time_zone = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def clean_time_zone(self) -> str:
        zone = self.cleaned_data.get("time_zone") or ""
        return zone if zone in zoneinfo.available_timezones() else "UTC"

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        if commit:
            StudyProfile.objects.filter(user=user).update(time_zone=self.cleaned_data["time_zone"])
        return user


# --- classrooms ---------------------------------------------------------------


class ClassroomForm(forms.ModelForm):
    """Create or rename a classroom; names are unique among the owner's active classrooms."""

    class Meta:
        model = Classroom
        fields = ("name",)
        help_texts = {"name": "Shown to learners, e.g. “Neuro 101 — autumn term”."}

    def __init__(self, *args, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Classroom.objects.active().filter(owner=self.owner, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError("You already have an active classroom with this name.")
        return name


class AssignmentForm(forms.ModelForm):
    """A deck the instructor may use, a due date not in the past, a recall target in %."""

    target_percent = forms.IntegerField(
        label="Target predicted recall (%)",
        min_value=50,
        max_value=97,
        initial=80,
        help_text=(
            "Done means every card of the deck started and the mean predicted recall on the "
            "due date at least this high. 50–97 %."
        ),
    )

    class Meta:
        model = Assignment
        fields = ("deck", "due_date")
        widgets = {"due_date": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"due_date": "The last day of the assignment (YYYY-MM-DD)."}
        error_messages = {
            "deck": {"invalid_choice": "Pick one of the decks listed: that deck is not available."},
            "due_date": {"invalid": "Enter the due date as YYYY-MM-DD, e.g. 2030-01-31."},
        }

    def __init__(self, *args, classroom: Classroom, user, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.classroom = classroom
        self.today = today
        self.fields["deck"].queryset = Deck.objects.visible_to(user)
        if self.instance.pk:
            self.fields["target_percent"].initial = round(self.instance.target_recall * 100)

    def clean_deck(self) -> Deck:
        deck = self.cleaned_data["deck"]
        taken = self.classroom.assignments.filter(deck=deck).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("This deck is already assigned to this classroom: edit it.")
        return deck

    def clean_due_date(self) -> date:
        due_date = self.cleaned_data["due_date"]
        unchanged = self.instance.pk and due_date == self.instance.due_date
        if due_date < self.today and not unchanged:
            raise ValidationError("The due date cannot be in the past.")
        return due_date

    def save(self, commit: bool = True) -> Assignment:
        self.instance.classroom = self.classroom
        self.instance.target_recall = self.cleaned_data["target_percent"] / 100
        return super().save(commit=commit)


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Join code",
        max_length=32,
        help_text="8 characters from your instructor, e.g. K7M2QX9P.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        # People type codes with spaces or dashes, in any case.
        return "".join(ch for ch in self.cleaned_data["code"].upper() if ch.isalnum())


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
