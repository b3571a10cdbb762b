"""WeCom (企业微信): a forwarding task for the shop's account manager, who passes it on.

Shops that read no other channel still talk to their account manager; the app message asks
the manager to forward the text (and the tracked link) to the shop. WeCom tells us only that
the manager got it, so ``ok`` means sent and no receipt is awaited.
"""

import json
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from outreach import channels
from outreach.channels.base import Outgoing, SendResult

API = "https://qyapi.weixin.qq.com"
TOKEN_INVALID = {40014, 42001}
TRANSIENT = {-1, 45009, 45033}  # system busy, call quotas
UNKNOWN_USER = {60111, 81013}


def forward_text(item: Outgoing) -> str:
    """The manager's message: whom to forward to, then what."""
    text = gettext("Please forward to %(shop)s: %(subject)s\n%(text)s") % {
        "shop": item.shop_name,
        "subject": item.subject,
        "text": item.text,
    }
    return f"{text}\n{item.link}" if item.link else text


class RecordingWecom(channels.Recording):
    """The fake WeCom app (embedded trial, tests)."""

    channel = "wecom"
    needs_receipt = False


class WecomAdapter:
    channel = "wecom"
    needs_receipt = False

    def __init__(
        self,
        corp_id: str,
        agent_id: str,
        secret: str,
        *,
        post: Callable[..., tuple[int, bytes]] | None = None,
    ) -> None:
        self.corp_id, self.agent_id, self.secret, self._post = corp_id, agent_id, secret, post

    def _fetch_token(self) -> tuple[str, int]:
        post = self._post or channels.http_call
        query = urlencode({"corpid": self.corp_id, "corpsecret": self.secret})
        _status, raw = post("GET", f"{API}/cgi-bin/gettoken?{query}")
        answer = json.loads(raw or b"{}")
        if not answer.get("access_token"):
            raise channels.ProviderError(f"WeCom token: {answer.get('errcode')}")
        return answer["access_token"], int(answer.get("expires_in", 7200))

    def access_token(self, *, fresh: bool = False) -> str:
        key = f"outreach:wecom-token:{self.corp_id}:{self.agent_id}"
        return channels.cached_token(key, self._fetch_token, fresh=fresh)

    def payload(self, item: Outgoing) -> dict:
        return {
            "touser": item.address,
            "msgtype": "text",
            "agentid": int(self.agent_id),
            "text": {"content": forward_text(item)},
            # A resend of the same text within half an hour is dropped by WeCom itself.
            "enable_duplicate_check": 1,
            "duplicate_check_interval": 1800,
        }

    def _call(self, payload: dict, *, fresh: bool = False) -> dict:
        post = self._post or channels.http_call
        url = f"{API}/cgi-bin/message/send?access_token={self.access_token(fresh=fresh)}"
        _status, raw = post(
            "POST",
            url,
            body=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
        )
        return json.loads(raw or b"{}")

    def send_many(self, items: list[Outgoing]) -> list[SendResult]:
        with translation.override(settings.LANGUAGE_CODE):
            return [self._send(item) for item in items]

    def _send(self, item: Outgoing) -> SendResult:
        if not item.address:
            return SendResult(item.delivery_id, ok=False, permanent=True, error="no address")
        payload = self.payload(item)
        try:
            answer = self._call(payload)
            if answer.get("errcode") in TOKEN_INVALID:
                answer = self._call(payload, fresh=True)
        except (OSError, ValueError) as exc:
            return SendResult(item.delivery_id, ok=False, error=str(exc)[:300])
        code = answer.get("errcode", 0)
        invalid = answer.get("invaliduser", "").split("|")
        if code == 0 and item.address not in invalid:
            return SendResult(item.delivery_id, ok=True, provider_id=str(answer.get("msgid", "")))
        if code == 0 or code in UNKNOWN_USER:
            return SendResult(
                item.delivery_id, ok=False, permanent=True, error="unknown WeCom user"
            )
        error = f"{code}: {answer.get('errmsg', '')}"[:300]
        return SendResult(item.delivery_id, ok=False, permanent=code not in TRANSIENT, error=error)
