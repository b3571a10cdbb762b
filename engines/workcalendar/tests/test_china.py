"""china_workdays: chinese_calendar's schedule, Monday–Friday beyond it, local overrides first."""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest

from engines.workcalendar import china_workdays


def days_of(year):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def test_covered_year_follows_chinese_calendar():
    is_workday = china_workdays()
    assert [d for d in days_of(2025) if is_workday(d) != chinese_calendar.is_workday(d)] == []
    assert not is_workday(date(2025, 10, 1))  # National Day
    assert not is_workday(date(2025, 10, 6))  # Monday inside the holiday
    assert is_workday(date(2025, 9, 28))  # Sunday, make-up working day
    assert is_workday(date(2025, 10, 11))  # Saturday, make-up working day
    assert not is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_covered_year_differs_from_plain_weekdays():
    is_workday = china_workdays()
    differing = [d for d in days_of(2025) if is_workday(d) != (d.weekday() < 5)]
    assert date(2025, 10, 1) in differing and date(2025, 9, 28) in differing


@pytest.mark.parametrize("year", [2030, 1999])
def test_uncovered_year_falls_back_to_monday_to_friday(year):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(year, 1, 1))
    is_workday = china_workdays()
    assert [d for d in days_of(year) if is_workday(d) != (d.weekday() < 5)] == []


def test_overrides_win_over_chinese_calendar_and_fallback():
    typhoon_tuesday, extra_saturday = date(2025, 7, 22), date(2025, 7, 26)
    holiday_worked, uncovered_saturday = date(2025, 10, 2), date(2030, 1, 5)
    is_workday = china_workdays(
        {
            typhoon_tuesday: False,
            extra_saturday: True,
            holiday_worked: True,
            uncovered_saturday: True,
        }
    )
    assert not is_workday(typhoon_tuesday)
    assert is_workday(extra_saturday)
    assert is_workday(holiday_worked)
    assert is_workday(uncovered_saturday)
    assert is_workday(date(2025, 7, 23))  # neighbours untouched
    assert not is_workday(date(2025, 10, 3))


def test_overrides_are_copied():
    overrides = {date(2025, 7, 22): False}
    is_workday = china_workdays(overrides)
    overrides[date(2025, 7, 22)] = True
    overrides[date(2025, 7, 23)] = False
    assert not is_workday(date(2025, 7, 22))
    assert is_workday(date(2025, 7, 23))


def test_datetimes_are_taken_as_their_date():
    is_workday = china_workdays({date(2025, 7, 22): False})
    assert not is_workday(datetime(2025, 7, 22, 10, 0))
    assert not is_workday(datetime(2025, 10, 1, 10, 0))


def test_answers_are_memoised(monkeypatch):
    calls = []
    real = chinese_calendar.is_workday

    def counting(day):
        calls.append(day)
        return real(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", counting)
    is_workday = china_workdays()
    for _ in range(3):
        is_workday(date(2025, 10, 1))
        is_workday(date(2025, 10, 11))
    assert calls == [date(2025, 10, 1), date(2025, 10, 11)]
    assert is_workday.cache_info().hits == 4
