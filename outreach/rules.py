"""Delivery rules as plain arithmetic (no ORM): who gets a message, on which channel, and when.

- Service notices (orders, deliveries, requests) need no opt-in and are never capped; every other
  topic needs the shop's opt-in to it and counts against a cap per shop (2 a day, 6 in the last
  7 days by default, China time).
- Quiet hours (21:00–08:00 China time by default) hold messages on the channels that ring the
  phone (SMS, WeChat, WeCom) until the morning; in-app and e-mail are silent and go at once.
- The shop's ordered channels decide: the first with an address, not unsubscribed and allowed
  for the topic (WeChat template messages carry service notices only) is used; the ones skipped
  are recorded with their reason. In-app always gets a copy: it is the shop's message centre.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
SERVICE = "service"
IN_APP = "in_app"
RINGING = frozenset({"sms", "wechat", "wecom"})
SERVICE_ONLY = frozenset({"wechat"})


@dataclass(frozen=True)
class Limits:
    per_day: int = 2
    per_week: int = 6
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)


@dataclass(frozen=True)
class ShopState:
    """What the rules need to know of one shop when a message goes out."""

    active: bool
    channels: tuple[str, ...]  # ordered push channels
    topics: frozenset[str]
    unsubscribed: frozenset[str]
    addresses: dict[str, str]  # channel → address ("" or missing: none)
    sent_today: int = 0  # capped messages already counted today
    sent_week: int = 0  # … in the last 7 days, today included


@dataclass(frozen=True)
class Step:
    channel: str
    reason: str = ""  # "" → send on this channel; otherwise why it was skipped
    address: str = ""


@dataclass(frozen=True)
class Plan:
    suppressed: str = ""  # a reason that stops the whole message for this shop
    steps: tuple[Step, ...] = ()  # in-app first, then the push channels up to the first usable


def counts_against_cap(topic: str) -> bool:
    return topic != SERVICE


def week_start(today: date) -> date:
    """The first day of the rolling week that ends ``today``."""
    return today - timedelta(days=6)


def shop_gate(topic: str, shop: ShopState, limits: Limits) -> str:
    """Why the shop gets nothing ("" when it gets the message)."""
    if not shop.active:
        return "shop_closed"
    if topic == SERVICE:
        return ""
    if topic not in shop.topics:
        return "no_consent"
    if shop.sent_today >= limits.per_day or shop.sent_week >= limits.per_week:
        return "capped"
    return ""


def channel_gate(topic: str, channel: str, shop: ShopState) -> str:
    """Why ``channel`` is skipped for this shop ("" when it can carry the message)."""
    if channel in shop.unsubscribed:
        return "unsubscribed"
    if channel in SERVICE_ONLY and topic != SERVICE:
        return "not_allowed"
    if not shop.addresses.get(channel):
        return "no_address"
    return ""


def push_steps(topic: str, shop: ShopState, after: str | None = None) -> tuple[Step, ...]:
    """The push channels to record, in the shop's order, starting after ``after`` (a fallback),
    up to and including the first usable one."""
    order = list(shop.channels)
    if after is not None:
        order = order[order.index(after) + 1 :] if after in order else []
    steps = []
    for channel in order:
        reason = channel_gate(topic, channel, shop)
        steps.append(Step(channel, reason, "" if reason else shop.addresses[channel]))
        if not reason:
            break
    return tuple(steps)


def plan(topic: str, shop: ShopState, limits: Limits) -> Plan:
    gate = shop_gate(topic, shop, limits)
    if gate:
        return Plan(suppressed=gate)
    in_app = shop.addresses.get(IN_APP, "")
    first = Step(IN_APP, "" if in_app else "no_address", in_app)
    return Plan(steps=(first, *push_steps(topic, shop)))


def quiet_until(channel: str, now: datetime, limits: Limits) -> datetime | None:
    """When a message on ``channel`` may go, if quiet hours hold it at ``now``; else None."""
    if channel not in RINGING:
        return None
    local = now.astimezone(CHINA)
    clock = local.time()
    start, end = limits.quiet_start, limits.quiet_end
    # Inside one day, or across midnight (the usual 21:00–08:00).
    quiet = start <= clock < end if start <= end else clock >= start or clock < end
    if not quiet:
        return None
    morning = datetime.combine(local.date(), end, tzinfo=CHINA)
    if morning <= local:
        morning += timedelta(days=1)
    return morning


def retry_after(attempts: int, base_seconds: int = 60, cap_seconds: int = 3600) -> timedelta:
    """Exponential backoff: 1, 2, 4 … minutes, capped at an hour."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))
