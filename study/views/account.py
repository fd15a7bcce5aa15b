"""The learner's own data: download the review history, delete the account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from .. import accounts
from ..models import ReviewLog


def _context(request: HttpRequest, form: accounts.DeleteAccountForm) -> dict:
    return {
        "form": form,
        "review_count": ReviewLog.objects.for_user(request.user).count(),
        "blocker": accounts.deletion_blocker(request.user),
    }


@require_GET
def account_page(request: HttpRequest) -> HttpResponse:
    form = accounts.DeleteAccountForm(user=request.user)
    return render(request, "account/account.html", _context(request, form))


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    return _download(
        accounts.reviews_csv(request.user), "text/csv; charset=utf-8", "my-reviews.csv"
    )


@require_GET
def export_json(request: HttpRequest) -> HttpResponse:
    return _download(
        accounts.reviews_json(request.user), "application/json; charset=utf-8", "my-reviews.json"
    )


@require_POST
def delete_account(request: HttpRequest) -> HttpResponse:
    form = accounts.DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "account/account.html", _context(request, form), status=400)
    accounts.delete_account(request.user)
    # The session row is gone already; flush() also drops the cookie's data in this response.
    request.session.flush()
    messages.success(request, "Your account and your review history were deleted.")
    return redirect("login")
