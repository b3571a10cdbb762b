"""Factories for templates, campaigns, their messages and deliveries (one shop, one channel)."""

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from outreach.models import Campaign, Channel, Delivery, Message, Template, Topic


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Template
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"新品到货通知{n}")
    topic = Topic.MARKETING
    subject = "新品到货"
    body = "{店名}您好，本周新品已到货，欢迎订购。"
    created_by = factory.SubFactory(UserFactory, role="service_manager")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"核心客户新品推送{n}")
    template = factory.SubFactory(TemplateFactory)
    audience = factory.LazyFunction(lambda: {"segments": ["core"]})
    audience_preview = 0
    starts_at = factory.LazyFunction(timezone.now)
    status = Campaign.Status.DONE
    created_by = factory.SelfAttribute("template.created_by")


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    campaign = factory.SubFactory(CampaignFactory)
    template = factory.SelfAttribute("campaign.template")
    topic = factory.SelfAttribute("template.topic")
    scheduled_for = factory.LazyFunction(timezone.now)
    state = Message.State.OUT


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A delivery with the timestamps its status implies (a clicked one was sent, delivered
    and read first)."""

    class Meta:
        model = Delivery

    message = factory.SubFactory(MessageFactory)
    shop = factory.SubFactory(ShopFactory)
    channel = Channel.IN_APP
    status = Delivery.Status.DELIVERED
    reason = ""

    @factory.lazy_attribute
    def sent_at(self):
        reached = (Delivery.Status.SENT, Delivery.Status.DELIVERED, Delivery.Status.READ)
        return timezone.now() if self.status in (*reached, Delivery.Status.CLICKED) else None

    @factory.lazy_attribute
    def delivered_at(self):
        reached = (Delivery.Status.DELIVERED, Delivery.Status.READ, Delivery.Status.CLICKED)
        return timezone.now() if self.status in reached else None

    @factory.lazy_attribute
    def read_at(self):
        reached = (Delivery.Status.READ, Delivery.Status.CLICKED)
        return timezone.now() if self.status in reached else None

    @factory.lazy_attribute
    def clicked_at(self):
        return timezone.now() if self.status == Delivery.Status.CLICKED else None


def make_delivery(shop, channel: str, *, link: str = "/portal/", **fields) -> Delivery:
    """A message of one template to ``shop`` on ``channel`` (rows made directly)."""
    author = UserFactory(username="outreach-author", role="admin")
    template, _ = Template.objects.get_or_create(
        name="到货通知",
        defaults={
            "topic": "service",
            "subject": "到货通知",
            "body": "{店名}，您订的货已到。",
            "sms_template_code": "SMS_0001",
            "sms_params": ["店名"],
            "created_by": author,
        },
    )
    message = Message.objects.create(
        template=template, topic="service", link=link, scheduled_for=timezone.now()
    )
    return Delivery.objects.create(message=message, shop=shop, channel=channel, **fields)
