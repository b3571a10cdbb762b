"""Notifications go through an outbox: written with the change, delivered after it commits.

Nothing is sent inside the web request. A message row is committed together with the event that
caused it; a task delivers it afterwards. When the broker is down the row stays pending and the
sweeper (Celery beat, or the embedded scheduler) hands it over when it can. A delivery claims rows
(pending → sending, in one transaction, skipping rows another worker holds), so a message enqueued
twice is sent once; in-app notifications are unique per message, and e-mails carry a stable
Message-ID for the rare crash between the SMTP hand-over and the bookkeeping.

With a broker, deliveries are batched: the first message after a quiet moment schedules one
drain task a moment later, which delivers everything pending then. Under load that is one task
per half second instead of one per message.
"""

import contextlib
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from flexserve.background import enqueue
from flexserve.throttling import CACHE_ERRORS, cache_down
from servicedesk.models import Notification, OutboxMessage, ServiceRequest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STALE_CLAIM = timedelta(minutes=5)
SWEEP_AFTER = timedelta(seconds=30)
BATCH = 500
DRAIN_KEY = "outbox:drain-scheduled"
DRAIN_DEBOUNCE_SECONDS = 1  # whole seconds: Redis keys expire by the second
# After a failed hand-over to the broker this process does not try again for a while: each try
# costs the request that makes it, and the committed rows wait safely for a later drain.
BROKER_BACKOFF_SECONDS = 5


def notify(
    recipient: User,
    *,
    subject: str,
    body: str = "",
    url: str = "",
    request: ServiceRequest | None = None,
    email: bool = True,
) -> list[OutboxMessage]:
    """Queue an in-app notification (and an e-mail when asked and the user has an address)."""
    messages = OutboxMessage.objects.bulk_create(
        messages_for(recipient, subject=subject, body=body, url=url, request=request, email=email)
    )
    schedule_delivery([m.pk for m in messages])
    return messages


def messages_for(
    recipient: User,
    *,
    subject: str,
    body: str = "",
    url: str = "",
    request: ServiceRequest | None = None,
    email: bool = True,
) -> list[OutboxMessage]:
    """The unsaved outbox rows of one notification (the caller saves them in its transaction
    and then calls ``schedule_delivery``)."""
    media = [OutboxMessage.Medium.IN_APP]
    if email and recipient.email:
        media.append(OutboxMessage.Medium.EMAIL)
    return [
        OutboxMessage(
            medium=medium,
            recipient=recipient,
            address=recipient.email if medium == OutboxMessage.Medium.EMAIL else "",
            subject=subject[:200],
            body=body[:4000],
            url=url[:200],
            request=request,
        )
        for medium in media
    ]


def schedule_delivery(message_ids: list[int]) -> None:
    from servicedesk.tasks import deliver_outbox_task

    if settings.CELERY_TASK_ALWAYS_EAGER:
        enqueue(deliver_outbox_task, message_ids)  # embedded: in-process, after commit
    else:
        transaction.on_commit(_schedule_drain)


_drain_due_at = 0.0  # this process scheduled a drain that runs no earlier than this


def _schedule_drain() -> None:
    global _drain_due_at
    from servicedesk.tasks import drain_outbox_task

    if time.monotonic() < _drain_due_at:
        return  # this process already scheduled a drain that will see these messages
    try:
        first = cache.add(DRAIN_KEY, 1, timeout=DRAIN_DEBOUNCE_SECONDS)
    except CACHE_ERRORS as error:  # Redis restarting: this process's own debounce still holds
        cache_down(error)
        first = True
    if not first:
        return  # another process did
    _drain_due_at = time.monotonic() + DRAIN_DEBOUNCE_SECONDS
    try:
        # No publish retries: they would hold the request up (~1 s) while the broker is down.
        drain_outbox_task.apply_async(countdown=DRAIN_DEBOUNCE_SECONDS, retry=False)
    except Exception:  # broker down: the rows stay pending for the sweeper
        logger.exception("Could not schedule the outbox drain; the sweeper will deliver")
        _drain_due_at = time.monotonic() + BROKER_BACKOFF_SECONDS
        with contextlib.suppress(*CACHE_ERRORS):  # the same Redis: the key expires by itself
            cache.delete(DRAIN_KEY)


