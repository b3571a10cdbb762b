"""Which adapter sends on a channel, chosen from settings; the one HTTP call to providers.

A channel whose credentials are missing has no adapter (the delivery falls back to the shop's
next channel), except where ``OUTREACH_FAKE_CHANNELS`` is on (the embedded trial): there SMS,
WeChat and WeCom are in-process recording fakes that confirm at once, so the demo works without
provider accounts. Tests swap adapters in with ``override``. Every provider request goes through
``http_call``, the only function that touches the network, so tests never do.
"""

import itertools
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress

from django.conf import settings
from django.core.cache import cache

from flexserve.throttling import CACHE_ERRORS
from outreach.channels.base import Adapter, Outgoing, SendResult

# The test hook: a channel listed here gets this adapter (None: no adapter), whatever settings say.
OVERRIDES: dict[str, Adapter | None] = {}

_fakes: dict[str, Adapter] = {}  # the embedded mode's fakes: one per process, so they remember
_fakes_lock = threading.Lock()


@contextmanager
def override(channel: str, adapter: Adapter | None) -> Iterator[Adapter | None]:
    """Within the block, ``adapter_for(channel)`` answers ``adapter``."""
    missing = object()
    before = OVERRIDES.get(channel, missing)
    OVERRIDES[channel] = adapter
    try:
        yield adapter
    finally:
        if before is missing:
            OVERRIDES.pop(channel, None)
        else:
            OVERRIDES[channel] = before


def forget() -> None:
    """Drop the embedded mode's fakes and what they recorded (between tests)."""
    with _fakes_lock:
        _fakes.clear()


def adapter_for(channel: str) -> Adapter | None:
    """The adapter that sends on ``channel`` now, or None when the channel has no provider."""
    if channel in OVERRIDES:
        return OVERRIDES[channel]
    if channel == "in_app":
        from outreach.channels.in_app import InAppAdapter

        return InAppAdapter()
    if channel == "email":
        from outreach.channels.email import EmailAdapter

        return EmailAdapter()
    if channel == "sms":
        return _sms()
    if channel == "wechat":
        from outreach.channels import wechat

        if settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET:
            return wechat.WechatAdapter(settings.WECHAT_APP_ID, settings.WECHAT_APP_SECRET)
        return _fake("wechat", wechat.RecordingWechat)
    if channel == "wecom":
        from outreach.channels import wecom

        if settings.WECOM_CORP_ID and settings.WECOM_AGENT_ID and settings.WECOM_SECRET:
            return wecom.WecomAdapter(
                settings.WECOM_CORP_ID, settings.WECOM_AGENT_ID, settings.WECOM_SECRET
            )
        return _fake("wecom", wecom.RecordingWecom)
    return None


def _sms() -> Adapter | None:
    from outreach.channels import sms

    provider, sign = settings.OUTREACH_SMS_PROVIDER, settings.OUTREACH_SMS_SIGN
    if provider == "aliyun":
        key_id, secret = settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET
        return sms.AliyunSms(key_id, secret, sign) if key_id and secret and sign else None
    if provider == "tencent":
        secret_id, key = settings.TENCENT_SMS_SECRET_ID, settings.TENCENT_SMS_SECRET_KEY
        app_id = settings.TENCENT_SMS_SDK_APP_ID
        if secret_id and key and app_id and sign:
            return sms.TencentSms(secret_id, key, app_id, sign)
        return None
    if provider == "fake":
        return _fake("sms", sms.RecordingSms, force=True)
    return None


def _fake(channel: str, make, *, force: bool = False) -> Adapter | None:
    if not (force or settings.OUTREACH_FAKE_CHANNELS):
        return None
    with _fakes_lock:
        if channel not in _fakes:
            _fakes[channel] = make(confirm=True)  # no provider will ever send a receipt
        return _fakes[channel]


class Recording:
    """A fake provider: records what it was given, answers ``fake-<n>`` ids; it refuses the
    addresses in ``refuse`` (permanent) and fails those in ``fail`` (transient). With
    ``confirm`` it reports each message delivered at once, as no receipt will ever come."""

    channel = ""
    needs_receipt = False

    def __init__(
        self, *, refuse: Iterable[str] = (), fail: Iterable[str] = (), confirm: bool = False
    ) -> None:
        self.refuse, self.fail, self.confirm = set(refuse), set(fail), confirm
        self.sent: list[Outgoing] = []
        self._ids = itertools.count(1)

    def check(self, item: Outgoing) -> str:
        """Why this adapter cannot send ``item`` at all ("" when it can)."""
        return "" if item.address else "no address"

    def send_many(self, items: list[Outgoing]) -> list[SendResult]:
        results = []
        for item in items:
            problem = self.check(item)
            if problem or item.address in self.refuse:
                error = problem or "refused"
                results.append(SendResult(item.delivery_id, ok=False, permanent=True, error=error))
            elif item.address in self.fail:
                results.append(SendResult(item.delivery_id, ok=False, error="try again later"))
            else:
                self.sent.append(item)
                provider_id = f"fake-{next(self._ids)}"
                results.append(
                    SendResult(
                        item.delivery_id, ok=True, provider_id=provider_id, delivered=self.confirm
                    )
                )
        return results


def http_call(
    method: str,
    url: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout_s: float = 10.0,
) -> tuple[int, bytes]:
    """The HTTP status and body of one provider request. Network failures raise ``OSError``
    (the delivery service retries the batch); HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(
        url, data=body if method != "GET" else None, headers=headers or {}, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class ProviderError(Exception):
    """A provider refused our credentials or answered nonsense: the whole batch is retried."""


def cached_token(key: str, fetch: Callable[[], tuple[str, int]], *, fresh: bool = False) -> str:
    """An access token from the shared cache, or from ``fetch`` (token, lifetime in seconds).

    WeChat and WeCom allow a few thousand token fetches a day, so every worker shares one; it
    is dropped five minutes before the provider expires it."""
    if not fresh:
        try:
            token = cache.get(key)
        except CACHE_ERRORS:
            token = None
        if token:
            return token
    token, lifetime_s = fetch()
    with suppress(*CACHE_ERRORS):  # the next batch fetches again
        cache.set(key, token, timeout=max(60, lifetime_s - 300))
    return token
