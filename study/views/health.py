"""Health checks: a trivial authenticated page (the framework's ceiling in `make bench`) and
an anonymous one for load balancers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    # Touching the user loads the session and the user row, as every real page does,
    # so the benchmark ceiling pays the same middleware and authentication cost.
    return HttpResponse(
        "ok" if request.user.is_authenticated else "anonymous", content_type="text/plain"
    )


@login_not_required
@require_GET
def livez(request: HttpRequest) -> HttpResponse:
    """For a load balancer's probe: 200 while this app server answers requests.

    It touches neither the session nor the database: were the database unreachable, every
    app server would fail the probe at once and the balancer would take them all out, when
    each of them can still serve an error page and recover by itself."""
    return HttpResponse("ok", content_type="text/plain")
