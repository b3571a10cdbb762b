"""Benchmark: re-classify 50,000 shops on PostgreSQL under a new rule set that moves many.

Seeds the demo city with 50,000 shops (no orders), saves a draft whose thresholds are four grades
lower than the defaults, and times ``customers.services.rule_set_activate``: retire the old set,
read every shop, decide, update the movers, write their history. The anchor is one UPDATE that
rewrites every shop row, the floor of any full re-classification.
"""

import datetime
import io
import time

DATABASE = "postgresql"
UNTIL = datetime.date(2026, 11, 23)
SHOPS = 50_000
TARGETS = {"segment_recompute_50000_s": (5, "<")}
ANCHORS = {"segment_recompute_50000_s": "shop_update_all_50000_s"}
NOTES = {
    "segment_recompute_50000_s": "activate a rule set four grades lower (PostgreSQL)",
    "segment_recompute_50000_moved": "shops whose class changed",
    "seed_demo_50000_pg_s": "seed_demo --shops 50000 with no history (no orders, requests, chats "
    "or field work) on PostgreSQL",
    "shop_update_all_50000_s": "anchor: one UPDATE of all 50,000 shop rows",
}
# The documented defaults (customers/migrations/0002) with every grade threshold four lower:
# about 14,000 of the 50,000 shops change class.
SHIFTED_RULES = [
    {"segment": "core", "grade_min": 20, "star_min": 4},
    {"segment": "key", "grade_min": 14, "star_min": 3},
    {"segment": "potential", "grade_max": 13, "star_min": 4},
    {"segment": "potential", "grade_min": 8, "grade_max": 13, "star_min": 3, "star_max": 3},
]


def run() -> dict[str, float]:
    """Seconds to activate a rule set over 50,000 shops, and how many shops moved."""
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import F

    from accounts.models import User
    from customers import services
    from customers.models import Shop

    started = time.perf_counter()
    # The city only: every history (orders, requests, chats, field work) off.
    call_command(
        "seed_demo",
        shops=SHOPS,
        weeks=0,
        request_weeks=0,
        chat_weeks=0,
        visit_weeks=0,
        until=UNTIL,
        stdout=io.StringIO(),
    )
    seeded = time.perf_counter() - started
    print(f"  seed_demo {SHOPS:,} shops: {seeded:.1f} s")

    started = time.perf_counter()
    with transaction.atomic():
        Shop.objects.update(segment=F("segment"))
    anchor = time.perf_counter() - started
    print(f"  anchor, one UPDATE of every shop: {anchor:.2f} s")

    admin = User.objects.get(username="admin")
    draft = services.rule_set_create(actor=admin, rules=SHIFTED_RULES, note="benchmark")
    started = time.perf_counter()
    result = services.rule_set_activate(actor=None, rule_set_id=draft.pk)
    elapsed = time.perf_counter() - started
    print(f"  rule_set_activate: {elapsed:.2f} s, {result.shops_moved:,} shops moved")
    return {
        "segment_recompute_50000_s": round(elapsed, 3),
        "segment_recompute_50000_moved": result.shops_moved,
        "seed_demo_50000_pg_s": round(seeded, 2),
        "shop_update_all_50000_s": round(anchor, 3),
    }
