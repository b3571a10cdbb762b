"""/api/outreach: a shop's messages and consent; campaigns and their funnels for staff.

A shop's token reads only its own in-app messages and settings; staff read campaigns and funnel
counts over the deliveries of their scope; managers create campaigns. The same services as the
pages: the same validation, errors and consent records.
"""

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from flexserve import policy
from flexserve.errors import NotFound
from flexserve.policy import Perm
from flexserve.schemas import Id, PageNumberPagination
from outreach import selectors, selectors_portal
from outreach.models import ConsentRecord
from outreach.services import campaigns, consent, delivery

router = Router()


def _outgoing(row):
    """The message as this shop receives it (variables filled), worked out once per row."""
    if not hasattr(row, "_outgoing"):
        row._outgoing = delivery.outgoing(row)
    return row._outgoing


class MessageOut(Schema):
    id: int
    subject: str
    text: str
    link: str = Field(..., description="the tracked link to the page sent, or empty")
    topic: str
    sent_at: datetime | None
    read: bool

    @staticmethod
    def resolve_subject(row) -> str:
        return _outgoing(row).subject

    @staticmethod
    def resolve_text(row) -> str:
        return _outgoing(row).text

    @staticmethod
    def resolve_link(row) -> str:
        return _outgoing(row).link

    @staticmethod
    def resolve_topic(row) -> str:
        return row.message.topic

    @staticmethod
    def resolve_read(row) -> bool:
        return row.status not in selectors_portal.UNREAD_STATUSES


class PreferenceIn(Schema):
    channels: list[str] = Field(..., description="push channels in the order to try them")
    topics: list[str] = Field(..., description="opt-in topics: policy, community, marketing")
    email: str = Field("", max_length=254)


class PreferenceOut(Schema):
    channels: list[str]
    topics: list[str]
    email: str
    unsubscribed: list[str]
    statement: str = Field(..., description="the consent wording saving these settings agrees to")


class CampaignOut(Schema):
    id: int
    name: str
    template: str
    status: str
    audience: dict[str, Any]
    starts_at: datetime
    recurrence: str
    next_send_at: datetime | None

    @staticmethod
    def resolve_template(campaign) -> str:
        return campaign.template.name


class CampaignIn(Schema):
    name: str = Field(..., max_length=80)
    template_id: Id
    audience: dict[str, Any] = Field(
        ...,
        description="segments, grade_min/max, star_min/max, business_types, market_types, "
        "district_ids, grid_ids, interests, article_id + article_read (read / unread)",
    )
    link: str = Field("", max_length=200, description="a path of this site")
    starts_at: datetime | None = Field(None, description="empty: now")
    recurrence: str = Field("", description="'' once, daily, weekly, monthly")
    ends_at: datetime | None = None
    initiative_id: Id | None = None


@router.get("/messages", response=list[MessageOut], summary="Your shop's messages")
@paginate(PageNumberPagination, page_size=20)
def list_messages(request):
    policy.require(request.user, Perm.PORTAL_USE)
    return selectors_portal.my_deliveries(request.user).select_related("shop__account_manager")


@router.post("/messages/{delivery_id}/read", response=MessageOut, summary="Mark a message read")
def read_message(request, delivery_id: Id):
    policy.require(request.user, Perm.PORTAL_USE)
    row = selectors_portal.delivery_for_reader(request.user, delivery_id)
    delivery.mark_read(row.pk)
    row.refresh_from_db(fields=["status", "read_at"])
    return row


def _preference_out(user) -> dict[str, Any]:
    preference = selectors_portal.preference(user)
    if preference is None:
        raise NotFound()
    return {
        "channels": preference.channels,
        "topics": preference.topics,
        "email": preference.email,
        "unsubscribed": preference.unsubscribed,
        "statement": str(consent.CONSENT_STATEMENT),
    }


@router.get("/preferences", response=PreferenceOut, summary="Your shop's channels and topics")
def get_preferences(request):
    policy.require(request.user, Perm.PORTAL_USE)
    return _preference_out(request.user)


@router.put(
    "/preferences",
    response=PreferenceOut,
    summary="Set your shop's channels and topics (appends a consent record)",
)
def put_preferences(request, payload: PreferenceIn):
    policy.require(request.user, Perm.PORTAL_USE)
    shop = selectors_portal.own_shop(request.user)
    if shop is None:
        raise NotFound()
    consent.preference_update(
        actor=request.user,
        shop_id=shop.pk,
        channels=payload.channels,
        topics=payload.topics,
        email=payload.email,
        wording=str(consent.CONSENT_STATEMENT),
        source=ConsentRecord.Source.PORTAL,
    )
    return _preference_out(request.user)


@router.get("/campaigns", response=list[CampaignOut], summary="Campaigns")
@paginate(PageNumberPagination, page_size=50)
def list_campaigns(request):
    policy.require(request.user, Perm.OUTREACH_VIEW)
    return selectors.campaign_list(user=request.user)


@router.post("/campaigns", response={201: CampaignOut}, summary="Send a campaign")
def create_campaign(request, payload: CampaignIn):
    campaign = campaigns.campaign_create(actor=request.user, **payload.dict())
    return Status(201, campaign)


@router.get(
    "/campaigns/{campaign_id}/funnel",
    summary="Shops per stage; deliveries by channel, class, district and reason (your scope)",
)
def campaign_funnel(request, campaign_id: Id) -> dict[str, Any]:
    policy.require(request.user, Perm.OUTREACH_VIEW)
    funnel = selectors.campaign_funnel(user=request.user, campaign_id=campaign_id)
    return {key: value for key, value in funnel.items() if key != "labels"}
