"""Questions about the shop's own records (orders, deliveries, payments, its account manager).

    recognize("上周订的货送到了吗", date(2026, 11, 25))
    # LiveQuestion(intent="delivery_status", period=Period(2026-11-16, 2026-11-22, "上周"))

The chat asks ``recognize`` first and answers from the shop's records when it returns a question;
on None it falls back to FAQ retrieval. Deterministic keyword tables, applied to ``normalize(text)``
(so 俺/咋/啥 and traditional characters work):

1. ``BLOCKED`` words (怎么办, 投诉, 更换, 流程 …) mean a how-to question: never live.
2. An intent needs one of its ``topics`` (订单, 送货, 扣款, 客户经理 …).
3. It is live when one of its ``states`` asks for a record's state outright (到哪了, 还没到,
   成功了吗, 是谁, 电话): that beats a how-to word, so 订单怎么还没到 is live.
4. Otherwise it is live only without a ``HOWTO`` word (怎么, 如何, 可以, 多久, 一般, 每周 …),
   and with an ``asks`` word (多少, 记录, 什么时候 …), an owner word (我, 咱) or a time anchor
   (a period, 上次, 下次). Volume needs an ``asks`` word: 上周订的货 alone is no volume question.
5. 为什么/原因 questions are live only with an owner word or an anchor: 为什么扣款失败 is the FAQ,
   为什么我的扣款失败了 is live.

Precedence when several intents match, first wins: account manager, payment, delivery, order
volume, order status. A delivery is asked about in the past (delivery_status) when the text has a
past marker (送到了, 上次, 送货员 …) or the period ends before today; otherwise delivery_next.
So 上周订的货送到了吗 is delivery_status for 上周, and 我订的烟什么时候到 is delivery_next.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from engines.qa.normalize import normalize
from engines.qa.timeexpr import Period, parse_period


class Intent(StrEnum):
    ORDER_STATUS = "order_status"
    ORDER_VOLUME = "order_volume"
    DELIVERY_NEXT = "delivery_next"
    DELIVERY_STATUS = "delivery_status"
    PAYMENT_STATUS = "payment_status"
    ACCOUNT_MANAGER = "account_manager"


@dataclass(frozen=True)
class LiveQuestion:
    intent: str
    period: Period | None


@dataclass(frozen=True)
class Rule:
    topics: frozenset[str]
    states: frozenset[str] = frozenset()
    asks: frozenset[str] = frozenset()
    needs_ask: bool = False


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


BLOCKED = _words("怎么办 咋整 怎么处理 如何处理 投诉 举报 更换 换成 流程 手续 办理 申请 规定 政策")
HOWTO = _words(
    "怎么 如何 怎样 可以 可不可以 能不能 能否 能 允许 要不要 需不需要 需要 多久 多长时间 几天 "
    "一般 通常 平时 每次 每周 每月 每天 最多 最少 最晚 最早 截止 范围 哪些 要求 条件 标准 "
    "修改 想取消 要取消 退货 退烟 有问题 质量 额度 限量 档位 "
    "价格 单价 批发价 零售价 一条多少 多少钱一"
)
WHY = _words("为什么 为何 什么原因 原因")
OWNERS = _words("我 咱 本店 我店 我家 自家")
ANCHORS = _words("上次 上一次 最近一次 这次 这一次 下次 下一次 这批 上一批 刚才 刚刚 最近 目前")

RULES: dict[Intent, Rule] = {
    Intent.ACCOUNT_MANAGER: Rule(
        topics=_words("客户经理 专管员 业务员 片区经理 市场经理"),
        states=_words("是谁 叫什么 电话 手机 号码 联系方式 联系 微信"),
    ),
    Intent.PAYMENT_STATUS: Rule(
        topics=_words(
            "扣款 扣了 扣钱 扣费 扣掉 没扣 扣没扣 货款 付款 支付 缴款 交款 代扣 划款 退款"
        ),
        states=_words(
            "成功了吗 成功没 成功了没 失败了吗 失败没 失败了没 "
            "扣了没 扣了吗 扣没扣 扣上了吗 到账了吗 到账没 到了吗 到了没"
        ),
        asks=_words("多少 记录 明细 流水 状态 情况 结果"),
    ),
    # Delivery topics; DELIVERY_STATUS vs DELIVERY_NEXT is decided afterwards by PAST_MARKERS.
    Intent.DELIVERY_NEXT: Rule(
        topics=_words(
            "送货 送烟 配送 送到 送达 到货 货到 送来 送过来 货什么时候 烟什么时候 "
            "送货员 配送员 司机 谁送 签收"
        ),
        states=_words("送到了吗 到了吗 到了没 送到没 送了没 送了吗 还没到 还没送 到哪"),
        asks=_words("什么时候 哪天 几号 几点 是谁 电话 叫什么 情况"),
    ),
    Intent.ORDER_VOLUME: Rule(
        topics=_words("订了 订的 订货 订烟 订单 订购 进货 进了 订多少"),
        asks=_words(
            "多少 几条 几箱 几件 金额 总额 一共 总共 合计 数量 统计 汇总 订货量 订烟量 进货量"
        ),
        needs_ask=True,
    ),
    Intent.ORDER_STATUS: Rule(
        topics=_words("订单 订的烟 订的货 订的卷烟 我订的 下的单 单子 订货单"),
        states=_words(
            "到哪 还没到 还没发 还没送 发了没 发了吗 发货了吗 发货了没 发货没 怎么样了 到了吗 "
            "到了没 被取消 取消了吗 确认了吗 确认了没 审核了吗"
        ),
        asks=_words("状态 进度 查 看看 看一下 情况 记录"),
    ),
}
PAST_MARKERS = _words(
    "送到了 到了吗 到了没 送了吗 送了没 送过 送来了 签收 送达了 上次 上一次 最近一次 "
    "送货员 配送员 司机 谁送 还没到 还没送 没送到"
)


def _has(text: str, words: frozenset[str]) -> bool:
    return any(word in text for word in words)


def _is_live(rule: Rule, text: str, anchored: bool) -> bool:
    if not _has(text, rule.topics):
        return False
    if _has(text, rule.states):
        return True
    if _has(text, HOWTO) or (_has(text, WHY) and not anchored):
        return False
    return _has(text, rule.asks) or (anchored and not rule.needs_ask)


def recognize(text: str, today: date) -> LiveQuestion | None:
    """The record question asked in ``text`` and its period, or None for an FAQ question."""
    text = normalize(text)
    if not text or _has(text, BLOCKED):
        return None
    period = parse_period(text, today)
    anchored = period is not None or _has(text, OWNERS) or _has(text, ANCHORS)
    for intent, rule in RULES.items():
        if not _is_live(rule, text, anchored):
            continue
        if intent is Intent.DELIVERY_NEXT and (
            _has(text, PAST_MARKERS) or (period is not None and period.end < today)
        ):
            intent = Intent.DELIVERY_STATUS
        return LiveQuestion(intent=intent, period=period)
    return None
