"""The campaign pages under /outreach/: campaigns, their funnels and export, and templates, driven
through the pages as a browser uses them; who may open what; the funnel counted in scope."""

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import ShopFactory
from outreach import selectors
from outreach.models import Campaign, Channel, Delivery, Message, Template
from outreach.tests.factories import (
    CampaignFactory,
    DeliveryFactory,
    MessageFactory,
    TemplateFactory,
)

pytestmark = pytest.mark.django_db

S, R = Delivery.Status, Delivery.Reason


@pytest.fixture
def template(service_manager):
    return TemplateFactory(name="新品到货通知", created_by=service_manager)


@pytest.fixture
def message(template):
    campaign = CampaignFactory(template=template, name="三月新品推送")
    return MessageFactory(campaign=campaign)


def _stages(funnel: dict) -> dict[str, int]:
    return {stage["key"]: stage["shops"] for stage in funnel["stages"]}


def _console_urls(campaign: Campaign, template: Template) -> list[str]:
    return [
        reverse("outreach:campaigns"),
        reverse("outreach:campaign_new"),
        reverse("outreach:audience_preview") + "?segments=core",
        reverse("outreach:campaign", args=[campaign.pk]),
        reverse("outreach:campaign_export", args=[campaign.pk]),
        reverse("outreach:templates"),
        reverse("outreach:template_new"),
        reverse("outreach:template_edit", args=[template.pk]),
    ]


# --- Who may open what -------------------------------------------------------------------------


def test_every_page_renders_for_a_manager(client_for, service_manager, message, shop):
    DeliveryFactory(message=message, shop=shop, status=S.READ)
    client = client_for(service_manager)
    for url in _console_urls(message.campaign, message.template):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(reverse("outreach:campaign", args=[message.campaign.pk])).content.decode()
    assert 'id="funnel-chart"' in page and 'id="outreach-funnel"' in page
    assert "js/outreach_funnel.js" in page


def test_the_navigation_offers_messages_to_staff(client_for, service_manager, account_manager):
    url = reverse("outreach:campaigns")
    for user in (service_manager, account_manager):
        page = client_for(user).get(reverse("console:shop_list")).content.decode()
        assert f'href="{url}"' in page


def test_a_shop_owner_is_refused_every_console_page(client_for, shop_owner, message):
    client = client_for(shop_owner)
    for url in _console_urls(message.campaign, message.template):
        assert client.get(url).status_code == 403, url
    cancel = reverse("outreach:campaign_cancel", args=[message.campaign.pk])
    assert client.post(cancel).status_code == 403
    new = client.post(reverse("outreach:template_new"), {"name": "x"})
    assert new.status_code == 403 and not Template.objects.filter(name="x").exists()


def test_an_account_manager_reads_campaigns_but_cannot_send(
    client_for, account_manager, message, shop
):
    DeliveryFactory(message=message, shop=shop)
    client = client_for(account_manager)
    assert client.get(reverse("outreach:campaigns")).status_code == 200
    assert client.get(reverse("outreach:campaign", args=[message.campaign.pk])).status_code == 200
    assert client.get(reverse("outreach:templates")).status_code == 200
    for url in (
        reverse("outreach:campaign_new"),
        reverse("outreach:template_new"),
        reverse("outreach:template_edit", args=[message.template.pk]),
        reverse("outreach:audience_preview"),
    ):
        assert client.get(url).status_code == 403, url
    campaign = CampaignFactory(status=Campaign.Status.SCHEDULED)
    response = client.post(reverse("outreach:campaign_cancel", args=[campaign.pk]))
    assert response.status_code == 403
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED


def test_a_campaign_that_does_not_exist_is_not_found(client_for, service_manager):
    client = client_for(service_manager)
    assert client.get(reverse("outreach:campaign", args=[999999])).status_code == 404
    assert client.get(reverse("outreach:campaign_export", args=[999999])).status_code == 404
    assert client.get(reverse("outreach:template_edit", args=[999999])).status_code == 404


