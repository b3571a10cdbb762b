"""Time expressions → periods, on a fixed Wednesday (weeks start on Monday)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engines.qa.timeexpr import Period, chinese_number, parse_period

TODAY = date(2026, 11, 25)  # a Wednesday


def day(month: int, dom: int, year: int = 2026) -> tuple[date, date]:
    return date(year, month, dom), date(year, month, dom)


THIS_WEEK = (date(2026, 11, 23), date(2026, 11, 29))
LAST_WEEK = (date(2026, 11, 16), date(2026, 11, 22))
THIS_MONTH = (date(2026, 11, 1), date(2026, 11, 30))
LAST_MONTH = (date(2026, 10, 1), date(2026, 10, 31))
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
LAST_DECEMBER = (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("text", "label", "span"),
    [
        ("今天送货吗", "今天", day(11, 25)),
        ("昨天的货", "昨天", day(11, 24)),
        ("前天", "前天", day(11, 23)),
        ("大前天扣款了吗", "大前天", day(11, 22)),
        ("明天", "明天", day(11, 26)),
        ("后天", "后天", day(11, 27)),
        ("本周订了多少", "本周", THIS_WEEK),
        ("这周", "这周", THIS_WEEK),
        ("这星期", "这星期", THIS_WEEK),
        ("这礼拜", "这礼拜", THIS_WEEK),
        ("本礼拜", "本礼拜", THIS_WEEK),
        ("上周订货", "上周", LAST_WEEK),
        ("上星期", "上星期", LAST_WEEK),
        ("上礼拜", "上礼拜", LAST_WEEK),
        ("上个星期", "上个星期", LAST_WEEK),
        ("下周", "下周", (date(2026, 11, 30), date(2026, 12, 6))),
        ("本月", "本月", THIS_MONTH),
        ("这个月扣了多少", "这个月", THIS_MONTH),
        ("这月", "这月", THIS_MONTH),
        ("上月", "上月", LAST_MONTH),
        ("上个月", "上个月", LAST_MONTH),
        ("下个月", "下个月", (date(2026, 12, 1), date(2026, 12, 31))),
        ("今年", "今年", (date(2026, 1, 1), date(2026, 12, 31))),
        ("去年", "去年", (date(2025, 1, 1), date(2025, 12, 31))),
        ("最近7天", "最近7天", (date(2026, 11, 19), TODAY)),
        ("近三十天", "近三十天", (date(2026, 10, 27), TODAY)),
        ("过去十五天", "过去十五天", (date(2026, 11, 11), TODAY)),
        ("过去20天", "过去20天", (date(2026, 11, 6), TODAY)),
        ("最近一周", "最近一周", (date(2026, 11, 19), TODAY)),
        ("最近两周", "最近两周", (date(2026, 11, 12), TODAY)),
        ("近一个月", "近一个月", (date(2026, 10, 26), TODAY)),
        ("近3个月", "近3个月", (date(2026, 8, 26), TODAY)),
        ("3月5日", "3月5日", day(3, 5)),
        ("3月5号的订单", "3月5号", day(3, 5)),
        ("三月五号", "三月五号", day(3, 5)),
        ("3.5送的货", "3.5", day(3, 5)),
        ("3/5", "3/5", day(3, 5)),
        ("2026-03-05", "2026-03-05", day(3, 5)),
        ("2026/3/5", "2026/3/5", day(3, 5)),
        ("2026年3月5日", "2026年3月5日", day(3, 5)),
        ("二〇二五年十二月三十一日", "二〇二五年十二月三十一日", day(12, 31, 2025)),
        ("５号", "5号", day(11, 5)),
        ("五号送货了吗", "五号", day(11, 5)),
        ("二十八号", "二十八号", day(11, 28)),  # ahead of today, still this month
        ("3月", "3月", MARCH),
        ("三月份", "三月份", MARCH),
        ("十二月", "十二月", LAST_DECEMBER),  # not begun this year yet
        ("12月1号", "12月1号", day(12, 1)),  # within a month ahead: this year
        ("12月28号", "12月28号", day(12, 28, 2025)),  # further ahead: last year
        ("12/28", "12/28", day(12, 28, 2025)),
        ("去年3月", "去年3月", (date(2025, 3, 1), date(2025, 3, 31))),
        ("上个月5号", "上个月5号", day(10, 5)),
        ("周一", "周一", day(11, 23)),
        ("星期天", "星期天", day(11, 29)),
        ("礼拜三", "礼拜三", day(11, 25)),
        ("周五", "周五", day(11, 27)),  # ahead of today, still this week
        ("上周三", "上周三", day(11, 18)),
        ("上个礼拜天", "上个礼拜天", day(11, 22)),
        ("下周二", "下周二", day(12, 1)),
        ("这周末", "这周末", (date(2026, 11, 28), date(2026, 11, 29))),
        ("3天前", "3天前", day(11, 22)),
        ("上週三", "上周三", day(11, 18)),
    ],
)
def test_expression_gives_its_period(text, label, span):
    assert parse_period(text, TODAY) == Period(*span, label)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("上周订的货昨天到了吗", "上周"),  # leftmost wins
        ("上周三", "上周三"),  # longest at the same start
        ("2026年3月5日", "2026年3月5日"),
        ("上个星期一共订了多少", "上个星期"),  # 一共 is a count, not Monday
        ("上周一次都没送", "上周"),
        ("三月一共订了多少", "三月"),  # a Chinese-numeral day needs 号/日
    ],
)
def test_precedence(text, label):
    assert parse_period(text, TODAY).label == label


@pytest.mark.parametrize(
    "text",
    [
        "订货截止时间是几点",
        "每周三送货",
        "每月5号扣款",
        "两周一次",
        "一周一次",
        "价格3.5元",
        "3/5条",
        "2月30日",
        "13月",
        "3日内送到",
        "送货要几天",
        "",
    ],
)
def test_no_period(text):
    assert parse_period(text, TODAY) is None


def test_week_starts_on_monday_whatever_the_day():
    for offset in range(7):
        today = date(2026, 11, 23) + timedelta(days=offset)
        assert parse_period("这周", today) == Period(date(2026, 11, 23), date(2026, 11, 29), "这周")


def test_month_arithmetic_crosses_the_year():
    today = date(2026, 1, 31)
    assert parse_period("上个月", today).start == date(2025, 12, 1)
    assert parse_period("近一个月", today).start == date(2026, 1, 1)
    assert parse_period("下周", date(2026, 12, 23)).end == date(2027, 1, 3)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十", 10),
        ("十五", 15),
        ("二十", 20),
        ("二十三", 23),
        ("九十九", 99),
        ("两", 2),
        ("〇", 0),
        ("零", 0),
        ("一百", 100),
        ("一百零五", 105),
        ("3十", 30),
        ("３０", 30),
        ("二〇二六", 2026),
        ("几", None),
        ("十十", None),
        ("二三十", None),
        ("", None),
    ],
)
def test_chinese_number(text, value):
    assert chinese_number(text) == value


_CN = "零一二三四五六七八九"


def _spell(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else "十" if tens == 1 else _CN[tens] + "十"
    return head + (_CN[ones] if ones or not head else "")


@given(st.integers(0, 99))
def test_chinese_number_reads_every_spelling_below_a_hundred(n):
    assert chinese_number(_spell(n)) == n


@given(st.integers(1, 60))
def test_recent_days_end_today_and_count_today(n):
    period = parse_period(f"最近{n}天", TODAY)
    assert (period.end, (period.end - period.start).days + 1) == (TODAY, n)
