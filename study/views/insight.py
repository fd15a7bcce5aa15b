"""Learner insight: statistics with the memory map, settings, and parameter optimization."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import optimizer, stats
from ..forms import SettingsForm
from ..models import Attribute, ReviewLog, StudyProfile


@require_GET
def stats_page(request: HttpRequest) -> HttpResponse:
    profile = request.user.study_profile
    overview = stats.overview(
        user=request.user,
        profile=profile,
        now=timezone.now(),
        comparison_slug=request.GET.get("table", ""),
    )
    return render(request, "study/stats.html", {"overview": overview, "profile": profile})


@require_POST
def study_row(request: HttpRequest, attribute_id: int) -> HttpResponse:
    """Start a session of just one table row's cards (a private deck of the learner's)."""
    visible = Attribute.objects.filter(
        Q(comparison__owner__isnull=True) | Q(comparison__owner=request.user.pk)
    ).select_related("comparison")
    attribute = get_object_or_404(visible, pk=attribute_id)
    deck = stats.study_row_deck(user=request.user, attribute=attribute)
    return redirect("study:study", slug=deck.slug)


@lru_cache(maxsize=1)
def _time_zones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def _settings_context(profile: StudyProfile, form: SettingsForm, result=None) -> dict:
    return {
        "form": form,
        "profile": profile,
        "time_zones": _time_zones(),
        "result": result,
        "review_count": ReviewLog.objects.for_user(profile.user_id).count(),
        "min_items": optimizer.MIN_ITEMS,
        "parameters": optimizer.current_parameters(profile),
        "custom_parameters": bool(profile.parameters),
    }


@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    # A fresh copy: a rejected form must not leave half-applied values on request.user.
    profile = StudyProfile.objects.get(user=request.user)
    form = SettingsForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Settings saved; they apply from your next review.")
            return redirect("study:settings")
        profile = StudyProfile.objects.get(user=request.user)
        return render(request, "study/settings.html", _settings_context(profile, form), status=400)
    return render(request, "study/settings.html", _settings_context(profile, form))


@require_POST
def optimize(request: HttpRequest) -> HttpResponse:
    """Fit parameters to the learner's history now (fast: fsrs-rs, ~0.1 s per 10k reviews)."""
    profile = StudyProfile.objects.get(user=request.user)
    result = optimizer.optimize(
        user=request.user, profile=profile, reschedule=request.POST.get("reschedule") == "on"
    )
    if request.htmx:
        context = _settings_context(profile, SettingsForm(instance=profile), result)
        return render(request, "study/settings.html#optimize", context)
    level = messages.SUCCESS if result.saved else messages.INFO
    messages.add_message(request, level, _summary(result))
    return redirect("study:settings")


def _summary(result: optimizer.Result) -> str:
    """The result as one sentence, for the no-JS redirect (the HTMX answer shows a table)."""
    if result.old is None or result.new is None:
        return result.message
    return (
        f"{result.message} On your {result.items} reviews: log loss {result.old.log_loss:.4f} "
        f"(current) vs {result.new.log_loss:.4f} (fitted); RMSE {100 * result.old.rmse:.1f}% vs "
        f"{100 * result.new.rmse:.1f}%."
    )
