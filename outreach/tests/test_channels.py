"""Channel adapters: real SMTP with one-click unsubscribe, signed SMS requests as the providers
document them, WeChat/WeCom request shapes, in-app notifications and the recording fakes."""

import email
import email.policy
import json
import socket
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiosmtpd.controller import Controller

from outreach import channels, links
from outreach.channels.base import Outgoing
from outreach.channels.email import EmailAdapter
from outreach.channels.in_app import InAppAdapter
from outreach.channels.sms import (
    AliyunSms,
    RecordingSms,
    TencentSms,
    aliyun_signature,
    tc3_authorization,
)
from outreach.channels.wechat import RecordingWechat, WechatAdapter
from outreach.channels.wecom import RecordingWecom, WecomAdapter
from outreach.models import ConsentRecord, ContactPreference, Delivery
from outreach.tests.factories import make_delivery
from servicedesk.models import Notification

pytestmark = pytest.mark.django_db


def outgoing(delivery: Delivery, address: str, **fields) -> Outgoing:
    values = {
        "delivery_id": delivery.pk,
        "address": address,
        "subject": "到货通知",
        "text": f"{delivery.shop.name}，您订的货已到。",
        "link": links.tracked_link(delivery.pk),
        "sms_template_code": "SMS_0001",
        "sms_params": {"店名": delivery.shop.name, "链接": "https://x.example/o/l/abc/"},
        "wechat_template_id": "TPL-arrival",
        "shop_name": delivery.shop.name,
    }
    return Outgoing(**{**values, **fields})


# --- e-mail over real SMTP ------------------------------------------------------------------


