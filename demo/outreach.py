"""The demo city's messages (信息找人): the shops' contact preferences with their consent records,
four message templates, two past campaigns with their deliveries, and the demo shop owners' box.

What a user of the demo should find, by construction:

- most shops (about 88 %) have stated how they want to be reached: channel orders mixed (短信 then
  邮件, 微信 then 短信, 邮件 only, in-app only …), opted in to policies about 60 % of the time,
  to community picks 40 %, to marketing 25 %; about half give an e-mail address
  (``shop<licence>@example.com``, a reserved domain). Each preference carries the consent record
  it was loaded with (source 初始导入), a few shops also an unsubscribe by SMS reply;
- templates 政策通知 (policy), 新品上市 (marketing), 陈列经验 (community), 订单送达 (service);
- two campaigns already sent — a policy notice to every shop three weeks ago and a new-products
  notice to core and key shops last week — whose deliveries went through the same rules as a
  real send (``outreach.rules``: consent, channel order, service-only WeChat, addresses), with
  plausible final statuses: in-app delivered and often read, SMS mostly delivered, e-mails
  opened and clicked now and then, failures falling back to the next channel, suppressions
  with their reason. The funnel pages have data;
- the demo shop owners (``city.demo_logins``) have a preference, both campaigns and three
  order-delivered notices in their in-app box, read and unread.

Rows are prebuilt tuples written with ``demo.sql.insert`` (50,000 shops: about 100,000
deliveries in a second or two). Drawn from ``random.Random`` seeded with the options; every
timestamp derives from the demo's ``now``, so the same seed gives the same rows.
"""

import datetime
import json
import random
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from customers.models import Shop
from demo import draw, sql
from outreach import rules
from outreach.models import (
    Campaign,
    Channel,
    ConsentRecord,
    ContactPreference,
    Delivery,
    Message,
    Receipt,
    Template,
    Topic,
)
from outreach.services import consent

Progress = Callable[[str, int], None]
S, R = Delivery.Status, Delivery.Reason

LIMITS = rules.Limits()  # two campaigns two weeks apart: no cap is reached
PREFERENCE_SHARE = 0.88
# Channel orders and how often shops choose them (in-app only: the empty order).
CHANNEL_ORDERS = (
    (("sms", "email"), 22),
    (("wechat", "sms"), 20),
    (("sms",), 16),
    (("email",), 9),
    ((), 9),
    (("wechat",), 8),
    (("sms", "wechat", "email"), 7),
    (("email", "sms"), 5),
    (("wecom", "sms"), 4),
)
TOPIC_SHARES = (("policy", 0.6), ("community", 0.4), ("marketing", 0.25))
EMAIL_SHARE = 0.5  # of the shops not ordering e-mail (those that do always give one)
UNSUBSCRIBED_SMS = 0.02  # shops that later replied TD to an SMS
# In-app messages read, by class: core shops read most.
READ_SHARE = {"core": 0.62, "key": 0.5, "potential": 0.36, "ordinary": 0.26}
CLICK_SHARE = 0.3  # of the in-app messages read, when the message links somewhere
EMAIL_OPENED, EMAIL_CLICKED = 0.3, 0.25  # of the e-mails delivered; of those opened
# (delivered, failed for this reason) shares per push channel; the rest is refused.
PUSH_OUTCOMES = {
    "sms": (0.93, R.NO_RECEIPT, 0.03),
    "email": (0.88, R.GAVE_UP, 0.02),
    "wechat": (0.95, R.NO_RECEIPT, 0.03),
    "wecom": (0.96, R.GAVE_UP, 0.04),
}

IMPORT_WORDING = (
    "联系偏好导入自原客户服务系统：零售客户在签订服务协议时书面选择了联系渠道和愿意接收的消息类别，"
    "可随时在“消息设置”中修改或退订。"
)
SMS_REPLY_WORDING = "回复TD退订短信通知。"
IMPORT, SMS_REPLY = str(ConsentRecord.Source.IMPORT), str(ConsentRecord.Source.SMS_REPLY)

