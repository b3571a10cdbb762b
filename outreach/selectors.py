"""Reads for the campaign pages: campaigns and templates, and a campaign's funnel.

Everything about deliveries is counted over ``policy.visible`` (Delivery is scoped by shop), so an
account manager sees the funnel of their territory only; campaigns, messages and templates are
company-wide and need OUTREACH_VIEW. Counts are aggregate queries (a campaign reaches 50,000
shops): one query per table of the funnel, never a loop over deliveries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from community import selectors as community_selectors
from community.models import Topic as CommunityTopic
from customers import selectors as customer_selectors
from customers.models import BusinessType, MarketType, Segment
from flexserve import policy
from flexserve.policy import Perm
from outreach.audience import AudienceFilters, audience_count
from outreach.models import Campaign, Channel, Delivery, Message, Template
from quality import funnels as quality_funnels

if TYPE_CHECKING:
    from accounts.models import User

S = Delivery.Status
# A status later in the chain has passed the earlier ones: a clicked delivery was also sent,
# delivered and read. Failed and suppressed deliveries leave the chain.
SENT = (S.SENT, S.DELIVERED, S.READ, S.CLICKED)
DELIVERED = (S.DELIVERED, S.READ, S.CLICKED)
READ = (S.READ, S.CLICKED)
CLICKED = (S.CLICKED,)
# The funnel's stages in order, each as the deliveries that count for it.
STAGE_FILTERS: tuple[tuple[str, Q], ...] = (
    ("targeted", Q()),
    ("reached", ~Q(status=S.SUPPRESSED)),
    ("sent", Q(status__in=SENT)),
    ("delivered", Q(status__in=DELIVERED)),
    ("read", Q(status__in=READ)),
    ("clicked", Q(status__in=CLICKED)),
)
STAGES = tuple(key for key, _q in STAGE_FILTERS)
# Delivery columns of the channel table beyond the funnel stages.
CHANNEL_EXTRA: tuple[tuple[str, Q], ...] = (
    ("queued", Q(status=S.QUEUED)),
    ("failed", Q(status=S.FAILED)),
    ("suppressed", Q(status=S.SUPPRESSED)),
)


def stage_labels() -> dict[str, str]:
    """The funnel's stages and the channel table's extra columns, translated."""
    return {
        "targeted": _("Targeted"),
        "reached": pgettext("funnel stage", "Reached"),
        "sent": _("Sent"),
        "delivered": _("Delivered"),
        "read": _("Read"),
        "clicked": _("Clicked"),
        "queued": _("Queued"),
        "failed": _("Failed"),
        "suppressed": _("Not sent"),
    }


# --- Campaigns and templates -------------------------------------------------------------------


def campaign_list(*, user: User, status: str = "") -> QuerySet[Campaign]:
    """Campaigns, newest first, with their messages and the deliveries and shops ``user`` sees."""
    policy.require(user, Perm.OUTREACH_VIEW)
    deliveries = policy.visible(user, Delivery.objects.filter(message__campaign=OuterRef("pk")))
    per_campaign = deliveries.order_by().values("message__campaign")
    messages = (
        Message.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    zero = Value(0, output_field=IntegerField())
    qs = policy.visible(user, Campaign.objects.select_related("template", "created_by")).annotate(
        message_count=Coalesce(Subquery(messages, output_field=IntegerField()), zero),
        delivery_count=Coalesce(Subquery(per_campaign.annotate(n=Count("pk")).values("n")), zero),
        shop_count=Coalesce(
            Subquery(per_campaign.annotate(n=Count("shop", distinct=True)).values("n")), zero
        ),
    )
    if status in Campaign.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
    policy.require(user, Perm.OUTREACH_VIEW)
    qs = Campaign.objects.select_related("template", "created_by")
    return policy.get_visible(user, Campaign, campaign_id, qs=qs)


def campaign_messages(*, user: User, campaign: Campaign) -> QuerySet[Message]:
    """The campaign's sends (one, or one per occurrence of a recurring campaign), newest first."""
    return policy.visible(user, Message.objects.filter(campaign=campaign)).order_by(
        "-scheduled_for", "-pk"
    )


