"""Classrooms: instructors manage classes, assignments and see progress; learners join.

Every lookup is scoped to the user: instructors reach only classrooms they own (admins
all) through `Classroom.objects.for_instructor`, learners only their enrolments. Anything
else is a 404, whoever asks.
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import TypedDict

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import progress
from ..accounts import spreadsheet_safe
from ..forms import AssignmentForm, ClassroomForm, JoinForm
from ..models import INSTRUCTORS, Assignment, Classroom, Enrollment

JOIN_ATTEMPTS = 10  # failed join attempts per user ...
JOIN_WINDOW = 10 * 60  # ... per 10 minutes, so codes cannot be enumerated
WRONG_CODE = (
    "No open classroom has that join code. Check the code with your instructor "
    "(8 characters, no 0/O or 1/I/L)."
)
TOO_MANY = "Too many wrong join codes. Wait 10 minutes, then try again."


def is_instructor(user) -> bool:
    return user.is_staff or user.groups.filter(name=INSTRUCTORS).exists()


def _owned(request: HttpRequest, pk: int) -> Classroom:
    return get_object_or_404(Classroom.objects.for_instructor(request.user), pk=pk)


def _posted(request: HttpRequest):
    """The POST data, or None on GET (an empty POST still binds the form and fails)."""
    return request.POST if request.method == "POST" else None


def _form_status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


# --- overview and classroom settings ---------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "classrooms/index.html", _index_context(request, JoinForm()))


def _index_context(request: HttpRequest, join_form: JoinForm) -> dict:
    user = request.user
    teaching = is_instructor(user)
    owned = Classroom.objects.none()
    if teaching:
        owned = (
            Classroom.objects.for_instructor(user)
            .select_related("owner")
            .annotate(learner_count=Count("enrollments"))
        )
    return {
        "teaching": teaching,
        "owned": owned,
        "enrolled": Classroom.objects.for_learner(user).select_related("owner"),
        "join_form": join_form,
    }


@require_http_methods(["GET", "POST"])
def classroom_create(request: HttpRequest) -> HttpResponse:
    if not is_instructor(request.user):
        raise PermissionDenied("Only instructors can create classrooms.")
    form = ClassroomForm(_posted(request), owner=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.owner = request.user
        classroom = form.save()
        messages.success(request, f"Classroom “{classroom}” created. Share its join code.")
        return redirect("study:classroom", pk=classroom.pk)
    return render(
        request, "classrooms/classroom_form.html", {"form": form}, status=_form_status(form)
    )


@require_http_methods(["GET", "POST"])
def classroom_edit(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    form = ClassroomForm(_posted(request), instance=classroom, owner=classroom.owner)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Classroom renamed.")
        return redirect("study:classroom", pk=classroom.pk)
    return render(
        request,
        "classrooms/classroom_form.html",
        {"form": form, "classroom": classroom},
        status=_form_status(form),
    )


@require_POST
def classroom_archive(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    # An explicit target value, so a double submit cannot toggle back.
    classroom.archived = request.POST.get("archived") == "1"
    classroom.save(update_fields=["archived"])
    if classroom.archived:
        messages.success(request, "Classroom archived: it no longer accepts learners.")
    else:
        messages.success(request, "Classroom restored.")
    return redirect("study:classroom", pk=classroom.pk)


@require_POST
def classroom_code(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    classroom.regenerate_join_code()
    messages.success(request, f"New join code: {classroom.join_code}. The old one no longer works.")
    return redirect("study:classroom", pk=classroom.pk)


# --- dashboard, drill-down, gradebook ---------------------------------------------


class TableCell(TypedDict):
    """One progress-table cell, as the dashboard template prints it: HTML-safe strings."""

    status: SafeString  # the CSS modifier: status-not_started, ...
    label: SafeString
    href: SafeString  # the learner's cards of this assignment
    subject: SafeString  # the link's target in words: learner and deck
    figures: SafeString


class LastSeen(TypedDict):
    """A learner's last review, as `|date:"c"` and `|timesince:now` would print it."""

    iso: str  # in the current time zone, for <time datetime>
    ago: str  # "2 days, 3 hours"


# A status's CSS modifier and label, escaped once per process.
STATUS_HTML = {status: (escape(status.value), escape(status.label)) for status in progress.Status}


