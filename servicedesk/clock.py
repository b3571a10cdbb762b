"""SLA clocks: the company's working calendar and where each request stands against its targets.

The calendar (periods, China's holidays and 调休 days, local exceptions) is read from the database
and kept in memory for a minute; saving the calendar or an exception clears this process's copy,
so other processes follow within a minute.
"""

import time as monotonic_time
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from engines.workcalendar import DEFAULT_PERIODS, WorkingCalendar, china_workdays
from servicedesk.models import CalendarException, ServiceRequest, Status
from servicedesk.models import WorkingCalendar as CalendarRow

_CACHE_SECONDS = 60
_cached: tuple[float, WorkingCalendar] | None = None


def parse_periods(periods: list[list[str]]) -> tuple[tuple[time, time], ...]:
    """[["08:30", "12:00"], …] → ((time(8, 30), time(12)), …); ValueError on bad input."""
    try:
        return tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in periods)
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from None


def company_calendar() -> WorkingCalendar:
    global _cached
    now = monotonic_time.monotonic()
    if _cached is not None and now - _cached[0] < _CACHE_SECONDS:
        return _cached[1]
    row = CalendarRow.objects.filter(code="default").first()
    periods = parse_periods(row.periods) if row and row.periods else DEFAULT_PERIODS
    overrides = {}
    if row is not None:
        overrides = dict(
            CalendarException.objects.filter(calendar=row).values_list("day", "is_workday")
        )
    if row is None or row.use_china_holidays:
        is_workday = china_workdays(overrides)
    else:
        is_workday = lambda day: overrides.get(day, day.weekday() < 5)  # noqa: E731
    calendar = WorkingCalendar(periods, is_workday, tz=timezone.get_default_timezone())
    _cached = (now, calendar)
    return calendar


@receiver([post_save, post_delete], sender=CalendarRow)
@receiver([post_save, post_delete], sender=CalendarException)
def forget_calendar(**kwargs) -> None:
    global _cached
    _cached = None


# Targets when a class's plan names none for the category (business minutes).
DEFAULT_RESPONSE_MIN = getattr(settings, "SLA_DEFAULT_RESPONSE_MIN", 240)
DEFAULT_RESOLUTION_MIN = getattr(settings, "SLA_DEFAULT_RESOLUTION_MIN", 2400)


@dataclass(frozen=True)
class ClockState:
    """One SLA clock of one request, at a moment."""

    target_s: int
    elapsed_s: int
    due_at: datetime | None  # None while paused
    done_at: datetime | None  # when the clock stopped for good (responded, resolved)
    paused: bool

    @property
    def remaining_s(self) -> int:
        return self.target_s - self.elapsed_s

    @property
    def breached(self) -> bool:
        return self.elapsed_s > self.target_s

    @property
    def fraction(self) -> float:
        return self.elapsed_s / self.target_s if self.target_s else 1.0


def response_clock(
    request: ServiceRequest, now: datetime, calendar: WorkingCalendar | None = None
) -> ClockState:
    calendar = calendar or company_calendar()
    end = request.first_response_at or now
    return ClockState(
        target_s=request.response_target_min * 60,
        elapsed_s=calendar.business_seconds(request.created_at, end),
        due_at=request.response_due_at,
        done_at=request.first_response_at,
        paused=False,
    )


def resolution_clock(
    request: ServiceRequest, now: datetime, calendar: WorkingCalendar | None = None
) -> ClockState:
    """Paused while waiting on the shop and while resolved (until a reopen)."""
    calendar = calendar or company_calendar()
    end = request.paused_at or now
    elapsed = calendar.business_seconds(request.created_at, end) - request.paused_seconds
    return ClockState(
        target_s=request.resolution_target_min * 60,
        elapsed_s=max(elapsed, 0),
        due_at=request.resolution_due_at,
        done_at=request.resolved_at if request.status in (Status.RESOLVED, Status.CLOSED) else None,
        paused=request.paused_at is not None,
    )


def resolution_due(request: ServiceRequest, calendar: WorkingCalendar | None = None) -> datetime:
    calendar = calendar or company_calendar()
    seconds = request.resolution_target_min * 60 + request.paused_seconds
    return calendar.add_business_seconds(request.created_at, seconds)


def pause(request: ServiceRequest, now: datetime) -> None:
    """Stop the resolution clock (fields only; the caller saves)."""
    if request.paused_at is None:
        request.paused_at = now
        request.resolution_due_at = None


def resume(request: ServiceRequest, now: datetime) -> None:
    """Restart the resolution clock; the paused business time moves the due time later."""
    if request.paused_at is not None:
        calendar = company_calendar()
        request.paused_seconds += calendar.business_seconds(request.paused_at, now)
        request.paused_at = None
        request.resolution_due_at = resolution_due(request, calendar)


def reaches(
    request: ServiceRequest,
    clock_name: str,
    elapsed_s: int,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """When a running clock of the request reaches ``elapsed_s`` (the inverse of
    ``response_clock`` / ``resolution_clock``; the resolution clock as its pauses stand)."""
    calendar = calendar or company_calendar()
    offset = request.paused_seconds if clock_name == "resolution" else 0
    return calendar.add_business_seconds(request.created_at, elapsed_s + offset)
