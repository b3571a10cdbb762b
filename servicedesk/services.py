"""Writes of service requests: intake, lifecycle, assignment, comments, support tasks.

Every function checks permission and scope through ``flexserve.policy``, validates, writes the
change with its event, audit entry and outbox messages in one transaction, and raises an AppError
(nothing written) on bad input.
"""

import hashlib
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Department, Role, User
from audit.services import audit_record, diff, snapshot
from customers.models import Shop
from flexserve import policy
from flexserve.errors import AppError, Forbidden, Invalid, NotFound, RateLimited
from flexserve.policy import Perm
from flexserve.throttling import Taken, window_give_back, window_take
from servicedesk import catalogue, clock, persistence, routing
from servicedesk.errors import (
    AlreadyOwned,
    IdempotencyKeyReused,
    IllegalTransition,
    RequestNotOpen,
    SupportStillOpen,
    SupportTaskFinished,
)
from servicedesk.models import (
    PRIORITY_RANK,
    Channel,
    Clock,
    Comment,
    EventKind,
    OutboxMessage,
    Priority,
    RequestAttachment,
    RequestEvent,
    RequestTiming,
    RequestType,
    ServiceRequest,
    SlaBreach,
    Status,
    SupportTask,
)
from servicedesk.outbox import messages_for, notify, schedule_delivery
from servicedesk.timing import Handover, StatusChange, SupportSpan, compute_timing

MAX_ATTACHMENTS = 3
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 64_000_000  # a 50-megapixel phone camera fits; decoded RGBA ≤ 256 MB
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
SHOP_CHANNELS = {Channel.PORTAL, Channel.API, Channel.CHAT}
AUDITED_FIELDS = ("status", "assignee_id", "department_id", "priority")


# ---------------------------------------------------------------- intake


def _clean_text(value: str | None, field: str, *, required: bool, max_length: int) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(fields={field: [_("This field is required.")]})
    if len(text) > max_length:
        raise Invalid(fields={field: [_("Enter at most %(n)s characters.") % {"n": max_length}]})
    return text


