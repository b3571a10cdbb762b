"""Staff pages under /outreach/: campaigns with their funnels, and message templates.

Thin: check the permission, call one selector or service, render. OUTREACH_VIEW reads (every
staff member; the funnel counts only the deliveries of shops they see), OUTREACH_SEND writes.
A refused save re-renders the form with the service's messages on its fields (422) and what was
typed; nothing is saved on any error. The campaign form asks for a live audience count (htmx)
whenever a filter changes; without JavaScript the count is given when the campaign is saved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flexserve import policy, xlsx
from flexserve.errors import AppError, Forbidden
from flexserve.policy import Perm
from flexserve.web import filter_query, safe_redirect, scope_errors_pass
from outreach import selectors, variables
from outreach.audience import AudienceFilters
from outreach.forms import AudienceForm, CampaignForm, TemplateForm
from outreach.models import Campaign, Template
from outreach.services import campaigns as campaign_services

CAMPAIGNS_PER_PAGE = 25


def _service_refused(exc: AppError) -> None:
    """Out of scope or role stays a 404/403 page; other failures go on the form."""
    scope_errors_pass(exc)
    if isinstance(exc, Forbidden):
        raise exc


def _variable_help() -> list[tuple[str, str]]:
    return [("{" + name + "}", str(label)) for name, (label, _width) in variables.VARIABLES.items()]


# --- Campaigns ---------------------------------------------------------------------------------


@login_required
@require_GET
def campaigns(request: HttpRequest) -> HttpResponse:
    """Every campaign, newest first, with its sends and the deliveries the user sees."""
    policy.require(request.user, Perm.OUTREACH_VIEW)
    status = request.GET.get("status", "")
    qs = selectors.campaign_list(user=request.user, status=status)
    context = {
        "page": Paginator(qs, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page")),
        "statuses": Campaign.Status.choices,
        "status": status,
        "query": filter_query(request.GET),
        "can_send": policy.has_perm(request.user, Perm.OUTREACH_SEND),
    }
    return render(request, "outreach/console/campaigns.html", context)


def _campaign_form_page(request: HttpRequest, form: CampaignForm, status: int) -> HttpResponse:
    context = {"form": form, "variables": _variable_help()}
    return render(request, "outreach/console/campaign_form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request: HttpRequest) -> HttpResponse:
    """A template to an audience of shops: sent now, at a time, or repeated."""
    policy.require(request.user, Perm.OUTREACH_SEND)
    choices = selectors.campaign_form_choices(user=request.user)
    if request.method != "POST":
        initial = {}
        template_id = request.GET.get("template")
        if template_id and template_id.isdigit():
            initial["template_id"] = int(template_id)
        return _campaign_form_page(request, CampaignForm(choices=choices, initial=initial), 200)
    form = CampaignForm(request.POST, choices=choices)
    if form.is_valid():
        try:
            campaign = campaign_services.campaign_create(
                actor=request.user, **form.service_arguments()
            )
        except AppError as exc:
            _service_refused(exc)
            form.add_app_error(exc)
        else:
            messages.success(request, _saved_notice(campaign))
            return safe_redirect(request, reverse("outreach:campaign", args=[campaign.pk]))
    return _campaign_form_page(request, form, 422)


def _saved_notice(campaign: Campaign) -> str:
    if campaign.starts_at > timezone.now():
        when = timezone.localtime(campaign.starts_at).strftime("%Y-%m-%d %H:%M")
        return _("“%(name)s” is scheduled for %(when)s.") % {"name": campaign.name, "when": when}
    return _("“%(name)s” is being sent to %(count)s shops.") % {
        "name": campaign.name,
        "count": campaign.audience_preview,
    }


@login_required
@require_GET
def audience_preview(request: HttpRequest) -> HttpResponse:
    """The campaign form's live count: how many active shops the filters reach today."""
    policy.require(request.user, Perm.OUTREACH_SEND)
    form = AudienceForm(request.GET, choices=selectors.campaign_form_choices(user=request.user))
    context: dict[str, Any] = {"count": None, "empty": False}
    if form.is_valid():
        filters = AudienceFilters.from_dict(form.audience())
        context["empty"] = filters.is_empty()
        context["count"] = selectors.audience_preview(user=request.user, filters=filters)
    return render(request, "outreach/console/_audience_count.html", context)


