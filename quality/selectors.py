"""Reads of the quality app: target groups, a shop's surveys and ratings, waves, CSAT figures.

The SERVQUAL analysis itself is in ``quality.reports`` (it loads a wave's answers into arrays and
hands them to ``engines.servqual``).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from accounts.models import User
from commerce.models import Order
from customers.models import Segment, Shop
from dispatch.models import Job, JobKind, JobState
from engines.servqual.satisfaction import csat as csat_figures
from flexserve import policy
from flexserve.policy import Perm
from quality.models import MIN_GROUP, CsatRating, Instrument, Invitation, Response, Wave
from servicedesk.models import ServiceRequest


def target_shops(target: dict[str, Any]) -> QuerySet[Shop]:
    """The active shops of a wave's target group (empty lists mean "all")."""
    shops = Shop.objects.filter(status=Shop.Status.ACTIVE)
    if target.get("segments"):
        shops = shops.filter(segment__in=target["segments"])
    if target.get("business_types"):
        shops = shops.filter(business_type__in=target["business_types"])
    if target.get("market_types"):
        shops = shops.filter(market_type__in=target["market_types"])
    if target.get("districts"):
        shops = shops.filter(grid__district_id__in=target["districts"])
    if target.get("grids"):
        shops = shops.filter(grid_id__in=target["grids"])
    if target.get("served_from"):
        start = date.fromisoformat(target["served_from"])
        end = date.fromisoformat(target["served_to"])
        requests = ServiceRequest.objects.filter(
            shop=OuterRef("pk"), resolved_at__date__range=(start, end)
        )
        visits = Job.objects.filter(
            shop=OuterRef("pk"),
            state=JobState.DONE,
            report__checked_out_at__date__range=(start, end),
        )
        shops = shops.filter(Q(Exists(requests)) | Q(Exists(visits)))
    return shops


def receipt_for(invitation: Invitation) -> str:
    message = f"quality-response:{invitation.pk}:{invitation.token}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def stored_response(invitation: Invitation) -> Response | None:
    return Response.objects.filter(receipt=receipt_for(invitation)).first()


def stored_answers(response: Response | None) -> dict[str, Any]:
    """A response's answers in the shape ``response_save`` takes (to fill the form again)."""
    if response is None:
        return {}
    result: dict[str, Any] = {}
    for answer in response.answers.select_related("question"):
        kind = answer.question.kind
        if kind == "ep":
            result[answer.question.code] = {"e": answer.expectation, "p": answer.perception}
        elif kind == "points":
            result[answer.question.code] = answer.points
        elif kind == "text":
            result[answer.question.code] = answer.text
        else:
            result[answer.question.code] = answer.value
    return result


# --- The shop's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSurvey:
    token: str
    name: str
    closes_at: datetime
    started: bool


def open_surveys(*, user: User) -> list[OpenSurvey]:
    """Surveys the user is invited to that are open and not answered yet (newest first)."""
    now = timezone.now()
    shop_id = policy.owned_shop_id(user) if user.is_shop_owner else None
    mine = Q(shop_id=shop_id) if shop_id else Q(staff=user)
    invitations = (
        Invitation.objects.filter(mine, responded_at__isnull=True)
        .filter(wave__opens_at__lte=now, wave__closes_at__gt=now)
        .select_related("wave")
        .order_by("wave__closes_at")
    )
    return [
        OpenSurvey(i.token, i.wave.name, i.wave.closes_at, stored_response(i) is not None)
        for i in invitations
    ]