def check_images(
    files: Sequence[UploadedFile], *, max_files: int = MAX_ATTACHMENTS
) -> list[tuple[UploadedFile, str]]:
    """Photos only (JPEG, PNG, WebP, checked by decoding), at most ``max_files``, 5 MB and
    ``MAX_PHOTO_PIXELS`` each; returns each with its content type (also used for visit photos),
    which names the stored file (``flexserve.validation.stored_name``)."""
    from PIL import Image, UnidentifiedImageError

    if len(files) > max_files:
        raise Invalid(fields={"photos": [_("Attach at most %(n)s photos.") % {"n": max_files}]})
    checked = []
    for upload in files:
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise Invalid(
                fields={"photos": [_("%(name)s is larger than 5 MB.") % {"name": upload.name}]}
            )
        try:
            upload.seek(0)
            with warnings.catch_warnings():  # we check the pixel count ourselves, below
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(upload)  # reads the header only: nothing decoded yet
            with image:
                kind = image.format
                pixels = image.width * image.height
                if pixels <= MAX_PHOTO_PIXELS:
                    image.verify()
        except Image.DecompressionBombError:  # declares over twice Pillow's limit
            kind, pixels = None, MAX_PHOTO_PIXELS + 1
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind, pixels = None, 0
        if pixels > MAX_PHOTO_PIXELS:  # a decompression bomb: tiny file, gigabytes decoded
            raise Invalid(
                fields={
                    "photos": [
                        _("%(name)s has more than %(n)s megapixels.")
                        % {"name": upload.name, "n": MAX_PHOTO_PIXELS // 1_000_000}
                    ]
                }
            )
        if kind not in IMAGE_TYPES:
            raise Invalid(
                fields={
                    "photos": [
                        _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": upload.name}
                    ]
                }
            )
        upload.seek(0)
        checked.append((upload, IMAGE_TYPES[kind]))
    return checked


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


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def request_submit_idempotent(
    *, actor: User, key: str, payload: dict[str, Any]
) -> tuple[ServiceRequest, bool]:
    """``request_create`` once per (user, key): a retry returns the first request (True when
    replayed); the same key with another body is refused (409). The key is a column of the
    request, unique per submitter, so the request and its key commit together or not at all."""
    key = key.strip()
    if not key or len(key) > 200:
        raise Invalid(fields={"Idempotency-Key": [_("Send a key of 1 to 200 characters.")]})
    digest = fingerprint(payload)
    # No lookup first: the key is unique per submitter, so a retry of a committed submission fails
    # on insert (or on validation, if the world changed since) and answers with the first request.
    try:
        request = request_create(actor=actor, idempotency=(key, digest), **payload)
    except (IntegrityError, AppError):
        first = _replay(actor, key, digest)
        if first is None:
            raise
        return first, True
    return request, False


def _replay(actor: User, key: str, digest: str) -> ServiceRequest | None:
    request = (
        ServiceRequest.objects.filter(created_by=actor, idempotency_key=key)
        .select_related("shop", "request_type")
        .first()
    )
    if request is not None and request.body_fingerprint != digest:
        raise IdempotencyKeyReused()
    return request


# ---------------------------------------------------------------- lifecycle


@dataclass(frozen=True)
class Action:
    sources: frozenset[str]
    target: str
    label: Promise
    needs_note: bool = False


ACTIONS: dict[str, Action] = {
    "start": Action(frozenset({Status.ASSIGNED}), Status.IN_PROGRESS, gettext_lazy("Start work")),
    "ask_shop": Action(
        frozenset({Status.ASSIGNED, Status.IN_PROGRESS}),
        Status.WAITING_ON_SHOP,
        gettext_lazy("Ask the shop"),
        needs_note=True,
    ),
    "resume": Action(
        frozenset({Status.WAITING_ON_SHOP}), Status.IN_PROGRESS, gettext_lazy("Resume")
    ),
    "resolve": Action(
        frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_ON_SHOP}),
        Status.RESOLVED,
        gettext_lazy("Resolve"),
        needs_note=True,
    ),
    "close": Action(frozenset({Status.RESOLVED}), Status.CLOSED, gettext_lazy("Confirm and close")),
    "reopen": Action(
        frozenset({Status.RESOLVED, Status.CLOSED}),
        Status.ASSIGNED,
        gettext_lazy("Reopen"),
        needs_note=True,
    ),
}
SHOP_ACTIONS = frozenset({"close", "reopen"})
# The clock counts for the staff only in these states.
_PAUSED_STATES = (Status.WAITING_ON_SHOP, Status.RESOLVED, Status.CLOSED)


def is_shop_of(actor: User, request: ServiceRequest) -> bool:
    return actor.role == Role.SHOP_OWNER and policy.owned_shop_id(actor) == request.shop_id


def can_manage(actor: User, request: ServiceRequest) -> bool:
    """The owner of a request, or a dispatcher / manager, may work it."""
    if not policy.has_perm(actor, Perm.REQUEST_WORK):
        return False
    return request.assignee_id == actor.pk or policy.has_perm(actor, Perm.REQUEST_ASSIGN)


def can_reply(actor: User, request: ServiceRequest) -> bool:
    """A reply to the shop speaks for the request: its owner's, or a dispatcher's / manager's.
    Support parties and colleagues who see the request write internal notes."""
    return can_manage(actor, request)


def allowed_actions(actor: User, request: ServiceRequest) -> list[str]:
    """The transitions ``actor`` may make now (pages show these as buttons)."""
    names = []
    for name, action in ACTIONS.items():
        if request.status not in action.sources:
            continue
        if is_shop_of(actor, request):
            if name in SHOP_ACTIONS:
                names.append(name)
        elif name in ("close", "reopen"):
            if policy.has_perm(actor, Perm.REQUEST_WORK):
                names.append(name)
        elif can_manage(actor, request):
            names.append(name)
    return names