def _table(
    classroom: Classroom, assignments: list[Assignment], rows: list[progress.Row], now: datetime
) -> list[tuple[progress.Row, LastSeen | None, list[TableCell]]]:
    """The rows with their last review and their cells as ready-made strings.

    A class of 40 x 4 assignments has 160 cells: per-cell `{% url %}`, filters and attribute
    chains cost several times more than the figures. Dicts, which the template's
    `format_each` fills its cell markup with (study/templatetags/markup.py). The
    last review's two filters, with their arguments resolved per row, were 40 % of the whole
    page's render; called here they cost half as much, with the same output.

    The cells' 800 strings are HTML-safe, so that nothing escapes each of them again (a
    quarter of the page's render, when the template did): the only text a user chose in
    them, the learner's and the deck's names, is escaped here, once per row and once per
    column; the rest is numbers, URLs reversed from ids, and the fixed words of `progress`.
    """
    # One `reverse` per assignment rather than per cell: the learner's id ends the URL.
    columns = {
        a.pk: (
            escape(
                reverse("study:classroom_learner", args=[classroom.pk, a.pk, 0]).removesuffix("0/")
            ),
            escape(a.deck.name),
        )
        for a in assignments
    }
    table = []
    for row in rows:
        learner_id, learner = row.learner.pk, escape(row.learner.username)
        cells: list[TableCell] = []
        for cell in row.cells:
            status, label = STATUS_HTML[cell.status]
            drill_down, deck = columns[cell.assignment.pk]
            cells.append(
                {
                    "status": status,
                    "label": label,
                    "href": SafeString(f"{drill_down}{learner_id}/"),
                    # What the link opens, for screen readers (the column's heading is far).
                    "subject": SafeString(f"{learner}, {deck} card by card"),
                    "figures": SafeString(cell.figures),  # numbers and fixed words
                }
            )
        last_seen: LastSeen | None = None
        if row.last_review:
            last_seen = {
                "iso": timezone.localtime(row.last_review).isoformat(),
                "ago": timesince(row.last_review, now),
            }
        table.append((row, last_seen, cells))
    return table


@require_GET
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    data = progress.classroom_dashboard(classroom=classroom, now=timezone.now())
    rows, sort = progress.sort_rows(data.rows, request.GET.get("sort", "name"))
    context = {
        "classroom": classroom,
        "dashboard": data,
        "rows": rows,
        "table": _table(classroom, data.assignments, rows, data.now),
        "sort": sort,
        "join_url": request.build_absolute_uri(reverse("study:join", args=[classroom.join_code])),
        "inactive_days": progress.INACTIVE_DAYS,
        "recent_days": progress.RECENT_DAYS,
    }
    template = "classrooms/dashboard.html#table" if request.htmx else "classrooms/dashboard.html"
    return render(request, template, context)


