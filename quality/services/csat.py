"""Satisfaction after each contact: invite a rating after a resolved request or a completed visit.

The invitation waits ``DELAY`` after the contact (the shop has seen the result), stays open for
``EXPIRY`` and goes to a shop at most once per ``QUIET``: a busy shop is not asked after every
call. The scheduler runs ``invite_due_ratings``; it reads the requests and visits where they are
(servicedesk, dispatch) and points at them, copying neither. It is idempotent: each request and
each visit has at most one rating (unique), so two sweeps never invite twice.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dispatch.models import Job, JobState
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from quality.errors import AlreadyRated, RatingExpired
from quality.models import CsatRating
from servicedesk import outbox
from servicedesk.models import EventKind, RequestEvent, ServiceRequest, Status

DELAY = timedelta(hours=1)
EXPIRY = timedelta(days=7)
QUIET = timedelta(days=7)
COMMENT_LIMIT = 1000
LOW_SCORE = 3  # a rating of 3 or less asks for a reason


def _resolver(request: ServiceRequest) -> int | None:
    """Who resolved the request: the actor of its last move to resolved, else its assignee."""
    event = (
        RequestEvent.objects.filter(
            request=request, kind=EventKind.STATUS, to_status=Status.RESOLVED
        )
        .order_by("-at", "-pk")
        .values_list("actor_id", flat=True)
        .first()
    )
    return event or request.assignee_id


def _contacts(now: datetime, limit: int) -> list[dict[str, Any]]:
    """Contacts due for an invitation, oldest first: resolved requests and completed visits."""
    window = (now - EXPIRY, now - DELAY)
    rated_request = CsatRating.objects.filter(request=OuterRef("pk"))
    requests = (
        ServiceRequest.objects.filter(
            resolved_at__range=window,
            status__in=(Status.RESOLVED, Status.CLOSED),
            shop__owner_account__isnull=False,
        )
        .exclude(Exists(rated_request))
        .order_by("resolved_at")[:limit]
    )
    contacts = [
        {
            "source": CsatRating.Source.REQUEST,
            "shop_id": r.shop_id,
            "request": r,
            "staff_id": _resolver(r),
            "at": r.resolved_at,
        }
        for r in requests
    ]
    rated_job = CsatRating.objects.filter(job=OuterRef("pk"))
    jobs = (
        Job.objects.filter(
            state=JobState.DONE,
            report__checked_out_at__range=window,
            shop__owner_account__isnull=False,
        )
        .exclude(Exists(rated_job))
        .select_related("report")
        .order_by("report__checked_out_at")[:limit]
    )
    contacts += [
        {
            "source": CsatRating.Source.VISIT,
            "shop_id": j.shop_id,
            "job": j,
            "staff_id": j.report.staff_id,
            "at": j.report.checked_out_at,
        }
        for j in jobs
    ]
    return sorted(contacts, key=lambda c: c["at"])


def invite_due_ratings(*, now: datetime | None = None, limit: int = 2000) -> int:
    """Invite ratings for the contacts that are due; returns how many invitations were made."""
    now = now or timezone.now()
    contacts = _contacts(now, limit)
    if not contacts:
        return 0
    shops = {c["shop_id"] for c in contacts}
    recently = dict(
        CsatRating.objects.filter(shop_id__in=shops, invited_at__gt=now - QUIET)
        .order_by()
        .values_list("shop_id", "invited_at")
    )
    invited = 0
    for contact in contacts:
        if contact["shop_id"] in recently:
            continue  # asked in the last 7 days: this contact is not rated
        try:
            with transaction.atomic():
                rating = CsatRating.objects.create(
                    shop_id=contact["shop_id"],
                    source=contact["source"],
                    request=contact.get("request"),
                    job=contact.get("job"),
                    staff_id=contact["staff_id"],
                    contact_at=contact["at"],
                    invited_at=now,
                    expires_at=now + EXPIRY,
                )
                _notify(rating)
        except IntegrityError:
            continue  # another sweep invited it first
        recently[contact["shop_id"]] = now
        invited += 1
    return invited


def _notify(rating: CsatRating) -> None:
    owner = User.objects.filter(owned_shop__pk=rating.shop_id, is_active=True).first()
    if owner is None:
        return
    if rating.source == CsatRating.Source.REQUEST:
        subject = _("How did we do with your request “%(title)s”?") % {
            "title": rating.request.title
        }
    else:
        subject = _("How was our visit to your shop?")
    body = _("Rate it from 1 to 5 stars; it takes a few seconds.")
    url = reverse("portal:rating", args=[rating.pk])
    outbox.notify(owner, subject=subject, body=body, url=url, email=False)


def _check(score: Any, reason: str, comment: str) -> tuple[int, str, str]:
    errors: dict[str, list[str]] = {}
    value = score if isinstance(score, int) and not isinstance(score, bool) else None
    if isinstance(score, str) and score.strip().isdigit():
        value = int(score.strip())
    if value is None or not 1 <= value <= 5:
        errors["score"] = [_("Choose from 1 to 5 stars.")]
    reason = (reason or "").strip()
    if reason and reason not in CsatRating.Reason.values:
        errors["reason"] = [_("Choose one of the reasons.")]
    elif value is not None and value <= LOW_SCORE and not reason:
        errors["reason"] = [_("Tell us what went wrong: choose a reason.")]
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        errors["comment"] = [_("At most %(limit)s characters.") % {"limit": COMMENT_LIMIT}]
    if errors:
        raise Invalid(fields=errors)
    return value, reason if value <= LOW_SCORE else "", comment


@transaction.atomic
def csat_rate(
    *, actor: User, rating_id: int, score: Any, reason: str = "", comment: str = ""
) -> CsatRating:
    """The shop rates one contact, once. The same rating sent again returns the stored one."""
    policy.require(actor, Perm.SURVEY_ANSWER)
    rating = policy.get_visible(actor, CsatRating, rating_id, for_update=True)
    value, reason, comment = _check(score, reason, comment)
    if rating.rated_at is not None:
        if (rating.score, rating.reason, rating.comment) == (value, reason, comment):
            return rating
        raise AlreadyRated()
    if timezone.now() >= rating.expires_at:
        raise RatingExpired()
    rating.score, rating.reason, rating.comment = value, reason, comment
    rating.rated_at = timezone.now()
    rating.save(update_fields=["score", "reason", "comment", "rated_at"])
    return rating