def _locked(actor: User, request_id: int) -> ServiceRequest:
    policy.require(actor, Perm.REQUEST_VIEW)
    return policy.get_visible(
        actor,
        ServiceRequest,
        request_id,
        for_update=True,
        qs=ServiceRequest.objects.select_related("shop", "request_type", "assignee"),
    )


@transaction.atomic
def request_transition(
    *,
    actor: User,
    request_id: int,
    action: str,
    note: str = "",
    override_reason: str = "",
    at: datetime | None = None,
) -> ServiceRequest:
    request = _locked(actor, request_id)
    spec = ACTIONS.get(action)
    if spec is None:
        raise Invalid(fields={"action": [_("Unknown action.")]})
    if action not in allowed_actions(actor, request):
        if request.status not in spec.sources:
            raise IllegalTransition(status=Status(request.status).label)
        raise Forbidden()
    note = _clean_text(note, "note", required=spec.needs_note, max_length=500)
    now = at or timezone.now()
    if action == "resolve":
        _check_support_done(actor, request, override_reason)

    before = snapshot(request, AUDITED_FIELDS)
    source = request.status
    target = spec.target
    if action == "reopen":
        target = Status.ASSIGNED if request.assignee_id else Status.NEW
        request.reopen_count += 1
        request.resolved_at = request.closed_at = None
    request.status = target
    if target in _PAUSED_STATES and source not in _PAUSED_STATES:
        clock.pause(request, now)
    elif target not in _PAUSED_STATES and source in _PAUSED_STATES:
        clock.resume(request, now)
    if target == Status.RESOLVED:
        request.resolved_at = now
    if target == Status.CLOSED:
        request.closed_at = now
    if request.first_response_at is None and not is_shop_of(actor, request):
        request.first_response_at = now  # any staff move answers the shop
    _settle_clocks(request, now)
    request.save()

    # The override reason is internal: it goes to the audit trail, not the shop's timeline.
    record_change(
        request,
        action=f"request.{action}",
        actor=actor,
        at=now,
        kind=EventKind.STATUS,
        note=note,
        before=before,
        audit_note=override_reason,
        from_status=source,
        to_status=target,
    )
    if note and action in ("ask_shop", "resolve", "reopen"):
        Comment.objects.create(request=request, author=actor, body=note, created_at=now)
    if target in (Status.RESOLVED, Status.CLOSED) or action == "reopen":
        timing_refresh(request, until=now)
    _notify_transition(actor, request, action)
    return request


def record_change(
    request: ServiceRequest,
    *,
    action: str,
    actor: User | None,
    at: datetime,
    kind: str,
    note: str = "",
    public: bool = True,
    before: dict[str, Any] | None = None,
    audit_note: str | None = None,
    **event_fields: Any,
) -> None:
    """One change, twice kept: an event on the request's timeline (stage timing reads these) and
    an entry in the audit trail (old → new of the audited fields when ``before`` is given)."""
    RequestEvent.objects.create(
        request=request, kind=kind, at=at, actor=actor, note=note, public=public, **event_fields
    )
    audit_record(
        actor=actor,
        action=action,
        target=request,
        shop_id=request.shop_id,
        changes=diff(before, snapshot(request, AUDITED_FIELDS)) if before is not None else None,
        note=note if audit_note is None else audit_note,
    )


def _settle_clocks(request: ServiceRequest, now: datetime) -> None:
    """When a clock stops (first response, resolution), record whether it was late."""
    calendar = clock.company_calendar()
    stopped = []
    if (
        request.first_response_at
        and not request.response_breached
        and clock.response_clock(request, now, calendar).breached
    ):
        stopped.append(Clock.RESPONSE)
    if (
        request.status == Status.RESOLVED
        and not request.resolution_breached
        and clock.resolution_clock(request, now, calendar).breached
    ):
        stopped.append(Clock.RESOLUTION)
    for name in stopped:
        setattr(request, f"{name}_breached", True)
        due = (
            request.response_due_at
            if name == Clock.RESPONSE
            else request.resolution_due_at or clock.resolution_due(request)
        )
        SlaBreach.objects.get_or_create(
            request=request, clock=name, defaults={"due_at": due, "recorded_at": now}
        )


