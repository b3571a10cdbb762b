"""Reads for the shop's own message pages (/outreach/mine/) and the console shop page's panel.

Every read starts from ``policy``: a shop owner reaches their shop's rows only, an account
manager their territory's; out of scope is a 404, like "does not exist".
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from customers.models import Shop
from flexserve import policy
from outreach.models import Channel, ConsentRecord, ContactPreference, Delivery
from outreach.services import consent

# An in-app message is in the shop's box once it went out: a queued one has not had its consent
# checked yet (consent is read at send time) and a suppressed or failed one never arrived.
INBOX_STATUSES = (
    Delivery.Status.SENT,
    Delivery.Status.DELIVERED,
    Delivery.Status.READ,
    Delivery.Status.CLICKED,
)
UNREAD_STATUSES = (Delivery.Status.SENT, Delivery.Status.DELIVERED)
PANEL_DELIVERIES = 10  # the console shop page's recent deliveries
PANEL_RECORDS = 10  # and consent records


def _inbox(user: User) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(
        channel=Channel.IN_APP,
        status__in=INBOX_STATUSES,
        message__scheduled_for__lte=timezone.now(),
    )
    return policy.visible(user, qs)


def my_deliveries(user: User) -> QuerySet[Delivery]:
    """The in-app messages of the user's shop that reached it, newest first."""
    return (
        _inbox(user)
        .select_related("message__template")
        .order_by("-message__scheduled_for", "-created_at", "-pk")
    )


def unread_count(user: User) -> int:
    return _inbox(user).filter(status__in=UNREAD_STATUSES).count()


def delivery_for_reader(user: User, delivery_id: int) -> Delivery:
    """One in-app message of the user's shop, with what its text needs (404 when not theirs)."""
    qs = _inbox(user).select_related("message__template", "shop__account_manager")
    return policy.get_visible(user, Delivery, delivery_id, qs=qs)


def own_shop(user: User) -> Shop | None:
    """The shop a shop owner runs (None for anyone else)."""
    shop_id = policy.owned_shop_id(user) if user.is_authenticated else None
    if shop_id is None:
        return None
    return policy.get_visible(user, Shop, shop_id)


def preference(user: User) -> ContactPreference | None:
    """The user's shop's preference (an unsaved default when it never chose; None: no shop)."""
    shop = own_shop(user)
    return consent.preference_for(shop) if shop is not None else None


def consent_history(user: User, shop_id: int) -> QuerySet[ConsentRecord]:
    """A shop's consent records, newest first (404 when the shop is out of scope)."""
    shop = policy.get_visible(user, Shop, shop_id)
    return (
        policy.visible(user, ConsentRecord.objects.filter(shop=shop))
        .select_related("actor")
        .order_by("-at", "-pk")
    )


@dataclass(frozen=True)
class ShopOutreach:
    """What the console shop page shows of a shop's messages."""

    preference: ContactPreference | None  # None: the shop never chose (defaults apply)
    default_channels: list[str]
    deliveries: list[Delivery]
    records: list[ConsentRecord]


def shop_outreach(user: User, shop: Shop) -> ShopOutreach:
    """The shop's channel order, topics, recent deliveries and consent records, in scope."""
    saved = policy.visible(user, ContactPreference.objects.filter(shop_id=shop.pk)).first()
    deliveries = (
        policy.visible(user, Delivery.objects.filter(shop_id=shop.pk))
        .select_related("message__template")
        .order_by("-created_at", "-pk")[:PANEL_DELIVERIES]
    )
    records = (
        policy.visible(user, ConsentRecord.objects.filter(shop_id=shop.pk))
        .select_related("actor")
        .order_by("-at", "-pk")[:PANEL_RECORDS]
    )
    return ShopOutreach(
        preference=saved,
        default_channels=[] if saved else consent.default_channels(shop),
        deliveries=list(deliveries),
        records=list(records),
    )
