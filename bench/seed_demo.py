"""Benchmark: seed the demo city as ``make run`` does, stage by stage, then reset it, then seed
50,000 shops.

``seed_demo --if-empty`` with no size options is what ``make run`` runs on its empty SQLite
database: 3,000 shops, 52 weeks of orders, 26 of service requests, 12 of self-service chats, the
field roster with 4 weeks of visits, and the demo week's routes optimised and published. The
command prints the seconds each stage took (its "Time per stage" line); each becomes a metric.
The route optimisation stops after a fixed number of iterations (``--plan-iterations``), so its
routes, and the travel time reported, are the same on every run whatever the load.

The end date is fixed so the data, and so the timing, do not drift with the calendar. The anchor
is the same database inserting one million plain rows with ``executemany``: the floor any bulk
write on this machine pays.
"""

import datetime
import io
import re
import time

DATABASE = "sqlite"
UNTIL = datetime.date(2026, 11, 23)
STAGES = ("city", "orders", "requests", "chat", "field", "plan")
TARGETS = {"seed_demo_3000_s": (60, "<"), "seed_demo_50000_weeks0_s": (60, "<")}
ANCHORS = {
    "seed_demo_3000_s": "sqlite_executemany_1m_rows_s",
    "seed_demo_50000_weeks0_s": "sqlite_executemany_1m_rows_s",
}
NOTES = {
    "seed_demo_3000_s": "`seed_demo --if-empty` as `make run` runs it: 3,000 shops, 25 staff, "
    "52 weeks of orders, 26 of service requests, 12 of chats, field work, an optimised week",
    "seed_demo_stage_city_s": "stage: territory, staff, shops with log-ins, classification",
    "seed_demo_stage_orders_s": "stage: 52 weeks of orders, lines, deliveries, payments",
    "seed_demo_stage_requests_s": "stage: 26 weeks of service requests with events, SLA, support",
    "seed_demo_stage_chat_s": "stage: 12 weeks of self-service Q&A conversations",
    "seed_demo_stage_field_s": "stage: field profiles, set days, past visits, routine visits, "
    "bookings",
    "seed_demo_stage_plan_s": "stage: the demo week's route optimisation (stops on iterations) "
    "and publishing",
    "seed_demo_plan_iterations": "search iterations of that optimisation (the default)",
    "seed_demo_plan_placed": "jobs placed in the optimised week",
    "seed_demo_plan_travel_s": "travel seconds of the demo week's routes: the same every run",
    "seed_demo_3000_orders": "orders written by that run",
    "seed_demo_3000_order_lines": "order lines written by that run",
    "seed_demo_reset_3000_s": "`seed_demo --reset` deleting that city",
    "seed_demo_50000_weeks0_s": "50,000 shops and log-ins; no orders, requests, chats, field work",
    "sqlite_executemany_1m_rows_s": "anchor: 1,000,000 three-column rows, one transaction",
}
_STAGE_TIMES = re.compile(r"^Time per stage: (.*)$", re.MULTILINE)


def _seed(*args: str, **options) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("seed_demo", *args, until=UNTIL, stdout=out, **options)
    return time.perf_counter() - started, out.getvalue()


def _stages(output: str) -> dict[str, float]:
    """The command's own "Time per stage: city 0.61 s, orders 9.40 s, …" line."""
    found = _STAGE_TIMES.search(output)
    if not found:
        raise RuntimeError(f"seed_demo printed no stage times:\n{output[-2000:]}")
    stages = {}
    for part in found.group(1).split(", "):
        name, seconds, _unit = part.rsplit(" ", 2)
        stages[name] = float(seconds)
    missing = set(STAGES) - set(stages)
    if missing:
        raise RuntimeError(f"seed_demo printed no time for {sorted(missing)}: {found.group(0)}")
    return stages


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
    """Seconds to seed the default demo city (and per stage), to reset it, to seed 50,000 shops."""
    from commerce.models import Order, OrderLine
    from demo import city
    from demo import dispatch as field_work
    from dispatch.models import Plan

    seed_3000, output = _seed("--if-empty")
    stages = _stages(output)
    orders, lines = Order.objects.count(), OrderLine.objects.count()
    plan = Plan.objects.get(state=Plan.State.PUBLISHED)
    print(f"  seed_demo (make run): {seed_3000:.1f} s ({orders:,} orders, {lines:,} lines)")
    print("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items()))
    print(
        f"  demo week: {plan.stats['placed']:,} jobs placed, {plan.stats['travel_s']:,} s of "
        f"travel, {plan.stats.get('max_iterations')} iterations in {plan.stats['runtime_s']} s"
    )
    started = time.perf_counter()
    city.reset()
    reset = time.perf_counter() - started
    print(f"  reset: {reset:.1f} s")
    seed_50000, _ = _seed(shops=50000, weeks=0, request_weeks=0, chat_weeks=0, visit_weeks=0)
    print(f"  seed_demo 50,000 shops, no orders, requests, chats or field work: {seed_50000:.1f} s")
    anchor = _executemany_anchor()
    print(f"  anchor, 1,000,000 rows by executemany: {anchor:.1f} s")
    return {
        "seed_demo_3000_s": round(seed_3000, 2),
        **{f"seed_demo_stage_{name}_s": round(stages[name], 2) for name in STAGES},
        "seed_demo_plan_iterations": field_work.DEFAULT_PLAN_ITERATIONS,
        "seed_demo_plan_placed": plan.stats["placed"],
        "seed_demo_plan_travel_s": plan.stats["travel_s"],
        "seed_demo_3000_orders": orders,
        "seed_demo_3000_order_lines": lines,
        "seed_demo_reset_3000_s": round(reset, 2),
        "seed_demo_50000_weeks0_s": round(seed_50000, 2),
        "sqlite_executemany_1m_rows_s": round(anchor, 2),
    }