def _check_support_done(actor: User, request: ServiceRequest, override_reason: str) -> None:
    open_parts = [t for t in request.support_tasks.filter(required=True) if t.is_open]
    if not open_parts:
        return
    if not override_reason.strip():
        raise SupportStillOpen(n=len(open_parts))
    if not policy.has_perm(actor, Perm.REQUEST_OVERRIDE):
        raise Forbidden(message=_("Only a service manager can resolve with support still open."))


@transaction.atomic
def request_assign(
    *,
    actor: User,
    request_id: int,
    assignee_id: int,
    reason: str,
    at: datetime | None = None,
) -> ServiceRequest:
    """Hand a request to someone else (a dispatcher or manager, or its owner passing it on)."""
    request = _locked(actor, request_id)
    if not can_manage(actor, request):
        raise Forbidden()
    if not request.is_open:
        raise RequestNotOpen()
    reason = _clean_text(reason, "reason", required=True, max_length=300)
    assignee = User.objects.filter(
        pk=assignee_id, is_active=True, role__in=routing.WORKING_ROLES + (Role.DISPATCHER,)
    ).first()
    if assignee is None:
        raise Invalid(fields={"assignee_id": [_("Choose an active staff member.")]})
    if assignee.pk == request.assignee_id:
        raise Invalid(fields={"assignee_id": [_("The request is already theirs.")]})
    reassign(request, assignee, actor=actor, note=reason, at=at or timezone.now())
    return request


@transaction.atomic
def request_take(*, actor: User, request_id: int, at: datetime | None = None) -> ServiceRequest:
    """A staff member takes an unassigned request from a queue they can see; a dispatcher or
    manager may also take over one that someone else owns."""
    request = _locked(actor, request_id)
    policy.require(actor, Perm.REQUEST_WORK)
    if not request.is_open:
        raise RequestNotOpen()
    if request.assignee_id == actor.pk or (
        request.assignee_id and not policy.has_perm(actor, Perm.REQUEST_ASSIGN)
    ):
        raise AlreadyOwned()
    reassign(request, actor, actor=actor, note=_("Taken from the queue"), at=at or timezone.now())
    return request


def reassign(
    request: ServiceRequest, assignee: User, *, actor: User | None, note: str, at: datetime
) -> None:
    before = snapshot(request, AUDITED_FIELDS)
    previous, source = request.assignee, request.status
    if previous is not None:
        request.handover_count += 1
    request.assignee = assignee
    if assignee.department_id and assignee.department_id != request.department_id:
        request.department_id = assignee.department_id
    if request.status in (Status.NEW, Status.IN_PROGRESS):
        request.status = Status.ASSIGNED  # the new owner has not started yet
    request.save()
    record_change(
        request,
        action="request.assigned",
        actor=actor,
        at=at,
        kind=EventKind.ASSIGNED,
        note=note,
        public=False,
        before=before,
        from_status=source if source != request.status else "",
        to_status=request.status if source != request.status else "",
        from_assignee=previous,
        to_assignee=assignee,
    )
    _notify_assignee(request, assignee)


@transaction.atomic
def request_set_priority(
    *, actor: User | None, request: ServiceRequest, priority: str, note: str, at: datetime
) -> None:
    """Change the priority (escalation raises it); the caller holds the row."""
    if priority == request.priority:
        return
    before = snapshot(request, AUDITED_FIELDS)
    old = request.priority
    request.priority = priority
    request.save(update_fields=["priority", "updated_at"])
    record_change(
        request,
        action="request.priority",
        actor=actor,
        at=at,
        kind=EventKind.PRIORITY,
        note=f"{Priority(old).label} → {Priority(priority).label}. {note}".strip(),
        public=False,
        before=before,
        audit_note=note,
    )


