"""Provider callbacks: delivery reports, SMS replies and WeChat job events, each applied once.

Providers call back late, more than once and out of order. Each event is kept as a ``Receipt``
under the provider's own id for it; a second copy hits the unique (provider, key) and changes
nothing. A report moves its delivery forward (``delivery.advance``), found by the id the
provider gave at sending; an unknown id is kept and changes nothing. An SMS reply "T", "TD"
or "退订" unsubscribes the shops with that phone number from SMS, as carriers require.

Our SMS webhooks are signed with ``OUTREACH_WEBHOOK_SECRET`` (``X-Flexserve-Signature:
sha256=<hex HMAC of the raw body>``); WeChat signs with its own token scheme (plaintext mode).
A missing or forged signature is refused before anything is read or stored.
"""

import hashlib
import hmac
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from customers.models import Shop
from outreach.errors import BadSignature
from outreach.models import Channel, ConsentRecord, Delivery, Receipt
from outreach.services import consent, delivery

ALIYUN_SMS, TENCENT_SMS, WECHAT = "aliyun-sms", "tencent-sms", "wechat"  # Receipt.provider
STOP_WORDS = {"t", "td", "退订"}
PROVIDER_TIME = ZoneInfo("Asia/Shanghai")  # SMS reports give Beijing time without a zone
Status = Delivery.Status


class BadPayload(ValueError):
    """A callback body we cannot read (400: the provider sends it again, or a human looks)."""


@dataclass(frozen=True)
class Event:
    provider: str
    key: str  # the provider's id of this event
    payload: dict = field(hash=False)
    channel: str = ""  # a report: which delivery (channel, provider_id) and its outcome
    provider_id: str = ""
    status: str = ""
    at: datetime | None = None
    error: str = ""
    phone: str = ""  # a reply: from whom, what
    text: str = ""


# --- signatures -----------------------------------------------------------------------------


def check_webhook_signature(body: bytes, header: str) -> None:
    """Raise ``BadSignature`` unless ``header`` is ``sha256=<hex HMAC-SHA256 of body>``."""
    secret = settings.OUTREACH_WEBHOOK_SECRET
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not secret or not hmac.compare_digest(expected.encode(), (header or "").encode()):
        raise BadSignature()


def check_wechat_signature(*, signature: str, timestamp: str, nonce: str) -> None:
    """WeChat's check: sha1 of the sorted (token, timestamp, nonce), joined."""
    token = settings.WECHAT_TOKEN
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
    if not token or not hmac.compare_digest(expected.encode(), (signature or "").encode()):
        raise BadSignature()


# --- parsing (no database) ------------------------------------------------------------------


def _json_list(body: bytes) -> list[dict]:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadPayload("not JSON") from exc
    items = data if isinstance(data, list) else [data]
    if not all(isinstance(item, dict) for item in items):
        raise BadPayload("not a list of objects")
    return items


def _local_time(value: object) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=PROVIDER_TIME)
    except ValueError:
        return None


def _phone(number: object, nationcode: object = "86") -> str:
    """A mainland mobile number as shops store it: 11 digits, no country code."""
    digits = re.sub(r"\D", "", str(number or ""))
    if str(nationcode or "86") != "86":
        return ""
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def aliyun_sms_reports(body: bytes) -> list[Event]:
    """Aliyun SmsReport: [{phone_number, success, err_code, err_msg, biz_id, out_id, …}]."""
    events = []
    for item in _json_list(body):
        biz_id = str(item.get("biz_id") or "")
        if not biz_id:
            continue
        success = item.get("success") in (True, "true", "True", 1)
        events.append(
            Event(
                ALIYUN_SMS,
                f"report:{biz_id}:{item.get('phone_number', '')}",
                item,
                channel=Channel.SMS,
                provider_id=biz_id,
                status=Status.DELIVERED if success else Status.FAILED,
                at=_local_time(item.get("report_time")),
                error="" if success else f"{item.get('err_code', '')}: {item.get('err_msg', '')}",
            )
        )
    return events


def tencent_sms_reports(body: bytes) -> list[Event]:
    """Tencent SMS status: [{sid, mobile, nationcode, report_status, errmsg, description, …}]."""
    events = []
    for item in _json_list(body):
        sid = str(item.get("sid") or "")
        if not sid:
            continue
        success = item.get("report_status") == "SUCCESS"
        events.append(
            Event(
                TENCENT_SMS,
                f"report:{sid}:{item.get('mobile', '')}",
                item,
                channel=Channel.SMS,
                provider_id=sid,
                status=Status.DELIVERED if success else Status.FAILED,
                at=_local_time(item.get("user_receive_time")),
                error="" if success else f"{item.get('errmsg', '')}: {item.get('description', '')}",
            )
        )
    return events