class Inbox:
    """An SMTP server's mailbox; it refuses recipients at nobody.example."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@nobody.example"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield inbox
    controller.stop()


def _parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_email_goes_over_smtp_with_text_link_and_one_click_unsubscribe(smtp_inbox, shop, client):
    delivery = make_delivery(shop, "email")
    item = outgoing(
        delivery, "owner@shop.example", unsubscribe_url=links.unsubscribe_url(shop.pk, "email")
    )

    [result] = EmailAdapter().send_many([item])

    assert result.ok and not result.permanent
    [envelope] = smtp_inbox.envelopes
    assert envelope.rcpt_tos == ["owner@shop.example"]
    mail = _parsed(envelope)
    assert mail["Subject"] == "到货通知"
    assert mail["Message-ID"] == f"<outreach-{delivery.pk}@127.0.0.1>"
    assert mail["List-Unsubscribe"].strip() == f"<{item.unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert item.text in text and item.link in text
    assert f'href="{item.link}"' in html

    # The mail client's one-click POST (RFC 8058) unsubscribes the shop from e-mail.
    path = urlsplit(mail["List-Unsubscribe"].strip().strip("<>")).path
    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert b'data-unsubscribe="done"' in response.content
    assert ContactPreference.objects.get(shop=shop).unsubscribed == ["email"]
    record = ConsentRecord.objects.get(shop=shop)
    assert (record.what, record.source, record.after) == ("unsubscribed", "email_link", ["email"])
    assert record.wording == "List-Unsubscribe=One-Click"


def test_a_tampered_unsubscribe_token_is_404_and_records_nothing(shop, client):
    url = links.unsubscribe_url(shop.pk, "email")
    path = urlsplit(url).path
    tampered = path.replace("/u/", "/u/x", 1)
    response = client.post(
        tampered, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()
    assert not ContactPreference.objects.filter(shop=shop).exists()


def test_the_unsubscribe_page_asks_before_it_unsubscribes(shop, client):
    path = urlsplit(links.unsubscribe_url(shop.pk, "email")).path
    response = client.get(path)
    assert response.status_code == 200
    assert b'data-unsubscribe="ask"' in response.content
    assert shop.name in response.content.decode()
    assert not ConsentRecord.objects.exists()
    client.post(path)  # the page's button
    assert ConsentRecord.objects.get(shop=shop).source == "email_link"


def test_a_refused_recipient_is_a_permanent_failure_and_the_batch_goes_on(smtp_inbox, shop):
    first, second = make_delivery(shop, "email"), make_delivery(shop, "email")
    results = EmailAdapter().send_many(
        [outgoing(first, "ghost@nobody.example"), outgoing(second, "owner@shop.example")]
    )
    assert [(r.delivery_id, r.ok, r.permanent) for r in results] == [
        (first.pk, False, True),
        (second.pk, True, False),
    ]
    assert [e.rcpt_tos for e in smtp_inbox.envelopes] == [["owner@shop.example"]]


def test_an_unreachable_smtp_server_fails_the_batch_for_a_retry(settings, shop):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    delivery = make_delivery(shop, "email")
    [result] = EmailAdapter().send_many([outgoing(delivery, "owner@shop.example")])
    assert (result.ok, result.permanent) == (False, False)


# --- in-app ---------------------------------------------------------------------------------


def test_in_app_writes_a_notification_for_the_shop_owner_delivered_at_once(shop, shop_owner):
    delivery = make_delivery(shop, "in_app")
    [result] = InAppAdapter().send_many([outgoing(delivery, str(shop_owner.pk))])
    assert (result.ok, result.delivered) == (True, True)
    notification = Notification.objects.get(recipient=shop_owner)
    assert notification.subject == "到货通知" and notification.outbox is None
    assert notification.url.endswith(f"/{delivery.pk}/")


def test_in_app_without_a_user_is_refused(shop):
    delivery = make_delivery(shop, "in_app")
    [result] = InAppAdapter().send_many([outgoing(delivery, "")])
    assert (result.ok, result.permanent) == (False, True)
    assert not Notification.objects.exists()


# --- SMS signing ----------------------------------------------------------------------------

# Aliyun's documented example of the RPC v1 signature (SendSms, key "testSecret").
ALIYUN_DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}


def test_aliyun_signature_matches_the_documented_example():
    assert (
        aliyun_signature(ALIYUN_DOC_PARAMS, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    )


def test_tc3_signature_matches_the_documented_example():
    # Tencent Cloud's documented TC3-HMAC-SHA256 example (CVM DescribeInstances).
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    authorization = tc3_authorization(
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        host="cvm.tencentcloudapi.com",
        payload=payload,
        timestamp=1551113065,
    )
    assert authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


class Provider:
    """The outside world: records each request and answers from a list of replies."""

    def __init__(self, *replies: dict) -> None:
        self.replies, self.requests = list(replies), []

    def __call__(self, method, url, *, body=b"", headers=None, timeout_s=10.0):
        self.requests.append({"method": method, "url": url, "body": body, "headers": headers})
        return 200, json.dumps(self.replies.pop(0)).encode()


def test_aliyun_sends_a_signed_sendsms_with_the_template_variables_in_order(shop):
    delivery = make_delivery(shop, "sms")
    provider = Provider({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0"})
    adapter = AliyunSms("LTAI-key", "key-secret", "柔性服务", post=provider)

    [result] = adapter.send_many([outgoing(delivery, shop.phone)])

    assert (result.ok, result.provider_id) == (True, "900619746936498440^0")
    [request] = provider.requests
    assert (request["method"], request["url"]) == ("POST", "https://dysmsapi.aliyuncs.com/")
    params = dict(parse_qsl(request["body"].decode(), keep_blank_values=True))
    assert params["Action"] == "SendSms" and params["Version"] == "2017-05-25"
    assert params["PhoneNumbers"] == shop.phone and params["SignName"] == "柔性服务"
    assert params["TemplateCode"] == "SMS_0001" and params["OutId"] == str(delivery.pk)
    assert list(json.loads(params["TemplateParam"])) == ["店名", "链接"]  # the template's order
    assert params["Signature"] == aliyun_signature(params, "key-secret", "POST")


@pytest.mark.parametrize(
    ("code", "permanent"),
    [("isv.MOBILE_NUMBER_ILLEGAL", True), ("isv.BUSINESS_LIMIT_CONTROL", False)],
)
def test_aliyun_refusals_are_permanent_and_rate_limits_are_not(shop, code, permanent):
    delivery = make_delivery(shop, "sms")
    adapter = AliyunSms("k", "s", "柔性服务", post=Provider({"Code": code, "Message": "no"}))
    [result] = adapter.send_many([outgoing(delivery, shop.phone)])
    assert (result.ok, result.permanent) == (False, permanent)
    assert code in result.error


def test_an_sms_without_a_template_is_refused_without_calling_the_provider(shop):
    delivery = make_delivery(shop, "sms")
    provider = Provider()
    for adapter in (AliyunSms("k", "s", "签名", post=provider), RecordingSms()):
        [result] = adapter.send_many([outgoing(delivery, shop.phone, sms_template_code="")])
        assert (result.ok, result.permanent, result.error) == (False, True, "no SMS template")
    assert provider.requests == []


def test_tencent_sends_a_tc3_signed_sendsms(shop):
    delivery = make_delivery(shop, "sms")
    provider = Provider(
        {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "5000:1045710669157053657849499619",
                        "PhoneNumber": f"+86{shop.phone}",
                        "Fee": 1,
                        "SessionContext": str(delivery.pk),
                        "Code": "Ok",
                        "Message": "send success",
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        }
    )
    adapter = TencentSms("AKID-test", "secret-key", "1400006666", "柔性服务", post=provider)

    [result] = adapter.send_many([outgoing(delivery, shop.phone)])

    assert (result.ok, result.provider_id) == (True, "5000:1045710669157053657849499619")
    [request] = provider.requests
    body, headers = json.loads(request["body"]), request["headers"]
    assert request["url"] == "https://sms.tencentcloudapi.com/"
    assert body["PhoneNumberSet"] == [f"+86{shop.phone}"]
    assert body["TemplateId"] == "SMS_0001" and body["SmsSdkAppId"] == "1400006666"
    assert body["TemplateParamSet"] == [shop.name, "https://x.example/o/l/abc/"]
    assert body["SignName"] == "柔性服务"
    assert (headers["X-TC-Action"], headers["X-TC-Version"]) == ("SendSms", "2021-01-11")
    assert headers["Authorization"] == tc3_authorization(
        "AKID-test",
        "secret-key",
        service="sms",
        host="sms.tencentcloudapi.com",
        payload=request["body"],
        timestamp=int(headers["X-TC-Timestamp"]),
    )


def test_tencent_number_errors_are_permanent(shop):
    delivery = make_delivery(shop, "sms")
    reply = {
        "Response": {
            "SendStatusSet": [
                {"SerialNo": "", "Code": "InvalidParameterValue.IncorrectPhoneNumber"}
            ],
            "RequestId": "r",
        }
    }
    adapter = TencentSms("id", "key", "1400006666", "签名", post=Provider(reply))
    [result] = adapter.send_many([outgoing(delivery, shop.phone)])
    assert (result.ok, result.permanent) == (False, True)


# --- WeChat and WeCom -----------------------------------------------------------------------


def test_wechat_sends_a_template_message_and_reuses_its_access_token(shop):
    first, second = make_delivery(shop, "wechat"), make_delivery(shop, "wechat")
    provider = Provider(
        {"access_token": "TOKEN-1", "expires_in": 7200},
        {"errcode": 0, "errmsg": "ok", "msgid": 200228332},
        {"errcode": 0, "errmsg": "ok", "msgid": 200228333},
    )
    adapter = WechatAdapter("wx-app", "wx-secret", post=provider)

    results = adapter.send_many(
        [outgoing(first, "oia2TjuEGTNoeX76QEjQNrcURxG8"), outgoing(second, "openid-2")]
    )

    assert [r.provider_id for r in results] == ["200228332", "200228333"]
    token, send, _again = provider.requests
    assert token["url"].endswith("/cgi-bin/stable_token")
    assert json.loads(token["body"])["appid"] == "wx-app"
    assert send["url"].endswith("/cgi-bin/message/template/send?access_token=TOKEN-1")
    body = json.loads(send["body"])
    assert body["touser"] == "oia2TjuEGTNoeX76QEjQNrcURxG8"
    assert body["template_id"] == "TPL-arrival" and body["url"] == links.tracked_link(first.pk)
    assert body["data"]["first"] == {"value": "到货通知"}
    assert body["data"]["keyword1"] == {"value": shop.name}
    assert set(body["data"]) == {"first", "keyword1", "keyword2", "remark"}


def test_wechat_refetches_an_expired_token_once(shop):
    delivery = make_delivery(shop, "wechat")
    provider = Provider(
        {"access_token": "OLD", "expires_in": 7200},
        {"errcode": 42001, "errmsg": "access_token expired"},
        {"access_token": "NEW", "expires_in": 7200},
        {"errcode": 0, "errmsg": "ok", "msgid": 7},
    )
    [result] = WechatAdapter("wx", "s", post=provider).send_many([outgoing(delivery, "openid")])
    assert (result.ok, result.provider_id) == (True, "7")
    assert provider.requests[-1]["url"].endswith("access_token=NEW")


def test_wechat_refusal_by_the_follower_is_permanent(shop):
    delivery = make_delivery(shop, "wechat")
    provider = Provider(
        {"access_token": "T", "expires_in": 7200},
        {"errcode": 43101, "errmsg": "user refuse to accept the msg"},
    )
    [result] = WechatAdapter("wx", "s", post=provider).send_many([outgoing(delivery, "openid")])
    assert (result.ok, result.permanent) == (False, True)


def test_wecom_asks_the_account_manager_to_forward_to_the_shop(shop):
    delivery = make_delivery(shop, "wecom")
    provider = Provider(
        {"errcode": 0, "errmsg": "ok", "access_token": "CORP-TOKEN", "expires_in": 7200},
        {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": "msg-1"},
    )
    adapter = WecomAdapter("ww-corp", "1000002", "corp-secret", post=provider)

    [result] = adapter.send_many([outgoing(delivery, "am")])

    assert (result.ok, result.provider_id) == (True, "msg-1")
    token, send = provider.requests
    assert token["method"] == "GET" and "corpid=ww-corp" in token["url"]
    body = json.loads(send["body"])
    assert (body["touser"], body["msgtype"], body["agentid"]) == ("am", "text", 1000002)
    assert shop.name in body["text"]["content"]
    assert links.tracked_link(delivery.pk) in body["text"]["content"]


def test_wecom_unknown_manager_is_permanent(shop):
    delivery = make_delivery(shop, "wecom")
    provider = Provider(
        {"errcode": 0, "access_token": "T", "expires_in": 7200},
        {"errcode": 0, "errmsg": "ok", "invaliduser": "ghost", "msgid": ""},
    )
    adapter = WecomAdapter("corp", "1", "s", post=provider)
    [result] = adapter.send_many([outgoing(delivery, "ghost")])
    assert (result.ok, result.permanent) == (False, True)


# --- the fakes and the choice of adapter ----------------------------------------------------


def test_fakes_record_refuse_and_fail_transiently(shop):
    deliveries = [make_delivery(shop, "sms") for _ in range(3)]
    fake = RecordingSms(refuse={"13000000000"}, fail={"13100000000"})
    results = fake.send_many(
        [
            outgoing(deliveries[0], shop.phone),
            outgoing(deliveries[1], "13000000000"),
            outgoing(deliveries[2], "13100000000"),
        ]
    )
    assert [(r.ok, r.permanent, r.provider_id) for r in results] == [
        (True, False, "fake-1"),
        (False, True, ""),
        (False, False, ""),
    ]
    assert [item.address for item in fake.sent] == [shop.phone]
    assert RecordingWechat().send_many([outgoing(deliveries[0], "openid")])[0].ok
    assert RecordingWecom().send_many([outgoing(deliveries[0], "am")])[0].ok


def test_adapter_for_follows_settings(settings):
    settings.OUTREACH_SMS_PROVIDER, settings.OUTREACH_SMS_SIGN = "aliyun", "柔性服务"
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = "id", "secret"
    assert isinstance(channels.adapter_for("sms"), AliyunSms)
    settings.ALIYUN_SMS_ACCESS_KEY_SECRET = ""
    assert channels.adapter_for("sms") is None  # no credentials: the next channel
    settings.OUTREACH_SMS_PROVIDER = "tencent"
    settings.TENCENT_SMS_SECRET_ID, settings.TENCENT_SMS_SECRET_KEY = "id", "key"
    settings.TENCENT_SMS_SDK_APP_ID = "1400006666"
    assert isinstance(channels.adapter_for("sms"), TencentSms)
    settings.OUTREACH_SMS_PROVIDER = "fake"
    fake = channels.adapter_for("sms")
    assert isinstance(fake, RecordingSms) and fake is channels.adapter_for("sms")  # remembers
    channels.forget()
    assert channels.adapter_for("sms") is not fake

    settings.WECHAT_APP_ID = settings.WECHAT_APP_SECRET = ""
    settings.OUTREACH_FAKE_CHANNELS = False
    assert channels.adapter_for("wechat") is None
    settings.OUTREACH_FAKE_CHANNELS = True
    assert isinstance(channels.adapter_for("wechat"), RecordingWechat)
    settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET = "wx", "secret"
    assert isinstance(channels.adapter_for("wechat"), WechatAdapter)
    assert isinstance(channels.adapter_for("email"), EmailAdapter)
    assert isinstance(channels.adapter_for("in_app"), InAppAdapter)


def test_tests_can_swap_in_a_fake_or_no_adapter():
    fake = RecordingSms()
    with channels.override("sms", fake):
        assert channels.adapter_for("sms") is fake
        with channels.override("sms", None):
            assert channels.adapter_for("sms") is None
        assert channels.adapter_for("sms") is fake
    assert "sms" not in channels.OVERRIDES
