"""Intake: register a request from any channel (checks, photos, the per-shop rate limit), route
it and start its SLA clocks."""

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role, User
from customers.models import Shop
from flexserve import policy
from flexserve.errors import Forbidden, Invalid, NotFound, RateLimited
from flexserve.images import check_images
from flexserve.policy import Perm
from flexserve.throttling import Taken, window_give_back, window_take
from servicedesk import catalogue, clock, persistence, routing
from servicedesk.models import (
    Channel,
    EventKind,
    OutboxMessage,
    Priority,
    RequestAttachment,
    RequestEvent,
    RequestType,
    ServiceRequest,
    Status,
)
from servicedesk.outbox import schedule_delivery
from servicedesk.services.common import _clean_text
from servicedesk.services.notifications import _assignment_messages

MAX_ATTACHMENTS = 3
SHOP_CHANNELS = {Channel.PORTAL, Channel.API, Channel.CHAT}


def sla_targets(shop: Shop, request_type: RequestType) -> tuple[int, int]:
    """(first response, resolution) in business minutes from the shop class's service plan."""
    target = catalogue.sla_table().get((shop.segment, request_type.category))
    return target or (clock.DEFAULT_RESPONSE_MIN, clock.DEFAULT_RESOLUTION_MIN)


# What intake reads of a shop (scope, class, routing, the answer): not its whole master record.
_INTAKE_SHOP_FIELDS = (
    "name",
    "status",
    "segment",
    "grid_id",
    "account_manager_id",
    "owner_account_id",
)


def _resolve_shop(actor: User, shop_id: int | None) -> Shop:
    if actor.role == Role.SHOP_OWNER:
        own = policy.owned_shop_id(actor)
        if own is None or (shop_id is not None and shop_id != own):
            raise NotFound()
        shop_id = own
    if shop_id is None:
        raise Invalid(fields={"shop_id": [_("This field is required.")]})
    shop = policy.get_visible(actor, Shop, shop_id, qs=Shop.objects.only(*_INTAKE_SHOP_FIELDS))
    if shop.status != Shop.Status.ACTIVE:
        raise Invalid(fields={"shop_id": [_("This shop is closed.")]})
    return shop


def _resolve_type(code: str) -> RequestType:
    request_type = catalogue.active_types().get(code)
    if request_type is None:
        raise Invalid(fields={"request_type": [_("Choose a request type from the catalogue.")]})
    return request_type


def request_create(
    *,
    actor: User,
    request_type: str,
    title: str,
    description: str = "",
    channel: str = Channel.PORTAL,
    shop_id: int | None = None,
    priority: str | None = None,
    photos: Sequence[UploadedFile] = (),
    at: datetime | None = None,
    idempotency: tuple[str, str] | None = None,
    handle_myself: bool = False,
) -> ServiceRequest:
    """Register a request from any channel, route it and start its SLA clocks.

    ``idempotency`` is (key, body digest) of an API submission (see request_submit_idempotent).
    ``handle_myself``: staff logging a call or visit keep it (to answer it at first contact)
    instead of routing it.
    """
    policy.require(actor, Perm.REQUEST_CREATE)
    if channel not in Channel.values:
        raise Invalid(fields={"channel": [_("Choose a valid channel.")]})
    if actor.role == Role.SHOP_OWNER and channel not in SHOP_CHANNELS:
        raise Invalid(fields={"channel": [_("Shops submit through the portal or the API.")]})
    if priority is not None and priority not in Priority.values:
        raise Invalid(fields={"priority": [_("Choose a valid priority.")]})
    if priority is not None and actor.role == Role.SHOP_OWNER:
        priority = None  # shops describe; staff triage
    title = _clean_text(title, "title", required=True, max_length=120)
    description = _clean_text(description, "description", required=False, max_length=4000)
    kind = _resolve_type(request_type)
    shop = _resolve_shop(actor, shop_id)
    images = check_images(photos)
    if handle_myself and not policy.has_perm(actor, Perm.REQUEST_WORK):
        raise Forbidden()
    slot = _intake_slot(shop.pk)
    # Everything above only reads and may refuse; the writes are one statement (see persistence).
    try:
        return _register(
            actor,
            kind,
            shop,
            title,
            description,
            channel,
            priority,
            images,
            at,
            idempotency,
            owner=actor if handle_myself else None,
        )
    except BaseException:  # not created (or an idempotent replay): it does not count
        window_give_back(slot)
        raise


def _intake_slot(shop_id: int) -> Taken:
    """Count one request of the shop this hour, or refuse (429): every channel shares one budget,
    so a flood through the portal cannot notify staff faster than through the API."""
    limit = settings.INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR
    slot = window_take("intake", str(shop_id), limit=limit, window_s=3600)
    if slot.retry_after_s is None:
        return slot
    window_give_back(slot)
    error = RateLimited(
        gettext_lazy(
            "This shop has filed %(limit)s requests this hour, the most allowed. Please try "
            "again in %(minutes)s minutes, or call your account manager."
        ),
        limit=limit,
        minutes=max(1, math.ceil(slot.retry_after_s / 60)),
    )
    error.retry_after_s = slot.retry_after_s  # the API answers it as Retry-After
    raise error


def _register(
    actor, kind, shop, title, description, channel, priority, images, at, idempotency, *, owner
) -> ServiceRequest:

    now = at or timezone.now()
    calendar = clock.company_calendar()
    response_min, resolution_min = sla_targets(shop, kind)
    assignee = owner or routing.choose_assignee(kind, shop)
    request = ServiceRequest(
        shop=shop,
        request_type=kind,
        channel=channel,
        title=title,
        description=description,
        priority=priority or kind.default_priority,
        status=Status.ASSIGNED if assignee else Status.NEW,
        department_id=kind.department_id,
        assignee=assignee,
        created_by=actor,
        created_at=now,
        response_target_min=response_min,
        resolution_target_min=resolution_min,
        # In UTC, as the database gives them back: a replayed answer is byte-for-byte the first.
        response_due_at=calendar.add_business_seconds(now, response_min * 60).astimezone(UTC),
        resolution_due_at=calendar.add_business_seconds(now, resolution_min * 60).astimezone(UTC),
        idempotency_key=idempotency[0] if idempotency else None,
        body_fingerprint=idempotency[1] if idempotency else "",
    )
    # The "created" event is the creation's record; the audit trail keeps the changes after it.
    events = [
        RequestEvent(
            kind=EventKind.CREATED,
            at=now,
            actor=actor,
            to_status=Status.NEW,
            note=str(Channel(channel).label),
        )
    ]
    if assignee:
        events.append(
            RequestEvent(
                kind=EventKind.ASSIGNED,
                at=now,
                from_status=Status.NEW,
                to_status=Status.ASSIGNED,
                to_assignee=assignee,
                note=_("Taken at first contact") if owner else _("Routed automatically"),
            )
        )

    def messages_for(created: ServiceRequest) -> list[OutboxMessage]:
        # Nobody needs telling that they took what they are holding.
        return _assignment_messages(created, assignee) if assignee and not owner else []

    if images:  # uploads are files first, rows second: the plain ORM path in one transaction
        with transaction.atomic():
            messages = persistence.insert_new_request(request, events, messages_for)
            for upload, content_type in images:
                RequestAttachment.objects.create(
                    request=request,
                    file=upload,
                    content_type=content_type,
                    size=upload.size,
                    uploaded_by=actor,
                )
    else:
        messages = persistence.insert_new_request(request, events, messages_for)
    if messages:
        schedule_delivery([m.pk for m in messages])
    return request
