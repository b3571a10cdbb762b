"""SMS through Aliyun (dysmsapi) or Tencent Cloud: approved templates, signed HTTP requests.

Chinese carriers only pass SMS made from a template and a signature approved in advance, so a
message goes out as its template code and the template's variables in order. The providers'
SDKs are large; their signing is small, so it is done here (Aliyun RPC signature v1,
HMAC-SHA1; Tencent TC3-HMAC-SHA256) and checked against the providers' documented examples.
One request per message (each shop's variables differ); the provider's id comes back in the
delivery report that ``outreach.services.receipts`` applies.
"""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote

from outreach import channels
from outreach.channels.base import Outgoing, SendResult

Post = Callable[..., tuple[int, bytes]]  # channels.http_call's shape

ALIYUN_URL = "https://dysmsapi.aliyuncs.com/"
TENCENT_HOST = "sms.tencentcloudapi.com"
TENCENT_CONTENT_TYPE = "application/json; charset=utf-8"

# Provider codes worth a retry later; any other refusal is final and the next channel is tried.
ALIYUN_TRANSIENT = {
    "isp.SYSTEM_ERROR",
    "isp.GATEWAY_ERROR",
    "isv.BUSINESS_LIMIT_CONTROL",
    "Throttling.User",
    "SignatureNonceUsed",
}
TENCENT_TRANSIENT_PREFIXES = ("InternalError", "LimitExceeded", "RequestLimitExceeded")


def missing(item: Outgoing) -> str:
    """Why an SMS cannot be made of this item at all ("" when it can)."""
    if not item.sms_template_code:
        return "no SMS template"
    return "" if item.address else "no address"


class RecordingSms(channels.Recording):
    """The fake SMS provider (embedded trial, tests)."""

    channel = "sms"
    needs_receipt = True

    def check(self, item: Outgoing) -> str:
        return missing(item)


class _Sms:
    channel = "sms"
    needs_receipt = True  # the delivery report

    def __init__(self, post: Post | None = None) -> None:
        self._post = post

    def send_many(self, items: list[Outgoing]) -> list[SendResult]:
        post = self._post or channels.http_call  # looked up late: tests may replace it
        results = []
        for item in items:
            problem = missing(item)
            if problem:
                results.append(
                    SendResult(item.delivery_id, ok=False, permanent=True, error=problem)
                )
                continue
            try:
                results.append(self.send_one(item, post))
            except (OSError, ValueError) as exc:  # network down, an answer that is not JSON
                results.append(SendResult(item.delivery_id, ok=False, error=str(exc)[:300]))
        return results

    def send_one(self, item: Outgoing, post: Post) -> SendResult:
        raise NotImplementedError


# --- Aliyun ---------------------------------------------------------------------------------


def percent_encode(value: str) -> str:
    """Aliyun POP encoding: RFC 3986, space as %20, only A-Z a-z 0-9 - _ . ~ kept."""
    return quote(value, safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    """The RPC v1 ``Signature`` of these parameters (base64 HMAC-SHA1 with ``secret&``)."""
    canonical = "&".join(
        f"{percent_encode(k)}={percent_encode(v)}"
        for k, v in sorted(params.items())
        if k != "Signature"
    )
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSms(_Sms):
    def __init__(
        self, access_key_id: str, secret: str, sign: str, *, post: Post | None = None
    ) -> None:
        super().__init__(post)
        self.access_key_id, self.secret, self.sign = access_key_id, secret, sign

    def params(self, item: Outgoing, *, nonce: str = "", timestamp: str = "") -> dict[str, str]:
        """SendSms's signed parameters; OutId is the delivery id."""
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": str(item.delivery_id),
            "PhoneNumbers": item.address,
            "RegionId": "cn-hangzhou",
            "SignName": self.sign,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": item.sms_template_code,
            # A JSON object in the template's order: json.dumps keeps the dict's order.
            "TemplateParam": json.dumps(item.sms_params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(params, self.secret)
        return params

    def send_one(self, item: Outgoing, post: Post) -> SendResult:
        body = "&".join(
            f"{percent_encode(k)}={percent_encode(v)}" for k, v in self.params(item).items()
        )
        status, raw = post(
            "POST",
            ALIYUN_URL,
            body=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = json.loads(raw or b"{}")
        code = answer.get("Code", "")
        if status == 200 and code == "OK":
            return SendResult(item.delivery_id, ok=True, provider_id=answer.get("BizId", ""))
        error = f"{code or status}: {answer.get('Message', '')}"[:300]
        permanent = status < 500 and code not in ALIYUN_TRANSIENT
        return SendResult(item.delivery_id, ok=False, permanent=permanent, error=error)


# --- Tencent Cloud --------------------------------------------------------------------------


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    service: str,
    host: str,
    payload: bytes,
    timestamp: int,
    content_type: str = TENCENT_CONTENT_TYPE,
) -> str:
    """The ``Authorization`` header of a TC3-HMAC-SHA256 signed POST of ``payload``."""
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def sign(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    signing = sign(sign(sign(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


def e164(phone: str) -> str:
    return phone if phone.startswith("+") else f"+86{phone}"


class TencentSms(_Sms):
    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign: str,
        *,
        post: Post | None = None,
    ) -> None:
        super().__init__(post)
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign = sdk_app_id, sign

    def request(self, item: Outgoing, *, timestamp: int = 0) -> tuple[bytes, dict[str, str]]:
        """SendSms's JSON body and signed headers."""
        payload = json.dumps(
            {
                "PhoneNumberSet": [e164(item.address)],
                "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign,
                "TemplateId": item.sms_template_code,
                "TemplateParamSet": [str(v) for v in item.sms_params.values()],
                "SessionContext": str(item.delivery_id),
            },
            ensure_ascii=False,
        ).encode()
        timestamp = timestamp or int(datetime.now(UTC).timestamp())
        headers = {
            "Authorization": tc3_authorization(
                self.secret_id,
                self.secret_key,
                service="sms",
                host=TENCENT_HOST,
                payload=payload,
                timestamp=timestamp,
            ),
            "Content-Type": TENCENT_CONTENT_TYPE,
            "Host": TENCENT_HOST,
            "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": "ap-guangzhou",
        }
        return payload, headers

    def send_one(self, item: Outgoing, post: Post) -> SendResult:
        payload, headers = self.request(item)
        status, raw = post("POST", f"https://{TENCENT_HOST}/", body=payload, headers=headers)
        answer = json.loads(raw or b"{}").get("Response", {})
        error = answer.get("Error")
        statuses = answer.get("SendStatusSet") or [{}]
        if not error and statuses[0].get("Code") == "Ok":
            return SendResult(item.delivery_id, ok=True, provider_id=statuses[0]["SerialNo"])
        detail = error or statuses[0]
        code = detail.get("Code", "") or str(status)
        permanent = status < 500 and not code.startswith(TENCENT_TRANSIENT_PREFIXES)
        error_text = f"{code}: {detail.get('Message', '')}"[:300]
        return SendResult(item.delivery_id, ok=False, permanent=permanent, error=error_text)
