"""The shop's own message pages (/outreach/mine/) and the console shop page's outreach panel:
a shop reads its own in-app messages only, opening one marks it read, its settings are saved with
one consent record per change (the wording it saw included), a bad choice saves nothing, and an
account manager sees the panel of their territory's shops only."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from outreach.models import Channel, ConsentRecord, ContactPreference, Delivery, Message, Template
from outreach.services import consent
from outreach.services.consent import CONSENT_STATEMENT

pytestmark = pytest.mark.django_db
S = Delivery.Status


@pytest.fixture
def author(db):
    return UserFactory(username="editor", role=Role.SERVICE_MANAGER)


def _message(author, *, subject="{店名}：新品到店", body="{负责人}您好，详情见{链接}", link=""):
    template, _ = Template.objects.get_or_create(
        name=f"模板{Template.objects.count() + 1}-{subject}",
        defaults={"topic": "policy", "subject": subject, "body": body, "created_by": author},
    )
    return Message.objects.create(
        template=template,
        topic=template.topic,
        link=link,
        scheduled_for=timezone.now() - datetime.timedelta(hours=1),
        state=Message.State.OUT,
    )


def _in_app(author, shop, status=S.DELIVERED, **message):
    return Delivery.objects.create(
        message=_message(author, **message), shop=shop, channel=Channel.IN_APP, status=status
    )


def _form(channels=(), positions=None, topics=(), email=""):
    """The settings form as a browser posts it: ticked channels with their numbers."""
    data = {"channels": list(channels), "topics": list(topics), "email": email}
    for n, channel in enumerate(channels, start=1):
        data[f"position_{channel}"] = str((positions or {}).get(channel, n))
    return data


def test_shop_owner_sees_only_their_own_messages(client_for, shop_owner, shop, other_shop, author):
    own = _in_app(author, shop, subject="{店名}：本周政策")
    _in_app(author, other_shop, subject="别家的消息")
    _in_app(author, shop, status=S.SUPPRESSED, subject="未发送的消息")
    _in_app(author, shop, status=S.QUEUED, subject="还在排队的消息")
    client = client_for(shop_owner)

    text = client.get("/outreach/mine/").content.decode()

    assert f"{shop.name}：本周政策" in text and f"/outreach/mine/{own.pk}/" in text
    assert "别家的消息" not in text and "未发送的消息" not in text and "还在排队的消息" not in text
    assert 'class="om-unread"' in text


def test_another_shops_message_is_not_found(client_for, shop_owner, other_shop, author):
    other = _in_app(author, other_shop)

    response = client_for(shop_owner).get(f"/outreach/mine/{other.pk}/")

    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == S.DELIVERED and other.read_at is None


def test_opening_a_message_marks_it_read_with_the_shops_values(
    client_for, shop_owner, shop, author
):
    delivery = _in_app(author, shop, body="{负责人}您好，您的许可证号是{许可证号}。")
    client = client_for(shop_owner)

    text = client.get(f"/outreach/mine/{delivery.pk}/").content.decode()

    assert f"{shop.owner_name}您好，您的许可证号是{shop.licence_no}。" in text
    delivery.refresh_from_db()
    assert delivery.status == S.READ and delivery.read_at is not None
    assert 'class="om-unread"' not in client.get("/outreach/mine/").content.decode()


def test_a_message_with_a_link_shows_the_tracked_link(client_for, shop_owner, shop, author):
    delivery = _in_app(author, shop, body="详情见{链接}", link="/community/")

    text = client_for(shop_owner).get(f"/outreach/mine/{delivery.pk}/").content.decode()

    assert "/o/" in text and "{链接}" not in text
    assert 'class="button primary"' in text


def test_staff_have_no_message_box(client_for, account_manager):
    assert client_for(account_manager).get("/outreach/mine/").status_code == 403
    assert client_for(account_manager).get("/outreach/mine/preferences/").status_code == 403


def test_the_message_list_reads_in_a_fixed_number_of_queries(
    shop_owner, shop, author, django_assert_num_queries
):
    from outreach import selectors_portal

    for _ in range(5):
        _in_app(author, shop)
    with django_assert_num_queries(2):  # the owner's shop, then the page of messages
        rows = list(selectors_portal.my_deliveries(shop_owner))
        assert [r.message.template.subject for r in rows]
    assert len(rows) == 5


def test_preferences_save_the_order_and_topics_with_one_record_per_change(
    client_for, shop_owner, shop
):
    client = client_for(shop_owner)
    form = _form(
        channels=["sms", "email", "wechat"],
        positions={"email": 1, "wechat": 2, "sms": 3},
        topics=["community", "policy"],
        email="shop@example.com",
    )

    response = client.post("/outreach/mine/preferences/", form)

    assert response.status_code == 302
    preference = ContactPreference.objects.get(shop=shop)
    assert preference.channels == ["email", "wechat", "sms"]
    assert preference.topics == ["policy", "community"]
    assert preference.email == "shop@example.com"
    records = {r.what: r for r in ConsentRecord.objects.filter(shop=shop)}
    assert set(records) == {"channels", "topics", "email"}
    assert records["channels"].after == ["email", "wechat", "sms"]
    assert records["topics"].before == [] and records["topics"].after == ["policy", "community"]
    for record in records.values():
        assert record.source == ConsentRecord.Source.PORTAL
        assert record.actor == shop_owner
        assert record.wording == str(CONSENT_STATEMENT)
    page = client.get(response["Location"]).content.decode()
    assert str(CONSENT_STATEMENT) in page and 'id="history"' in page
    assert page.count("<tr>") == 1 + 3  # the head and one row per change


def test_saving_again_without_changes_records_nothing(client_for, shop_owner, shop):
    client = client_for(shop_owner)
    form = _form(channels=["wechat"], topics=["policy"], email="")
    client.post("/outreach/mine/preferences/", form)
    count = ConsentRecord.objects.count()

    client.post("/outreach/mine/preferences/", form)

    assert ConsentRecord.objects.count() == count


@pytest.mark.parametrize(
    "form",
    [
        _form(channels=["sms", "fax"], topics=["policy"]),
        _form(channels=["sms"], topics=["policy", "gambling"]),
        _form(channels=["sms"], topics=["policy"], email="not-an-address"),
        {**_form(channels=["sms"]), "position_sms": "first"},
    ],
    ids=["unknown channel", "unknown topic", "bad e-mail", "bad number"],
)
def test_a_bad_choice_is_refused_and_nothing_is_saved(client_for, shop_owner, shop, form):
    response = client_for(shop_owner).post("/outreach/mine/preferences/", form)

    assert response.status_code == 422
    assert 'class="alert alert-error"' in response.content.decode()
    assert not ContactPreference.objects.filter(shop=shop).exists()
    assert not ConsentRecord.objects.exists()


def test_an_unsubscribed_channel_stays_off_until_ticked_again(client_for, shop_owner, shop):
    client = client_for(shop_owner)
    client.post("/outreach/mine/preferences/", _form(channels=["sms", "email"], email="a@b.cn"))
    consent.unsubscribe(shop_id=shop.pk, channel="email", source="email_link")

    page = client.get("/outreach/mine/preferences/").content.decode()
    assert 'id="unsubscribed"' in page
    assert 'value="email" checked' not in page and 'value="sms" checked' in page
    client.post("/outreach/mine/preferences/", _form(channels=["sms"], email="a@b.cn"))
    assert ContactPreference.objects.get(shop=shop).unsubscribed == ["email"]

    client.post("/outreach/mine/preferences/", _form(channels=["email", "sms"], email="a@b.cn"))
    preference = ContactPreference.objects.get(shop=shop)
    assert preference.unsubscribed == [] and preference.channels == ["email", "sms"]


def test_consent_records_cannot_be_changed_or_deleted(shop):
    record = ConsentRecord.objects.create(
        shop=shop, what="topics", before=[], after=["policy"], source="portal", at=timezone.now()
    )
    record.after = ["marketing"]
    with pytest.raises(ValueError):
        record.save()
    with pytest.raises(ValueError):
        record.delete()
    assert ConsentRecord.objects.get(pk=record.pk).after == ["policy"]


def test_account_manager_sees_the_panel_of_their_territorys_shops_only(
    client_for, account_manager, shop, other_shop, shop_owner, author
):
    client_for(shop_owner).post(
        "/outreach/mine/preferences/", _form(channels=["wechat", "sms"], topics=["marketing"])
    )
    _in_app(author, shop)
    _in_app(author, other_shop)
    client = client_for(account_manager)

    text = client.get(f"/console/shops/{shop.pk}/").content.decode()

    assert 'id="outreach-panel"' in text
    assert "营销" in text or "marketing" in text.lower()
    assert client.get(f"/console/shops/{other_shop.pk}/").status_code == 404


def test_the_panel_reads_through_policy(account_manager, shop, other_shop, author):
    """Given another shop than the page's (never by the page itself), the panel shows nothing."""
    from outreach import selectors_portal

    _in_app(author, other_shop)
    ContactPreference.objects.create(shop=other_shop, channels=["sms"], topics=["policy"])

    found = selectors_portal.shop_outreach(account_manager, other_shop)

    assert found.preference is None and found.deliveries == [] and found.records == []


def test_the_shop_owner_finds_the_messages_from_the_site_menu(client_for, shop_owner):
    text = client_for(shop_owner).get("/portal/").content.decode()

    assert 'href="/outreach/mine/"' in text
