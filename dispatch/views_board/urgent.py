"""The urgent visit page: raise a request's urgent job and propose where it goes."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from dispatch.models import ACTIVE_STATES, Job, JobKind, Plan
from dispatch.services import urgent
from dispatch.views_board.common import (
    _explained,
    _form_error,
    _int_or_none,
    _planner,
    _viewer,
    board_url,
)
from dispatch.views_board.forms import UrgentForm
from flexserve import policy
from flexserve.errors import AppError
from flexserve.policy import Perm
from flexserve.web import is_htmx, safe_redirect, scope_errors_pass
from servicedesk.models import ServiceRequest


def _proposal_context(request: HttpRequest, plan: Plan) -> dict[str, Any]:
    """The proposal's changes with shop names: each changed route before → after."""
    changes = plan.changes or []
    ids = {
        job_id
        for change in changes
        for key in ("before", "after", "added", "removed")
        for job_id in change.get(key) or []
    }
    jobs = {
        job.pk: job
        for job in policy.visible(request.user, Job.objects.select_related("shop")).filter(
            pk__in=ids
        )
    }

    def named(job_ids, mark) -> list[dict[str, Any]]:
        return [
            {
                "id": job_id,
                "name": jobs[job_id].shop.name if job_id in jobs else f"#{job_id}",
                "kind": jobs[job_id].kind if job_id in jobs else "",
                "mark": job_id in mark,
            }
            for job_id in job_ids or []
        ]

    rows = []
    for change in changes:
        added, removed = set(change.get("added") or []), set(change.get("removed") or [])
        rows.append(
            {
                "staff": change.get("staff") or "",
                "staff_id": change.get("staff_id"),
                "before": named(change.get("before"), removed),
                "after": named(change.get("after"), added),
                "retimed": change.get("retimed") or 0,
                "extra_travel_min": round((change.get("extra_travel_s") or 0) / 60),
                "travel_saved_min": -round((change.get("extra_travel_s") or 0) / 60),
            }
        )
    return {
        "proposal": plan,
        "proposal_rows": rows,
        "proposal_board": board_url(plan.first_day, plan.pk),
    }


def _request_proposals(request: HttpRequest, sr: ServiceRequest):
    """The request's active urgent jobs and the latest insertion proposal for them."""
    jobs = list(
        policy.visible(request.user, Job.objects.select_related("shop", "service_item"))
        .filter(request=sr, kind=JobKind.URGENT, state__in=ACTIVE_STATES)
        .order_by("-created_at")
    )
    proposal = (
        policy.visible(request.user, Plan.objects.all())
        .filter(kind=Plan.Kind.REPLAN, urgent_job__in=jobs)
        .order_by("-created_at", "-pk")
        .first()
        if jobs
        else None
    )
    return jobs, proposal


def _raise_and_propose(request: HttpRequest, sr: ServiceRequest, form: UrgentForm) -> Plan:
    """The request's urgent job (made, or re-timed while still a draft) and its proposal."""
    item = form.cleaned_data["service_item"]
    job = urgent.urgent_job_from_request(
        request.user,
        sr.pk,
        service_item_id=item.pk if item else None,
        window_start=form.cleaned_data["window_start"],
        window_end=form.cleaned_data["window_end"],
        note=form.cleaned_data["note"],
    )
    return urgent.propose_insertion(request.user, job.pk)


@login_required
@require_http_methods(["GET", "POST"])
def urgent_visit(request: HttpRequest, request_id: int) -> HttpResponse:
    """From a service request: raise the urgent visit, propose where it goes, publish it."""
    _viewer(request)
    sr = policy.get_visible(
        request.user,
        ServiceRequest,
        request_id,
        qs=ServiceRequest.objects.select_related("shop", "request_type"),
    )
    error = None
    if request.method == "POST":
        _planner(request)
        jobs, _proposal = _request_proposals(request, sr)
        form = UrgentForm(request.POST, user=request.user, job=jobs[0] if jobs else None)
        try:
            if not form.is_valid():
                raise _form_error(form)
            # One transaction: a refused proposal does not leave a new urgent job behind.
            with transaction.atomic():
                proposal = _raise_and_propose(request, sr, form)
        except AppError as exc:
            scope_errors_pass(exc)
            error = _explained(exc)
        else:
            url = reverse("console:dispatch_urgent", args=[sr.pk])
            return safe_redirect(request, f"{url}?{urlencode({'plan': proposal.pk})}")
    jobs, proposal = _request_proposals(request, sr)
    if request.method == "GET":  # a refused POST shows the form as it was sent
        form = UrgentForm(user=request.user, job=jobs[0] if jobs else None)
    chosen = _int_or_none(request.GET.get("plan"))
    if chosen is not None:
        proposal = policy.get_visible(request.user, Plan, chosen)
    context: dict[str, Any] = {
        "sr": sr,
        "form": form,
        "error": error,
        "urgent_jobs": jobs,
        "can_plan": policy.has_perm(request.user, Perm.DISPATCH_PLAN),
        "request_link": reverse("console:request_detail", args=[sr.pk]),
    }
    if proposal is not None:
        context.update(_proposal_context(request, proposal))
    status = error.status if error else 200
    if error and is_htmx(request):
        return render(request, "dispatch/_board_urgent_form.html", context, status=status)
    return render(request, "dispatch/board_urgent.html", context, status=status)
