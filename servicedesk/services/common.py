"""What every request write shares: the locked row, clean text, who may work a request,
and ``record_change`` (the timeline event and the audit entry of one change)."""

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.services import audit_record, diff, snapshot
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from servicedesk.models import RequestEvent, ServiceRequest
from servicedesk.services.notifications import notifications_read

AUDITED_FIELDS = ("status", "assignee_id", "department_id", "priority")


def _clean_text(value: str | None, field: str, *, required: bool, max_length: int) -> str:
    text = (value or "").strip()
    if required and not text:
        raise Invalid(fields={field: [_("This field is required.")]})
    if len(text) > max_length:
        raise Invalid(fields={field: [_("Enter at most %(n)s characters.") % {"n": max_length}]})
    return text


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


def _locked(actor: User, request_id: int) -> ServiceRequest:
    policy.require(actor, Perm.REQUEST_VIEW)
    return policy.get_visible(
        actor,
        ServiceRequest,
        request_id,
        for_update=True,
        qs=ServiceRequest.objects.select_related("shop", "request_type", "assignee"),
    )


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
    an entry in the audit trail (old → new of the audited fields when ``before`` is given).
    The actor has dealt with the request: their notifications about it are marked read."""
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
    notifications_read(actor, request)
