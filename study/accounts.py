"""A learner's account: session lifetime, ending sessions, data export and account deletion.

Sessions: a session lives 14 days from the last activity (SESSION_COOKIE_AGE, refreshed
at most once a day, so the study loop does not write the session on every answer), and
never longer than SESSION_ABSOLUTE_AGE since the log-in. Deactivating or deleting a user
ends all their sessions at once; a password change ends their other sessions (Django's
session auth hash).
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterator
from importlib import import_module

from django import forms
from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Classroom, Comparison, ReviewLog

LOGIN_AT = "login_at"  # epoch seconds of the log-in, for the absolute lifetime
SEEN_DAY = "seen_day"  # day number of the last refresh of the idle timeout
DAY = 24 * 60 * 60


# --- sessions -----------------------------------------------------------------------


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def end_sessions(user_id: int) -> int:
    """Delete every session of this user (database and cache); returns how many.

    Django keeps no index from user to session, so this reads the unexpired sessions:
    fine at this app's scale, and only run when an account is deactivated or deleted.
    """
    store = _session_store()
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator():
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id):
            # Through the store, so that cached_db sessions leave the cache too.
            store(session_key=session.session_key).delete()
            ended += 1
    return ended


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def end_sessions_of_inactive_user(sender, instance, raw: bool = False, **kwargs) -> None:
    """Deactivating a user logs them out everywhere, now (not at their next request)."""
    if not raw and not instance.is_active:
        end_sessions(instance.pk)


@receiver(user_logged_in)
def stamp_login_time(sender, request: HttpRequest, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[LOGIN_AT] = now
        request.session[SEEN_DAY] = now // DAY  # saved with the log-in: no refresh today


class SessionLifetimeMiddleware:
    """Idle timeout with a daily refresh, and an absolute lifetime since log-in.

    Marking the session modified once per day re-saves it with a new expiry date
    (now + SESSION_COOKIE_AGE): 14 idle days end it, daily study keeps it, and a
    review costs no session write. Place it after AuthenticationMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.setdefault(LOGIN_AT, now)
            if now - login_at > settings.SESSION_ABSOLUTE_AGE:
                logout(request)
            elif session.get(SEEN_DAY) != now // DAY:
                session[SEEN_DAY] = now // DAY
        return self.get_response(request)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for login lockouts (django-axes' AXES_CLIENT_IP_CALLABLE).

    Behind TRUSTED_PROXY_COUNT proxies every request comes from the last proxy, so the
    address is the one the outermost trusted proxy appended to X-Forwarded-For (counted
    from the right: entries further left are whatever the client chose to send).
    """
    count = settings.TRUSTED_PROXY_COUNT
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [p for p in forwarded if p]
    if count and len(forwarded) >= count:
        return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


# --- export -------------------------------------------------------------------------

EXPORT_FIELDS = [
    "reviewed_at",
    "card_key",
    "card_front",
    "rating",
    "rating_label",
    "kind",
    "duration_ms",
    "state_after",
    "stability_after",
    "difficulty_after",
    "due_after",
]
# Spreadsheets run cells starting with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def review_rows(user) -> Iterator[dict]:
    """The user's review history, oldest first, one dict per answer (streamed)."""
    logs = (
        ReviewLog.objects.for_user(user)
        .select_related("card")
        .order_by("reviewed_at", "pk")
        .iterator(chunk_size=2000)
    )
    for log in logs:
        after = log.after or {}
        yield {
            "reviewed_at": log.reviewed_at.isoformat(),
            "card_key": log.card.key,
            "card_front": log.card.front,
            "rating": log.rating,
            "rating_label": log.get_rating_display(),
            "kind": log.get_kind_display(),
            "duration_ms": log.duration_ms,
            "state_after": after.get("state"),
            "stability_after": after.get("stability"),
            "difficulty_after": after.get("difficulty"),
            "due_after": after.get("due"),
        }


def reviews_csv(user) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    for row in review_rows(user):
        writer.writerow(spreadsheet_safe(row[name]) for name in EXPORT_FIELDS)
    return out.getvalue()


def reviews_json(user) -> str:
    return json.dumps(
        {"username": user.username, "reviews": list(review_rows(user))},
        ensure_ascii=False,
        indent=1,
    )


# --- deletion -----------------------------------------------------------------------


class DeleteAccountForm(forms.Form):
    """Confirms deletion with the current password; refuses while the user owns things
    other people depend on (active classrooms, shared comparisons)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password: nothing was deleted.")
        return password

    def clean(self) -> dict:
        cleaned = super().clean()
        if blocker := deletion_blocker(self.user):
            raise forms.ValidationError(blocker)
        return cleaned


def deletion_blocker(user) -> str:
    """Why this account cannot be deleted yet, or "" if it can."""
    active = Classroom.objects.active().filter(owner=user.pk).count()
    if active:
        return (
            f"You teach {active} active classroom{'s' if active != 1 else ''}: archive "
            "them first (their learners would lose their assignments)."
        )
    if Comparison.objects.filter(owner=user.pk).exists():
        return "You own comparison tables that learners study: ask an admin to take them over."
    return ""


def delete_account(user) -> None:
    """Delete the user with their reviews, states, profile, enrolments and sessions.

    Classroom dashboards derive from the logs, so they update by themselves. Failed
    log-in records that name the user go too: they are personal data.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    with transaction.atomic():
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username=user.username).delete()
        end_sessions(user.pk)
        user.delete()
