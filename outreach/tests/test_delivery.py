"""Campaigns through the delivery rules: consent, caps, quiet hours, fallback, retries, once."""

import time
from datetime import datetime, timedelta

import pytest
import time_machine

from customers.tests.factories import ShopFactory
from flexserve.errors import AppError
from outreach import rules
from outreach.channels.base import SendResult
from outreach.models import Campaign, ConsentRecord, ContactPreference, Delivery, Message, Template
from outreach.services import campaigns, consent, delivery

# Real commits: the work queued after each commit runs as it would in the embedded mode.
pytestmark = pytest.mark.django_db(transaction=True)
S = Delivery.Status
NOON = datetime(2026, 12, 8, 12, 0, tzinfo=rules.CHINA)


class Recorder:
    """A channel that records what it is given and answers as told."""

    def __init__(self, channel: str, needs_receipt: bool = False) -> None:
        self.channel, self.needs_receipt = channel, needs_receipt
        self.sent: list = []
        self.refuse: set[str] = set()
        self.flaky = 0  # this many calls fail transiently first
        self.calls: list[int] = []

    def send_many(self, items):
        self.calls.append(len(items))
        if self.flaky:
            self.flaky -= 1
            return [SendResult(i.delivery_id, ok=False, error="timeout") for i in items]
        out = []
        for item in items:
            if item.address in self.refuse:
                out.append(SendResult(item.delivery_id, ok=False, permanent=True, error="blocked"))
            else:
                self.sent.append(item)
                out.append(
                    SendResult(
                        item.delivery_id,
                        ok=True,
                        provider_id=f"{self.channel}-{item.delivery_id}",
                        delivered=self.channel == "in_app",
                    )
                )
        return out


@pytest.fixture
def wire(monkeypatch):
    adapters = {
        "in_app": Recorder("in_app"),
        "sms": Recorder("sms", needs_receipt=True),
        "email": Recorder("email"),
        "wechat": Recorder("wechat", needs_receipt=True),
        "wecom": Recorder("wecom"),
    }
    from outreach import channels

    monkeypatch.setattr(channels, "adapter_for", adapters.get, raising=False)
    return adapters


@pytest.fixture
def template(service_manager):
    return campaigns.template_save(
        actor=service_manager,
        template_id=None,
        name="新品",
        topic="marketing",
        subject="{店名}：新品到店",
        body="{负责人}您好，新品本周到店，详情见{链接}",
    )


def prefer(shop, channels=("sms", "email"), topics=("marketing",), email="owner@example.com"):
    return ContactPreference.objects.update_or_create(
        shop=shop, defaults={"channels": list(channels), "topics": list(topics), "email": email}
    )[0]


def send_now(manager, template, **audience):
    return campaigns.campaign_create(
        actor=manager,
        name="本周新品",
        template_id=template.pk,
        audience=audience or {"segments": ["core"]},
        link="/community/",
    )


def rows(shop):
    return {
        d.channel: (d.status, d.reason)
        for d in Delivery.objects.filter(shop=shop).order_by("created_at")
    }


@time_machine.travel(NOON, tick=False)
def test_opted_in_shop_gets_in_app_and_its_first_channel(
    service_manager, template, shop_owner, shop, wire
):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    send_now(service_manager, template)
    assert rows(shop) == {"in_app": (S.DELIVERED, ""), "sms": (S.SENT, "")}
    sms = wire["sms"].sent[0]
    assert sms.address == shop.phone
    assert shop.name in sms.subject and shop.owner_name in sms.text
    assert "/o/l/" in sms.link and sms.link in sms.text
    assert wire["email"].sent == []  # the first usable channel only


@time_machine.travel(NOON, tick=False)
def test_opted_out_and_capped_shops_get_nothing(service_manager, template, wire):
    quiet = ShopFactory(segment="core")
    prefer(quiet, topics=("policy",))  # not marketing
    busy = ShopFactory(segment="core")
    prefer(busy)
    for _ in range(2):  # two capped messages today already
        earlier = Message.objects.create(
            template=template, topic="marketing", scheduled_for=NOON, state="out"
        )
        Delivery.objects.create(message=earlier, shop=busy, channel="sms", status=S.DELIVERED)
    send_now(service_manager, template)
    assert rows(quiet) == {"sms": (S.SUPPRESSED, "no_consent")}
    assert set(
        Delivery.objects.filter(shop=busy, status=S.SUPPRESSED).values_list("reason", flat=True)
    ) == {"capped"}
    assert wire["sms"].sent == [] and wire["in_app"].sent == []


