"""Business-hours engine: cost of one SLA deadline and one elapsed-time count.

    python -m bench.run --only workcalendar
    python -m engines.workcalendar.bench      # alone (not as a script path: calendar.py would
                                              # shadow the standard library's calendar module)

100,000 random starts in 2024–2026 (Shanghai, some given in UTC), each with a span of 0–30 days,
on the China calendar with two local overrides. Both calls see the same spans: the deadline
call is asked for exactly the business seconds the count found.
"""

import random
import time
from datetime import UTC, date, datetime, timedelta

from engines.workcalendar import WorkingCalendar, china_workdays
from engines.workcalendar.calendar import SHANGHAI

NAME = "workcalendar"
DATABASE = "none"
CALLS = 100_000
SEED = 20250928
TARGETS = {"workcalendar_add_us": (50, "<"), "workcalendar_span_us": (50, "<")}
NOTES = {
    "workcalendar_add_us": "µs per add_business_seconds (0–30-day spans, China calendar)",
    "workcalendar_span_us": "µs per business_seconds (0–30-day spans, China calendar)",
}


def _spans(rng: random.Random) -> list[tuple[datetime, datetime]]:
    first = datetime(2024, 1, 1, tzinfo=SHANGHAI)
    three_years = int(timedelta(days=3 * 365).total_seconds())
    spans = []
    for _ in range(CALLS):
        start = first + timedelta(seconds=rng.randrange(three_years))
        if rng.random() < 0.2:
            start = start.astimezone(UTC)
        spans.append((start, start + timedelta(seconds=rng.randrange(30 * 86_400 + 1))))
    return spans


def run() -> dict[str, float]:
    calendar = WorkingCalendar(
        is_workday=china_workdays({date(2025, 7, 22): False, date(2025, 7, 26): True})
    )
    spans = _spans(random.Random(SEED))
    print(f"  {CALLS:,} spans of 0–30 days, {calendar}")

    count = calendar.business_seconds
    started = time.perf_counter()
    counted = [count(start, end) for start, end in spans]
    span_us = (time.perf_counter() - started) / CALLS * 1e6

    add = calendar.add_business_seconds
    starts = [start for start, _ in spans]
    started = time.perf_counter()
    deadlines = [add(start, seconds) for start, seconds in zip(starts, counted, strict=True)]
    add_us = (time.perf_counter() - started) / CALLS * 1e6

    # Outside the timing: every deadline must give back the seconds it was asked for.
    wrong = sum(
        count(start, due) != seconds
        for start, due, seconds in zip(starts, deadlines, counted, strict=True)
    )
    if wrong:
        raise AssertionError(f"{wrong} deadlines do not round-trip")
    print(f"  business_seconds {span_us:.2f} µs, add_business_seconds {add_us:.2f} µs")
    return {"workcalendar_add_us": add_us, "workcalendar_span_us": span_us}


if __name__ == "__main__":
    run()