@login_required
@require_GET
def campaign(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """A campaign: what it sends to whom and when, its sends, and its funnel."""
    policy.require(request.user, Perm.OUTREACH_VIEW)
    found = selectors.campaign_get(user=request.user, campaign_id=campaign_id)
    funnel = selectors.campaign_funnel(user=request.user, campaign_id=found.pk)
    context = {
        "campaign": found,
        "audience": selectors.audience_summary(user=request.user, audience=found.audience),
        "sends": selectors.campaign_messages(user=request.user, campaign=found),
        "funnel": funnel,
        "chart_data": funnel if funnel["deliveries"] else None,
        "can_cancel": policy.has_perm(request.user, Perm.OUTREACH_SEND)
        and found.status in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING),
        "territorial": request.user.role in policy.TERRITORIAL_ROLES,
    }
    return render(request, "outreach/console/campaign.html", context)


@login_required
@require_POST
def campaign_cancel(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """Stop a campaign's future sends; what is already out keeps going."""
    try:
        cancelled = campaign_services.campaign_cancel(actor=request.user, campaign_id=campaign_id)
    except AppError as exc:
        _service_refused(exc)
        messages.error(request, exc.render_message())
    else:
        messages.success(request, _("“%(name)s” is cancelled.") % {"name": cancelled.name})
    return safe_redirect(request, reverse("outreach:campaign", args=[campaign_id]))


# --- The funnel as a spreadsheet ---------------------------------------------------------------


def funnel_sheets(funnel: dict[str, Any]) -> list[xlsx.Sheet]:
    """The funnel's tables as sheets (漏斗 / 渠道 / 分类 / 区域 / 未发送原因). The sheet names are
    the file's format, in Chinese whatever the page's language, like an import template's."""
    labels = funnel["labels"]
    stages = [stage["key"] for stage in funnel["stages"]]
    stage_heads = [labels[key] for key in stages]
    channel_keys = ["deliveries", *stages[1:], "queued", "failed", "suppressed"]
    channel_heads = [pgettext("outreach", "Deliveries"), *stage_heads[1:], labels["queued"]]
    channel_heads += [labels["failed"], labels["suppressed"]]
    return [
        (
            "漏斗",
            [_("Stage"), _("Shops"), _("Share of targeted shops (%)")],
            [(s["label"], s["shops"], s["rate"]) for s in funnel["stages"]],
        ),
        (
            "渠道",
            [_("Channel"), *channel_heads],
            [(row["label"], *(row[key] for key in channel_keys)) for row in funnel["channels"]],
        ),
        (
            "分类",
            [_("Class"), *stage_heads],
            [(row["label"], *(row[key] for key in stages)) for row in funnel["segments"]],
        ),
        (
            "区域",
            [_("District"), *stage_heads],
            [(row["label"], *(row[key] for key in stages)) for row in funnel["districts"]],
        ),
        (
            "未发送原因",
            [_("Status"), _("Reason"), pgettext("outreach", "Deliveries"), _("Shops")],
            [
                (row["status_label"], row["label"], row["deliveries"], row["shops"])
                for row in funnel["reasons"]
            ],
        ),
    ]


@login_required
@require_GET
def campaign_export(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """The funnel as an XLSX file, counted over the deliveries the user sees."""
    policy.require(request.user, Perm.OUTREACH_VIEW)
    funnel = selectors.campaign_funnel(user=request.user, campaign_id=campaign_id)
    stamp = timezone.localtime().strftime("%Y%m%d")
    return xlsx.xlsx_response(
        funnel_sheets(funnel), filename=f"campaign-{campaign_id}-{stamp}.xlsx"
    )


# --- Templates ---------------------------------------------------------------------------------


@login_required
@require_GET
def templates(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.OUTREACH_VIEW)
    context = {
        "templates": selectors.template_list(user=request.user),
        "can_send": policy.has_perm(request.user, Perm.OUTREACH_SEND),
    }
    return render(request, "outreach/console/templates.html", context)


def _template_form(request: HttpRequest, template: Template | None) -> HttpResponse:
    policy.require(request.user, Perm.OUTREACH_SEND)
    context: dict[str, Any] = {"template": template, "variables": _variable_help()}
    if request.method != "POST":
        context["form"] = TemplateForm(template=template)
        return render(request, "outreach/console/template_form.html", context)
    form = TemplateForm(request.POST, template=template)
    if form.is_valid():
        try:
            saved = campaign_services.template_save(
                actor=request.user,
                template_id=template.pk if template else None,
                **form.service_arguments(),
            )
        except AppError as exc:
            _service_refused(exc)
            form.add_app_error(exc)
        else:
            messages.success(request, _("Saved the template “%(name)s”.") % {"name": saved.name})
            return redirect("outreach:templates")
    context["form"] = form
    return render(request, "outreach/console/template_form.html", context, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request: HttpRequest) -> HttpResponse:
    return _template_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: int) -> HttpResponse:
    policy.require(request.user, Perm.OUTREACH_SEND)
    return _template_form(
        request, selectors.template_get(user=request.user, template_id=template_id)
    )