@require_GET
def learner_detail(request: HttpRequest, pk: int, assignment_pk: int, user_pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    assignment = get_object_or_404(classroom.assignments.select_related("deck"), pk=assignment_pk)
    enrollment = get_object_or_404(classroom.enrollments.select_related("user"), user_id=user_pk)
    now = timezone.now()
    cards = progress.learner_cards(user=enrollment.user, assignment=assignment, now=now)
    return render(
        request,
        "classrooms/learner.html",
        {
            "classroom": classroom,
            "assignment": assignment,
            "learner": enrollment.user,
            "cards": cards,
            "started": sum(1 for c in cards if c.state is not None),
        },
    )


GRADEBOOK_HEADER = [
    "classroom",
    "learner",
    "assignment",
    "due_date",
    "target_recall",
    "cards_started",
    "cards_total",
    "reviews_last_7_days",
    "mean_predicted_recall",
    "status",
    "last_review",
]


@require_GET
def gradebook(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    data = progress.classroom_dashboard(classroom=classroom, now=timezone.now())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="gradebook-{classroom.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(GRADEBOOK_HEADER)
    for row in progress.sort_rows(data.rows, "name")[0]:
        for cell in row.cells:
            writer.writerow(
                spreadsheet_safe(value)
                for value in (
                    classroom.name,
                    row.learner.username,
                    cell.assignment.deck.name,
                    cell.assignment.due_date.isoformat(),
                    f"{cell.assignment.target_recall:.2f}",
                    cell.started,
                    cell.total,
                    cell.reviews_recent,
                    "" if cell.mean_recall is None else f"{cell.mean_recall:.3f}",
                    cell.status.label,
                    row.last_review.isoformat() if row.last_review else "",
                )
            )
    return response


# --- assignments ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def assignment_create(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    return _assignment_form(request, classroom, Assignment())


@require_http_methods(["GET", "POST"])
def assignment_edit(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    assignment = get_object_or_404(classroom.assignments, pk=assignment_pk)
    return _assignment_form(request, classroom, assignment)


def _assignment_form(
    request: HttpRequest, classroom: Classroom, assignment: Assignment
) -> HttpResponse:
    form = AssignmentForm(
        _posted(request),
        instance=assignment,
        classroom=classroom,
        user=request.user,
        today=timezone.localdate(),
    )
    if request.method == "POST" and form.is_valid():
        creating = assignment.pk is None
        try:
            with transaction.atomic():
                form.save()
        except IntegrityError:
            # Two submits raced past the form's duplicate check.
            form.add_error("deck", "This deck is already assigned to this classroom: edit it.")
        else:
            messages.success(request, "Assignment added." if creating else "Assignment saved.")
            return redirect("study:classroom", pk=classroom.pk)
    return render(
        request,
        "classrooms/assignment_form.html",
        {"form": form, "classroom": classroom, "assignment": assignment},
        status=_form_status(form),
    )


@require_POST
def assignment_delete(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    assignment = get_object_or_404(classroom.assignments.select_related("deck"), pk=assignment_pk)
    assignment.delete()
    messages.success(
        request, f"Assignment “{assignment.deck}” removed. Learners' review history is kept."
    )
    return redirect("study:classroom", pk=classroom.pk)


# --- roster -----------------------------------------------------------------------


@require_GET
def roster(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    enrollments = classroom.enrollments.select_related("user").order_by("user__username")
    return render(
        request, "classrooms/roster.html", {"classroom": classroom, "enrollments": enrollments}
    )


@require_POST
def roster_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    classroom = _owned(request, pk)
    enrollment = get_object_or_404(classroom.enrollments.select_related("user"), user_id=user_pk)
    # Only the enrolment goes: the learner's ReviewState / ReviewLog are theirs.
    enrollment.delete()
    messages.success(request, f"{enrollment.user.username} removed from {classroom}.")
    return redirect("study:classroom_roster", pk=classroom.pk)


# --- learners: join and leave -------------------------------------------------------


def _attempts_key(user) -> str:
    return f"classroom-join-failures:{user.pk}"


def _rate_limited(user) -> bool:
    return cache.get(_attempts_key(user), 0) >= JOIN_ATTEMPTS


def _count_failure(user) -> None:
    key = _attempts_key(user)
    # add() starts the window on the first failure; incr() keeps its expiry.
    if not cache.add(key, 1, timeout=JOIN_WINDOW):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=JOIN_WINDOW)


def _open_classroom(code: str) -> Classroom | None:
    return Classroom.objects.active().select_related("owner").filter(join_code=code).first()


def _join(request: HttpRequest, classroom: Classroom) -> HttpResponse:
    if classroom.owner_id == request.user.pk:
        messages.info(request, "You teach this classroom; learners join it with the code.")
        return redirect("study:classroom", pk=classroom.pk)
    _, created = Enrollment.objects.get_or_create(classroom=classroom, user=request.user)
    if created:
        messages.success(
            request, f"You joined “{classroom}”. Its assignments are on your home page."
        )
    else:
        messages.info(request, f"You are already in “{classroom}”.")
    return redirect("study:home")


@require_POST
def join_by_code(request: HttpRequest) -> HttpResponse:
    form = JoinForm(request.POST)
    if _rate_limited(request.user):
        form.is_valid()
        form.add_error(None, TOO_MANY)
        return render(request, "classrooms/index.html", _index_context(request, form), status=429)
    if form.is_valid():
        classroom = _open_classroom(form.cleaned_data["code"])
        if classroom is not None:
            return _join(request, classroom)
        _count_failure(request.user)
        form.add_error("code", WRONG_CODE)
    return render(request, "classrooms/index.html", _index_context(request, form), status=400)


@require_http_methods(["GET", "POST"])
def join_by_link(request: HttpRequest, code: str) -> HttpResponse:
    """GET shows what you are joining; POST joins (a link never changes state by itself)."""
    if _rate_limited(request.user):
        return render(request, "classrooms/join.html", {"error": TOO_MANY}, status=429)
    form = JoinForm(data={"code": code})
    classroom = _open_classroom(form.cleaned_data["code"]) if form.is_valid() else None
    if classroom is None:
        _count_failure(request.user)
        return render(request, "classrooms/join.html", {"error": WRONG_CODE}, status=404)
    if request.method == "POST":
        return _join(request, classroom)
    already = classroom.enrollments.filter(user=request.user).exists()
    return render(request, "classrooms/join.html", {"classroom": classroom, "already": already})


@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = Enrollment.objects.filter(classroom_id=pk, user=request.user).first()
    if enrollment is None:
        raise Http404("You are not in this classroom.")
    enrollment.delete()
    messages.success(request, "You left the classroom. Your review history stays yours.")
    return redirect("study:classrooms")
