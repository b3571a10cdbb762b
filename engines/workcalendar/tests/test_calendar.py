"""WorkingCalendar: worked SLA examples, validation, and properties against a day-by-day oracle."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engines.workcalendar import DEFAULT_PERIODS, WorkingCalendar, china_workdays

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = 3600


def at(year, month, day, hour=0, minute=0, second=0, tz=SHANGHAI):
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


@pytest.fixture(scope="module")
def weekdays():
    return WorkingCalendar()


@pytest.fixture(scope="module")
def china():
    return WorkingCalendar(is_workday=china_workdays())


# --- Worked examples ------------------------------------------------------------------------


def test_default_day_is_seven_business_hours(weekdays):
    assert weekdays.seconds_per_day == 7 * HOUR
    assert ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30))) == DEFAULT_PERIODS


def test_friday_afternoon_request_with_four_hour_target_is_due_monday_eleven(weekdays):
    friday = at(2025, 3, 7, 16, 0)
    due = weekdays.add_business_seconds(friday, 4 * HOUR)
    assert due == at(2025, 3, 10, 11, 0)
    assert due.tzinfo is SHANGHAI
    assert weekdays.business_seconds(friday, due) == 4 * HOUR


def test_lunch_break_is_not_counted(weekdays):
    assert weekdays.business_seconds(at(2025, 3, 5, 11), at(2025, 3, 5, 15)) == 2 * HOUR
    assert weekdays.add_business_seconds(at(2025, 3, 5, 11), 1 * HOUR) == at(2025, 3, 5, 12)
    assert weekdays.add_business_seconds(at(2025, 3, 5, 11), 1 * HOUR + 1) == at(
        2025, 3, 5, 14, 0, 1
    )
    assert not weekdays.is_working_time(at(2025, 3, 5, 12, 30))
    assert weekdays.next_working_moment(at(2025, 3, 5, 12, 30)) == at(2025, 3, 5, 14)


def test_saturday_request_starts_counting_monday_morning(weekdays):
    saturday = at(2025, 3, 8, 10, 15)
    assert weekdays.business_seconds(saturday, at(2025, 3, 10, 8, 30)) == 0
    assert weekdays.add_business_seconds(saturday, HOUR) == at(2025, 3, 10, 9, 30)
    assert weekdays.next_working_moment(saturday) == at(2025, 3, 10, 8, 30)


def test_target_reached_exactly_at_period_end_stays_there(weekdays):
    # Earliest moment: 12:00 on the same day, not 14:00 after lunch.
    assert weekdays.add_business_seconds(at(2025, 3, 5, 8, 30), 3.5 * HOUR) == at(2025, 3, 5, 12)
    # A whole working day from opening time ends at that day's close, not the next morning.
    assert weekdays.add_business_seconds(at(2025, 3, 5, 8, 30), 7 * HOUR) == at(2025, 3, 5, 17, 30)
    assert weekdays.add_business_seconds(at(2025, 3, 7, 17, 30), 1) == at(2025, 3, 10, 8, 30, 1)


def test_zero_seconds_returns_start(weekdays):
    saturday = at(2025, 3, 8, 10, 15, tz=UTC)
    assert weekdays.add_business_seconds(saturday, 0) == saturday


def test_fractional_seconds_round_up(weekdays):
    start = at(2025, 3, 5, 9)
    assert weekdays.add_business_seconds(start, 0.2) == at(2025, 3, 5, 9, 0, 1)
    assert weekdays.add_business_seconds(start, 2.0 * HOUR) == at(2025, 3, 5, 11)


def test_sub_second_parts_are_truncated(weekdays):
    start = at(2025, 3, 5, 9).replace(microsecond=900_000)
    end = at(2025, 3, 5, 9, 0, 10).replace(microsecond=100_000)
    assert weekdays.business_seconds(start, end) == 10
    assert weekdays.is_working_time(at(2025, 3, 5, 11, 59, 59).replace(microsecond=999_999))


def test_period_end_is_not_working_time_but_start_is(weekdays):
    assert weekdays.is_working_time(at(2025, 3, 5, 8, 30))
    assert not weekdays.is_working_time(at(2025, 3, 5, 8, 29, 59))
    assert not weekdays.is_working_time(at(2025, 3, 5, 17, 30))
    assert weekdays.next_working_moment(at(2025, 3, 5, 17, 30)) == at(2025, 3, 6, 8, 30)


def test_other_time_zones_are_converted(weekdays):
    # 08:00 UTC is 16:00 in Shanghai.
    friday_utc = datetime(2025, 3, 7, 8, 0, tzinfo=UTC)
    assert weekdays.add_business_seconds(friday_utc, 4 * HOUR) == at(2025, 3, 10, 11)
    assert weekdays.business_seconds(friday_utc, at(2025, 3, 10, 11)) == 4 * HOUR
    working = weekdays.next_working_moment(datetime(2025, 3, 7, 2, 0, tzinfo=UTC))
    assert working == at(2025, 3, 7, 10) and working.tzinfo is SHANGHAI


def test_naive_datetimes_are_refused(weekdays):
    naive = datetime(2025, 3, 5, 9)
    with pytest.raises(ValueError, match="naive"):
        weekdays.business_seconds(naive, at(2025, 3, 6))
    with pytest.raises(ValueError, match="naive"):
        weekdays.add_business_seconds(naive, 60)
    with pytest.raises(ValueError, match="naive"):
        weekdays.is_working_time(naive)


def test_negative_or_non_finite_seconds_are_refused(weekdays):
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            weekdays.add_business_seconds(at(2025, 3, 5, 9), bad)


def test_reversed_span_counts_zero(weekdays):
    assert weekdays.business_seconds(at(2025, 3, 6, 9), at(2025, 3, 5, 9)) == 0
    assert weekdays.working_days_between(date(2025, 3, 10), date(2025, 3, 3)) == 0


def test_working_days_between(weekdays, china):
    assert weekdays.working_days_between(date(2025, 3, 3), date(2025, 3, 10)) == 5
    assert weekdays.working_days_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    expected = len(chinese_calendar.get_workdays(date(2024, 1, 1), date(2025, 12, 31)))
    assert china.working_days_between(date(2024, 1, 1), date(2026, 1, 1)) == expected


def test_long_span_matches_day_count(china):
    start, end = at(2024, 1, 1), at(2026, 1, 1)
    days = china.working_days_between(start.date(), end.date())
    assert china.business_seconds(start, end) == days * china.seconds_per_day
    last_close = at(2025, 12, 31, 17, 30)
    assert china.add_business_seconds(start, days * china.seconds_per_day) == last_close


# --- China: National Day 2025 and make-up working days ----------------------------------------


def test_chinese_calendar_agrees_on_national_day_2025():
    for offset in range(8):  # Oct 1–8
        day = date(2025, 10, 1) + timedelta(days=offset)
        assert chinese_calendar.is_holiday(day), day
    assert chinese_calendar.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # Saturday, 调休
    assert date(2025, 9, 28).weekday() == 6 and date(2025, 10, 11).weekday() == 5


def test_national_day_holiday_is_not_counted(china):
    assert china.business_seconds(at(2025, 10, 1), at(2025, 10, 9)) == 0
    assert china.working_days_between(date(2025, 10, 1), date(2025, 10, 9)) == 0
    # Tuesday Sep 30 16:00 + 4 h: 1.5 h that evening, the rest on Thursday Oct 9.
    assert china.add_business_seconds(at(2025, 9, 30, 16), 4 * HOUR) == at(2025, 10, 9, 11)
    assert china.next_working_moment(at(2025, 10, 3, 10)) == at(2025, 10, 9, 8, 30)


def test_make_up_working_days_count(china, weekdays):
    sunday, saturday = at(2025, 9, 28), at(2025, 10, 11)
    for day in (sunday, saturday):
        assert china.business_seconds(day, day + timedelta(days=1)) == china.seconds_per_day
        assert weekdays.business_seconds(day, day + timedelta(days=1)) == 0
    assert china.is_working_time(at(2025, 10, 11, 9))
    # Friday Oct 10 17:00 + 1 h: 30 min on Friday, 30 min on make-up Saturday.
    assert china.add_business_seconds(at(2025, 10, 10, 17), HOUR) == at(2025, 10, 11, 9)


def test_local_overrides_win():
    typhoon_tuesday, extra_saturday = date(2025, 7, 22), date(2025, 7, 26)
    calendar = WorkingCalendar(
        is_workday=china_workdays({typhoon_tuesday: False, extra_saturday: True})
    )
    assert not calendar.is_working_time(at(2025, 7, 22, 10))
    assert calendar.is_working_time(at(2025, 7, 26, 10))
    assert calendar.add_business_seconds(at(2025, 7, 21, 17), HOUR) == at(2025, 7, 23, 9)
    week = calendar.business_seconds(at(2025, 7, 21), at(2025, 7, 28))
    assert week == 5 * calendar.seconds_per_day  # Mon, Wed, Thu, Fri, Sat


# --- Construction -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "message"),
    [
        ((), "at least one"),
        (((time(12), time(8, 30)),), "start before"),
        (((time(9), time(9)),), "start before"),
        (((time(14), time(17)), (time(8), time(12))), "sorted"),
        (((time(8), time(12)), (time(11), time(13))), "overlap"),
        (((time(8), time(12), time(13)),), "pair"),
        (((time(8), "12:00"),), "datetime.time"),
        (((time(8, 0, 0, 5), time(12)),), "whole seconds"),
        (((time(8, tzinfo=UTC), time(12)),), "naive"),
        (42, "sequence"),
    ],
)
def test_invalid_periods_are_refused(periods, message):
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(periods=periods)


def test_period_ending_at_midnight():
    evening = WorkingCalendar(periods=((time(20), time(0)),), tz=UTC)
    assert evening.seconds_per_day == 4 * HOUR
    assert evening.add_business_seconds(at(2025, 3, 5, 21, tz=UTC), 3 * HOUR) == at(
        2025, 3, 6, 0, tz=UTC
    )
    assert evening.is_working_time(at(2025, 3, 5, 23, 59, 59, tz=UTC))


def test_calendar_without_working_days_fails_instead_of_looping():
    never = WorkingCalendar(is_workday=lambda day: False)
    with pytest.raises(ValueError, match="no working day within 3660 days"):
        never.add_business_seconds(at(2025, 3, 5, 9), 60)
    with pytest.raises(ValueError, match="no working day within"):
        never.next_working_moment(at(2025, 3, 5, 9))
    assert never.business_seconds(at(2025, 1, 1), at(2035, 1, 1)) == 0


def test_long_holiday_runs_are_crossed():
    # A 5-year closure (1826 days off) is still within the guard.
    reopening = date(2030, 1, 1)
    calendar = WorkingCalendar(is_workday=lambda day: day >= reopening or day < date(2025, 1, 1))
    assert calendar.add_business_seconds(at(2025, 3, 5), 60) == at(2030, 1, 1, 8, 31)


# --- Properties, checked against a plain day-by-day oracle --------------------------------------

CALENDAR = WorkingCalendar(is_workday=china_workdays())
moments = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([SHANGHAI, UTC, NEW_YORK]),
)
business = st.integers(min_value=0, max_value=40 * CALENDAR.seconds_per_day)


def oracle_business_seconds(calendar, start, end):
    """Day by day, period by period, on truncated local wall-clock datetimes."""
    start = start.astimezone(calendar.tz).replace(tzinfo=None, microsecond=0)
    end = end.astimezone(calendar.tz).replace(tzinfo=None, microsecond=0)
    total, day = 0, start.date()
    while day <= end.date():
        if calendar.is_workday(day):
            for opens, closes in calendar.periods:
                lo = max(start, datetime.combine(day, opens))
                hi = min(end, datetime.combine(day, closes))
                total += max(0, int((hi - lo).total_seconds()))
        day += timedelta(days=1)
    return total


@settings(max_examples=300, deadline=None)
@given(moments, moments)
def test_business_seconds_matches_oracle(a, b):
    a, b = min(a, b), max(a, b)
    assume((b - a) <= timedelta(days=120))  # the oracle is slow on long spans
    assert CALENDAR.business_seconds(a, b) == oracle_business_seconds(CALENDAR, a, b)


@settings(max_examples=300, deadline=None)
@given(moments, business)
def test_add_then_count_round_trips(start, seconds):
    due = CALENDAR.add_business_seconds(start, seconds)
    assert due >= start
    assert due.tzinfo is SHANGHAI
    assert CALENDAR.business_seconds(start, due) == seconds
    if seconds:
        # Earliest: one second earlier is short of the target.
        assert CALENDAR.business_seconds(start, due - timedelta(seconds=1)) == seconds - 1


@settings(max_examples=300, deadline=None)
@given(moments, business)
def test_add_lands_in_working_time_or_at_a_period_end(start, seconds):
    assume(seconds > 0)
    due = CALENDAR.add_business_seconds(start, seconds)
    just_before = due - timedelta(seconds=1)
    assert CALENDAR.is_working_time(due) or (
        CALENDAR.is_working_time(just_before)
        and due.time() in {closes for _, closes in CALENDAR.periods}
    )


@given(moments, moments, moments)
def test_additive(a, b, c):
    a, b, c = sorted([a, b, c])
    total = CALENDAR.business_seconds(a, c)
    assert total == CALENDAR.business_seconds(a, b) + CALENDAR.business_seconds(b, c)


@given(moments, moments, moments)
def test_monotonic_in_end(start, end, later):
    end, later = sorted([end, later])
    assert CALENDAR.business_seconds(start, end) <= CALENDAR.business_seconds(start, later)


@given(moments, business, business)
def test_add_is_monotonic_in_seconds(start, x, y):
    x, y = sorted([x, y])
    assert CALENDAR.add_business_seconds(start, x) <= CALENDAR.add_business_seconds(start, y)


@given(moments, moments)
def test_never_exceeds_wall_clock(a, b):
    # Endpoints are truncated to whole seconds, so a 0.2 s span may hold 1 counted second.
    counted = CALENDAR.business_seconds(a, b)
    assert 0 <= counted <= max(0, -(-(b - a) // timedelta(seconds=1)))


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)))
def test_zero_across_days_off(day):
    assume(not CALENDAR.is_workday(day))
    end = day
    while not CALENDAR.is_workday(end):
        end += timedelta(days=1)
    start = datetime.combine(day, time(0), tzinfo=SHANGHAI)
    stop = datetime.combine(end, time(0), tzinfo=SHANGHAI)
    assert CALENDAR.business_seconds(start, stop) == 0
    assert CALENDAR.next_working_moment(start) == datetime.combine(end, time(8, 30), SHANGHAI)


@given(moments)
def test_next_working_moment(moment):
    found = CALENDAR.next_working_moment(moment)
    assert found >= moment
    assert CALENDAR.is_working_time(found)
    assert CALENDAR.business_seconds(moment, found) == 0
    if CALENDAR.is_working_time(moment):
        assert found == moment


@given(moments, business)
def test_start_in_utc_equals_start_in_shanghai(start, seconds):
    in_utc = start.astimezone(UTC)
    in_shanghai = start.astimezone(SHANGHAI)
    due = CALENDAR.add_business_seconds(in_utc, seconds)
    assert due == CALENDAR.add_business_seconds(in_shanghai, seconds)
    assert CALENDAR.business_seconds(in_utc, due) == seconds
