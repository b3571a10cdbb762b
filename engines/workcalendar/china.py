"""Mainland China working days: public holidays and make-up working days (调休).

The State Council publishes each year's schedule late in the previous year; chinese_calendar
ships it (1.11.0 covers 2004–2026). A year it does not cover falls back to Monday–Friday, so
upgrade the package once the next year's schedule is out.
"""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import cache

import chinese_calendar


def _as_date(day: date) -> date:
    # datetime is a date subclass, but datetime(2025, 10, 1) != date(2025, 10, 1) as a dict key.
    return day.date() if isinstance(day, datetime) else day


def china_workdays(overrides: Mapping[date, bool] | None = None) -> Callable[[date], bool]:
    """is_workday(day) for China: overrides first (True = working day, False = day off), then
    chinese_calendar (holidays and 调休), then Monday–Friday for years it does not cover.

    The overrides are copied: build a new function (and calendar) when local exceptions change.
    """
    local = {_as_date(day): bool(working) for day, working in (overrides or {}).items()}

    @cache
    def decide(day: date) -> bool:
        if day in local:
            return local[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year outside the shipped schedule
            return day.weekday() < 5

    def is_workday(day: date) -> bool:
        return decide(_as_date(day))

    is_workday.cache_info = decide.cache_info  # type: ignore[attr-defined]
    return is_workday
