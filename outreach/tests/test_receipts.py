"""Provider callbacks through the webhook URLs: each receipt applied once, forged ones refused,
"T" replies unsubscribe; tracked links count clicks and lead only to this site's pages."""

import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from outreach import links
from outreach.models import ConsentRecord, ContactPreference, Delivery, Receipt
from outreach.tests.factories import make_delivery

pytestmark = pytest.mark.django_db

SECRET = "webhook-secret"
WECHAT_TOKEN = "wechat-token"
BIZ_ID = "900619746936498440^0"
SID = "5000:1045710669157053657849499619"
MSG_ID = "200163836"

# Recorded payloads as the providers document them (numbers and ids ours).
ALIYUN_DELIVERED = [
    {
        "phone_number": "13900000001",
        "send_time": "2026-03-02 09:30:00",
        "report_time": "2026-03-02 09:30:07",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": BIZ_ID,
        "out_id": "1",
    }
]
ALIYUN_FAILED = [
    {
        **ALIYUN_DELIVERED[0],
        "success": False,
        "err_code": "MK:0001",
        "err_msg": "用户停机",
    }
]
TENCENT_DELIVERED = [
    {
        "user_receive_time": "2026-03-02 09:30:07",
        "nationcode": "86",
        "mobile": "13900000001",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": SID,
    }
]
WECHAT_JOB_FINISHED = """<xml>
<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>
<CreateTime>1772415007</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
<MsgID>{msg_id}</MsgID>
<Status><![CDATA[{status}]]></Status>
</xml>"""
WECHAT_SUBSCRIBE = """<xml>
<ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>
<FromUserName><![CDATA[oia2TjuEGTNoeX76QEjQNrcURxG8]]></FromUserName>
<CreateTime>1772415007</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[subscribe]]></Event>
</xml>"""


def aliyun_reply(phone: str, content: str, sequence_id: int = 1234567) -> list[dict]:
    return [
        {
            "phone_number": phone,
            "send_time": "2026-03-02 10:00:00",
            "content": content,
            "sign_name": "柔性服务",
            "dest_code": "1234",
            "sequence_id": sequence_id,
        }
    ]


def tencent_reply(phone: str, text: str) -> dict:
    return {
        "extend": "",
        "mobile": phone,
        "nationcode": "86",
        "sign": "柔性服务",
        "text": text,
        "time": 1772416800,
    }


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.OUTREACH_WEBHOOK_SECRET = SECRET
    settings.WECHAT_TOKEN = WECHAT_TOKEN


def sent_sms(shop, provider_id: str = BIZ_ID) -> Delivery:
    return make_delivery(
        shop, "sms", status="sent", sent_at=timezone.now(), provider_id=provider_id
    )


def post_hook(client, provider: str, payload, *, secret: str = SECRET, signature=None):
    body = json.dumps(payload, ensure_ascii=False).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Flexserve-Signature": signature} if signature else {}
    return client.post(
        f"/o/hooks/{provider}/", body, content_type="application/json", headers=headers
    )


def wechat_query(token: str = WECHAT_TOKEN, timestamp="1772415007", nonce="1320562132") -> str:
    signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    return f"signature={signature}&timestamp={timestamp}&nonce={nonce}"


# --- delivery reports -----------------------------------------------------------------------


def test_an_aliyun_delivered_report_moves_a_sent_sms_to_delivered(client, shop):
    delivery = sent_sms(shop)

    response = post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED)

    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "成功"}
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.delivered_at == datetime(2026, 3, 2, 9, 30, 7, tzinfo=ZoneInfo("Asia/Shanghai"))
    receipt = Receipt.objects.get()
    assert (receipt.provider, receipt.delivery_id) == ("aliyun-sms", delivery.pk)
    assert receipt.payload == ALIYUN_DELIVERED[0]


def test_a_receipt_costs_a_handful_of_queries(client, shop, django_assert_max_num_queries):
    # Providers call at high rates: look-up, insert, the delivery's forward move (and savepoints).
    sent_sms(shop)
    with django_assert_max_num_queries(10):
        post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED)