def template_list(*, user: User) -> QuerySet[Template]:
    policy.require(user, Perm.OUTREACH_VIEW)
    qs = Template.objects.select_related("created_by").annotate(campaign_count=Count("campaigns"))
    return policy.visible(user, qs).order_by("name")


def template_get(*, user: User, template_id: int) -> Template:
    policy.require(user, Perm.OUTREACH_VIEW)
    return policy.get_visible(user, Template, template_id)


# --- Audiences ---------------------------------------------------------------------------------


ARTICLE_CHOICES = 100  # the latest live articles offered for "has (not) read"


def campaign_form_choices(*, user: User) -> dict[str, list[tuple[int, str]]]:
    """What the campaign form offers: templates, districts, grids and the latest articles."""
    policy.require(user, Perm.OUTREACH_SEND)
    templates = policy.visible(user, Template.objects.order_by("name")).values_list("pk", "name")
    districts = customer_selectors.district_list(user=user).order_by("name")
    grids = (
        customer_selectors.grid_list(user=user)
        .prefetch_related(None)
        .order_by("district__name", "name")
    )
    articles = community_selectors.live_articles(user).order_by("-publish_at", "-pk")
    initiatives = quality_funnels.initiative_list(user=user).order_by("-starts_on", "-pk")
    return {
        "initiatives": list(initiatives.values_list("pk", "name")[:ARTICLE_CHOICES]),
        "templates": list(templates),
        "districts": list(districts.values_list("pk", "name")),
        "grids": [(g.pk, f"{g.district.name} · {g.name}") for g in grids],
        "articles": list(articles.values_list("pk", "title")[:ARTICLE_CHOICES]),
    }


def audience_preview(*, user: User, filters: AudienceFilters) -> int:
    """How many active shops the filters reach today (the campaign form's live count)."""
    policy.require(user, Perm.OUTREACH_SEND)
    return audience_count(filters)


def audience_summary(*, user: User, audience: dict[str, Any]) -> list[tuple[str, str]]:
    """A campaign's stored audience as (filter, values) lines for people to read."""
    filters = AudienceFilters.from_dict(audience)
    labels = {
        **dict(Segment.choices),
        **dict(BusinessType.choices),
        **dict(MarketType.choices),
    }
    topics = dict(CommunityTopic.choices)

    def named(values: list[str], names: dict[str, Any]) -> str:
        return "、".join(str(names.get(v, v)) for v in values)

    def span(low: int | None, high: int | None) -> str:
        return f"{low if low is not None else '…'}–{high if high is not None else '…'}"

    lines: list[tuple[str, str]] = []
    if filters.segments:
        lines.append((_("Classes"), named(filters.segments, labels)))
    if filters.grade_min is not None or filters.grade_max is not None:
        lines.append((_("Grade"), span(filters.grade_min, filters.grade_max)))
    if filters.star_min is not None or filters.star_max is not None:
        lines.append((_("Star rating"), span(filters.star_min, filters.star_max)))
    if filters.business_types:
        lines.append((_("Business types"), named(filters.business_types, labels)))
    if filters.market_types:
        lines.append((_("Market types"), named(filters.market_types, labels)))
    if filters.district_ids:
        districts = customer_selectors.district_list(user=user).filter(pk__in=filters.district_ids)
        lines.append((_("Districts"), "、".join(d.name for d in districts)))
    if filters.grid_ids:
        grids = customer_selectors.grid_list(user=user).filter(pk__in=filters.grid_ids)
        lines.append((_("Grids"), "、".join(f"{g.district.name} · {g.name}" for g in grids)))
    if filters.interests:
        lines.append((_("Community interests"), named(filters.interests, topics)))
    if filters.article_id and filters.article_read in ("read", "unread"):
        wording = (
            _("Has read article %(id)s")
            if filters.article_read == "read"
            else _("Has not read article %(id)s")
        )
        lines.append((_("Article"), wording % {"id": filters.article_id}))
    if not lines:
        lines.append((_("Shops"), _("Every active shop")))
    return lines


