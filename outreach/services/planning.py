"""Planning a message for shops: what the rules (``outreach.rules``) need to know of each shop,
and the delivery rows its plan becomes. Nothing here sends; ``delivery`` does."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from customers.models import Shop
from outreach import channels, rules
from outreach.models import OPT_IN_TOPICS, Channel, ContactPreference, Delivery, Message
from outreach.services.consent import preference_for

Status, Reason = Delivery.Status, Delivery.Reason
# The shop's own gate without the cap: a fallback continues a message already counted.
_UNCAPPED = rules.Limits(per_day=10**6, per_week=10**6)


def limits() -> rules.Limits:
    start, end = settings.OUTREACH_QUIET_HOURS.split("-")
    return rules.Limits(
        per_day=settings.OUTREACH_CAP_PER_DAY,
        per_week=settings.OUTREACH_CAP_PER_WEEK,
        quiet_start=time.fromisoformat(start),
        quiet_end=time.fromisoformat(end),
    )


def addresses(shop: Shop, preference: ContactPreference) -> dict[str, str]:
    owner = shop.owner_account
    manager = shop.account_manager
    return {
        Channel.IN_APP: str(owner.pk) if owner and owner.is_active else "",
        Channel.SMS: shop.phone or "",
        Channel.EMAIL: preference.email or (owner.email if owner else ""),
        Channel.WECHAT: preference.wechat_openid,
        Channel.WECOM: manager.username if manager and manager.is_active else "",
    }


def shop_state(shop: Shop, sent_today: int = 0, sent_week: int = 0) -> rules.ShopState:
    preference = preference_for(shop)
    return rules.ShopState(
        active=shop.status == Shop.Status.ACTIVE,
        channels=tuple(preference.channels),
        topics=frozenset(preference.topics),
        unsubscribed=frozenset(preference.unsubscribed),
        addresses=addresses(shop, preference),
        sent_today=sent_today,
        sent_week=sent_week,
    )


def shops_for(shop_ids: Iterable[int]) -> QuerySet[Shop]:
    """The shops with what planning reads of them, in one query."""
    return Shop.objects.filter(pk__in=list(shop_ids)).select_related(
        "owner_account", "account_manager", "contact_preference"
    )


def cap_counts(shop_ids: list[int], message_id: int, now: datetime) -> dict[int, tuple[int, int]]:
    """Per shop: capped messages already sent today and in the rolling week (China days)."""
    today = timezone.localtime(now, rules.CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    week = today - timedelta(days=6)
    first_at: dict[tuple[int, int], datetime] = {}
    rows = (
        Delivery.objects.filter(
            shop_id__in=shop_ids, created_at__gte=week, message__topic__in=OPT_IN_TOPICS
        )
        .exclude(status=Status.SUPPRESSED)
        .exclude(message_id=message_id)
        .values_list("shop_id", "message_id", "created_at")
    )
    for shop_id, other, at in rows:
        key = (shop_id, other)
        first_at[key] = min(at, first_at.get(key, at))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (shop_id, _other), at in first_at.items():
        counts[shop_id][1] += 1
        if at >= today:
            counts[shop_id][0] += 1
    return {shop_id: (day, week) for shop_id, (day, week) in counts.items()}


def rows_for(
    message: Message, shop: Shop, state: rules.ShopState, now: datetime, lim: rules.Limits
) -> list[Delivery]:
    """The shop's delivery rows for ``message``: one suppressed row, or in-app and push steps."""
    plan = rules.plan(message.topic, state, lim)
    if plan.suppressed:
        channel = state.channels[0] if state.channels else Channel.IN_APP
        return [_row(message, shop, channel, now, reason=plan.suppressed)]
    return [_step_row(message, shop, step, now, lim) for step in plan.steps]


def fallback_rows(delivery: Delivery, shop: Shop, now: datetime) -> list[Delivery]:
    """The rows of the shop's next channels after ``delivery``'s; none when the shop itself now
    refuses the message (consent withdrawn, closed): no channel would do."""
    message = delivery.message
    state = shop_state(shop)
    if rules.shop_gate(message.topic, state, _UNCAPPED):
        return []
    steps = rules.push_steps(message.topic, state, after=delivery.channel)
    return [_step_row(message, shop, step, now, limits()) for step in steps]


def _step_row(message: Message, shop: Shop, step: rules.Step, now: datetime, lim) -> Delivery:
    if step.reason:
        return _row(message, shop, step.channel, now, reason=step.reason)
    if channels.adapter_for(step.channel) is None:
        return _row(message, shop, step.channel, now, reason=Reason.NO_PROVIDER)
    held = rules.quiet_until(step.channel, now, lim)
    return _row(message, shop, step.channel, now, address=step.address, not_before=held)


def _row(message, shop, channel, now, *, reason="", address="", not_before=None) -> Delivery:
    return Delivery(
        message=message,
        shop=shop,
        channel=channel,
        status=Status.SUPPRESSED if reason else Status.QUEUED,
        reason=reason,
        address=address,
        not_before=not_before,
        created_at=now,
    )
