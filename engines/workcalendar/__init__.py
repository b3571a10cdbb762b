"""Business-hours engine: SLA clocks counted in working time (pure Python, no Django).

calendar = WorkingCalendar(is_workday=china_workdays({date(2025, 7, 22): False}))
due = calendar.add_business_seconds(received_at, 4 * 3600)
used = calendar.business_seconds(received_at, now)
"""

from engines.workcalendar.calendar import DEFAULT_PERIODS, WorkingCalendar, monday_to_friday
from engines.workcalendar.china import china_workdays

__all__ = ["DEFAULT_PERIODS", "WorkingCalendar", "china_workdays", "monday_to_friday"]
