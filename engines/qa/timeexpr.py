"""Chinese time expressions in shop owners' questions → a date period.

    parse_period("上周订了多少条", date(2026, 11, 25))  # Period(2026-11-16, 2026-11-22, "上周")

Rules:
- The text goes through ``normalize`` first (NFKC, so full-width digits work; traditional →
  simplified); ``label`` is the expression as it appears in that normalised text.
- Weeks run Monday to Sunday. Calendar periods are whole (本月 = 1st … last day) even when part of
  them lies ahead; a caller holding only past records clips at today.
- Precedence: the leftmost expression wins; of those starting at the same character the longest
  wins, so 上周三 beats 上周 and 2026年3月5日 beats 2026年. Compounds (上个月5号, 去年3月) are one
  expression.
- A month without a year is this year's, or last year's when it has not begun yet (on 2026-11-25
  "12月" is 2025-12). A month-day without a year is this year's unless more than 31 days ahead
  (on 2026-11-25 "12月1号" is 2026-12-01, "12月28号" is 2025-12-28). A day alone (5号) is always
  this month's, even if ahead.
- A bare weekday (周三) is this week's, even if ahead; 上周三 / 下周二 move by whole weeks.
- 最近N天 / 近N周 / 过去N个月 end today and include it: 近7天 = today-6 … today; 近1个月 starts
  the day after the same date a month back.
- Recurring forms are not periods: 每周三, 每月5号, 两周一次; neither are 3.5元 or 3/5条.
"""

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from engines.qa.normalize import normalize


@dataclass(frozen=True)
class Period:
    """Dates from ``start`` to ``end``, both included; ``label`` is the text that named them."""

    start: date
    end: date
    label: str


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CN_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DIGITS = _CN_DIGITS | {str(d): d for d in range(10)}
_UNITS = {"十": 10, "百": 100}


def chinese_number(text: str) -> int | None:
    """二十三 → 23, 两 → 2, 一百零五 → 105, 二〇二六 → 2026, 3十 → 30; None if not a number."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None
    if all(ch in _DIGITS for ch in text):  # digit by digit: 2026, 二〇二六
        return int("".join(str(_DIGITS[ch]) for ch in text))
    total, digit, last_unit = 0, None, 1000
    for ch in text:
        if ch in _DIGITS:
            if digit:  # two digits in a row with units around them: 二三十
                return None
            digit = _DIGITS[ch]
        elif ch in _UNITS and _UNITS[ch] < last_unit:
            total += (1 if digit is None else digit) * _UNITS[ch]
            digit, last_unit = None, _UNITS[ch]
        else:
            return None
    return total + (digit or 0)


_NUM = r"(?:\d+|[零〇一二两三四五六七八九十百]+)"
_MONTH = r"(?P<mon>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY_CN = r"[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
# After a month, Arabic digits may drop 号/日 (3月5); Chinese numerals may not (三月一共订了…).
_DAY_AFTER_MONTH = rf"(?:(?P<dd>\d{{1,2}})(?!\d)[日号]?|(?P<dc>{_DAY_CN})[日号])"
_NOT_AFTER_NUMBER = r"(?<![\d零〇一二两三四五六七八九十百])"
_DAY_ALONE = rf"(?:(?P<dd>\d{{1,2}})|(?P<dc>{_DAY_CN}))[号日]"
_SHIFTS = {"上上": -2, "上": -1, "这": 0, "本": 0, "当": 0, "下": 1, "下下": 2}
_SHIFT = r"(?P<shift>上上|下下|上|下|这|本|当)个?"
_WEEK = r"(?:周|星期|礼拜)"
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_WEEKDAYS |= {str(d): d - 1 for d in range(1, 8)}
_WEEKDAY = r"(?P<wd>[一二三四五六日天1-7]|末)"
_DAY_OFFSETS = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0}
_DAY_OFFSETS |= {"明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_YEAR_OFFSETS = {"前年": -2, "去年": -1, "今年": 0, "明年": 1}
# A date without a year may lie this far ahead (12月1号送货吗 in late November); beyond that it
# is last year's (12月28号 asked on 5 January).
DATE_LOOKAHEAD_DAYS = 31
_AMOUNT_UNITS = "元|块|万|千|%|倍|折|条|包|箱|件|斤|公斤|克|米|分|个|号|日"

Span = tuple[date, date]
_RULES: list[tuple[re.Pattern[str], Callable[[re.Match[str], date], Span]]] = []


def _rule(pattern: str):
    def register(resolve: Callable[[re.Match[str], date], Span]):
        _RULES.append((re.compile(pattern), resolve))
        return resolve

    return register


def _month_span(year: int, month: int) -> Span:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _months_back(day: date, months: int) -> date:
    year, month = _shift_month(day.year, day.month, -months)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _number(text: str) -> int:
    value = chinese_number(text)
    if value is None:
        raise ValueError(text)
    return value


def _without_year(m: re.Match[str], today: date) -> Span:
    """A month is this year's unless it has not begun; a date unless it is over a month ahead."""
    month = _number(m["mon"])
    day_text = m.groupdict().get("dd") or m.groupdict().get("dc")
    if not day_text:
        return _month_or_day(today.year if month <= today.month else today.year - 1, m)
    day = date(today.year, month, _number(day_text))
    if day > today + timedelta(days=DATE_LOOKAHEAD_DAYS):
        day = date(today.year - 1, month, day.day)
    return day, day


def _month_or_day(year: int, m: re.Match[str]) -> Span:
    """The month named by ``mon`` in ``year``, or one day of it when a day was matched."""
    month = _number(m["mon"])
    day_text = m.groupdict().get("dd") or m.groupdict().get("dc")
    if day_text:
        day = date(year, month, _number(day_text))
        return day, day
    return _month_span(year, month)