@time_machine.travel(NOON, tick=False)
def test_service_notices_are_neither_capped_nor_need_opt_in(
    service_manager, shop_owner, shop, wire
):
    prefer(shop, topics=())
    notice = campaigns.template_save(
        actor=service_manager,
        template_id=None,
        name="送达",
        topic="service",
        subject="订单已送达",
        body="{店名}，您的订单已送达。",
    )
    for _ in range(4):
        campaigns.service_notice(template=notice, shop_ids=[shop.pk])
    assert Delivery.objects.filter(shop=shop, channel="sms", status=S.SENT).count() == 4


def test_quiet_hours_hold_sms_until_morning_never_drop_it(
    service_manager, template, shop_owner, shop, wire
):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    evening = datetime(2026, 12, 8, 22, 30, tzinfo=rules.CHINA)
    with time_machine.travel(evening, tick=False):
        send_now(service_manager, template)
        sms = Delivery.objects.get(shop=shop, channel="sms")
        assert (sms.status, sms.not_before) == (
            S.QUEUED,
            datetime(2026, 12, 9, 8, 0, tzinfo=rules.CHINA),
        )
        assert rows(shop)["in_app"] == (S.DELIVERED, "")  # silent: shown at once
        delivery.tick()
        assert wire["sms"].sent == []
    with time_machine.travel(datetime(2026, 12, 9, 8, 1, tzinfo=rules.CHINA), tick=False):
        delivery.tick()
    assert rows(shop)["sms"] == (S.SENT, "")
    assert len(wire["sms"].sent) == 1


@time_machine.travel(NOON, tick=False)
def test_fallback_follows_the_shops_order_on_refusal(
    service_manager, template, shop_owner, shop, wire
):
    shop.segment = "core"
    shop.save()
    prefer(shop, channels=("wechat", "sms", "email"))
    wire["sms"].refuse.add(shop.phone)
    send_now(service_manager, template)
    assert rows(shop) == {
        "in_app": (S.DELIVERED, ""),
        "wechat": (S.SUPPRESSED, "not_allowed"),
        "sms": (S.FAILED, "refused"),
        "email": (S.SENT, ""),
    }
    assert [i.address for i in wire["email"].sent] == ["owner@example.com"]
    assert "/o/u/" in wire["email"].sent[0].unsubscribe_url


def test_no_receipt_in_time_tries_the_next_channel(
    service_manager, template, shop_owner, shop, wire
):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    with time_machine.travel(NOON, tick=False):
        send_now(service_manager, template)
        sms = Delivery.objects.get(shop=shop, channel="sms")
        # A receipt within the time keeps it.
        assert delivery.advance(sms.pk, S.DELIVERED) is True
        assert delivery.advance(sms.pk, S.DELIVERED) is False  # the same receipt again
        assert delivery.advance(sms.pk, S.SENT) is False  # a late, older one
    other = ShopFactory(segment="core")
    prefer(other)
    with time_machine.travel(NOON + timedelta(hours=1), tick=False):
        campaigns.service_notice(
            template=campaigns.template_save(
                actor=service_manager,
                template_id=None,
                name="通知",
                topic="service",
                subject="通知",
                body="请留意送货时间。",
            ),
            shop_ids=[other.pk],
        )
    with time_machine.travel(NOON + timedelta(hours=1, minutes=31), tick=False):
        delivery.tick()
    assert rows(other)["sms"] == (S.FAILED, "no_receipt")
    assert rows(other)["email"] == (S.SENT, "")
    assert rows(shop)["sms"] == (S.DELIVERED, "")


@time_machine.travel(NOON, tick=False)
def test_transient_failures_retry_with_backoff(service_manager, template, shop_owner, shop, wire):
    shop.segment = "core"
    shop.save()
    prefer(shop, channels=("sms",))
    wire["sms"].flaky = 1
    send_now(service_manager, template)
    sms = Delivery.objects.get(shop=shop, channel="sms")
    assert (sms.status, sms.attempts) == (S.QUEUED, 1)
    assert sms.not_before == NOON + timedelta(minutes=1)
    with time_machine.travel(NOON + timedelta(minutes=1), tick=False):
        delivery.tick()
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == (S.SENT, 2)


def test_an_opt_out_after_scheduling_still_stops_the_send(
    service_manager, template, shop_owner, shop, wire
):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    with time_machine.travel(NOON, tick=False):
        campaign = campaigns.campaign_create(
            actor=service_manager,
            name="明早",
            template_id=template.pk,
            audience={"segments": ["core"]},
            starts_at=NOON + timedelta(hours=20),
        )
        assert Delivery.objects.count() == 0
        consent.preference_update(
            actor=shop_owner,
            shop_id=shop.pk,
            channels=["sms"],
            topics=[],
            email="",
            wording="营销活动：不接收",
        )
    with time_machine.travel(NOON + timedelta(hours=20, minutes=1), tick=False):
        delivery.tick()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE
    assert rows(shop) == {"sms": (S.SUPPRESSED, "no_consent")}
    assert wire["sms"].sent == [] and wire["in_app"].sent == []
    assert ConsentRecord.objects.filter(shop=shop, what="topics").exists()


