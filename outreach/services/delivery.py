"""Deliveries: a message planned for each shop by the rules, handed to the channels, booked.

The work is split so that any step can run twice and any worker can die:

- ``fan_out(message)`` resolves the audience and enqueues batches of shop ids;
- ``deliver_batch(message, shops)`` plans each shop (``planning`` with ``outreach.rules``:
  consent, cap, quiet hours, the shop's channel order) and inserts its delivery rows, unique
  per (message, shop, channel), so a repeated batch inserts nothing; then it sends what is due;
- ``send(ids)`` claims queued rows (a lease in ``not_before``, rows locked by another worker
  skipped), re-checks consent — an opt-out after scheduling still stops the send — and calls
  the channel adapters; a transient failure is retried with backoff, a refusal or the last
  failure falls back to the shop's next channel;
- ``tick()`` (every minute) makes due campaign occurrences, sends what quiet hours or retries
  held, and gives up waiting for receipts that did not come in time (next channel).

A status only moves forward (``advance``): receipts come late, twice or out of order.
"""

import logging
import time as clock
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from customers.models import Shop
from flexserve.background import enqueue
from flexserve.throttling import CACHE_ERRORS
from outreach import channels, links, rules, variables
from outreach.audience import AudienceFilters, audience_shops
from outreach.channels.base import Outgoing, SendResult
from outreach.models import Channel, Delivery, Message
from outreach.services import planning

logger = logging.getLogger(__name__)

Status, Reason = Delivery.Status, Delivery.Reason
BATCH = 1000
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RATE_WAITS = 30  # seconds a sender waits for room under a provider's rate before giving up


def receipt_timeout() -> timedelta:
    return timedelta(minutes=settings.OUTREACH_RECEIPT_TIMEOUT_MINUTES)


# --- fan-out and planning -------------------------------------------------------------------


