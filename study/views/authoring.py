"""Authoring: import comparison tables (with a preview), build decks, export CSV/pipe/Anki.

Who: admins import shared comparisons and may edit any; instructors import comparisons they
own and build decks from any comparison they can see. Learners get a 403 page saying so.
Every object comes from a queryset scoped to the user, so foreign slugs are 404s.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.validators import slug_re
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import exporters, importers
from ..forms import DeckForm, ImportRowFormSet, PreviewForm, TableForm
from ..models import INSTRUCTORS, Comparison, Deck

ROWS_PREFIX = "rows"


def can_author(user) -> bool:
    if user.is_staff:
        return True
    flag = getattr(user, "is_instructor", None)  # annotated by study.backends.get_user
    return bool(flag) if flag is not None else user.groups.filter(name=INSTRUCTORS).exists()


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "authoring/forbidden.html", status=403)


def _status(*forms) -> int:
    return 400 if any(form.is_bound and not form.is_valid() for form in forms) else 200


# --- overview -----------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if not can_author(request.user):
        return _forbidden(request)
    user = request.user
    context = {
        "decks": Deck.objects.editable_by(user).select_related("comparison"),
        "comparisons": Comparison.objects.visible_to(user),
        "editable": set(Comparison.objects.editable_by(user).values_list("pk", flat=True)),
    }
    return render(request, "authoring/index.html", context)


# --- import -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def import_table(request: HttpRequest) -> HttpResponse:
    """Step 1: paste or upload. A readable table goes to the preview; nothing is written."""
    if not can_author(request.user):
        return _forbidden(request)
    if request.method == "GET":
        initial = {}
        if slug := request.GET.get("comparison"):
            comparison = _comparison_or_404(Comparison.objects.editable_by(request.user), slug)
            initial = {"comparison": comparison, "title": comparison.title}
            initial["source"] = comparison.source
        form = TableForm(user=request.user, initial=initial)
        return render(request, "authoring/import.html", {"form": form})
    form = TableForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return render(request, "authoring/import.html", {"form": form}, status=400)
    table, details = form.cleaned_data["table"], form.cleaned_data
    data = {
        "title": details["title"],
        "source": details["source"],
        "comparison": details["comparison"].slug if details["comparison"] else "",
        "left_name": table.left_name,
        "left_label": table.left_label,
        "right_name": table.right_name,
        "right_label": table.right_label,
    } | _rows_data(table, details["comparison"])
    preview = PreviewForm(data, user=request.user)
    rows = ImportRowFormSet(data, prefix=ROWS_PREFIX)
    rows.is_valid()
    for row_form, row in zip(rows.forms, table.rows, strict=True):
        if row.ragged:
            row_form.add_error(None, row.ragged)
    return _render_preview(request, preview, rows, table=table)


def _rows_data(table: importers.Table, comparison: Comparison | None) -> dict:
    """The parsed rows as formset data, so the preview shows every problem at once."""
    groups = {}
    if comparison is not None:
        groups = dict(comparison.attributes.values_list("key", "group"))
    data = {f"{ROWS_PREFIX}-TOTAL_FORMS": len(table.rows), f"{ROWS_PREFIX}-INITIAL_FORMS": 0}
    for index, row in enumerate(table.rows):
        prefix = f"{ROWS_PREFIX}-{index}-"
        data |= {
            prefix + "name": row.name,
            prefix + "left": row.left,
            prefix + "right": row.right,
            prefix + "group": groups.get(row.key, row.group),
            prefix + "extra": row.extra,
        }
    return data


def _render_preview(
    request: HttpRequest, preview, rows, *, table=None, status: int = 200
) -> HttpResponse:
    context = {
        "preview": preview,
        "rows": rows,
        "needs_names": table is not None and not table.has_names,
        "problem_count": sum(1 for form in rows.forms if form.errors),
    }
    return render(request, "authoring/preview.html", context, status=status)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: everything posted is validated again, then written in one transaction."""
    if not can_author(request.user):
        return _forbidden(request)
    preview = PreviewForm(request.POST, user=request.user)
    rows = ImportRowFormSet(request.POST, prefix=ROWS_PREFIX)
    if not (preview.is_valid() and rows.is_valid()):
        return _render_preview(request, preview, rows, status=400)
    details = preview.cleaned_data
    table = rows.table(
        left=(details["left_name"], details["left_label"]),
        right=(details["right_name"], details["right_label"]),
    )
    try:
        result = importers.commit_table(
            table=table,
            title=details["title"],
            source=details["source"],
            owner=None if request.user.is_staff else request.user,
            comparison=details["comparison"],
        )
    except (ValueError, IntegrityError):
        # Raced with another import of the same name, or rows changed under us.
        preview.add_error(None, "The import could not be saved; check the rows and try again.")
        return _render_preview(request, preview, rows, status=400)
    counts = result.cards
    verb = "Imported" if result.created else "Updated"
    messages.success(
        request,
        f"{verb} “{result.comparison.title}”: {len(table.rows)} rows, "
        f"{counts['created']} new cards, {counts['updated']} updated, "
        f"{counts['retired']} retired. Deck: “{result.deck.name}”.",
    )
    return redirect("study:comparison", slug=result.comparison.slug)