def test_an_unsubscribe_while_held_stops_that_channel_and_falls_back(
    service_manager, template, shop_owner, shop, wire
):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    with time_machine.travel(datetime(2026, 12, 8, 22, 0, tzinfo=rules.CHINA), tick=False):
        send_now(service_manager, template)
        consent.unsubscribe(shop_id=shop.pk, channel="sms", source="sms_reply", wording="T")
    with time_machine.travel(datetime(2026, 12, 9, 8, 0, tzinfo=rules.CHINA), tick=False):
        delivery.tick()
    assert rows(shop)["sms"] == (S.SUPPRESSED, "unsubscribed")
    assert rows(shop)["email"] == (S.SENT, "")
    assert wire["sms"].sent == []


@time_machine.travel(NOON, tick=False)
def test_a_batch_run_twice_sends_once(service_manager, template, shop_owner, shop, wire):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    send_now(service_manager, template)
    message = Message.objects.get()
    delivery.deliver_batch(message.pk, [shop.pk])
    delivery.fan_out(message.pk)
    assert Delivery.objects.filter(shop=shop).count() == 2
    assert len(wire["sms"].sent) == 1 and len(wire["in_app"].sent) == 1


@time_machine.travel(NOON, tick=False)
def test_recurring_campaign_makes_each_occurrence_once(service_manager, template, shop, wire):
    shop.segment = "core"
    shop.save()
    prefer(shop)
    campaign = campaigns.campaign_create(
        actor=service_manager,
        name="每周",
        template_id=template.pk,
        audience={"segments": ["core"]},
        recurrence="weekly",
        ends_at=NOON + timedelta(days=15),
    )
    assert Message.objects.filter(campaign=campaign).count() == 1
    for days in (7, 7, 14, 21):
        with time_machine.travel(NOON + timedelta(days=days, minutes=1), tick=False):
            campaigns.occurrences_due()
    assert Message.objects.filter(campaign=campaign).count() == 3
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DONE


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"body": "您好{店铺}"}, "unknown_variables"),
        ({"body": "长" * 140}, "sms_too_long"),
    ],
)
def test_bad_templates_save_nothing(service_manager, change, code):
    fields = {"name": "坏", "topic": "policy", "subject": "通知", "body": "内容"} | change
    with pytest.raises(AppError) as caught:
        campaigns.template_save(actor=service_manager, template_id=None, **fields)
    assert caught.value.code == code
    assert not Template.objects.exists()


@time_machine.travel(NOON, tick=False)
@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"audience": {"segments": ["core"], "grade_min": 30, "grade_max": 1}}, "empty_audience"),
        ({"starts_at": NOON - timedelta(hours=1)}, "past_time"),
        ({"link": "https://evil.example/"}, "link_not_ours"),
    ],
)
def test_bad_campaigns_save_nothing(service_manager, template, shop, wire, change, code):
    shop.segment = "core"
    shop.save()
    fields = {"name": "坏", "template_id": template.pk, "audience": {"segments": ["core"]}} | change
    with pytest.raises(AppError) as caught:
        campaigns.campaign_create(actor=service_manager, **fields)
    assert caught.value.code == code
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_shops_cannot_send(shop_owner, template):
    with pytest.raises(AppError):
        campaigns.campaign_create(
            actor=shop_owner, name="x", template_id=template.pk, audience={"segments": ["core"]}
        )


def test_a_providers_rate_limit_spreads_sends_over_seconds(
    settings, service_manager, template, wire
):
    settings.OUTREACH_QUIET_HOURS = "00:00-00:00"  # no quiet hours: the real clock runs here
    settings.OUTREACH_RATE_LIMITS = {"sms": 2}
    shops = [ShopFactory(segment="core") for _ in range(5)]
    for shop in shops:
        prefer(shop, channels=("sms",))
    started = time.monotonic()
    send_now(service_manager, template)
    elapsed = time.monotonic() - started
    assert Delivery.objects.filter(channel="sms", status=S.SENT).count() == 5
    # Handed over at most 2 at a time, in three one-second windows: two waits for the next one.
    assert wire["sms"].calls == [2, 2, 1]
    assert elapsed >= 1