# name, topic, subject, body, SMS template code, SMS variables
TEMPLATES = (
    (
        "政策通知",
        Topic.POLICY,
        "{店名}：本月订货政策调整通知",
        "{负责人}您好：\n自下月起，订货截止时间调整为送货日前一天17:00，节假日顺延。"
        "请提前安排订货，如有疑问请联系客户经理{客户经理}（{经理电话}）。\n详情：{链接}",
        "SMS_DEMO_POLICY",
        ["店名", "链接"],
    ),
    (
        "新品上市",
        Topic.MARKETING,
        "{店名}：冬季新品已可订购",
        "{负责人}您好：\n本周起订货平台上线三款冬季新品，核心和重点零售客户可优先订购，"
        "陈列建议和规格说明见{链接}。\n不向未成年人销售。",
        "SMS_DEMO_NEW",
        ["店名", "链接"],
    ),
    (
        "陈列经验",
        Topic.COMMUNITY,
        "陈列经验：三步让柜台更好找",
        "{负责人}您好：\n社区本周精选了三位店主的柜台陈列经验：价签对齐、常销规格放在视线高度、"
        "新品单独一格。欢迎阅读并分享您的做法：{链接}",
        "",
        [],
    ),
    (
        "订单送达",
        Topic.SERVICE,
        "{店名}：您的订单已送达",
        "{负责人}您好：您本周的订单已送达并签收。如有短少或破损，请在24小时内在“我的请求”中反馈，"
        "或联系客户经理{客户经理}（{经理电话}）。",
        "SMS_DEMO_DELIVERED",
        ["店名"],
    ),
)
# (name, template, audience, link, days before now) of the campaigns already sent.
CAMPAIGNS = (
    (
        "十二月订货政策调整通知",
        "政策通知",
        {"segments": ["core", "key", "potential", "ordinary"]},
        "/community/",
        20,
    ),
    (
        "冬季新品上市（核心、重点零售客户）",
        "新品上市",
        {"segments": ["core", "key"]},
        "/community/",
        6,
    ),
)
DEMO_OWNER_NOTICES = (2, 9, 16)  # days before now of the demo owners' order-delivered notices

_DELIVERY_FIELDS = (
    "id", "message_id", "shop_id", "channel", "status", "reason", "address", "not_before",
    "attempts", "provider_id", "error", "created_at", "sent_at", "delivered_at", "read_at",
    "clicked_at",
)  # fmt: skip


class _Shop:
    __slots__ = (
        "id", "licence", "phone", "active", "segment", "owner", "manager", "contact_channels",
        "state",
    )  # fmt: skip

    def __init__(self, row: tuple) -> None:
        self.id, self.licence, self.phone, status, self.segment, self.owner, self.manager = row[:7]
        self.contact_channels = row[7]
        self.active = status == Shop.Status.ACTIVE
        self.state: rules.ShopState | None = None


def seed(*, seed: int, now: datetime.datetime, progress: Progress | None = None) -> dict:
    """Write the demo's messages; returns the rows per kind (nothing when templates exist)."""
    if Template.objects.exists() or ContactPreference.objects.exists():
        return {}
    counts: dict[str, int] = {}

    def stage(name: str, count: int) -> None:
        counts[name] = count
        if progress:
            progress(name, count)

    author = (
        User.objects.filter(role=Role.SERVICE_MANAGER, is_active=True).order_by("pk").first()
        or User.objects.filter(role=Role.ADMIN).order_by("pk").first()
    )
    if author is None:
        return counts
    rng = random.Random(f"{seed}:outreach")
    local_now = timezone.localtime(now).replace(tzinfo=None, microsecond=0)
    shops = [
        _Shop(row)
        for row in Shop.objects.order_by("pk").values_list(
            "pk",
            "licence_no",
            "phone",
            "status",
            "segment",
            "owner_account_id",
            "account_manager__username",
            "contact_channels",
        )
    ]
    demo_owners = _demo_owner_ids()
    with transaction.atomic():
        stage("outreach preferences", _preferences(rng, shops, demo_owners, local_now))
        templates = _templates(author, local_now)
        stage("outreach templates", len(templates))
        writer = _Deliveries(rng)
        for name, template, audience, link, days in CAMPAIGNS:
            at = (local_now - datetime.timedelta(days=days)).replace(hour=10, minute=0, second=0)
            shown = [s for s in shops if s.active and s.segment in audience["segments"] and s.owner]
            message = _campaign(name, templates[template], audience, link, at, author, shown)
            # The demo owners read the older campaign and leave last week's unread.
            demo_read = days > 7
            for shop in shown:
                read = demo_read if shop.owner in demo_owners else None
                writer.plan(message, shop, at, read=read)
        for days in DEMO_OWNER_NOTICES:
            at = (local_now - datetime.timedelta(days=days)).replace(hour=9, minute=30, second=0)
            for shop in (s for s in shops if s.owner in demo_owners and s.active):
                message = _message(templates["订单送达"], None, "", at, 1)
                writer.plan(message, shop, at, read=days != DEMO_OWNER_NOTICES[0])
        stage("outreach campaigns", len(CAMPAIGNS))
        stage("outreach deliveries", writer.write())
        sql.reset_sequences(
            [Template, Campaign, Message, Delivery, ContactPreference, ConsentRecord]
        )
    return counts