def test_the_same_receipt_twice_changes_nothing_the_second_time(client, shop):
    delivery = sent_sms(shop)
    post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED)
    # Were the copy applied again, this delivery would move once more.
    Delivery.objects.filter(pk=delivery.pk).update(status="sent", delivered_at=None)

    response = post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED)

    assert response.json() == {"code": 0, "msg": "成功"}  # the provider stops calling
    delivery.refresh_from_db()
    assert (delivery.status, delivery.delivered_at) == ("sent", None)
    assert Receipt.objects.count() == 1


def test_a_receipt_for_an_unknown_provider_id_is_kept_and_changes_nothing(client, shop):
    delivery = sent_sms(shop, provider_id="someone-else^0")

    response = post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED)

    assert response.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert Receipt.objects.get().delivery_id is None


def test_a_failed_report_fails_the_delivery_as_refused(client, shop):
    delivery = sent_sms(shop)
    post_hook(client, "aliyun-sms-report", ALIYUN_FAILED)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == ("failed", "refused")
    assert "MK:0001" in delivery.error


def test_a_tencent_report_is_matched_by_its_serial_number(client, shop):
    delivery = sent_sms(shop, provider_id=SID)
    response = post_hook(client, "tencent-sms-report", TENCENT_DELIVERED)
    assert response.json() == {"result": 0, "errmsg": "OK"}
    delivery.refresh_from_db()
    assert delivery.status == "delivered"


@pytest.mark.parametrize(
    "signature", ["", "sha256=" + "0" * 64, "forged"], ids=["missing", "zeros", "garbage"]
)
def test_a_forged_or_missing_signature_is_refused_and_nothing_stored(client, shop, signature):
    delivery = sent_sms(shop)
    response = post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED, signature=signature)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Receipt.objects.exists()
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_body_signed_with_another_key_is_refused(client, shop):
    sent_sms(shop)
    response = post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED, secret="guessed")
    assert response.status_code == 403
    assert not Receipt.objects.exists()


def test_without_a_configured_secret_every_webhook_is_refused(client, shop, settings):
    settings.OUTREACH_WEBHOOK_SECRET = ""
    response = post_hook(client, "aliyun-sms-report", ALIYUN_DELIVERED, secret="")
    assert response.status_code == 403
    assert not Receipt.objects.exists()


def test_a_body_that_is_not_json_is_a_bad_request(client):
    body = b"<not json>"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(
        "/o/hooks/aliyun-sms-report/",
        body,
        content_type="application/json",
        headers={"X-Flexserve-Signature": signature},
    )
    assert response.status_code == 400
    assert not Receipt.objects.exists()


def test_unknown_providers_and_gets_are_not_hooks(client):
    assert (
        client.post("/o/hooks/nobody/", b"[]", content_type="application/json").status_code == 404
    )
    assert client.get("/o/hooks/aliyun-sms-report/").status_code in (302, 405)


# --- SMS replies ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["T", " td ", "退订"])
def test_an_aliyun_reply_t_unsubscribes_that_shops_sms(client, shop, other_shop, text):
    response = post_hook(client, "aliyun-sms-up", aliyun_reply(shop.phone, text))

    assert response.json() == {"code": 0, "msg": "成功"}
    assert ContactPreference.objects.get(shop=shop).unsubscribed == ["sms"]
    record = ConsentRecord.objects.get()
    assert (record.shop_id, record.source, record.wording) == (shop.pk, "sms_reply", text)
    assert not ContactPreference.objects.filter(shop=other_shop).exists()


def test_a_tencent_reply_td_unsubscribes_that_shops_sms(client, shop):
    response = post_hook(client, "tencent-sms-reply", tencent_reply(shop.phone, "TD"))
    assert response.json() == {"result": 0, "errmsg": "OK"}
    assert ContactPreference.objects.get(shop=shop).unsubscribed == ["sms"]
    assert ConsentRecord.objects.get(shop=shop).source == "sms_reply"