def _claim(pending, limit: int = BATCH) -> list[int]:
    """Mark up to ``limit`` pending rows as being sent by this worker; their ids."""
    with transaction.atomic():
        ids = list(
            pending.filter(state=OutboxMessage.State.PENDING)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(
                state=OutboxMessage.State.SENDING,
                claimed_at=timezone.now(),
                attempts=F("attempts") + 1,
            )
    return ids


def deliver_many(message_ids: list[int]) -> int:
    """Send those of the messages that are still pending; how many this call sent."""
    claimed = _claim(OutboxMessage.objects.filter(pk__in=message_ids))
    return _send_claimed(claimed) if claimed else 0


def deliver(message_id: int) -> bool:
    return deliver_many([message_id]) == 1


def drain() -> int:
    """Deliver everything pending, batch after batch."""
    sent = 0
    while claimed := _claim(OutboxMessage.objects.all()):
        sent += _send_claimed(claimed)
    return sent


def _send_claimed(ids: list[int]) -> int:
    messages = list(OutboxMessage.objects.filter(pk__in=ids).select_related("recipient"))
    in_app = [m for m in messages if m.medium == OutboxMessage.Medium.IN_APP]
    Notification.objects.bulk_create(
        [
            Notification(
                outbox=m,
                recipient_id=m.recipient_id,
                subject=m.subject,
                body=m.body[:1000],
                url=m.url,
                created_at=m.created_at,
            )
            for m in in_app
        ],
        ignore_conflicts=True,  # one notification per message, however often it is delivered
    )
    OutboxMessage.objects.filter(pk__in=[m.pk for m in in_app]).update(
        state=OutboxMessage.State.SENT, sent_at=timezone.now()
    )
    sent = len(in_app)
    emails = [m for m in messages if m.medium == OutboxMessage.Medium.EMAIL]
    if emails:
        connection = get_connection()
        for message in emails:
            try:
                _email(message, connection).send()
            except Exception as exc:  # noqa: BLE001 (a mail error must not lose the message)
                _failed(message, exc)
                continue
            # Each e-mail is booked as soon as it is handed over: a worker killed mid-batch
            # leaves only the unsent ones (and at most the one in flight) for the sweeper.
            OutboxMessage.objects.filter(pk=message.pk).update(
                state=OutboxMessage.State.SENT, sent_at=timezone.now()
            )
            sent += 1
    return sent


def _email(message: OutboxMessage, connection) -> EmailMessage:
    link = f"\n\n{settings.SITE_URL.rstrip('/')}{message.url}" if message.url else ""
    return EmailMessage(
        subject=message.subject,
        body=message.body + link,
        to=[message.address],
        headers={"Message-ID": f"<outbox-{message.pk}@flexserve>"},
        connection=connection,
    )


def _failed(message: OutboxMessage, exc: Exception) -> None:
    logger.warning("Outbox message %s failed: %s", message.pk, exc)
    state = (
        OutboxMessage.State.FAILED
        if message.attempts >= MAX_ATTEMPTS
        else OutboxMessage.State.PENDING
    )
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, last_error=str(exc)[:300])


def sweep(now=None) -> int:
    """Deliver what is still pending after a while, and free claims of crashed deliveries."""
    now = now or timezone.now()
    OutboxMessage.objects.filter(
        state=OutboxMessage.State.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(state=OutboxMessage.State.PENDING)
    sent = 0
    waiting = OutboxMessage.objects.filter(created_at__lt=now - SWEEP_AFTER)
    while claimed := _claim(waiting):
        sent += _send_claimed(claimed)
    return sent


def post_notifications(items: list[tuple[int, str, str, str]]) -> None:
    """Put notifications straight into the in-app centre: (user id, subject, body, url) each.

    For callers that keep their own once-only bookkeeping (outreach deliveries): no outbox row,
    no e-mail; the row is the delivery."""
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                outbox=None,
                recipient_id=user_id,
                subject=subject[:200],
                body=body[:1000],
                url=url[:200],
                created_at=now,
            )
            for user_id, subject, body, url in items
        ]
    )


@transaction.atomic
def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
