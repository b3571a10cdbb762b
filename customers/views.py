"""Pages: the shop portal home and the staff console (shops, segmentation, service plans).

Thin: check the role, parse the input (``customers.forms``), call a selector or service, render.
htmx requests get the partial named ``_*.html``; the same URL without htmx gets the whole page.
The shop page's and the portal home's orders, visits and requests are other apps' panels
(``flexserve.panels``, registered in their apps.py): customers imports none of those apps.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit import selectors as audit_selectors
from customers import selectors, services
from customers.errors import RuleSetEmpty, RuleSetNotDraft, ShopAlreadyClosed, ShopNotClosed
from customers.forms import (
    RULE_CHOICES,
    RuleSetInput,
    ServicePlanForm,
    ShopEditForm,
    blank_rule_row,
)
from customers.models import (
    MarketType,
    RequestCategory,
    Segment,
    ServicePlan,
    Shop,
)
from flexserve import panels, policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from flexserve.web import filter_query, is_htmx

SHOPS_PER_PAGE = 25
HISTORY_ROWS = 20
# The badge colours of static/css/app.css (.badge.core …), for the charts.
SEGMENT_COLORS = {
    Segment.CORE: "#b42318",
    Segment.KEY: "#c2410c",
    Segment.POTENTIAL: "#1d4ed8",
    Segment.ORDINARY: "#52606d",
}
# The request categories a shop owner cares about most, shown with the plan's SLA targets.
PLAN_SUMMARY_CATEGORIES = (
    RequestCategory.ORDERING,
    RequestCategory.DELIVERY,
    RequestCategory.STOCK,
    RequestCategory.PAYMENT,
    RequestCategory.COMPLAINT,
)


def _plan_summary(plan: ServicePlan | None) -> dict[str, Any]:
    """A plan with the SLA targets of the summary categories, in that order (no queries)."""
    if plan is None:
        return {"plan": None, "plan_targets": []}
    targets = {t.category: t for t in plan.sla_targets.all()}
    return {
        "plan": plan,
        "plan_targets": [targets[c] for c in PLAN_SUMMARY_CATEGORIES if c in targets],
    }


# --- Portal -------------------------------------------------------------------------------------


@login_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    """My shop, its class and service plan, my account manager, recent orders and payments."""
    policy.require(request.user, Perm.PORTAL_USE)
    shop = selectors.shop_of_owner(user=request.user)
    context: dict[str, Any] = {"shop": shop}
    if shop is not None:
        plan = selectors.service_plan_for_shop(user=request.user, shop=shop)
        context |= _plan_summary(plan)
        context["side_panels"] = panels.render(request, panels.PORTAL_HOME_SIDE, shop)
        context["panels"] = panels.render(request, panels.PORTAL_HOME, shop)
    return render(request, "customers/portal_home.html", context)


# --- Console: shops -----------------------------------------------------------------------------


@login_required
@require_GET
def shop_list(request: HttpRequest) -> HttpResponse:
    """Shops in the user's scope, filtered and paginated; htmx gets only the results."""
    policy.require(request.user, Perm.CONSOLE_USE)
    filters = selectors.ShopFilters.from_mapping(request.GET)
    shops = selectors.shop_list(user=request.user, filters=filters)
    page = Paginator(shops, SHOPS_PER_PAGE).get_page(request.GET.get("page"))
    query = filter_query(request.GET)
    context: dict[str, Any] = {
        "page": page,
        "query": query,
        "can_export": policy.has_perm(request.user, Perm.SHOP_EXPORT),
    }
    if is_htmx(request):
        response = render(request, "customers/_shop_results.html", context)
        # The address bar shows the filters in use, not every empty field of the form.
        pushed = "&".join(filter(None, [query, f"page={page.number}" if page.number > 1 else ""]))
        response["HX-Push-Url"] = f"{request.path}?{pushed}" if pushed else request.path
    else:
        context |= {
            "params": request.GET,
            "districts": selectors.district_list(user=request.user),
            "grids": selectors.grid_list(user=request.user),
            "managers": selectors.account_manager_list(user=request.user),
            "segments": Segment.choices,
            "market_types": MarketType.choices,
            "statuses": Shop.Status.choices,
            "star_choices": range(1, 6),
        }
        response = render(request, "customers/shop_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _shop_form(request: HttpRequest, shop: Shop, data: QueryDict | None = None) -> ShopEditForm:
    """The edit form: bound to ``data`` when posted, else filled from ``shop``."""
    return ShopEditForm(
        data,
        initial=None if data is not None else ShopEditForm.initial_for(shop),
        account_managers=selectors.account_manager_list(user=request.user),
        current_manager=shop.account_manager,
    )


def _shop_main_context(
    request: HttpRequest, shop: Shop, form: ShopEditForm | None = None, saved: bool = False
) -> dict[str, Any]:
    user = request.user
    can_edit = policy.has_perm(user, Perm.SHOP_EDIT)
    if can_edit and form is None:
        form = _shop_form(request, shop)
    return {
        "shop": shop,
        "phone": shop.phone if policy.can_see_contact(user, shop) else shop.masked_phone,
        "history": list(selectors.segment_history(user=user, shop_id=shop.pk)[:HISTORY_ROWS]),
        "can_edit": can_edit,
        "form": form,
        "saved": saved,
        # None hides the change log from roles that may not read the audit trail.
        "audit": (
            audit_selectors.audit_for(user=user, target=shop)
            if policy.has_perm(user, Perm.AUDIT_VIEW)
            else None
        ),
        **_plan_summary(selectors.service_plan_for_shop(user=user, shop=shop)),
    }


def _shop_page(request: HttpRequest, shop: Shop, context: dict[str, Any]) -> HttpResponse:
    """The whole shop page: the main panel and the other apps' panels (orders, visits, requests)."""
    context["panels"] = panels.render(request, panels.CONSOLE_SHOP, shop)
    return render(request, "customers/shop_detail.html", context)


@login_required
@require_GET
def shop_detail(request: HttpRequest, shop_id: int) -> HttpResponse:
    """Master data, territory, class and its history, plan; then the other apps' panels."""
    policy.require(request.user, Perm.CONSOLE_USE)
    shop = selectors.shop_get(user=request.user, shop_id=shop_id)
    return _shop_page(request, shop, _shop_main_context(request, shop))


@login_required
@require_POST
def shop_edit(request: HttpRequest, shop_id: int) -> HttpResponse:
    """Save the edit form; the answer re-renders the shop's main panel (class badge included)."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.SHOP_EDIT)
    shop = selectors.shop_get(user=request.user, shop_id=shop_id)
    form = _shop_form(request, shop, request.POST)
    saved = False
    if form.is_valid():
        try:
            services.shop_update(actor=request.user, shop_id=shop.pk, data=form.cleaned_data)
        except Invalid as exc:
            form.add_service_errors(exc)
        else:
            saved = True
            shop = selectors.shop_get(user=request.user, shop_id=shop_id)
            form = _shop_form(request, shop)
    context = _shop_main_context(request, shop, form=form, saved=saved)
    if is_htmx(request):
        return render(request, "customers/_shop_main.html", context)
    return _shop_page(request, shop, context)


@login_required
@require_POST
def shop_status(request: HttpRequest, shop_id: int) -> HttpResponse:
    """Close a shop (with its closing date) or reopen it; answers with the shop's main panel."""
    policy.require(request.user, Perm.CONSOLE_USE)
    shop = selectors.shop_get(user=request.user, shop_id=shop_id)
    status_error = None
    try:
        if request.POST.get("action") == "reopen":
            services.shop_reopen(actor=request.user, shop_id=shop.pk)
        else:
            raw_day = request.POST.get("closed_on") or ""
            closed_on = parse_date(raw_day) if raw_day else None
            if raw_day and closed_on is None:
                raise ValueError(raw_day)
            services.shop_close(actor=request.user, shop_id=shop.pk, closed_on=closed_on)
    except (Invalid, ShopAlreadyClosed, ShopNotClosed) as exc:
        status_error = exc
    except ValueError:
        status_error = Invalid(fields={"closed_on": [_("Enter a date as YYYY-MM-DD.")]})
    shop = selectors.shop_get(user=request.user, shop_id=shop_id)
    context = _shop_main_context(request, shop)
    context["status_error"] = status_error
    context["status_saved"] = status_error is None
    if is_htmx(request):
        return render(request, "customers/_shop_main.html", context)
    return _shop_page(request, shop, context)


# --- Console: segmentation ----------------------------------------------------------------------


def _segment_overview(request: HttpRequest) -> dict[str, Any]:
    """Charts of the class distribution, the active rules and the rule-set history."""
    user = request.user
    distribution = selectors.segment_distribution(user=user)
    segments = distribution["segments"]
    pie = {
        "labels": [s["label"] for s in segments],
        "series": [
            {
                "name": _("Shops"),
                "data": [distribution["by_segment"][s["code"]] for s in segments],
            }
        ],
        "colors": [SEGMENT_COLORS[s["code"]] for s in segments],
    }
    by_district = {
        "labels": distribution["districts"],
        "series": [
            {
                "name": s["label"],
                "data": distribution["by_district"][s["code"]],
                "color": SEGMENT_COLORS[s["code"]],
            }
            for s in segments
        ],
    }
    return {
        "total_shops": sum(distribution["by_segment"].values()),
        "by_segment": [
            {"code": s["code"], "label": s["label"], "shops": distribution["by_segment"][s["code"]]}
            for s in segments
        ],
        "pie_chart": pie,
        "district_chart": by_district,
        "district_count": len(distribution["districts"]),
        "active": selectors.rule_set_active(user=user),
        "rule_sets": list(selectors.rule_set_list(user=user)[:HISTORY_ROWS]),
    }


def _editor_context(editor: RuleSetInput) -> dict[str, Any]:
    return {"editor": editor, "blank_row": blank_rule_row(), **RULE_CHOICES}


@login_required
@require_GET
def segments(request: HttpRequest) -> HttpResponse:
    """The class distribution, the rules in force and, for managers, the rule editor."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.SEGMENT_VIEW)
    context = _segment_overview(request)
    context["can_edit"] = policy.has_perm(request.user, Perm.SEGMENT_EDIT)
    if context["can_edit"]:
        active = context["active"]
        editor = (
            RuleSetInput.from_rules(active.rules.all(), active.default_segment)
            if active is not None
            else RuleSetInput(rows=[blank_rule_row()["values"]])
        )
        context |= _editor_context(editor)
    return render(request, "customers/segments.html", context)


def _preview_context(preview: dict[str, Any]) -> dict[str, Any]:
    labels = dict(Segment.choices)
    rows = [
        {
            "code": code,
            "label": labels[code],
            "before": preview["before"][code],
            "after": preview["after"][code],
            "change": preview["after"][code] - preview["before"][code],
        }
        for code in preview["segments"]
    ]
    chart = {
        "labels": [str(r["label"]) for r in rows],
        "series": [
            {"name": _("Now"), "data": [r["before"] for r in rows], "color": "#9aa5b1"},
            {"name": _("After"), "data": [r["after"] for r in rows], "color": "#0b6e4f"},
        ],
    }
    return {"preview": preview, "preview_rows": rows, "preview_chart": chart}


def _posted_rules(request: HttpRequest) -> tuple[RuleSetInput, dict[str, Any]]:
    """The rule editor's posted rows (for a manager who may edit rules) and its context."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.SEGMENT_EDIT)
    editor = RuleSetInput.from_post(request.POST)
    return editor, _editor_context(editor)


@login_required
@require_POST
def segment_preview(request: HttpRequest) -> HttpResponse:
    """How many shops the edited rules would move; writes nothing."""
    editor, context = _posted_rules(request)
    if editor.is_valid:
        try:
            preview = selectors.segment_preview(
                user=request.user, rules=editor.rules(), default_segment=editor.default_segment
            )
        except (Invalid, RuleSetEmpty) as exc:
            editor.add_service_errors(exc)
        else:
            context |= _preview_context(preview)
    return render(request, "customers/_rule_editor.html", context)


@login_required
@require_POST
def segment_apply(request: HttpRequest) -> HttpResponse:
    """Save the edited rules as a new version and apply it: every shop is re-classified."""
    editor, context = _posted_rules(request)
    if editor.is_valid:
        try:
            rule_set = services.rule_set_create(
                actor=request.user,
                rules=editor.rules(),
                default_segment=editor.default_segment,
                note=editor.note,
            )
            result = services.rule_set_activate(actor=request.user, rule_set_id=rule_set.pk)
        except (Invalid, RuleSetEmpty, RuleSetNotDraft) as exc:
            editor.add_service_errors(exc)
        else:
            labels = dict(Segment.choices)
            context |= _segment_overview(request) | {
                "result": result,
                "moved_rows": [
                    {"code": code, "label": labels[code], "shops": result.moved_to.get(code, 0)}
                    for code in Segment.values
                ],
            }
            editor.note = ""
    return render(request, "customers/_rule_editor_response.html", context)


# --- Console: service plans ---------------------------------------------------------------------


def _plans_overview(request: HttpRequest) -> dict[str, Any]:
    order = list(Segment.values)
    plans = sorted(
        selectors.service_plan_list(user=request.user), key=lambda p: order.index(p.segment)
    )
    targets = [{t.category: t for t in plan.sla_targets.all()} for plan in plans]
    cells = list(zip(plans, targets, strict=True))
    sla_rows = [
        {"label": label, "cells": [(plan, by_category.get(code)) for plan, by_category in cells]}
        for code, label in RequestCategory.choices
    ]
    return {
        "plans": plans,
        "sla_rows": sla_rows,
        "can_edit": policy.has_perm(request.user, Perm.SERVICE_PLAN_EDIT),
    }


@login_required
@require_GET
def plans(request: HttpRequest) -> HttpResponse:
    """The four service plans side by side and their SLA targets per request category."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.SERVICE_PLAN_VIEW)
    return render(request, "customers/plans.html", _plans_overview(request))


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The edit form of one plan (GET) and its save (POST); saving refreshes the cards."""
    policy.require(request.user, Perm.CONSOLE_USE)
    policy.require(request.user, Perm.SERVICE_PLAN_EDIT)
    plan = selectors.service_plan_get(user=request.user, plan_id=plan_id)
    saved = False
    items = selectors.service_item_list(user=request.user)
    if request.method == "GET":
        form = ServicePlanForm(initial=ServicePlanForm.initial_for(plan), service_items=items)
    else:
        form = ServicePlanForm(request.POST, service_items=items)
        if form.is_valid():
            try:
                services.service_plan_update(
                    actor=request.user, plan_id=plan.pk, data=form.service_data()
                )
            except Invalid as exc:
                form.add_service_errors(exc)
            else:
                saved = True
    context: dict[str, Any] = {"plan": plan, "form": form, "saved": saved}
    if saved:
        context |= _plans_overview(request)
    return render(request, "customers/_plan_editor.html", context)
