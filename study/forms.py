import zoneinfo
from datetime import date

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.db import transaction

from . import importers, scheduling
from .models import (
    Assignment,
    Attribute,
    Card,
    CardKind,
    Classroom,
    Comparison,
    Deck,
    StudyProfile,
)


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
        # Shared decks and the user's own built decks; never a learner's private row deck.
        self.fields["deck"].queryset = Deck.objects.assignable_by(user)
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
        if unit not in STEP_UNITS or not number.isdecimal() or len(number) > 6:
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


# --- authoring: table import and the deck builder ------------------------------------
# Parsing and every row rule live in study/importers.py; these forms only carry the data.


class ImportDetailsForm(forms.Form):
    title = forms.CharField(
        label="Name of the comparison",
        max_length=200,
        help_text="E.g. “Upper vs lower motor neurons”.",
    )
    source = forms.CharField(
        label="Source / citation",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Where the table comes from; every imported fact cites it.",
    )
    comparison = forms.ModelChoiceField(
        label="Update an existing comparison",
        queryset=Comparison.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label="— No: create a new comparison —",
        help_text="Rows are matched by attribute name, so review history is kept.",
        error_messages={
            "invalid_choice": "Pick one of the listed comparisons: you can update only your own."
        },
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["comparison"].queryset = Comparison.objects.editable_by(user)


class TableForm(ImportDetailsForm):
    FORMATS = [("auto", "Detect"), ("pipe", "Pipe table"), ("csv", "CSV")]

    text = forms.CharField(
        label="Paste a table",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=(
            "First line “Left | Right |” (or “Attribute | Left | Right |”), then one row per "
            "line. At most 200 rows, 2 000 characters a cell, 1 MB."
        ),
    )
    file = forms.FileField(
        label="…or upload a CSV or text file", required=False, help_text="UTF-8, at most 1 MB."
    )
    format = forms.ChoiceField(choices=FORMATS, initial="auto", required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        text, upload = cleaned.get("text", ""), cleaned.get("file")
        if bool(text and text.strip()) == bool(upload):
            raise ValidationError("Paste a table or upload a file (one of the two).")
        try:
            if upload:
                if upload.size > importers.MAX_BYTES:
                    raise importers.TableError("The file is larger than 1 MB; split the table.")
                text = importers.decode(upload.read(importers.MAX_BYTES + 1))
            cleaned["table"] = importers.parse(text, cleaned.get("format") or "auto")
        except importers.TableError as exc:
            self.add_error("file" if upload else "text", exc.message)
        return cleaned


class PreviewForm(ImportDetailsForm):
    left_name = forms.CharField(label="Left column", max_length=importers.MAX_SIDE_NAME)
    left_label = forms.CharField(label="Left short label", max_length=importers.MAX_LABEL)
    right_name = forms.CharField(label="Right column", max_length=importers.MAX_SIDE_NAME)
    right_label = forms.CharField(label="Right short label", max_length=importers.MAX_LABEL)


class ImportRowForm(forms.Form):
    # No field rules here: importers.row_problems checks rows, for the preview and the commit.
    name = forms.CharField(label="Attribute", required=False)
    left = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    right = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    group = forms.CharField(
        required=False,
        initial=importers.DEFAULT_GROUP,
        widget=forms.Select(choices=importers.ROW_GROUPS),
    )
    extra = forms.CharField(
        label="Extra cells", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def row(self) -> importers.Row:
        data = self.cleaned_data
        return importers.Row(
            name=data.get("name", ""),
            left=data.get("left", ""),
            right=data.get("right", ""),
            group=data.get("group", ""),
            extra=data.get("extra", ""),
        )


class BaseImportRowFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": f"A table can have at most {importers.MAX_ROWS} rows; split it.",
        "missing_management_form": "The preview form was incomplete; import the table again.",
    }

    def kept_forms(self) -> list[ImportRowForm]:
        return [form for form in self.forms if not self._should_delete_form(form)]

    def clean(self) -> None:
        if any(self.non_form_errors()):
            return
        table = self.table(left=("", ""), right=("", ""))
        for form, row in zip(self.kept_forms(), table.rows, strict=True):
            for problem in row.problems:
                form.add_error(None, problem)
        if not table.rows:
            raise ValidationError("Keep at least one row.")

    def table(self, *, left: tuple[str, str], right: tuple[str, str]) -> importers.Table:
        rows = [form.row() for form in self.kept_forms() if hasattr(form, "cleaned_data")]
        table = importers.Table(left[0], right[0], left[1], right[1], rows=rows, has_names=True)
        importers.validate(table)
        return table


ImportRowFormSet = forms.formset_factory(
    ImportRowForm,
    formset=BaseImportRowFormSet,
    extra=0,
    can_delete=True,
    max_num=importers.MAX_ROWS,
    absolute_max=importers.MAX_ROWS,
    validate_max=True,
)


class IdsField(forms.ModelMultipleChoiceField):
    """Choices by primary key; a value that cannot be one of our ids (not a plain number of
    at most 18 digits) is an invalid choice, never a query: SQLite overflows on `pk__in`
    with a number past 64 bits, which Django does not catch."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk)
            if not (text.isdecimal() and len(text) <= 18):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class DeckForm(forms.ModelForm):
    """A built deck: whole attributes (rows), the vignettes, and/or single cards."""

    attributes = IdsField(
        label="Whole rows",
        queryset=Attribute.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every card of each ticked row.",
    )
    vignettes = forms.BooleanField(label="All vignettes", required=False)
    cards = IdsField(
        label="Single cards",
        queryset=Card.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Deck
        fields = ("name", "description")
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, comparison: Comparison, owner, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.comparison, self.owner = comparison, owner
        active = Card.objects.active().filter(comparison=comparison)
        self.fields["attributes"].queryset = comparison.attributes.order_by("order", "key")
        self.fields["cards"].queryset = active.order_by("order", "key")
        self.fields["cards"].label_from_instance = lambda card: card.front
        if self.instance.pk and not self.is_bound:
            self._initial_from_membership(active)

    def _initial_from_membership(self, active) -> None:
        members = set(self.instance.cards.active().values_list("pk", flat=True))
        by_attribute: dict[int, set[int]] = {}
        vignette_cards: set[int] = set()
        for pk, attribute_id, kind in active.values_list("pk", "attribute_id", "kind"):
            if kind == CardKind.IDENTIFY:
                vignette_cards.add(pk)
            elif attribute_id:
                by_attribute.setdefault(attribute_id, set()).add(pk)
        whole = [a for a, cards in by_attribute.items() if cards <= members]
        covered = set().union(*(by_attribute[a] for a in whole))
        vignettes = bool(vignette_cards) and vignette_cards <= members
        if vignettes:
            covered |= vignette_cards
        self.initial |= {
            "attributes": whole,
            "vignettes": vignettes,
            "cards": sorted(members - covered),
        }

    def clean(self) -> dict:
        cleaned = super().clean()
        active = Card.objects.active().filter(comparison=self.comparison)
        chosen = set(active.filter(attribute__in=cleaned.get("attributes") or []))
        if cleaned.get("vignettes"):
            chosen |= set(active.filter(kind=CardKind.IDENTIFY))
        chosen |= set(cleaned.get("cards") or [])
        if not chosen:
            raise ValidationError("Pick at least one row, the vignettes or a card.")
        cleaned["members"] = chosen
        return cleaned

    @transaction.atomic
    def save(self, commit: bool = True) -> Deck:
        deck = super().save(commit=False)
        if deck.pk is None:
            deck.slug = importers.unique_slug(Deck, deck.name, fallback="deck")
            deck.owner = self.owner
            deck.comparison = self.comparison
            deck.groups = []  # membership is explicit, never re-synced from groups
            deck.order = 200
        deck.save()
        # Only the deck's membership rows change: ReviewState / ReviewLog are untouched.
        deck.cards.set(self.cleaned_data["members"])
        return deck