def fan_out(message_id: int) -> int:
    """Enqueue the message's audience in batches; how many shops. Run twice, it plans once
    (the batches' inserts are unique), so no claim is needed here."""
    from outreach.tasks import deliver_batch_task

    message = Message.objects.select_related("campaign").get(pk=message_id)
    if message.campaign is None:
        return 0  # a notice names its shops itself
    filters = AudienceFilters.from_dict(message.campaign.audience)
    shop_ids = list(audience_shops(filters).order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        Message.objects.filter(pk=message_id).update(
            audience_size=len(shop_ids), state=Message.State.OUT
        )
        for start in range(0, len(shop_ids), BATCH):
            enqueue(deliver_batch_task, message_id, shop_ids[start : start + BATCH])
    return len(shop_ids)


def deliver_batch(message_id: int, shop_ids: list[int]) -> int:
    """Plan the message for these shops and send what is due; how many deliveries were sent."""
    now = timezone.now()
    lim = planning.limits()
    message = Message.objects.select_related("template").get(pk=message_id)
    with transaction.atomic():
        # Locking the shops serialises planning per shop, so two campaigns at once cannot both
        # pass a cap with room for one (the lock is held only while the rows are planned).
        locked = list(
            Shop.objects.filter(pk__in=shop_ids)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        planned = set(
            Delivery.objects.filter(message=message, shop_id__in=locked).values_list(
                "shop_id", flat=True
            )
        )
        todo = [pk for pk in locked if pk not in planned]
        capped = rules.counts_against_cap(message.topic)
        counts = planning.cap_counts(todo, message.pk, now) if capped and todo else {}
        rows: list[Delivery] = []
        for shop in planning.shops_for(todo):
            day, week = counts.get(shop.pk, (0, 0))
            rows.extend(
                planning.rows_for(message, shop, planning.shop_state(shop, day, week), now, lim)
            )
        Delivery.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    due = Delivery.objects.filter(
        message=message, shop_id__in=shop_ids, status=Status.QUEUED
    ).filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
    return send(list(due.values_list("pk", flat=True)))


# --- sending --------------------------------------------------------------------------------


def _claim(ids: list[int], now: datetime) -> list[int]:
    """Take the due queued rows among ``ids`` for this worker: a lease, and one more attempt."""
    with transaction.atomic():
        claimed = list(
            Delivery.objects.filter(pk__in=ids, status=Status.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if claimed:
            Delivery.objects.filter(pk__in=claimed).update(
                not_before=now + LEASE, attempts=F("attempts") + 1
            )
    return claimed


def _rate_budget(channel: str, wanted: int) -> int:
    """How many of ``wanted`` this second's provider rate limit still allows (all workers)."""
    limit = settings.OUTREACH_RATE_LIMITS.get(channel)
    if not limit:
        return wanted
    key = f"outreach:rate:{channel}:{int(clock.time())}"
    try:
        cache.add(key, 0, timeout=2)
        used = cache.incr(key, wanted)
        granted = max(0, min(wanted, limit - (used - wanted)))
        if granted < wanted:
            cache.decr(key, wanted - granted)  # give back what this call does not use
    except CACHE_ERRORS:
        return min(wanted, limit)
    return granted


def _values(delivery: Delivery) -> dict[str, str]:
    shop, manager = delivery.shop, delivery.shop.account_manager
    return {
        "店名": shop.name,
        "负责人": shop.owner_name,
        "许可证号": shop.licence_no,
        "客户经理": (manager.full_name or manager.username) if manager else "",
        "经理电话": manager.phone if manager else "",
        "链接": links.tracked_link(delivery.pk) if delivery.message.link else "",
    }


def outgoing(delivery: Delivery) -> Outgoing:
    template = delivery.message.template
    values = _values(delivery)
    return Outgoing(
        delivery_id=delivery.pk,
        address=delivery.address,
        subject=variables.fill(template.subject, values),
        text=variables.fill(template.body, values),
        link=values["链接"],
        sms_template_code=template.sms_template_code,
        sms_params={name: values.get(name, "") for name in template.sms_params},
        wechat_template_id=template.wechat_template_id,
        unsubscribe_url=(
            links.unsubscribe_url(delivery.shop_id, Channel.EMAIL)
            if delivery.channel == Channel.EMAIL
            else ""
        ),
        shop_name=delivery.shop.name,
    )


def _still_allowed(delivery: Delivery) -> str:
    """Why the claimed delivery must not go now ("" when it may): consent is read at send time."""
    state = planning.shop_state(delivery.shop)
    if not state.active:
        return Reason.SHOP_CLOSED
    topic = delivery.message.topic
    if topic != rules.SERVICE and topic not in state.topics:
        return Reason.NO_CONSENT
    if delivery.channel != Channel.IN_APP:
        return rules.channel_gate(topic, delivery.channel, state)
    return ""


def send(ids: list[int]) -> int:
    """Hand the due queued deliveries among ``ids`` to their channels; how many went out."""
    now = timezone.now()
    claimed = _claim(ids, now)
    if not claimed:
        return 0
    rows = list(
        Delivery.objects.filter(pk__in=claimed).select_related(
            "shop__owner_account", "shop__account_manager", "shop__contact_preference"
        )
    )
    # A batch is one message (a few at most): load each once, not once per row.
    messages = Message.objects.select_related("template").in_bulk({d.message_id for d in rows})
    for delivery in rows:
        delivery.message = messages[delivery.message_id]
    by_channel: dict[str, list[Delivery]] = defaultdict(list)
    stopped: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in rows:
        reason = _still_allowed(delivery)
        if reason:
            stopped[reason].append(delivery)
        else:
            by_channel[delivery.channel].append(delivery)
    for reason, stop in stopped.items():
        Delivery.objects.filter(pk__in=[d.pk for d in stop]).update(
            status=Status.SUPPRESSED, reason=reason, not_before=None
        )
        for delivery in stop:
            if delivery.channel != Channel.IN_APP:
                _fall_back(delivery)
    went = 0
    for channel, group in by_channel.items():
        went += _send_channel(channel, group)
    return went


def _send_channel(channel: str, group: list[Delivery]) -> int:
    adapter = channels.adapter_for(channel)
    if adapter is None:
        _fail(group, Reason.NO_PROVIDER, "")
        return 0
    went, waits = 0, 0
    while group:
        budget = _rate_budget(channel, len(group))
        if budget == 0 and waits < RATE_WAITS:
            # The provider's rate is used up for this second (by every worker together): the
            # claimed rows wait here for the next second rather than a minute for the tick.
            waits += 1
            clock.sleep(1.01 - clock.time() % 1)
            continue
        if budget == 0:  # still no room: back to the queue for the tick, the attempt undone
            Delivery.objects.filter(pk__in=[d.pk for d in group]).update(
                not_before=timezone.now(), attempts=F("attempts") - 1
            )
            break
        part, group = group[:budget], group[budget:]
        went += _hand_over(adapter, channel, part)
    return went


def _hand_over(adapter, channel: str, group: list[Delivery]) -> int:
    try:
        results = adapter.send_many([outgoing(d) for d in group])
    except Exception as exc:  # a provider outage (or a bug): retried, then the next channel
        logger.exception("Channel %s failed on a batch of %d", channel, len(group))
        results = [SendResult(d.pk, ok=False, error=str(exc)[:300]) for d in group]
    return _book(group, results, needs_receipt=adapter.needs_receipt)


def _book(group: list[Delivery], results: list[SendResult], *, needs_receipt: bool) -> int:
    now = timezone.now()
    by_id = {d.pk: d for d in group}
    sent: list[Delivery] = []
    delivered_ids: list[int] = []
    retry: list[Delivery] = []
    refused: list[Delivery] = []
    gave_up: list[Delivery] = []
    for result in results:
        delivery = by_id.get(result.delivery_id)
        if delivery is None:
            continue
        delivery.error = result.error[:300]
        if result.ok and result.delivered:
            delivered_ids.append(delivery.pk)
        elif result.ok:
            delivery.status, delivery.sent_at = Status.SENT, now
            delivery.provider_id = result.provider_id[:64]
            # Waiting for a receipt: ``expire_unreceipted`` tries the next channel after this.
            delivery.not_before = now + receipt_timeout() if needs_receipt else None
            sent.append(delivery)
        elif result.permanent:
            refused.append(delivery)
        elif delivery.attempts >= MAX_ATTEMPTS:
            gave_up.append(delivery)
        else:
            delivery.not_before = now + rules.retry_after(delivery.attempts)
            retry.append(delivery)
    with transaction.atomic():
        if delivered_ids:
            Delivery.objects.filter(pk__in=delivered_ids).update(
                status=Status.DELIVERED, sent_at=now, delivered_at=now, not_before=None
            )
        if sent:
            # One statement for what the rows share; only the providers' ids differ per row.
            Delivery.objects.filter(pk__in=[d.pk for d in sent]).update(
                status=Status.SENT, sent_at=now, not_before=sent[0].not_before, error=""
            )
            Delivery.objects.bulk_update(sent, ["provider_id"], batch_size=1000)
        Delivery.objects.bulk_update(retry, ["not_before", "error"], batch_size=1000)
    _fail(refused, Reason.REFUSED, "")
    _fail(gave_up, Reason.GAVE_UP, "")
    return len(delivered_ids) + len(sent)


def _fail(group: list[Delivery], reason: str, error: str) -> None:
    if not group:
        return
    update = {"status": Status.FAILED, "reason": reason, "not_before": None}
    if error:
        update["error"] = error
    Delivery.objects.filter(pk__in=[d.pk for d in group]).update(**update)
    for delivery in group:
        delivery.status, delivery.reason = Status.FAILED, reason
        if delivery.channel != Channel.IN_APP:
            _fall_back(delivery)


def _fall_back(delivery: Delivery) -> None:
    """Plan the shop's next channel after ``delivery``'s and send it if due."""
    shop = planning.shops_for([delivery.shop_id]).first()
    rows = planning.fallback_rows(delivery, shop, timezone.now())
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    due = [r.channel for r in rows if r.status == Status.QUEUED and r.not_before is None]
    if due:
        ids = Delivery.objects.filter(
            message_id=delivery.message_id, shop_id=shop.pk, channel__in=due, status=Status.QUEUED
        ).values_list("pk", flat=True)
        from outreach.tasks import send_task

        enqueue(send_task, list(ids))


# --- status changes from receipts, readers and the clock -----------------------------------

_STAMP = {
    Status.SENT: "sent_at",
    Status.DELIVERED: "delivered_at",
    Status.READ: "read_at",
    Status.CLICKED: "clicked_at",
}


@transaction.atomic
def advance(
    delivery_id: int,
    status: str,
    *,
    at: datetime | None = None,
    reason: str = "",
    error: str = "",
) -> bool:
    """Move a delivery forward to ``status``; whether anything changed. A failure of a push
    channel tries the shop's next channel."""
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None or delivery.status in (Status.FAILED, Status.SUPPRESSED):
        return False
    if Delivery.RANK[status] <= Delivery.RANK[delivery.status]:
        return False
    if status == Status.FAILED and delivery.status not in (Status.QUEUED, Status.SENT):
        return False  # a failure reported after the delivery was confirmed changes nothing
    at = at or timezone.now()
    delivery.status, delivery.not_before = status, None
    fields = ["status", "not_before"]
    if status in _STAMP:
        setattr(delivery, _STAMP[status], at)
        fields.append(_STAMP[status])
    if status == Status.FAILED:
        delivery.reason, delivery.error = reason or Reason.REFUSED, error[:300]
        fields += ["reason", "error"]
    delivery.save(update_fields=fields)
    if status == Status.FAILED and delivery.channel != Channel.IN_APP:
        transaction.on_commit(lambda: _fall_back(delivery))
    return True


def mark_read(delivery_id: int) -> bool:
    return advance(delivery_id, Status.READ)


def mark_clicked(delivery_id: int) -> bool:
    return advance(delivery_id, Status.CLICKED)


def send_due(limit: int = 5000) -> int:
    """Send what quiet hours, retries or the rate limit held and is due now."""
    now = timezone.now()
    ids = list(
        Delivery.objects.filter(status=Status.QUEUED, not_before__lte=now)
        .order_by("not_before")
        .values_list("pk", flat=True)[:limit]
    )
    went = 0
    for start in range(0, len(ids), BATCH):
        went += send(ids[start : start + BATCH])
    return went


def expire_unreceipted() -> int:
    """Sent deliveries whose receipt did not come in time fail, and the next channel is tried."""
    now = timezone.now()
    late = list(
        Delivery.objects.filter(status=Status.SENT, not_before__lte=now).values_list(
            "pk", flat=True
        )[:BATCH]
    )
    return sum(advance(pk, Status.FAILED, reason=Reason.NO_RECEIPT) for pk in late)


def tick() -> int:
    """The minute's work: due campaign occurrences, held sends, late receipts."""
    from outreach.services.campaigns import occurrences_due

    return occurrences_due() + send_due() + expire_unreceipted()
