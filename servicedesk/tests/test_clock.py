"""SLA clocks with pauses (property-based): waiting on the shop never counts against the staff."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.workcalendar import WorkingCalendar, china_workdays
from servicedesk import clock
from servicedesk.models import ServiceRequest
from servicedesk.tests.conftest import SHANGHAI

CALENDAR = WorkingCalendar(is_workday=china_workdays(), tz=SHANGHAI)
START = datetime.datetime(2025, 9, 26, 8, 0, tzinfo=SHANGHAI)  # before National Day and 调休


@pytest.fixture(autouse=True)
def _fixed_calendar(monkeypatch):
    monkeypatch.setattr(clock, "company_calendar", lambda: CALENDAR)


def fresh(created_at, target_min=960) -> ServiceRequest:
    request = ServiceRequest(
        created_at=created_at,
        response_target_min=60,
        resolution_target_min=target_min,
        response_due_at=created_at,
    )
    request.resolution_due_at = clock.resolution_due(request, CALENDAR)
    return request


minutes = st.integers(min_value=0, max_value=60 * 24 * 20)


@settings(max_examples=150, deadline=None)
@given(
    created=minutes,
    pauses=st.lists(st.tuples(minutes, minutes), max_size=4),
    looked=minutes,
)
def test_paused_time_never_counts_and_moves_the_due_time(created, pauses, looked):
    created_at = START + datetime.timedelta(minutes=created)
    request = fresh(created_at)
    first_due = request.resolution_due_at
    moment, paused_total = created_at, 0
    for gap, length in pauses:
        start = moment + datetime.timedelta(minutes=gap)
        end = start + datetime.timedelta(minutes=length)
        clock.pause(request, start)
        assert request.resolution_due_at is None  # paused: no due time to show
        clock.resume(request, end)
        paused_total += CALENDAR.business_seconds(start, end)
        moment = end
    assert request.paused_seconds == paused_total
    # The due time moved later by exactly the paused business time.
    assert CALENDAR.business_seconds(first_due, request.resolution_due_at) == paused_total
    now = moment + datetime.timedelta(minutes=looked)
    state = clock.resolution_clock(request, now, CALENDAR)
    assert state.elapsed_s == max(CALENDAR.business_seconds(created_at, now) - paused_total, 0)
    assert state.breached == (state.elapsed_s > request.resolution_target_min * 60)


def test_national_day_and_make_up_days_in_a_resolution_clock():
    # Filed Tuesday 30 September 2025, 16:00: 1.5 h that day, then 1–8 October are holidays,
    # and Saturday 11 October is a make-up working day.
    request = fresh(datetime.datetime(2025, 9, 30, 16, 0, tzinfo=SHANGHAI), target_min=7 * 60 * 2)
    # 14 business hours: 1.5 h (30 Sep) + 7 h (9 Oct) + 5.5 h (10 Oct) → Friday 10 Oct 16:00.
    assert request.resolution_due_at == datetime.datetime(2025, 10, 10, 16, 0, tzinfo=SHANGHAI)
    # Waiting on the shop over the whole of 10 October moves it into the make-up Saturday.
    clock.pause(request, datetime.datetime(2025, 10, 10, 8, 30, tzinfo=SHANGHAI))
    clock.resume(request, datetime.datetime(2025, 10, 10, 17, 30, tzinfo=SHANGHAI))
    assert request.resolution_due_at == datetime.datetime(2025, 10, 11, 16, 0, tzinfo=SHANGHAI)