def test_other_replies_are_kept_only(client, shop):
    post_hook(client, "aliyun-sms-up", aliyun_reply(shop.phone, "好的，谢谢"))
    assert Receipt.objects.get().payload["content"] == "好的，谢谢"
    assert not ConsentRecord.objects.exists()


def test_a_repeated_reply_is_recognised(client, shop):
    post_hook(client, "aliyun-sms-up", aliyun_reply(shop.phone, "T"))
    post_hook(client, "aliyun-sms-up", aliyun_reply(shop.phone, "T"))
    assert Receipt.objects.count() == 1
    assert ConsentRecord.objects.count() == 1


# --- WeChat ---------------------------------------------------------------------------------


def test_wechat_url_check_echoes_echostr_only_with_a_valid_signature(client):
    response = client.get(f"/o/hooks/wechat/?{wechat_query()}&echostr=5837397520")
    assert (response.status_code, response.content) == (200, b"5837397520")
    forged = client.get(f"/o/hooks/wechat/?{wechat_query(token='guess')}&echostr=5837397520")
    assert forged.status_code == 403


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("success", "delivered"),
        ("failed:user block", "failed"),
        ("failed: system failed", "failed"),
    ],
)
def test_wechat_job_finished_event_is_the_receipt(client, shop, status, expected):
    delivery = make_delivery(shop, "wechat", status="sent", provider_id=MSG_ID)
    body = WECHAT_JOB_FINISHED.format(msg_id=MSG_ID, status=status)

    response = client.post(f"/o/hooks/wechat/?{wechat_query()}", body, content_type="text/xml")

    assert (response.status_code, response.content) == (200, b"success")
    delivery.refresh_from_db()
    assert delivery.status == expected
    if expected == "failed":
        assert (delivery.reason, delivery.error) == ("refused", status)
    assert Receipt.objects.get().key == f"job:{MSG_ID}"


def test_other_wechat_events_are_answered_and_ignored(client):
    response = client.post(
        f"/o/hooks/wechat/?{wechat_query()}", WECHAT_SUBSCRIBE, content_type="text/xml"
    )
    assert response.content == b"success"
    assert not Receipt.objects.exists()


def test_a_forged_wechat_event_is_refused(client, shop):
    delivery = make_delivery(shop, "wechat", status="sent", provider_id=MSG_ID)
    body = WECHAT_JOB_FINISHED.format(msg_id=MSG_ID, status="success")
    response = client.post(
        f"/o/hooks/wechat/?{wechat_query(token='guess')}", body, content_type="text/xml"
    )
    assert response.status_code == 403
    assert not Receipt.objects.exists()
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_wechat_xml_with_entity_declarations_is_refused(client):
    body = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><xml><MsgID>&a;</MsgID></xml>'
    response = client.post(f"/o/hooks/wechat/?{wechat_query()}", body, content_type="text/xml")
    assert response.status_code == 400
    assert not Receipt.objects.exists()


# --- tracked links --------------------------------------------------------------------------


def _link_path(delivery: Delivery) -> str:
    return urlsplit(links.tracked_link(delivery.pk)).path


def test_a_tracked_link_marks_clicked_and_leads_to_the_messages_page(client, shop):
    delivery = make_delivery(shop, "sms", status="delivered", link="/portal/orders/")

    response = client.get(_link_path(delivery))

    assert (response.status_code, response["Location"]) == (302, "/portal/orders/")
    delivery.refresh_from_db()
    assert delivery.status == "clicked" and delivery.clicked_at is not None


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_a_tracked_link_never_leads_off_the_site(client, shop, link):
    delivery = make_delivery(shop, "sms", status="delivered", link=link)
    response = client.get(_link_path(delivery))
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_tampered_link_token_is_404_and_changes_nothing(client, shop):
    delivery = make_delivery(shop, "sms", status="delivered")
    path = _link_path(delivery)
    token = path.split("/")[-2]
    tampered = path.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))

    assert client.get(tampered).status_code == 404

    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.clicked_at is None