def pending_ratings(*, user: User) -> QuerySet[CsatRating]:
    """The user's shop's contacts waiting for a rating (not rated, not expired)."""
    policy.require(user, Perm.SURVEY_ANSWER)
    return (
        policy.visible(user, CsatRating.objects.all())
        .filter(rated_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("request", "job", "staff")
        .order_by("-invited_at")
    )


def rating_get(*, user: User, rating_id: int) -> CsatRating:
    qs = CsatRating.objects.select_related("request", "job", "staff")
    return policy.get_visible(user, CsatRating, rating_id, qs=qs)


def my_ratings(*, user: User, limit: int = 20) -> QuerySet[CsatRating]:
    return (
        policy.visible(user, CsatRating.objects.all())
        .filter(rated_at__isnull=False)
        .select_related("request", "job", "staff")
        .order_by("-rated_at")[:limit]
    )


# --- The console's side ----------------------------------------------------------------------


def instrument_list(*, user: User) -> QuerySet[Instrument]:
    return policy.visible(user, Instrument.objects.filter(is_active=True))


def wave_list(*, user: User) -> QuerySet[Wave]:
    return policy.visible(user, Wave.objects.select_related("instrument")).order_by("-opens_at")


def submitted_responses(user: User, wave: Wave) -> QuerySet[Response]:
    """A wave's submitted responses that ``user`` may count in results: every one for the
    company-wide roles; for territorial roles, those given by shops of their grids or their own
    shops (by the groups each response recorded, so anonymous answers count too); none for a
    shop owner (results are staff's)."""
    responses = Response.objects.filter(wave=wave, state=Response.State.SUBMITTED)
    if not policy.has_perm(user, Perm.QUALITY_VIEW):
        return responses.none()
    scope = policy.shop_scope(user)  # for staff: a Q over the response's grid / account manager
    return responses if scope is None else responses.filter(scope)


def wave_get(*, user: User, wave_id: int) -> Wave:
    return policy.get_visible(user, Wave, wave_id, qs=Wave.objects.select_related("instrument"))


def wave_progress(wave: Wave) -> dict[str, Any]:
    answered = Invitation.objects.filter(wave=wave, responded_at__isnull=False).count()
    drafts = Response.objects.filter(wave=wave, state=Response.State.DRAFT).count()
    now = timezone.now()
    state = "scheduled" if now < wave.opens_at else "open" if now < wave.closes_at else "closed"
    return {
        "state": state,
        "invited": wave.invited,
        "answered": answered,
        "drafts": drafts,
        "response_rate": round(100 * answered / wave.invited, 1) if wave.invited else None,
        "sample_needed": wave.sample_needed,
        "sample_reached": answered >= wave.sample_needed,
    }


CSAT_GROUPS = {
    "staff": "staff",
    "segment": "shop__segment",
    "district": "shop__grid__district",
    "source": "source",
}


def csat_summary(
    *, user: User, since: datetime, until: datetime, group_by: str | None = None
) -> dict[str, Any]:
    """CSAT (share of 4–5 among rated) with its Wilson interval and the response rate.

    By ``group_by`` (staff, segment, district, source), groups under ``MIN_GROUP`` ratings show
    no figures.
    """
    policy.require(user, Perm.QUALITY_VIEW)
    invited = policy.visible(user, CsatRating.objects.all()).filter(
        invited_at__gte=since, invited_at__lt=until
    )
    rows = list(invited.values_list(CSAT_GROUPS.get(group_by or "", "source"), "score"))
    overall = _csat_row([score for _, score in rows])
    groups: dict[Any, list[int | None]] = {}
    if group_by in CSAT_GROUPS:
        for key, score in rows:
            groups.setdefault(key, []).append(score)
    return {
        "overall": overall,
        "groups": {key: _csat_row(scores) for key, scores in groups.items()},
    }


def _csat_row(scores: list[int | None]) -> dict[str, Any]:
    rated = [s for s in scores if s is not None]
    if len(rated) < MIN_GROUP:
        return {"invited": len(scores), "rated": len(rated), "suppressed": True}
    figures = csat_figures(rated, invited=len(scores))
    return {
        "invited": len(scores),
        "rated": len(rated),
        "suppressed": False,
        "csat": figures.csat,
        "low": figures.low,
        "high": figures.high,
        "response_rate": figures.response_rate,
    }


LOYALTY_WINDOW_DAYS = 91  # 13 weeks
REGULAR_WEEKS = 10  # ordered in at least 10 of the last 13 weeks


def loyalty_by_class(*, user: User, today: date | None = None) -> list[dict[str, Any]]:
    """Loyalty from each class's shop history beside its satisfaction (last 13 weeks).

    Per class: shops; licence kept = still active among those active 13 weeks ago; ordering
    regularly = ordered in ≥ 10 of the 13 weeks; using services = made a booking or raised a
    request; CSAT of the class (hidden under MIN_GROUP ratings). Shares are fractions."""
    policy.require(user, Perm.QUALITY_VIEW)
    today = today or timezone.localdate()
    since = today - timedelta(days=LOYALTY_WINDOW_DAYS)
    start = datetime.combine(since, datetime.min.time(), timezone.get_current_timezone())
    shops = policy.visible(user, Shop.objects.all()).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=since), opened_on__lte=since
    )
    weeks = (
        Order.objects.filter(shop=OuterRef("pk"), ordered_on__gte=since)
        .exclude(status=Order.Status.CANCELLED)
        .annotate(week=TruncWeek("ordered_on"))
        .values("shop")
        .annotate(n=Count("week", distinct=True))
        .values("n")
    )
    served = Q(
        Exists(ServiceRequest.objects.filter(shop=OuterRef("pk"), created_at__gte=start))
    ) | Q(
        Exists(Job.objects.filter(shop=OuterRef("pk"), kind=JobKind.BOOKING, created_at__gte=start))
    )
    rows = (
        shops.annotate(order_weeks=Coalesce(Subquery(weeks), 0))
        .values("segment")
        .annotate(
            shops=Count("pk"),
            kept=Count("pk", filter=Q(status=Shop.Status.ACTIVE)),
            regular=Count("pk", filter=Q(order_weeks__gte=REGULAR_WEEKS)),
            using=Count("pk", filter=served),
        )
    )
    satisfaction = csat_summary(user=user, since=start, until=timezone.now(), group_by="segment")[
        "groups"
    ]
    result = []
    for row in sorted(rows, key=lambda r: Segment.values.index(r["segment"])):
        n = row["shops"]
        result.append(
            {
                "segment": row["segment"],
                "shops": n,
                "licence_kept": row["kept"] / n,
                "ordering_regularly": row["regular"] / n,
                "using_services": row["using"] / n,
                "csat": satisfaction.get(row["segment"], {"rated": 0, "suppressed": True}),
            }
        )
    return result


def recent_comments(
    *, user: User, since: datetime, low_only: bool = True, limit: int = 20
) -> QuerySet[CsatRating]:
    """The latest rated contacts with a comment (by default the 1–3 ratings: what to fix)."""
    policy.require(user, Perm.QUALITY_VIEW)
    ratings = policy.visible(user, CsatRating.objects.all()).filter(
        rated_at__gte=since, score__isnull=False
    )
    if low_only:
        ratings = ratings.filter(score__lte=3)
    return ratings.exclude(comment="").select_related("shop", "staff").order_by("-rated_at")[:limit]