def reset() -> dict[str, int]:
    """Delete the messages, campaigns, templates and consent (they name shops and users)."""
    steps = (
        ("outreach receipts", Receipt.objects.all()),
        ("outreach deliveries", Delivery.objects.all()),
        ("outreach messages", Message.objects.all()),
        ("outreach campaigns", Campaign.objects.all()),
        ("outreach templates", Template.objects.all()),
        # Consent records are never deleted one by one; the demo drops its whole city.
        ("consent records", ConsentRecord.objects.all()),
        ("contact preferences", ContactPreference.objects.all()),
    )
    return sql.delete_in_order(steps)


def _demo_owner_ids() -> set[int]:
    from demo import city

    usernames = {login.username for login in city.demo_logins() if login.role == Role.SHOP_OWNER}
    return set(User.objects.filter(username__in=usernames).values_list("pk", flat=True))


def _preferences(rng, shops: list[_Shop], demo_owners: set[int], now) -> int:
    """Most shops' preferences, each with its import record (and a few SMS unsubscribes)."""
    ts = sql.timestamp_adapter()
    orders = [order for order, _ in CHANNEL_ORDERS]
    order_cum = draw.cumulative(weight for _, weight in CHANNEL_ORDERS)
    combos: dict[tuple, _Combo] = {}
    before_import = sql.json_value(ConsentRecord, "before", {})
    before_reply = sql.json_value(ConsentRecord, "before", [])
    after_reply = sql.json_value(ConsentRecord, "after", ["sms"])
    preferences, records = [], []
    first_pref, first_record = sql.next_id(ContactPreference), sql.next_id(ConsentRecord)
    for shop in shops:
        demo = shop.owner in demo_owners
        if not demo and rng.random() >= PREFERENCE_SHARE:
            # Never chose: the sender falls back to the contact channels on the shop record.
            key = (tuple(consent.default_channels(shop)), (), ())
            combo = combos.get(key) or combos.setdefault(key, _Combo(*key))
            shop.state = _state(shop, combo, "", "")
            continue
        if demo:
            channels, topics = ("sms", "email"), ("policy", "community", "marketing")
        else:
            channels = orders[draw.pick(rng, order_cum)]
            topics = tuple([t for t, share in TOPIC_SHARES if rng.random() < share])
        wants_email = demo or "email" in channels or rng.random() < EMAIL_SHARE
        email = f"shop{shop.licence}@example.com" if wants_email else ""
        openid = f"oDemo{shop.licence}" if "wechat" in channels else ""
        unsubscribed = ("sms",) if "sms" in channels and rng.random() < UNSUBSCRIBED_SMS else ()
        if demo:
            unsubscribed = ()
        key = (channels, topics, unsubscribed)
        combo = combos.get(key) or combos.setdefault(key, _Combo(*key))
        loaded = ts(now - datetime.timedelta(days=rng.uniform(40, 120)))
        preferences.append(
            (first_pref + len(preferences), shop.id, *combo.columns, email, openid, loaded)
        )
        records.append(
            (
                first_record + len(records), shop.id, "preference", before_import,
                # Demo addresses are ASCII without quotes or backslashes: no escaping needed.
                f'{combo.imported}, "email": "{email}"}}', IMPORT, IMPORT_WORDING, None, loaded,
            )
        )  # fmt: skip
        if unsubscribed:
            replied = ts(now - datetime.timedelta(days=rng.uniform(1, 39)))
            records.append(
                (
                    first_record + len(records), shop.id, "unsubscribed", before_reply,
                    after_reply, SMS_REPLY, SMS_REPLY_WORDING, None, replied,
                )
            )  # fmt: skip
        shop.state = _state(shop, combo, email, openid)
    sql.insert(
        ContactPreference,
        ("id", "shop_id", "channels", "topics", "unsubscribed", "email", "wechat_openid")
        + ("updated_at",),
        preferences,
    )
    sql.insert(
        ConsentRecord,
        ("id", "shop_id", "what", "before", "after", "source", "wording", "actor_id", "at"),
        records,
    )
    return len(preferences)