def raised(priority: str) -> str:
    rank = min(PRIORITY_RANK[Priority(priority)] + 1, len(PRIORITY_RANK) - 1)
    return next(p for p, r in PRIORITY_RANK.items() if r == rank)


# ---------------------------------------------------------------- photos


@transaction.atomic
def photos_add(
    *, actor: User, request_id: int, photos: Sequence[UploadedFile], at: datetime | None = None
) -> list[RequestAttachment]:
    """More photos for an open request, from its shop or its staff (3 per request at most)."""
    request = _locked(actor, request_id)
    if not (is_shop_of(actor, request) or policy.has_perm(actor, Perm.REQUEST_WORK)):
        raise Forbidden()
    if not request.is_open:
        raise RequestNotOpen()
    if not photos:
        raise Invalid(fields={"photos": [_("This field is required.")]})
    if request.attachments.count() + len(photos) > MAX_ATTACHMENTS:
        raise Invalid(
            fields={"photos": [_("A request holds at most %(n)s photos.") % {"n": MAX_ATTACHMENTS}]}
        )
    checked = check_images(photos)
    added = [
        RequestAttachment.objects.create(
            request=request, file=upload, content_type=kind, size=upload.size, uploaded_by=actor
        )
        for upload, kind in checked
    ]
    record_change(
        request,
        action="request.photos",
        actor=actor,
        at=at or timezone.now(),
        kind=EventKind.COMMENT,
        note=_("%(n)s photo(s) added") % {"n": len(added)},
    )
    return added


# ---------------------------------------------------------------- comments


@transaction.atomic
def comment_add(
    *,
    actor: User,
    request_id: int,
    body: str,
    internal: bool = False,
    at: datetime | None = None,
) -> Comment:
    request = _locked(actor, request_id)
    from_shop = is_shop_of(actor, request)
    if not from_shop:
        policy.require(actor, Perm.REQUEST_WORK)
    if internal and from_shop:
        raise Forbidden()
    if not internal and not from_shop and not can_reply(actor, request):
        raise Forbidden(
            message=_(
                "Only the request's owner, a dispatcher or a manager can reply to the shop; "
                "add an internal note instead."
            )
        )
    body = _clean_text(body, "body", required=True, max_length=4000)
    now = at or timezone.now()
    comment = Comment.objects.create(
        request=request, author=actor, body=body, internal=internal, created_at=now
    )
    RequestEvent.objects.create(
        request=request,
        kind=EventKind.COMMENT,
        at=now,
        actor=actor,
        note=body[:500],
        public=not internal,
    )
    if from_shop:
        if request.status == Status.WAITING_ON_SHOP:
            # The shop answered: the clock runs again and the owner takes it up.
            request.status = Status.IN_PROGRESS
            clock.resume(request, now)
            request.save()
            RequestEvent.objects.create(
                request=request,
                kind=EventKind.STATUS,
                at=now,
                actor=actor,
                from_status=Status.WAITING_ON_SHOP,
                to_status=Status.IN_PROGRESS,
                note=_("The shop replied"),
            )
        if request.assignee:
            notify(
                request.assignee,
                subject=_("%(number)s: the shop replied") % {"number": request.number},
                body=body,
                url=console_url(request),
                request=request,
                email=False,
            )
    elif not internal:
        if request.first_response_at is None:
            request.first_response_at = now
            _settle_clocks(request, now)
            request.save()
        _notify_shop(
            request,
            _("%(number)s: a reply from %(name)s") % {"number": request.number, "name": actor},
            body,
        )
    return comment


# ---------------------------------------------------------------- support tasks