# --- The funnel --------------------------------------------------------------------------------


def test_an_account_manager_sees_the_funnel_of_their_territory_only(
    client_for, account_manager, service_manager, message, shop, other_shop
):
    DeliveryFactory(message=message, shop=shop, status=S.CLICKED)
    DeliveryFactory(message=message, shop=other_shop, status=S.DELIVERED)
    DeliveryFactory(message=message, shop=other_shop, channel=Channel.SMS, status=S.FAILED)
    url = reverse("outreach:campaign", args=[message.campaign.pk])

    mine = client_for(account_manager).get(url).context["funnel"]
    assert _stages(mine) == {
        "targeted": 1,
        "reached": 1,
        "sent": 1,
        "delivered": 1,
        "read": 1,
        "clicked": 1,
    }
    assert [row["label"] for row in mine["districts"]] == [shop.grid.district.name]
    assert mine["reasons"] == []

    everyone = client_for(service_manager).get(url).context["funnel"]
    assert _stages(everyone)["targeted"] == 2 and _stages(everyone)["delivered"] == 2
    assert {row["label"] for row in everyone["districts"]} == {
        shop.grid.district.name,
        other_shop.grid.district.name,
    }
    assert [(r["status"], r["deliveries"]) for r in everyone["reasons"]] == [("failed", 1)]

    listed = client_for(account_manager).get(reverse("outreach:campaigns")).context["page"]
    assert [(c.shop_count, c.delivery_count) for c in listed] == [(1, 1)]


def test_a_clicked_delivery_counts_in_every_earlier_stage(service_manager, message):
    core = ShopFactory(segment="core")
    DeliveryFactory(message=message, shop=core, status=S.CLICKED)
    DeliveryFactory(message=message, shop=core, channel=Channel.SMS, status=S.SENT)
    failed = DeliveryFactory(message=message, status=S.FAILED, reason=R.GAVE_UP)
    suppressed = DeliveryFactory(message=message, status=S.SUPPRESSED, reason=R.NO_CONSENT)

    funnel = selectors.campaign_funnel(user=service_manager, campaign_id=message.campaign_id)

    # The core shop on two channels counts once per stage; the failed shop was reached (tried)
    # but not sent; the suppressed one was only targeted.
    assert _stages(funnel) == {
        "targeted": 3,
        "reached": 2,
        "sent": 1,
        "delivered": 1,
        "read": 1,
        "clicked": 1,
    }
    assert funnel["stages"][2]["rate"] == pytest.approx(33.3)
    in_app = next(row for row in funnel["channels"] if row["channel"] == Channel.IN_APP)
    assert (in_app["deliveries"], in_app["sent"], in_app["delivered"], in_app["read"]) == (
        3,
        1,
        1,
        1,
    )
    assert (in_app["clicked"], in_app["failed"], in_app["suppressed"]) == (1, 1, 1)
    sms = next(row for row in funnel["channels"] if row["channel"] == Channel.SMS)
    assert (sms["deliveries"], sms["sent"], sms["delivered"]) == (1, 1, 0)
    core_row = next(row for row in funnel["segments"] if row["segment"] == "core")
    assert (core_row["targeted"], core_row["clicked"]) == (1, 1)
    reasons = {(r["status"], r["reason"]): r["deliveries"] for r in funnel["reasons"]}
    assert reasons == {("failed", R.GAVE_UP): 1, ("suppressed", R.NO_CONSENT): 1}
    assert failed.shop_id != suppressed.shop_id


def test_the_funnel_takes_a_fixed_number_of_queries(
    service_manager, message, django_assert_num_queries
):
    for status in (S.QUEUED, S.SENT, S.READ, S.SUPPRESSED, S.CLICKED):
        DeliveryFactory(message=message, status=status)
    # campaign, totals, channels, classes, districts, reasons
    with django_assert_num_queries(6):
        selectors.campaign_funnel(user=service_manager, campaign_id=message.campaign_id)


