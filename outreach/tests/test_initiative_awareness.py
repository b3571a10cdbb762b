"""A campaign linked to a service initiative feeds the awareness stage of its event funnel."""

from datetime import date, timedelta

import pytest

from customers.models import ServiceItem
from customers.tests.factories import ShopFactory
from outreach.models import Campaign, Delivery, Message
from outreach.tests.factories import TemplateFactory
from quality import funnels
from quality.services import initiatives

pytestmark = pytest.mark.django_db


def initiative_with_item(manager):
    item = ServiceItem.objects.create(code="display-help", name="陈列指导")
    return initiatives.initiative_create(
        actor=manager,
        code="display",
        name="陈列提升",
        type="standard",
        starts_on=date.today() - timedelta(days=10),
        ends_on=date.today() + timedelta(days=10),
        owner_id=manager.pk,
        target={},
        service_item_id=item.pk,
    )


def awareness(manager, initiative):
    events = funnels.event_funnel(manager, initiative)
    return next(s for s in events["stages"] if s["stage"] == "awareness")


def test_awareness_counts_shops_that_read_a_linked_campaign(service_manager):
    initiative = initiative_with_item(service_manager)
    shops = [ShopFactory() for _ in range(6)]
    assert awareness(service_manager, initiative)["count"] is None  # no campaign: no data

    template = TemplateFactory(created_by=service_manager)
    campaign = Campaign.objects.create(
        name="陈列月",
        template=template,
        audience={"segments": ["core"]},
        starts_at=initiative.created_at,
        initiative=initiative,
        created_by=service_manager,
    )
    message = Message.objects.create(
        campaign=campaign, template=template, topic=template.topic, scheduled_for=campaign.starts_at
    )
    statuses = ["read", "clicked", "delivered", "sent", "suppressed", "read"]
    for shop, status in zip(shops, statuses, strict=True):
        Delivery.objects.create(message=message, shop=shop, channel="in_app", status=status)
    # The same shop reading on two channels counts once.
    Delivery.objects.create(message=message, shop=shops[0], channel="sms", status="clicked")

    stage = awareness(service_manager, initiative)
    assert (stage["count"], stage["base"], stage["source"]) == (3, 6, "messages")
    assert stage["share"] == pytest.approx(0.5)