@transaction.atomic
def support_task_create(
    *,
    actor: User,
    request_id: int,
    department_id: int,
    need: str,
    required: bool = True,
    due_at: datetime | None = None,
    owner_id: int | None = None,
    at: datetime | None = None,
) -> SupportTask:
    """Call another department for support (呼叫支援) on an open request."""
    request = _locked(actor, request_id)
    if not can_manage(actor, request):
        raise Forbidden()
    if not request.is_open:
        raise RequestNotOpen()
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise Invalid(fields={"department_id": [_("Choose an active department.")]})
    need = _clean_text(need, "need", required=True, max_length=300)
    now = at or timezone.now()
    owner = None
    if owner_id is not None:
        owner = User.objects.filter(pk=owner_id, is_active=True, department=department).first()
        if owner is None:
            raise Invalid(fields={"owner_id": [_("Choose a member of that department.")]})
    if due_at is None:
        # One working day by default, never later than the request itself is due.
        due_at = clock.company_calendar().add_business_seconds(
            now, clock.company_calendar().seconds_per_day
        )
        if request.resolution_due_at and request.resolution_due_at > now:
            due_at = min(due_at, request.resolution_due_at)
    elif due_at <= now:
        raise Invalid(fields={"due_at": [_("Choose a time in the future.")]})
    task = SupportTask.objects.create(
        request=request,
        department=department,
        owner=owner,
        need=need,
        required=required,
        due_at=due_at,
        created_by=actor,
        created_at=now,
    )
    record_change(
        request,
        action="request.support_requested",
        actor=actor,
        at=now,
        kind=EventKind.SUPPORT,
        note=_("Support requested from %(department)s") % {"department": department.name},
        audit_note=f"{department.name}: {need}",
    )
    recipients = [owner] if owner else list(_department_workers(department))
    for person in recipients:
        notify(
            person,
            subject=_("%(number)s: support needed from %(department)s")
            % {"number": request.number, "department": department.name},
            body=need,
            url=console_url(request),
            request=request,
        )
    return task


SUPPORT_ACTIONS = {
    "start": ({SupportTask.State.OPEN}, SupportTask.State.IN_PROGRESS),
    "done": ({SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS}, SupportTask.State.DONE),
    "cancel": (
        {SupportTask.State.OPEN, SupportTask.State.IN_PROGRESS},
        SupportTask.State.CANCELLED,
    ),
}


def can_work_support(actor: User, task: SupportTask) -> bool:
    if not policy.has_perm(actor, Perm.REQUEST_WORK):
        return False
    return (
        task.owner_id == actor.pk
        or (task.owner_id is None and actor.department_id == task.department_id)
        or policy.has_perm(actor, Perm.REQUEST_ASSIGN)
    )


def allowed_support_actions(actor: User, task: SupportTask) -> list[str]:
    names = []
    for name, (sources, _target) in SUPPORT_ACTIONS.items():
        if task.state not in sources:
            continue
        if name == "cancel":
            if can_manage(actor, task.request):
                names.append(name)
        elif can_work_support(actor, task):
            names.append(name)
    return names


@transaction.atomic
def support_task_update(
    *, actor: User, task_id: int, action: str, result: str = "", at: datetime | None = None
) -> SupportTask:
    policy.require(actor, Perm.REQUEST_WORK)
    task = policy.get_visible(
        actor,
        SupportTask,
        task_id,
        for_update=True,
        qs=SupportTask.objects.select_related("request", "department"),
    )
    if action not in SUPPORT_ACTIONS:
        raise Invalid(fields={"action": [_("Unknown action.")]})
    if action not in allowed_support_actions(actor, task):
        if task.state not in SUPPORT_ACTIONS[action][0]:
            raise SupportTaskFinished(state=SupportTask.State(task.state).label)
        raise Forbidden()
    result = _clean_text(result, "result", required=action == "done", max_length=500)
    now = at or timezone.now()
    task.state = SUPPORT_ACTIONS[action][1]
    if action == "start":
        task.started_at = now
        task.owner = task.owner or actor
    else:
        task.finished_at = now
        task.result = result
    task.save()
    request = task.request
    record_change(
        request,
        action=f"support.{action}",
        actor=actor,
        at=now,
        kind=EventKind.SUPPORT,
        note=f"{task.department.name}: {SupportTask.State(task.state).label}. {result}".strip(),
        public=False,
        audit_note=f"{task.department.name}: {result or task.need}",
    )
    if action == "done" and request.assignee and request.assignee_id != actor.pk:
        notify(
            request.assignee,
            subject=_("%(number)s: %(department)s finished their part")
            % {"number": request.number, "department": task.department.name},
            body=result,
            url=console_url(request),
            request=request,
            email=False,
        )
    return task


