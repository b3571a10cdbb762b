"""Business-time arithmetic: working days made of several periods, counted in whole seconds.

Moments are placed on the local wall clock of the calendar's time zone (a day ordinal plus the
second of that day, sub-second parts truncated). Every count is then the difference of one
cumulative function, which makes business_seconds exactly additive and add_business_seconds its
exact inverse. Working days are counted through per-block prefix sums, so a span of any length
costs O(1) after the blocks it touches were computed once (a 6-month span: two dict look-ups).

is_workday must give the same answer for the lifetime of a calendar (its answers are cached);
build a new calendar when the local exceptions change.

Time zones with daylight saving: periods are wall-clock times, and a period that contains a
clock change is counted by the wall clock. Asia/Shanghai has no such change.
"""

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, tzinfo
from itertools import accumulate
from zoneinfo import ZoneInfo

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(17, 30)),
)
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_SECONDS = 86_400
MAX_DAYS_OFF = 3660  # a longer run of days off means a broken is_workday, not a long holiday
_BLOCK_DAYS = 512  # working-day prefix sums are kept per block of this many day ordinals
_LAST_ORDINAL = date.max.toordinal()


def monday_to_friday(day: date) -> bool:
    return day.weekday() < 5


def _seconds_of(value: time, *, is_end: bool) -> int:
    if not isinstance(value, time):
        raise ValueError(f"period bounds must be datetime.time, got {value!r}")
    if value.tzinfo is not None:
        raise ValueError(f"period bounds must be naive times (the calendar has the tz): {value}")
    if value.microsecond:
        raise ValueError(f"period bounds must be whole seconds: {value}")
    seconds = value.hour * 3600 + value.minute * 60 + value.second
    # time() cannot say 24:00, so an end of 00:00 means midnight at the end of the day.
    return DAY_SECONDS if is_end and seconds == 0 else seconds


def _parse_periods(periods: Sequence[tuple[time, time]]) -> tuple[tuple[int, int], ...]:
    try:
        pairs = [tuple(pair) for pair in periods]
    except TypeError:
        message = f"periods must be a sequence of (start, end) pairs, got {periods!r}"
        raise ValueError(message) from None
    if not pairs:
        raise ValueError("periods must hold at least one (start, end) pair")
    parsed = []
    for pair in pairs:
        if len(pair) != 2:
            raise ValueError(f"each period must be a (start, end) pair, got {pair!r}")
        start, end = _seconds_of(pair[0], is_end=False), _seconds_of(pair[1], is_end=True)
        if start >= end:
            raise ValueError(f"period {pair[0]}–{pair[1]} must start before it ends")
        if parsed and start < parsed[-1][1]:
            raise ValueError(
                f"periods must be sorted and must not overlap: {pair[0]}–{pair[1]} "
                "starts before the previous period ends"
            )
        parsed.append((start, end))
    return tuple(parsed)


