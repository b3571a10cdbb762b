"""Comments: the shop's replies, staff replies to the shop and internal notes."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from flexserve import policy
from flexserve.errors import Forbidden
from flexserve.policy import Perm
from servicedesk.models import Comment, EventKind, RequestEvent, Status
from servicedesk.outbox import notify
from servicedesk.services.common import _clean_text, _locked, can_reply, is_shop_of
from servicedesk.services.lifecycle import _settle_clocks, shop_replied
from servicedesk.services.notifications import _notify_shop, console_url, notifications_read


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
        if shop_replied(request, now):
            # The shop answered: the clock runs again and the owner takes it up.
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
    notifications_read(actor, request)  # the actor has dealt with the request
    return comment
