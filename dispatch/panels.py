"""dispatch's panels on other apps' pages (``flexserve.panels``): a shop's visits and bookings."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import Shop
from dispatch import booking_selectors, field_selectors
from flexserve import panels
from flexserve.policy import Perm

SHOP_VISITS = 20  # the console shop page's visit history
NEXT_VISITS = 3  # the portal home's next and recent visits


def _shop_visits(user: User, shop: Shop) -> dict[str, Any]:
    return {"visits": field_selectors.shop_visits(user, shop.pk, limit=SHOP_VISITS)}


def _next_visits(user: User, shop: Shop) -> dict[str, Any]:
    listing = booking_selectors.shop_visit_list(
        user, shop_id=shop.pk, upcoming_limit=NEXT_VISITS, past_limit=NEXT_VISITS
    )
    return {"next_visits": listing.upcoming, "recent_visits": listing.past}


def register() -> None:
    """Called by DispatchConfig.ready()."""
    panels.register(
        panels.CONSOLE_SHOP,
        panels.Panel(
            key="dispatch.visits",
            title=_("Visits"),
            template="dispatch/_shop_visits.html",
            context=_shop_visits,
            order=30,
            allowed=panels.requires(Perm.SHOP_VIEW, Perm.CONSOLE_USE),
        ),
    )
    panels.register(
        panels.PORTAL_HOME_SIDE,
        panels.Panel(
            key="dispatch.next_visits",
            title=_("My visits"),
            template="dispatch/_portal_next_visits.html",
            context=_next_visits,
            order=10,
            allowed=panels.requires(Perm.BOOKING_MAKE),
        ),
    )