def _department_workers(department: Department):
    return User.objects.filter(
        department=department, is_active=True, role__in=routing.WORKING_ROLES
    ).order_by("pk")[:10]


# ---------------------------------------------------------------- timing


def timing_refresh(request: ServiceRequest, *, until: datetime) -> RequestTiming:
    """Recompute where the request's time went (stored for the process-analysis page)."""
    events = list(request.events.filter(kind__in=(EventKind.STATUS, EventKind.ASSIGNED)))
    computed = compute_timing(
        created_at=request.created_at,
        status_changes=[StatusChange(e.at, e.to_status) for e in events if e.to_status],
        assignments=[
            Handover(e.at, e.from_assignee_id, e.to_assignee_id)
            for e in events
            if e.kind == EventKind.ASSIGNED
        ],
        support=[
            SupportSpan(t.created_at, t.started_at, t.finished_at)
            for t in request.support_tasks.exclude(state=SupportTask.State.CANCELLED)
        ],
        first_response_at=request.first_response_at,
        until=until,
        business_seconds=clock.company_calendar().business_seconds,
    )
    timing, _created = RequestTiming.objects.update_or_create(
        request=request,
        defaults={
            "request_type_id": request.request_type_id,
            "created_at": request.created_at,
            **computed.as_dict(),
        },
    )
    return timing


# ---------------------------------------------------------------- notifications


def console_url(request: ServiceRequest) -> str:
    return reverse("console:request_detail", args=[request.pk])


def portal_url(request: ServiceRequest) -> str:
    return reverse("portal:request_detail", args=[request.pk])


# E-mail goes out for what must not wait (support calls here; escalations and breaches in
# escalation.py); the day-to-day flow of assignments and replies is in-app only.
def _notify_assignee(request: ServiceRequest, assignee: User) -> None:
    OutboxMessage.objects.bulk_create(messages := _assignment_messages(request, assignee))
    schedule_delivery([m.pk for m in messages])


def _assignment_messages(request: ServiceRequest, assignee: User) -> list[OutboxMessage]:
    return messages_for(
        assignee,
        subject=_("%(number)s assigned to you: %(title)s")
        % {"number": request.number, "title": request.title},
        body=request.description,
        url=console_url(request),
        request=request,
        email=False,
    )


def _notify_shop(request: ServiceRequest, subject: str, body: str = "") -> None:
    owner = request.shop.owner_account
    if owner is not None and owner.is_active:
        notify(
            owner, subject=subject, body=body, url=portal_url(request), request=request, email=False
        )


def _notify_transition(actor: User, request: ServiceRequest, action: str) -> None:
    if action == "ask_shop":
        _notify_shop(request, _("%(number)s: we need information from you") % _n(request))
    elif action == "resolve":
        _notify_shop(request, _("%(number)s is resolved: please confirm") % _n(request))
    elif action == "reopen" and request.assignee and request.assignee_id != actor.pk:
        notify(
            request.assignee,
            subject=_("%(number)s was reopened") % _n(request),
            url=console_url(request),
            request=request,
            email=False,
        )


def _n(request: ServiceRequest) -> dict[str, str]:
    return {"number": request.number}