# --- The funnel --------------------------------------------------------------------------------


def _shop_stages() -> dict[str, Count]:
    """Each stage as a count of distinct shops (a shop on two channels counts once)."""
    return {key: Count("shop", distinct=True, filter=q) for key, q in STAGE_FILTERS}


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def campaign_funnel(*, user: User, campaign_id: int) -> dict[str, Any]:
    """A campaign's funnel as plain numbers (the page's chart, tables and XLSX export).

    ``stages``: shops per stage (targeted, reached, sent, delivered, read, clicked) with the share
    of the targeted shops in per cent; ``channels``: deliveries per channel and status;
    ``segments`` / ``districts``: shops per stage by class and by the district of the shop's
    grid; ``reasons``: failed and suppressed deliveries by reason. Only the deliveries ``user``
    sees count.
    """
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    deliveries = policy.visible(
        user, Delivery.objects.filter(message__campaign=campaign)
    ).order_by()
    labels = stage_labels()

    totals = deliveries.aggregate(deliveries=Count("pk"), **_shop_stages())
    targeted = totals["targeted"]
    stages = [
        {
            "key": key,
            "label": labels[key],
            "shops": totals[key],
            "rate": _rate(totals[key], targeted),
        }
        for key in STAGES
    ]

    channel_columns = {key: Count("pk", filter=q) for key, q in STAGE_FILTERS + CHANNEL_EXTRA}
    channel_names = dict(Channel.choices)
    by_channel = {
        row["channel"]: row
        for row in deliveries.values("channel").annotate(**channel_columns).order_by("channel")
    }
    channels = []
    for code in Channel.values:  # the model's order: in-app first
        row = by_channel.get(code)
        if row is None:
            continue
        row = {k: v for k, v in row.items() if k != "channel"}
        row["deliveries"] = row.pop("targeted")
        channels.append({"channel": code, "label": str(channel_names[code]), **row})

    segment_names = dict(Segment.choices)
    segments = [
        {"segment": row["shop__segment"], "label": str(segment_names.get(row["shop__segment"], ""))}
        | {key: row[key] for key in STAGES}
        for row in deliveries.values("shop__segment").annotate(**_shop_stages())
    ]
    order = {code: n for n, code in enumerate(Segment.values)}
    segments.sort(key=lambda row: order.get(row["segment"], len(order)))

    districts = [
        {"district_id": row["shop__grid__district_id"], "label": row["shop__grid__district__name"]}
        | {key: row[key] for key in STAGES}
        for row in deliveries.values("shop__grid__district_id", "shop__grid__district__name")
        .annotate(**_shop_stages())
        .order_by("shop__grid__district__name")
    ]

    status_names, reason_names = dict(S.choices), dict(Delivery.Reason.choices)
    reasons = [
        {
            "status": row["status"],
            "status_label": str(status_names[row["status"]]),
            "reason": row["reason"],
            "label": str(reason_names.get(row["reason"], row["reason"])) if row["reason"] else "–",
            "deliveries": row["deliveries"],
            "shops": row["shops"],
        }
        for row in deliveries.filter(status__in=(S.FAILED, S.SUPPRESSED))
        .values("status", "reason")
        .annotate(deliveries=Count("pk"), shops=Count("shop", distinct=True))
        .order_by("status", "-deliveries", "reason")
    ]

    return {
        "campaign_id": campaign.pk,
        "deliveries": totals["deliveries"],
        "stages": stages,
        "channels": channels,
        "segments": segments,
        "districts": districts,
        "reasons": reasons,
        "labels": labels,
    }