class _Combo:
    """One choice of channels, topics and unsubscribes, with its column values made once (a few
    dozen combinations serve 50,000 shops)."""

    def __init__(self, channels: tuple, topics: tuple, unsubscribed: tuple) -> None:
        self.channels = channels
        self.topics = frozenset(topics)
        self.unsubscribed = frozenset(unsubscribed)
        self.columns = tuple(
            sql.json_value(ContactPreference, field, list(value))
            for field, value in (
                ("channels", channels),
                ("topics", topics),
                ("unsubscribed", unsubscribed),
            )
        )
        # The import record's state as JSON text (a JSON column takes it as written), the
        # e-mail appended per shop: encoding 50,000 dicts would take a good part of the stage.
        self.imported = json.dumps({"channels": list(channels), "topics": list(topics)})[:-1]


def _state(shop: _Shop, combo: _Combo, email: str, openid: str) -> rules.ShopState:
    """What the delivery rules know of a shop (as ``outreach.services.delivery`` builds it)."""
    return rules.ShopState(
        active=shop.active,
        channels=combo.channels,
        topics=combo.topics,
        unsubscribed=combo.unsubscribed,
        addresses={
            Channel.IN_APP: str(shop.owner) if shop.owner else "",
            Channel.SMS: shop.phone or "",
            Channel.EMAIL: email,
            Channel.WECHAT: openid,
            Channel.WECOM: shop.manager or "",
        },
    )


def _templates(author: User, now) -> dict[str, Template]:
    created = timezone.make_aware(now - datetime.timedelta(days=35))
    objects = [
        Template(
            name=name,
            topic=topic,
            subject=subject,
            body=body,
            sms_template_code=code,
            sms_params=params,
            created_by=author,
            created_at=created,
            updated_at=created,
        )
        for name, topic, subject, body, code, params in TEMPLATES
    ]
    sql.insert_objects(Template, objects)
    return {t.name: t for t in objects}


def _campaign(name, template, audience, link, at, author, shops) -> Message:
    starts = timezone.make_aware(at)
    campaign = Campaign(
        name=name,
        template=template,
        audience=audience,
        audience_preview=len(shops),
        link=link,
        starts_at=starts,
        status=Campaign.Status.DONE,
        created_by=author,
        created_at=starts - datetime.timedelta(days=1, hours=3),
    )
    sql.insert_objects(Campaign, [campaign])
    return _message(template, campaign, link, at, len(shops))


def _message(template, campaign, link: str, at, size: int) -> Message:
    scheduled = timezone.make_aware(at)
    message = Message(
        campaign=campaign,
        template=template,
        topic=template.topic,
        link=link,
        scheduled_for=scheduled,
        state=Message.State.OUT,
        audience_size=size,
        created_at=scheduled,
    )
    sql.insert_objects(Message, [message])
    return message


