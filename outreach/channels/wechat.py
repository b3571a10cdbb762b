"""WeChat official-account template messages to the shop owner's OpenID.

The account may only push approved templates to followers; the message's fields are the
subject (``first``), the template's variables in order (``keyword1``…) and a remark. WeChat
reports the outcome later in a TEMPLATESENDJOBFINISH event (the receipt), matched by msgid.
"""

import json
from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from outreach import channels
from outreach.channels.base import Outgoing, SendResult

API = "https://api.weixin.qq.com"
TOKEN_INVALID = {40001, 40014, 42001}  # expired or replaced: fetch a new one and try again
TRANSIENT = {-1, 45009, 45011}  # system busy, call quotas


def missing(item: Outgoing) -> str:
    if not item.wechat_template_id:
        return "no WeChat template"
    return "" if item.address else "no address"


def template_data(item: Outgoing) -> dict[str, dict[str, str]]:
    """The template's fields: subject, then its variables in order (or the text), a remark."""
    values = list(item.sms_params.values()) or [item.text]
    data = {"first": {"value": item.subject}}
    data.update({f"keyword{n}": {"value": str(v)} for n, v in enumerate(values, start=1)})
    data["remark"] = {"value": gettext("Tap to read more.") if item.link else ""}
    return data


class RecordingWechat(channels.Recording):
    """The fake official account (embedded trial, tests)."""

    channel = "wechat"
    needs_receipt = True

    def check(self, item: Outgoing) -> str:
        return missing(item)


class WechatAdapter:
    channel = "wechat"
    needs_receipt = True  # TEMPLATESENDJOBFINISH

    def __init__(
        self, app_id: str, app_secret: str, *, post: Callable[..., tuple[int, bytes]] | None = None
    ) -> None:
        self.app_id, self.app_secret, self._post = app_id, app_secret, post

    def _call(self, url: str, payload: dict) -> dict:
        post = self._post or channels.http_call
        _status, raw = post(
            "POST",
            url,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        return json.loads(raw or b"{}")

    def _fetch_token(self) -> tuple[str, int]:
        # The stable token: fetching it does not invalidate the one other workers hold.
        answer = self._call(
            f"{API}/cgi-bin/stable_token",
            {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret},
        )
        if not answer.get("access_token"):
            raise channels.ProviderError(f"WeChat token: {answer}")
        return answer["access_token"], int(answer.get("expires_in", 7200))

    def access_token(self, *, fresh: bool = False) -> str:
        key = f"outreach:wechat-token:{self.app_id}"
        return channels.cached_token(key, self._fetch_token, fresh=fresh)

    def payload(self, item: Outgoing) -> dict:
        body = {
            "touser": item.address,
            "template_id": item.wechat_template_id,
            "data": template_data(item),
        }
        if item.link:
            body["url"] = item.link
        return body

    def send_many(self, items: list[Outgoing]) -> list[SendResult]:
        with translation.override(settings.LANGUAGE_CODE):
            return [self._send(item) for item in items]

    def _send(self, item: Outgoing) -> SendResult:
        problem = missing(item)
        if problem:
            return SendResult(item.delivery_id, ok=False, permanent=True, error=problem)
        payload = self.payload(item)
        try:
            answer = self._call(self._send_url(), payload)
            if answer.get("errcode") in TOKEN_INVALID:
                answer = self._call(self._send_url(fresh=True), payload)
        except (OSError, ValueError) as exc:
            return SendResult(item.delivery_id, ok=False, error=str(exc)[:300])
        code = answer.get("errcode", 0)
        if code == 0:
            return SendResult(item.delivery_id, ok=True, provider_id=str(answer.get("msgid", "")))
        error = f"{code}: {answer.get('errmsg', '')}"[:300]
        return SendResult(item.delivery_id, ok=False, permanent=code not in TRANSIENT, error=error)

    def _send_url(self, *, fresh: bool = False) -> str:
        return f"{API}/cgi-bin/message/template/send?access_token={self.access_token(fresh=fresh)}"
