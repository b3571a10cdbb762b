"""commerce's panels on other apps' pages (``flexserve.panels``): a shop's recent activity."""

from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from commerce import selectors
from customers.models import Shop
from flexserve import panels
from flexserve.policy import Perm


def _activity(user: User, shop: Shop, *, area: str) -> dict[str, Any]:
    """The shop's recent orders; ``area`` ("console" or "portal") decides where links go."""
    return {"activity": selectors.recent_activity(user=user, shop_id=shop.pk), "area": area}


def register() -> None:
    """Called by CommerceConfig.ready()."""
    for slot, area in ((panels.CONSOLE_SHOP, "console"), (panels.PORTAL_HOME, "portal")):
        panels.register(
            slot,
            panels.Panel(
                key="commerce.activity",
                title=_("Recent orders"),
                template="commerce/_recent_activity.html",
                context=partial(_activity, area=area),
                order=20,
                allowed=panels.requires(Perm.ORDER_VIEW),
            ),
        )
