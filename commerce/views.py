"""Pages: a shop's orders in the portal, and one order (lines, delivery, payments).

The order page is the same for shop owners (portal) and staff (console); ``policy`` scopes it, so
another shop's order answers 404.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commerce import selectors
from commerce.models import Order
from flexserve import policy
from flexserve.policy import Perm

ORDERS_PER_PAGE = 20


@login_required
@require_GET
def portal_order_list(request: HttpRequest) -> HttpResponse:
    """My orders, newest first, optionally by status."""
    policy.require(request.user, Perm.PORTAL_USE)
    status = request.GET.get("status", "")
    filters = selectors.OrderFilters(status=status if status in Order.Status.values else "")
    orders = selectors.order_list(user=request.user, filters=filters)
    page = Paginator(orders, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "commerce/portal_order_list.html",
        {
            "page": page,
            "query": urlencode({"status": filters.status}) if filters.status else "",
            "status": filters.status,
            "statuses": Order.Status.choices,
        },
    )


def _order_context(request: HttpRequest, order_id: int) -> dict[str, Any]:
    order = selectors.order_get(user=request.user, order_id=order_id)
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "delivery": getattr(order, "delivery", None),  # None when nothing is planned yet
        "payments": list(order.payments.all()),
    }


@login_required
@require_GET
def portal_order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    policy.require(request.user, Perm.PORTAL_USE)
    context = _order_context(request, order_id) | {"area": "portal"}
    return render(request, "commerce/order_detail.html", context)


@login_required
@require_GET
def console_order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    policy.require(request.user, Perm.CONSOLE_USE)
    context = _order_context(request, order_id) | {"area": "console"}
    return render(request, "commerce/order_detail.html", context)
