"""A shop's consent: its ordered channels, topics, addresses and unsubscribes.

Every change appends a ``ConsentRecord`` (what changed, before and after, where, the wording the
shop saw, who) in the same transaction as the new current state in ``ContactPreference``, which the
sender reads. Marketing and the other opt-in topics are off until the shop turns them on.
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from customers.models import Shop
from flexserve import policy
from flexserve.errors import FieldInvalid
from flexserve.policy import Perm
from outreach.models import (
    OPT_IN_TOPICS,
    PUSH_CHANNELS,
    Channel,
    ConsentRecord,
    ContactPreference,
)

# The statement a shop agrees to when it saves its settings: shown above the save button (and
# given by the API) and stored, in the language it was shown in, as the consent record's
# ``wording`` (PIPL: proof of consent).
CONSENT_STATEMENT = gettext_lazy(
    "By saving, I agree that the company sends my shop messages on the channels ticked above, "
    "tried in the order given, about the topics ticked above. Service notices about my orders, "
    "deliveries and requests always arrive in the app, whatever I choose here. I can change "
    "these settings at any time on this page, and stop a channel with the unsubscribe link or "
    "reply of any message sent on it."
)

# Before a shop states its own order, its contact channels on the shop record are used.
_FROM_SHOP_CHANNELS = {"sms": Channel.SMS, "wechat": Channel.WECHAT, "phone": Channel.SMS}


def default_channels(shop: Shop) -> list[str]:
    order: list[str] = []
    for code in shop.contact_channels or []:
        channel = _FROM_SHOP_CHANNELS.get(code)
        if channel and channel not in order:
            order.append(str(channel))
    return order


def preference_for(shop: Shop) -> ContactPreference:
    """The shop's preference, or the default (unsaved) one when it never chose."""
    try:
        return shop.contact_preference
    except ContactPreference.DoesNotExist:
        return ContactPreference(shop=shop, channels=default_channels(shop))


def _record(
    shop: Shop,
    what: str,
    before: object,
    after: object,
    *,
    source: str,
    wording: str,
    actor: User | None,
) -> ConsentRecord:
    record = ConsentRecord(
        shop=shop,
        what=what,
        before=before,
        after=after,
        source=source,
        wording=wording[:2000],
        actor=actor,
        at=timezone.now(),
    )
    record.save()
    return record


def _clean_channels(channels: list[str]) -> list[str]:
    allowed = {str(c) for c in PUSH_CHANNELS}
    cleaned: list[str] = []
    for channel in channels:
        if channel not in allowed:
            raise FieldInvalid("channels", f"{channel}?")
        if channel not in cleaned:
            cleaned.append(channel)
    return cleaned


def _clean_topics(topics: list[str]) -> list[str]:
    allowed = [str(t) for t in OPT_IN_TOPICS]
    for topic in topics:
        if topic not in allowed:
            raise FieldInvalid("topics", f"{topic}?")
    return [t for t in allowed if t in topics]


@transaction.atomic
def preference_update(
    *,
    actor: User,
    shop_id: int,
    channels: list[str],
    topics: list[str],
    email: str,
    wechat_openid: str | None = None,
    wording: str = "",
    source: str = ConsentRecord.Source.PORTAL,
) -> ContactPreference:
    """Save a shop's channel order, topics and e-mail; one record per thing that changed.

    Choosing a channel again in the order takes back an earlier unsubscribe from it."""
    shop = policy.get_visible(actor, Shop, shop_id, for_update=True)
    if policy.owned_shop_id(actor) != shop.pk:
        policy.require(actor, Perm.SHOP_EDIT, shop)
    channels, topics = _clean_channels(channels), _clean_topics(topics)
    current = preference_for(shop)
    before = {
        "channels": list(current.channels),
        "topics": list(current.topics),
        "email": current.email,
        "unsubscribed": list(current.unsubscribed),
    }
    current.channels, current.topics, current.email = channels, topics, email.strip()
    if wechat_openid is not None:
        current.wechat_openid = wechat_openid.strip()
    current.unsubscribed = [c for c in current.unsubscribed if c not in channels]
    if current.email:
        try:
            validate_email(current.email)
        except ValidationError:
            raise FieldInvalid("email", _("Enter a valid e-mail address.")) from None
    current.save()
    after = {
        "channels": channels,
        "topics": topics,
        "email": current.email,
        "unsubscribed": current.unsubscribed,
    }
    for what in ("channels", "topics", "email", "unsubscribed"):
        if before[what] != after[what]:
            _record(
                shop,
                what,
                before[what],
                after[what],
                source=source,
                wording=wording,
                actor=actor,
            )
    return current


@transaction.atomic
def unsubscribe(
    *, shop_id: int, channel: str, source: str, wording: str = "", actor: User | None = None
) -> bool:
    """Stop a channel for the shop (a link or a reply, no log-in: the caller proved who it is).
    Whether anything changed; a second unsubscribe records nothing."""
    shop = Shop.objects.select_for_update().get(pk=shop_id)
    current = preference_for(shop)
    if channel in current.unsubscribed:
        return False
    before = list(current.unsubscribed)
    current.unsubscribed = [*before, channel]
    current.save()
    _record(
        shop,
        "unsubscribed",
        before,
        current.unsubscribed,
        source=source,
        wording=wording,
        actor=actor,
    )
    return True
