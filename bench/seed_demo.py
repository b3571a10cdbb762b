"""Benchmark: seed the default demo city on SQLite, reset it, then seed 50,000 shops.

The end date is fixed so the data, and so the timing, do not drift with the calendar. The anchor
is the same database inserting one million plain rows with ``executemany``: the floor any bulk
write on this machine pays.
"""

import datetime
import io
import time

DATABASE = "sqlite"
UNTIL = datetime.date(2026, 11, 23)
TARGETS = {"seed_demo_3000_s": (60, "<"), "seed_demo_50000_weeks0_s": (60, "<")}
ANCHORS = {
    "seed_demo_3000_s": "sqlite_executemany_1m_rows_s",
    "seed_demo_50000_weeks0_s": "sqlite_executemany_1m_rows_s",
}
NOTES = {
    "seed_demo_3000_s": "3,000 shops, 25 staff, 52 weeks of orders, 26 weeks of service requests",
    "seed_demo_3000_orders": "orders written by that run",
    "seed_demo_3000_order_lines": "order lines written by that run",
    "seed_demo_reset_3000_s": "`seed_demo --reset` deleting that city",
    "seed_demo_50000_weeks0_s": "50,000 shops and log-ins, no orders, no requests",
    "sqlite_executemany_1m_rows_s": "anchor: 1,000,000 three-column rows, one transaction",
}


def _seed(**options) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("seed_demo", until=UNTIL, stdout=io.StringIO(), **options)
    return time.perf_counter() - started


def _executemany_anchor(rows: int = 1_000_000) -> float:
    from django.db import connection, transaction

    data = [(i, i * 7 % 1000, "合肥市蜀山区黄山路128号") for i in range(rows)]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_anchor (a integer, b integer, c text)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_anchor (a, b, c) VALUES (%s, %s, %s)", data)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_anchor")
    return elapsed


def run() -> dict[str, float]:
    """Seconds to seed 3,000 shops with a year of orders, to reset, to seed 50,000 shops."""
    from commerce.models import Order, OrderLine
    from demo import city

    seed_3000 = _seed(shops=3000)
    orders, lines = Order.objects.count(), OrderLine.objects.count()
    print(f"  seed_demo 3,000 shops: {seed_3000:.1f} s ({orders:,} orders, {lines:,} lines)")
    started = time.perf_counter()
    city.reset()
    reset = time.perf_counter() - started
    print(f"  reset: {reset:.1f} s")
    seed_50000 = _seed(shops=50000, weeks=0, request_weeks=0)
    print(f"  seed_demo 50,000 shops, no orders, no requests: {seed_50000:.1f} s")
    anchor = _executemany_anchor()
    print(f"  anchor, 1,000,000 rows by executemany: {anchor:.1f} s")
    return {
        "seed_demo_3000_s": round(seed_3000, 2),
        "seed_demo_3000_orders": orders,
        "seed_demo_3000_order_lines": lines,
        "seed_demo_reset_3000_s": round(reset, 2),
        "seed_demo_50000_weeks0_s": round(seed_50000, 2),
        "sqlite_executemany_1m_rows_s": round(anchor, 2),
    }
