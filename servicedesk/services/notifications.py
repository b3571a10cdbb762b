"""Who hears of a change: the in-app and e-mail messages services queue in their transaction,
and ``notifications_read`` (acting on a request, or opening it, clears its notifications)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from servicedesk.models import Notification, OutboxMessage, ServiceRequest
from servicedesk.outbox import messages_for, notify, schedule_delivery


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


def notifications_read(user: User | None, request: ServiceRequest) -> int:
    """Mark ``user``'s unread notifications about ``request`` read: they acted on it (any write
    through ``record_change`` or ``comment_add``) or opened its console page, so the bell stops
    announcing it. Returns how many were marked."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(
        recipient=user, read_at__isnull=True, outbox__request=request
    ).update(read_at=timezone.now())


def _n(request: ServiceRequest) -> dict[str, str]:
    return {"number": request.number}
