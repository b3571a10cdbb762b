"""Site-wide views: the role-based home redirect and the health probe."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from flexserve import policy
from flexserve.policy import Perm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Shop owners land in the portal; staff who visit shops on today's visits (what they need
    first, usually on a phone); everyone else on the shop list."""
    if policy.has_perm(request.user, Perm.PORTAL_USE):
        return redirect("portal:home")
    if policy.has_perm(request.user, Perm.VISIT_WORK):
        return redirect("console:field_day")
    return redirect("console:shop_list")


def _database_status() -> dict[str, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"status": "ok", "engine": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - the probe reports, it never raises
        return {"status": "error", "engine": connection.vendor, "detail": type(exc).__name__}


def _broker_status() -> dict[str, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "mode": "in-process"}
    from flexserve.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"status": "ok", "mode": "celery"}
    except Exception as exc:  # noqa: BLE001
        return {"status": "error", "mode": "celery", "detail": type(exc).__name__}


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status: 200 when both answer, 503 otherwise (for load balancers)."""
    checks = {"database": _database_status(), "broker": _broker_status()}
    healthy = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "mode": settings.MODE, **checks},
        status=200 if healthy else 503,
    )
