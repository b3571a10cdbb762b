"""Record questions vs FAQ questions, with their periods, on a fixed Wednesday."""

from datetime import date

import pytest

from engines.qa.intents import Intent, LiveQuestion, recognize

TODAY = date(2026, 11, 25)  # a Wednesday
THIS_WEEK = (date(2026, 11, 23), date(2026, 11, 29))
LAST_WEEK = (date(2026, 11, 16), date(2026, 11, 22))
THIS_MONTH = (date(2026, 11, 1), date(2026, 11, 30))
LAST_MONTH = (date(2026, 10, 1), date(2026, 10, 31))
THIS_YEAR = (date(2026, 1, 1), date(2026, 12, 31))
YESTERDAY = (date(2026, 11, 24),) * 2
TOMORROW = (date(2026, 11, 26),) * 2

ORDER_STATUS = Intent.ORDER_STATUS
ORDER_VOLUME = Intent.ORDER_VOLUME
DELIVERY_NEXT = Intent.DELIVERY_NEXT
DELIVERY_STATUS = Intent.DELIVERY_STATUS
PAYMENT = Intent.PAYMENT_STATUS
MANAGER = Intent.ACCOUNT_MANAGER

LIVE = [
    ("我的订单到哪了", ORDER_STATUS, None),
    ("订单状态", ORDER_STATUS, None),
    ("我订的烟发了没", ORDER_STATUS, None),
    ("订单怎么还没到", ORDER_STATUS, None),
    ("查一下我的订单", ORDER_STATUS, None),
    ("为什么我的订单还没到", ORDER_STATUS, None),
    ("俺的订单到哪了？", ORDER_STATUS, None),
    ("我的訂單到哪了", ORDER_STATUS, None),
    ("咋还没发货，我的订单发货了吗", ORDER_STATUS, None),
    ("昨天下的单子确认了吗", ORDER_STATUS, YESTERDAY),
    ("上周的订单被取消了吗", ORDER_STATUS, LAST_WEEK),
    ("这周订了多少", ORDER_VOLUME, THIS_WEEK),
    ("上个月订了几条", ORDER_VOLUME, LAST_MONTH),
    ("本月订货量", ORDER_VOLUME, THIS_MONTH),
    ("我今年订了多少钱的烟", ORDER_VOLUME, THIS_YEAR),
    ("上周订货金额", ORDER_VOLUME, LAST_WEEK),
    ("上个星期一共订了多少条烟", ORDER_VOLUME, LAST_WEEK),
    ("最近7天订货总额", ORDER_VOLUME, (date(2026, 11, 19), TODAY)),
    ("近一个月进货量", ORDER_VOLUME, (date(2026, 10, 26), TODAY)),
    ("3月份订了多少条", ORDER_VOLUME, (date(2026, 3, 1), date(2026, 3, 31))),
    ("十二月订货金额", ORDER_VOLUME, (date(2025, 12, 1), date(2025, 12, 31))),
    ("下次什么时候送货", DELIVERY_NEXT, None),
    ("什么时候送烟", DELIVERY_NEXT, None),
    ("明天送货吗", DELIVERY_NEXT, TOMORROW),
    ("货什么时候到", DELIVERY_NEXT, None),
    ("货啥时候到", DELIVERY_NEXT, None),
    ("送货时间是哪天", DELIVERY_NEXT, None),
    ("我订的烟什么时候到", DELIVERY_NEXT, None),
    ("下周二配送吗", DELIVERY_NEXT, (date(2026, 12, 1),) * 2),
    ("这周什么时候送货", DELIVERY_NEXT, THIS_WEEK),
    ("昨天的货送到了吗", DELIVERY_STATUS, YESTERDAY),
    ("上次送货是什么时候", DELIVERY_STATUS, None),
    ("送货员是谁", DELIVERY_STATUS, None),
    ("上周订的货送到了吗", DELIVERY_STATUS, LAST_WEEK),
    ("上周三送货了吗", DELIVERY_STATUS, (date(2026, 11, 18),) * 2),
    ("咋还没送货", DELIVERY_STATUS, None),
    ("今天的货到了没", DELIVERY_STATUS, (TODAY, TODAY)),
    ("送货司机电话多少", DELIVERY_STATUS, None),
    ("11月20号的货签收了吗", DELIVERY_STATUS, (date(2026, 11, 20),) * 2),
    ("12月1号送货吗", DELIVERY_NEXT, (date(2026, 12, 1),) * 2),
    ("上次扣款成功了吗", PAYMENT, None),
    ("扣款失败了吗", PAYMENT, None),
    ("这个月扣了多少钱", PAYMENT, THIS_MONTH),
    ("我的货款扣了没", PAYMENT, None),
    ("付款记录", PAYMENT, None),
    ("为什么我的扣款失败了", PAYMENT, None),
    ("上次扣款失败的原因", PAYMENT, None),
    ("最近两周的扣款明细", PAYMENT, (date(2026, 11, 12), TODAY)),
    ("昨天扣款成功没", PAYMENT, YESTERDAY),
    ("我的退款到账了吗", PAYMENT, None),
    ("我的客户经理是谁", MANAGER, None),
    ("客户经理电话", MANAGER, None),
    ("怎么联系我的客户经理", MANAGER, None),
    ("我的专管员是谁", MANAGER, None),
    ("俺们片区的客户经理叫什么", MANAGER, None),
]

FAQ = [
    "订货截止时间是几点",
    "怎么订货",
    "扣款失败怎么办",
    "送货范围有哪些",
    "客户经理多久来一次",
    "如何更换客户经理",
    "怎么申请办证",
    "订单可以取消吗",
    "怎么修改订单",
    "几点前必须订货",
    "订烟最晚几点",
    "扣款木有成功",
    "为什么扣款失败",
    "扣款失败是什么原因",
    "支持哪些付款方式",
    "扣款时间是几点",
    "一般什么时候送货",
    "每周几送货",
    "送货要几天",
    "配送时间是怎么安排的",
    "节假日送货吗",
    "一次最多能订多少条",
    "每月能订多少条中华",
    "订货量怎么计算",
    "我想订货",
    "我订的烟质量有问题",
    "送货员态度不好怎么投诉",
    "怎么查询扣款记录",
    "客户经理的职责是什么",
    "烟草专卖许可证到期怎么延续",
    "卷烟陈列有什么规定",
    "今天天气怎么样",
    "你好",
    "",
    "订单提交后多久送到",
    "我想取消订单",
    "我这个月的订货额度是多少",
    "一条中华多少钱",
    "货到付款吗",
]


@pytest.mark.parametrize(("text", "intent", "span"), LIVE)
def test_record_questions_are_recognised_with_their_period(text, intent, span):
    question = recognize(text, TODAY)
    assert question is not None, text
    period = (question.period.start, question.period.end) if question.period else None
    assert (question.intent, period) == (intent, span)


@pytest.mark.parametrize("text", FAQ)
def test_faq_questions_are_left_to_retrieval(text):
    assert recognize(text, TODAY) is None


def test_intent_values_are_the_strings_the_chat_stores():
    question = recognize("上周订的货送到了吗", TODAY)
    assert question == LiveQuestion(intent="delivery_status", period=question.period)
    assert question.period.label == "上周"