# --- export -------------------------------------------------------------------------------


@require_GET
def comparison_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    comparison = get_object_or_404(Comparison.objects.visible_to(request.user), slug=slug)
    if fmt == "csv":
        body, content_type = importers.to_csv(comparison), "text/csv; charset=utf-8"
    elif fmt == "txt":
        body, content_type = importers.to_pipe_table(comparison), "text/plain; charset=utf-8"
    else:
        raise Http404("Export as .csv or .txt.")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{comparison.slug}.{fmt}"'
    return response


@require_GET
def deck_anki(request: HttpRequest, slug: str) -> HttpResponse:
    deck = get_object_or_404(Deck.objects.visible_to(request.user), slug=slug)
    response = HttpResponse(exporters.to_apkg(deck), content_type="application/apkg")
    response["Content-Disposition"] = f'attachment; filename="{deck.slug}.apkg"'
    return response


# --- deck builder -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def deck_create(request: HttpRequest) -> HttpResponse:
    if not can_author(request.user):
        return _forbidden(request)
    visible = Comparison.objects.visible_to(request.user)
    slug = request.POST.get("comparison") or request.GET.get("comparison")
    if not slug:
        return render(request, "authoring/deck_form.html", {"comparisons": visible})
    comparison = _comparison_or_404(visible, slug)
    return _deck_form(request, comparison, Deck())


def _comparison_or_404(comparisons, slug: str) -> Comparison:
    # A slug from a form field, not the URL router: anything but a slug (a NUL byte makes
    # PostgreSQL raise) is simply not one of ours.
    if not slug_re.match(slug):
        raise Http404("No such comparison.")
    return get_object_or_404(comparisons, slug=slug)


@require_http_methods(["GET", "POST"])
def deck_edit(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_author(request.user):
        return _forbidden(request)
    deck = get_object_or_404(
        Deck.objects.editable_by(request.user).select_related("comparison"), slug=slug
    )
    if deck.comparison is None:
        raise Http404("This deck has no comparison to pick cards from.")
    return _deck_form(request, deck.comparison, deck)


def _deck_form(request: HttpRequest, comparison: Comparison, deck: Deck) -> HttpResponse:
    creating = deck.pk is None
    form = DeckForm(
        request.POST if request.method == "POST" else None,
        instance=deck,
        comparison=comparison,
        owner=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            deck = form.save()
        except IntegrityError:
            form.add_error(None, "Another deck took this name at the same moment; try again.")
        else:
            count = deck.cards.active().count()
            verb = "created" if creating else "saved"
            messages.success(request, f"Deck “{deck.name}” {verb} with {count} cards.")
            return redirect("study:deck", slug=deck.slug)
    context = {"form": form, "comparison": comparison, "deck": deck}
    return render(request, "authoring/deck_form.html", context, status=_status(form))


@require_POST
def deck_delete(request: HttpRequest, slug: str) -> HttpResponse:
    if not can_author(request.user):
        return _forbidden(request)
    deck = get_object_or_404(Deck.objects.editable_by(request.user), slug=slug)
    try:
        deck.delete()  # membership rows only: cards and everyone's review history stay
    except ProtectedError:  # Assignment.deck is PROTECT
        messages.error(
            request, f"“{deck.name}” is assigned to a classroom; remove the assignment first."
        )
        return redirect("study:authoring")
    messages.success(request, f"Deck “{deck.name}” deleted. Review history is kept.")
    return redirect("study:authoring")