def aliyun_sms_replies(body: bytes) -> list[Event]:
    """Aliyun SmsUp: [{phone_number, send_time, content, sign_name, dest_code, sequence_id}]."""
    return [
        Event(
            ALIYUN_SMS,
            f"up:{item['sequence_id']}",
            item,
            phone=_phone(item.get("phone_number")),
            text=str(item.get("content") or ""),
        )
        for item in _json_list(body)
        if item.get("sequence_id") not in (None, "")
    ]


def tencent_sms_replies(body: bytes) -> list[Event]:
    """Tencent reply: {extend, mobile, nationcode, sign, text, time} (no id: made from them)."""
    events = []
    for item in _json_list(body):
        text = str(item.get("text") or "")
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        mobile = f"{item.get('nationcode', '')}{item.get('mobile', '')}"
        events.append(
            Event(
                TENCENT_SMS,
                f"reply:{mobile}:{item.get('time', '')}:{digest}",
                item,
                phone=_phone(item.get("mobile"), item.get("nationcode")),
                text=text,
            )
        )
    return events


def wechat_events(body: bytes) -> list[Event]:
    """The TEMPLATESENDJOBFINISH event (Status success / failed:user block / failed: system
    failed); WeChat's other pushes to the same URL are answered and ignored."""
    head = body[:512].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:  # no entity tricks in a provider's XML
        raise BadPayload("XML declarations")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise BadPayload("not XML") from exc
    fields = {child.tag: (child.text or "").strip() for child in root}
    msg_id = fields.get("MsgID") or fields.get("MsgId") or ""
    if fields.get("Event") != "TEMPLATESENDJOBFINISH" or not msg_id:
        return []
    success = fields.get("Status") == "success"
    try:
        at = datetime.fromtimestamp(int(fields.get("CreateTime", "")), UTC)
    except ValueError:
        at = None
    return [
        Event(
            WECHAT,
            f"job:{msg_id}",
            fields,
            channel=Channel.WECHAT,
            provider_id=msg_id,
            status=Status.DELIVERED if success else Status.FAILED,
            at=at,
            error="" if success else fields.get("Status", ""),
        )
    ]


# --- applying -------------------------------------------------------------------------------


def _deliveries(events: list[Event]) -> dict[tuple[str, str], int]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.provider_id:
            wanted[event.channel].add(event.provider_id)
    if not wanted:
        return {}
    query = Q()
    for channel, ids in wanted.items():
        query |= Q(channel=channel, provider_id__in=ids)
    rows = Delivery.objects.filter(query).values_list("channel", "provider_id", "pk")
    return {(channel, provider_id): pk for channel, provider_id, pk in rows}


def _keep(event: Event, delivery_id: int | None) -> bool:
    """Store the receipt; False when it was stored before (a repeated callback)."""
    try:
        with transaction.atomic():
            Receipt.objects.create(
                provider=event.provider,
                key=event.key[:128],
                payload=event.payload,
                delivery_id=delivery_id,
            )
    except IntegrityError:
        return False
    return True


def _reply(event: Event) -> None:
    wording = unicodedata.normalize("NFKC", event.text).strip().casefold()
    if wording not in STOP_WORDS or not event.phone:
        return
    for shop_id in Shop.objects.filter(phone=event.phone).values_list("pk", flat=True):
        consent.unsubscribe(
            shop_id=shop_id,
            channel=Channel.SMS,
            source=ConsentRecord.Source.SMS_REPLY,
            wording=event.text,
        )


def apply(events: list[Event]) -> int:
    """Store and apply the events not seen before; how many were new."""
    deliveries = _deliveries(events)
    new = 0
    for event in events:
        delivery_id = deliveries.get((event.channel, event.provider_id))
        # The receipt and its effect commit together: if applying fails, the provider's retry
        # finds no receipt and applies it then.
        with transaction.atomic():
            if not _keep(event, delivery_id):
                continue
            new += 1
            if delivery_id and event.status:
                reason = Delivery.Reason.REFUSED if event.status == Status.FAILED else ""
                delivery.advance(
                    delivery_id, event.status, at=event.at, reason=reason, error=event.error
                )
            elif event.text:
                _reply(event)
    return new