def test_the_campaign_list_takes_one_query_whatever_its_length(
    service_manager, template, django_assert_num_queries
):
    for _n in range(3):
        DeliveryFactory(message=MessageFactory(campaign=CampaignFactory(template=template)))
    with django_assert_num_queries(1):
        rows = list(selectors.campaign_list(user=service_manager))
    assert [(c.message_count, c.delivery_count, c.shop_count) for c in rows] == [(1, 1, 1)] * 3


def test_the_export_has_a_sheet_per_table(client_for, service_manager, message, shop):
    DeliveryFactory(message=message, shop=shop, status=S.CLICKED)
    DeliveryFactory(message=message, status=S.SUPPRESSED, reason=R.UNSUBSCRIBED)
    response = client_for(service_manager).get(
        reverse("outreach:campaign_export", args=[message.campaign.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["漏斗", "渠道", "分类", "区域", "未发送原因"]
    funnel_rows = list(book["漏斗"].iter_rows(min_row=2, values_only=True))
    assert [row[1] for row in funnel_rows] == [2, 1, 1, 1, 1, 1]
    assert [row[1] for row in list(book["未发送原因"].iter_rows(min_row=2, values_only=True))] == [
        str(R.UNSUBSCRIBED.label)
    ]


# --- Audience preview --------------------------------------------------------------------------


def test_the_audience_preview_counts_the_active_shops_that_match(client_for, service_manager):
    for _n in range(3):
        ShopFactory(segment="core", grade=20)
    ShopFactory(segment="core", grade=5)
    ShopFactory(segment="core", status="closed", closed_on=datetime.date(2024, 1, 1))
    ShopFactory(segment="key", grade=20)
    client = client_for(service_manager)
    url = reverse("outreach:audience_preview")

    response = client.get(url, {"segments": ["core"], "grade_min": "10"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-audience-count="3"' in response.content.decode()
    both = client.get(url, {"segments": ["core", "key"]}).content.decode()
    assert 'data-audience-count="5"' in both
    bad = client.get(url, {"grade_min": "99"})
    assert bad.status_code == 200 and "data-audience-count" not in bad.content.decode()


# --- Templates ---------------------------------------------------------------------------------


def _template_post(**changes) -> dict[str, str]:
    return {
        "name": "五月促销",
        "topic": "marketing",
        "subject": "五月促销活动",
        "body": "{店名}您好，五月促销活动开始了，详情请联系{客户经理}。",
        "sms_template_code": "",
        "sms_params": "",
        "wechat_template_id": "",
    } | changes


def test_a_manager_saves_a_template(client_for, service_manager):
    response = client_for(service_manager).post(
        reverse("outreach:template_new"),
        _template_post(sms_template_code="SMS_001", sms_params="店名, 客户经理"),
    )
    assert response.status_code == 302 and response["Location"] == reverse("outreach:templates")
    saved = Template.objects.get(name="五月促销")
    assert (saved.sms_template_code, saved.sms_params) == ("SMS_001", ["店名", "客户经理"])


def test_an_unknown_variable_is_shown_on_the_text_and_nothing_is_saved(client_for, service_manager):
    response = client_for(service_manager).post(
        reverse("outreach:template_new"), _template_post(body="{店铺名}您好，五月促销开始了。")
    )
    assert response.status_code == 422
    assert response.context["form"].errors["body"]
    assert "店铺名" in response.content.decode()
    assert not Template.objects.filter(name="五月促销").exists()


def test_editing_a_template_keeps_it_when_the_change_is_refused(
    client_for, service_manager, template
):
    url = reverse("outreach:template_edit", args=[template.pk])
    shown = client_for(service_manager).get(url).content.decode()
    # The variables are listed as help beside the form.
    assert "<code>{店名}</code>" in shown and "<code>{经理电话}</code>" in shown
    response = client_for(service_manager).post(
        url, _template_post(name=template.name, body="{不存在}")
    )
    assert response.status_code == 422
    template.refresh_from_db()
    assert template.body == "{店名}您好，本周新品已到货，欢迎订购。"


# --- Campaigns ---------------------------------------------------------------------------------


def _campaign_post(template: Template, **changes) -> dict[str, object]:
    return {
        "name": "核心客户新品推送",
        "template_id": str(template.pk),
        "segments": ["core"],
        "send": "now",
        "starts_at": "",
        "recurrence": "",
        "ends_at": "",
        "link": "",
    } | changes


def test_a_manager_sends_a_campaign_to_a_class_now(
    client_for, service_manager, template, django_capture_on_commit_callbacks
):
    shops = [ShopFactory(segment="core") for _n in range(2)]
    ShopFactory(segment="ordinary")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(service_manager).post(
            reverse("outreach:campaign_new"), _campaign_post(template)
        )
    campaign = Campaign.objects.get(name="核心客户新品推送")
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:campaign", args=[campaign.pk])
    assert campaign.audience == {"segments": ["core"]} and campaign.audience_preview == 2
    assert Message.objects.filter(campaign=campaign).count() == 1
    reached = set(
        Delivery.objects.filter(message__campaign=campaign).values_list("shop_id", flat=True)
    )
    assert reached == {shop.pk for shop in shops}
    page = client_for(service_manager).get(response["Location"])
    assert _stages(page.context["funnel"])["targeted"] == 2


def test_a_campaign_at_a_set_time_waits(client_for, service_manager, template):
    ShopFactory(segment="core")
    when = timezone.localtime() + datetime.timedelta(days=2)
    response = client_for(service_manager).post(
        reverse("outreach:campaign_new"),
        _campaign_post(
            template,
            send="at",
            starts_at=when.strftime("%Y-%m-%dT%H:%M"),
            recurrence="weekly",
        ),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.SCHEDULED and campaign.recurrence == "weekly"
    assert abs(campaign.starts_at - when) < datetime.timedelta(minutes=1)
    assert not campaign.messages.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"segments": ["potential"]}, None),  # no active shop matches
        ({"send": "at", "starts_at": "2020-01-01T09:00"}, "starts_at"),
        ({"link": "https://example.com/"}, "link"),
        ({"send": "at", "starts_at": ""}, "starts_at"),
    ],
)
def test_a_refused_campaign_shows_why_and_saves_nothing(
    client_for, service_manager, template, changes, field
):
    ShopFactory(segment="core")
    response = client_for(service_manager).post(
        reverse("outreach:campaign_new"), _campaign_post(template, **changes)
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors.get(field if field else "__all__")
    assert not Campaign.objects.exists() and not Message.objects.exists()


def test_a_manager_cancels_a_scheduled_campaign(client_for, service_manager, template):
    campaign = CampaignFactory(template=template, status=Campaign.Status.SCHEDULED)
    url = reverse("outreach:campaign_cancel", args=[campaign.pk])
    client = client_for(service_manager)
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("outreach:campaign", args=[campaign.pk]), 302)]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELLED
    assert "can_cancel" in response.context and not response.context["can_cancel"]
    again = client.post(url, follow=True)
    assert [m.level_tag for m in again.context["messages"]] == ["error"]


def test_a_shop_owner_has_my_messages_in_the_navigation(client_for, shop_owner):
    page = client_for(shop_owner).get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("outreach:my_messages")}"' in page
    assert f'href="{reverse("outreach:campaigns")}"' not in page


def test_templates_of_a_user_are_listed_with_their_use(client_for, service_manager, message):
    response = client_for(service_manager).get(reverse("outreach:templates"))
    rows = list(response.context["templates"])
    assert [(t.name, t.campaign_count) for t in rows] == [("新品到货通知", 1)]
