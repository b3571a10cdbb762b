"""servicedesk's panels on other apps' pages (``flexserve.panels``): a shop's requests."""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import Shop
from flexserve import panels
from flexserve.policy import Perm
from servicedesk import selectors
from servicedesk.models import ServiceRequest
from servicedesk.selectors import RequestFilters
from servicedesk.views_console.common import ClockView, relevant_clock

SHOP_REQUESTS = 10  # the latest requests on the console shop page


@dataclass(frozen=True)
class ShopRequestRow:
    request: ServiceRequest
    clock: ClockView  # the clock the request races now (its SLA state)


def shop_requests(user: User, shop: Shop) -> dict[str, Any]:
    """The shop's latest requests ``user`` may see, newest first, with their SLA state."""
    visible = selectors.request_list(user, RequestFilters(shop_id=shop.pk))
    latest = list(visible.order_by("-created_at", "-pk")[:SHOP_REQUESTS])
    now = timezone.now()
    return {
        "rows": [ShopRequestRow(request=r, clock=relevant_clock(r, now)) for r in latest],
        "total": len(latest) if len(latest) < SHOP_REQUESTS else visible.count(),
    }


def register() -> None:
    """Called by ServicedeskConfig.ready()."""
    panels.register(
        panels.CONSOLE_SHOP,
        panels.Panel(
            key="servicedesk.requests",
            title=_("Requests"),
            template="servicedesk/_shop_requests.html",
            context=shop_requests,
            order=10,
            allowed=panels.requires(Perm.CONSOLE_USE, Perm.REQUEST_VIEW),
        ),
    )
