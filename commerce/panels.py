"""commerce's panels on other apps' pages (``flexserve.panels``): a shop's recent activity."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from commerce import selectors
from customers.models import Shop
from flexserve import panels, policy
from flexserve.policy import Perm


def _may_see_orders(user: User) -> bool:
    return policy.has_perm(user, Perm.ORDER_VIEW)


def _console_activity(user: User, shop: Shop) -> dict[str, Any]:
    return {"activity": selectors.recent_activity(user=user, shop_id=shop.pk), "area": "console"}


def _portal_activity(user: User, shop: Shop) -> dict[str, Any]:
    return {"activity": selectors.recent_activity(user=user, shop_id=shop.pk), "area": "portal"}


def register() -> None:
    """Called by CommerceConfig.ready()."""
    for slot, context in (
        (panels.CONSOLE_SHOP, _console_activity),
        (panels.PORTAL_HOME, _portal_activity),
    ):
        panels.register(
            slot,
            panels.Panel(
                key="commerce.activity",
                title=_("Recent orders"),
                template="commerce/_recent_activity.html",
                context=context,
                order=20,
                allowed=_may_see_orders,
            ),
        )