@_rule("大前天|前天|昨天|昨日|今天|今日|明天|明日|大后天|后天")
def _relative_day(m: re.Match[str], today: date) -> Span:
    day = today + timedelta(days=_DAY_OFFSETS[m[0]])
    return day, day


@_rule(rf"{_NOT_AFTER_NUMBER}(?P<n>{_NUM})天(?:以前|之前|前)")
def _days_ago(m: re.Match[str], today: date) -> Span:
    day = today - timedelta(days=_number(m["n"]))
    return day, day


@_rule(rf"(?:最近|过去|近)的?(?P<n>{_NUM}|半)个?(?P<unit>天|日|周|星期|礼拜|月|年)")
def _recent(m: re.Match[str], today: date) -> Span:
    unit = m["unit"]
    if m["n"] == "半":
        days, months = {"月": (15, 0), "年": (0, 6)}.get(unit, (0, 0))
    else:
        count = _number(m["n"])
        days = count if unit in "天日" else count * 7 if unit in ("周", "星期", "礼拜") else 0
        months = count if unit == "月" else count * 12 if unit == "年" else 0
    if months > 0:
        return _months_back(today, months) + timedelta(days=1), today
    if days < 1:
        raise ValueError(m[0])
    return today - timedelta(days=days - 1), today


def _week_span(today: date, shift: int, weekday: str | None) -> Span:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
    if weekday is None:
        return monday, monday + timedelta(days=6)
    if weekday == "末":
        return monday + timedelta(days=5), monday + timedelta(days=6)
    day = monday + timedelta(days=_WEEKDAYS[weekday])
    return day, day


# 上周一次 / 上个星期一共 are 上周 plus a count, not Monday.
_WEEKDAY_NOT_COUNT = rf"{_WEEKDAY}(?![次个共起])"


@_rule(rf"{_SHIFT}{_WEEK}(?:{_WEEKDAY_NOT_COUNT})?")
def _shifted_week(m: re.Match[str], today: date) -> Span:
    return _week_span(today, _SHIFTS[m["shift"]], m["wd"])


# 每周三 and 两周一次 are schedules, not dates.
@_rule(rf"(?<![每个几]){_NOT_AFTER_NUMBER}{_WEEK}{_WEEKDAY_NOT_COUNT}")
def _bare_weekday(m: re.Match[str], today: date) -> Span:
    return _week_span(today, 0, m["wd"])


@_rule(rf"{_SHIFT}月份?{_DAY_AFTER_MONTH}?")
def _shifted_month(m: re.Match[str], today: date) -> Span:
    year, month = _shift_month(today.year, today.month, _SHIFTS[m["shift"]])
    day_text = m["dd"] or m["dc"]
    if day_text:
        day = date(year, month, _number(day_text))
        return day, day
    return _month_span(year, month)


@_rule(rf"(?P<rel>前年|去年|今年|明年)(?:{_MONTH}月份?{_DAY_AFTER_MONTH}?)?")
def _relative_year(m: re.Match[str], today: date) -> Span:
    year = today.year + _YEAR_OFFSETS[m["rel"]]
    return _month_or_day(year, m) if m["mon"] else (date(year, 1, 1), date(year, 12, 31))


_YEAR = r"(?<!\d)(?P<year>\d{4}|[零〇一二三四五六七八九]{4})"


@_rule(rf"{_YEAR}年(?:{_MONTH}月份?{_DAY_AFTER_MONTH}?)?")
def _explicit_year(m: re.Match[str], today: date) -> Span:
    year = _number(m["year"])
    return _month_or_day(year, m) if m["mon"] else (date(year, 1, 1), date(year, 12, 31))


@_rule(r"(?<![\d.])(?P<year>\d{4})(?P<sep>[-/.])(?P<mon>\d{1,2})(?:(?P=sep)(?P<dd>\d{1,2}))?(?!\d)")
def _numeric_date(m: re.Match[str], today: date) -> Span:
    return _month_or_day(int(m["year"]), m)


@_rule(rf"{_NOT_AFTER_NUMBER}(?<!年){_MONTH}月份?{_DAY_AFTER_MONTH}?")
def _month_day(m: re.Match[str], today: date) -> Span:
    return _without_year(m, today)


# 3.5 and 3/5 are dates only when no amount unit follows (3.5元 is a price).
_NOT_AMOUNT = rf"(?![\d./-]|\s*(?:{_AMOUNT_UNITS}))"


@_rule(rf"(?<![\d./-])(?P<mon>\d{{1,2}})[./](?P<dd>\d{{1,2}}){_NOT_AMOUNT}")
def _short_date(m: re.Match[str], today: date) -> Span:
    return _without_year(m, today)


# After 月 the day belongs to a month rule; 每月5号 is a schedule; 3日内 is a duration.
@_rule(rf"(?<![月./-]){_NOT_AFTER_NUMBER}{_DAY_ALONE}(?!内|以内|之内)")
def _day_of_month(m: re.Match[str], today: date) -> Span:
    day = date(today.year, today.month, _number(m["dd"] or m["dc"]))
    return day, day


def parse_period(text: str, today: date) -> Period | None:
    """The period named in ``text`` relative to ``today`` (see the module rules), or None."""
    text = normalize(text)
    best: tuple[int, int, Period] | None = None
    for pattern, resolve in _RULES:
        for m in pattern.finditer(text):
            key = (m.start(), -len(m[0]))
            if best is not None and key >= best[:2]:
                continue
            try:
                start, end = resolve(m, today)
            except ValueError:  # 2月30日, 13月, 0号: not a date after all
                continue
            best = (*key, Period(start, end, m[0]))
    return best[2] if best else None
