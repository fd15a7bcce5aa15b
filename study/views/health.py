"""A trivial authenticated page: the framework's ceiling in `make bench`, and a health check."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    # Touching the user loads the session and the user row, as every real page does,
    # so the benchmark ceiling pays the same middleware and authentication cost.
    return HttpResponse(
        "ok" if request.user.is_authenticated else "anonymous", content_type="text/plain"
    )