class WorkingCalendar:
    """Working days (is_workday) × working periods of the day, on the wall clock of tz."""

    def __init__(
        self,
        periods: Sequence[tuple[time, time]] = DEFAULT_PERIODS,
        is_workday: Callable[[date], bool] | None = None,
        tz: tzinfo = SHANGHAI,
    ) -> None:
        if not isinstance(tz, tzinfo):
            raise ValueError(f"tz must be a tzinfo, got {tz!r}")
        bounds = _parse_periods(periods)
        self.periods: tuple[tuple[time, time], ...] = tuple(tuple(p) for p in periods)
        self.is_workday: Callable[[date], bool] = is_workday or monday_to_friday
        self.tz = tz
        self._starts = [start for start, _ in bounds]
        self._ends = [end for _, end in bounds]
        lengths = [end - start for start, end in bounds]
        self._cum_starts = [0, *accumulate(lengths)][:-1]  # business seconds before each period
        self._cum_ends = list(accumulate(lengths))  # ... and at its end
        self.seconds_per_day: int = self._cum_ends[-1]
        self._blocks: dict[int, list[int]] = {}

    def __repr__(self) -> str:
        spans = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.periods)
        return f"WorkingCalendar({spans}, tz={self.tz})"

    # --- Public API ---------------------------------------------------------------------------

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Business seconds in [start, end); 0 when end <= start."""
        start_day, start_second = self._position(start)
        end_day, end_second = self._position(end)
        if end <= start:
            return 0
        counted = (
            self.seconds_per_day * self._workdays_between(start_day, end_day)
            + self._elapsed_on(end_day, end_second)
            - self._elapsed_on(start_day, start_second)
        )
        return max(counted, 0)  # only negative across a daylight-saving fold

    def add_business_seconds(self, start: datetime, seconds: int | float) -> datetime:
        """The earliest moment m >= start with business_seconds(start, m) == seconds.

        For seconds > 0 it lies inside a period or at a period's end (never at the next period's
        start). Fractional seconds round up to the next whole second: a deadline is never early.
        """
        day, second = self._position(start)
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise ValueError(f"seconds must be a number, got {seconds!r}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
        remaining = math.ceil(round(seconds, 6))  # round() absorbs float noise like 3600.0000001
        if remaining == 0:
            return start.astimezone(self.tz)
        if self._is_workday_ordinal(day):
            target = self._elapsed(second) + remaining
            if target <= self.seconds_per_day:
                return self._moment(day, target)
            remaining = target - self.seconds_per_day
        days_needed = -(-remaining // self.seconds_per_day)
        target_day = self._nth_workday(day + 1, days_needed)
        return self._moment(target_day, remaining - (days_needed - 1) * self.seconds_per_day)

    def is_working_time(self, moment: datetime) -> bool:
        day, second = self._position(moment)
        if not self._is_workday_ordinal(day):
            return False
        index = bisect_right(self._starts, second) - 1
        return index >= 0 and second < self._ends[index]

    def next_working_moment(self, moment: datetime) -> datetime:
        """moment itself (in tz) when it is working time, else the next period start."""
        if self.is_working_time(moment):
            return moment.astimezone(self.tz)
        day, second = self._position(moment)
        if self._is_workday_ordinal(day):
            index = bisect_right(self._starts, second)
            if index < len(self._starts):
                return self._at(day, self._starts[index])
        return self._at(self._nth_workday(day + 1, 1), self._starts[0])

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in [start, end); 0 when end <= start."""
        return self._workdays_between(start.toordinal(), end.toordinal())

    # --- Positions on the local wall clock ----------------------------------------------------

    def _position(self, moment: datetime) -> tuple[int, int]:
        """(day ordinal, second of day) of moment on tz's wall clock, sub-seconds truncated."""
        if not isinstance(moment, datetime):
            raise ValueError(f"expected a datetime, got {moment!r}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment.isoformat()}: give it a time zone")
        local = moment.astimezone(self.tz)
        return local.toordinal(), local.hour * 3600 + local.minute * 60 + local.second

    def _at(self, day: int, second: int) -> datetime:
        if second == DAY_SECONDS:  # a period ending at midnight
            day, second = day + 1, 0
        hours, rest = divmod(second, 3600)
        return datetime.combine(
            date.fromordinal(day), time(hours, *divmod(rest, 60)), tzinfo=self.tz
        )

    def _elapsed(self, second: int) -> int:
        """Business seconds of a working day before `second` of that day."""
        index = bisect_right(self._starts, second) - 1
        if index < 0:
            return 0
        return self._cum_starts[index] + min(second, self._ends[index]) - self._starts[index]

    def _elapsed_on(self, day: int, second: int) -> int:
        return self._elapsed(second) if self._is_workday_ordinal(day) else 0

    def _moment(self, day: int, elapsed: int) -> datetime:
        """The earliest second of a working day at which `elapsed` (1..per day) has accrued."""
        index = bisect_left(self._cum_ends, elapsed)
        return self._at(day, self._ends[index] - (self._cum_ends[index] - elapsed))

    # --- Working days: prefix sums per block of day ordinals ------------------------------------

    def _block(self, number: int) -> list[int]:
        """prefix[i] = working days among the block's first i days."""
        prefix = self._blocks.get(number)
        if prefix is None:
            first = number * _BLOCK_DAYS
            flags = (
                1 if 1 <= o <= _LAST_ORDINAL and self.is_workday(date.fromordinal(o)) else 0
                for o in range(first, first + _BLOCK_DAYS)
            )
            prefix = self._blocks[number] = [0, *accumulate(flags)]
        return prefix

    def _is_workday_ordinal(self, day: int) -> bool:
        number, index = divmod(day, _BLOCK_DAYS)
        prefix = self._block(number)
        return prefix[index + 1] != prefix[index]

    def _workdays_between(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        first_block, first_index = divmod(start, _BLOCK_DAYS)
        last_block, last_index = divmod(end, _BLOCK_DAYS)
        if first_block == last_block:
            prefix = self._block(first_block)
            return prefix[last_index] - prefix[first_index]
        head = self._block(first_block)
        count = head[-1] - head[first_index] + self._block(last_block)[last_index]
        for number in range(first_block + 1, last_block):
            count += self._block(number)[-1]
        return count

    def _nth_workday(self, start: int, n: int) -> int:
        """Ordinal of the n-th working day (n >= 1) on or after ordinal `start`."""
        off_since = start  # first day of the current run of days off
        number, index = divmod(start, _BLOCK_DAYS)
        while True:
            if number * _BLOCK_DAYS > _LAST_ORDINAL:
                raise ValueError(f"no working day before {date.max}")
            prefix = self._block(number)
            base = prefix[index]
            available = prefix[-1] - base
            first_block_day = number * _BLOCK_DAYS
            if available:
                first_working = first_block_day + bisect_left(prefix, base + 1, index) - 1
                self._check_days_off(off_since, first_working)
                if available >= n:
                    return first_block_day + bisect_left(prefix, base + n, index) - 1
                n -= available
                # the day after the block's last working day
                off_since = first_block_day + bisect_left(prefix, prefix[-1])
            number, index = number + 1, 0
            self._check_days_off(off_since, number * _BLOCK_DAYS)

    @staticmethod
    def _check_days_off(off_since: int, until: int) -> None:
        if until - off_since > MAX_DAYS_OFF:
            raise ValueError(
                f"no working day within {MAX_DAYS_OFF} days after "
                f"{date.fromordinal(off_since)}: check the calendar's is_workday"
            )