class _Deliveries:
    """Delivery rows as the rules would have planned them, with drawn final statuses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: list[tuple] = []
        self.ts = sql.timestamp_adapter()
        self.first = sql.next_id(Delivery)
        self._created: tuple = (None, None)  # the last send time and its column value

    def plan(self, message: Message, shop: _Shop, at, *, read: bool | None = None) -> None:
        """The shop's rows of ``message`` sent at ``at`` (naive, China time); ``read`` fixes
        whether the in-app copy was read (the demo owners' box), else it is drawn."""
        state = shop.state
        decided = rules.plan(message.topic, state, LIMITS)
        if decided.suppressed:
            channel = state.channels[0] if state.channels else Channel.IN_APP
            self._row(message, shop, channel, S.SUPPRESSED, at, reason=decided.suppressed)
            return
        for step in decided.steps:
            if step.channel == Channel.IN_APP:
                self._in_app(message, shop, step, at, read=read)
            else:
                self._push(message, shop, state, step, at)

    def _in_app(self, message, shop, step, at, *, read: bool | None) -> None:
        if step.reason:
            self._row(message, shop, step.channel, S.SUPPRESSED, at, reason=step.reason)
            return
        rng = self.rng
        fixed = read is not None
        if not fixed:
            read = rng.random() < READ_SHARE.get(shop.segment, 0.3)
        clicked = read and bool(message.link) and (fixed or rng.random() < CLICK_SHARE)
        read_at = at + datetime.timedelta(minutes=rng.uniform(5, 60 * 30)) if read else None
        click_at = read_at + datetime.timedelta(seconds=rng.uniform(5, 300)) if clicked else None
        status = S.CLICKED if clicked else S.READ if read else S.DELIVERED
        self._row(
            message, shop, step.channel, status, at, address=step.address, delivered=at,
            read_at=read_at, clicked_at=click_at,
        )  # fmt: skip

    def _push(self, message, shop, state, step, at) -> None:
        """A push channel's row; a failure falls back to the shop's next channel, as live."""
        while step is not None:
            if step.reason:
                self._row(message, shop, step.channel, S.SUPPRESSED, at, reason=step.reason)
                return  # the rules recorded it and went on: the next step comes in the loop
            rng = self.rng
            delivered_share, late_reason, late_share = PUSH_OUTCOMES[step.channel]
            draw = rng.random()
            sent = at + datetime.timedelta(seconds=rng.uniform(1, 90))
            if draw < delivered_share:
                delivered = sent + datetime.timedelta(seconds=rng.uniform(2, 120))
                opened = step.channel == Channel.EMAIL and rng.random() < EMAIL_OPENED
                read_at = click_at = None
                if opened:
                    read_at = delivered + datetime.timedelta(hours=rng.uniform(0.2, 30))
                clicked = opened and bool(message.link) and rng.random() < EMAIL_CLICKED
                if clicked:
                    click_at = read_at + datetime.timedelta(seconds=rng.uniform(5, 200))
                status = S.CLICKED if clicked else S.READ if opened else S.DELIVERED
                self._row(
                    message, shop, step.channel, status, at, address=step.address, sent=sent,
                    delivered=delivered, read_at=read_at, clicked_at=click_at,
                )  # fmt: skip
                return
            reason = late_reason if draw < delivered_share + late_share else R.REFUSED
            self._row(
                message, shop, step.channel, S.FAILED, at, reason=reason, address=step.address,
                sent=sent if reason != R.REFUSED else None,
            )  # fmt: skip
            following = rules.push_steps(message.topic, state, after=step.channel)
            for skipped in following[:-1]:
                self._row(message, shop, skipped.channel, S.SUPPRESSED, at, reason=skipped.reason)
            step = following[-1] if following else None
            at = sent + datetime.timedelta(minutes=30 if reason == R.NO_RECEIPT else 1)

    def _row(
        self, message, shop, channel, status, at, *, reason="", address="", sent=None,
        delivered=None, read_at=None, clicked_at=None,
    ) -> None:  # fmt: skip
        ts = self.ts
        if self._created[0] != at:
            self._created = (at, ts(at))
        created = self._created[1]
        if status in (S.DELIVERED, S.READ, S.CLICKED) and sent is None:
            sent = delivered
        provider = f"demo-{channel}-{len(self.rows)}" if sent and channel != Channel.IN_APP else ""
        self.rows.append(
            (
                self.first + len(self.rows), message.pk, shop.id, channel, status, reason,
                address, None, 0 if status == S.SUPPRESSED else 1, provider, "", created,
                None if sent is None else created if sent is at else ts(sent),
                None if delivered is None else created if delivered is at else ts(delivered),
                ts(read_at) if read_at else None, ts(clicked_at) if clicked_at else None,
            )
        )  # fmt: skip

    def write(self) -> int:
        return sql.insert(Delivery, _DELIVERY_FIELDS, self.rows)
