"""Benchmark: SMS delivery reports arriving on the receipt webhook, as Aliyun posts them.

flexserve runs as in production: gunicorn with 2 sync workers on loopback (bench/_live.py),
production mode, PostgreSQL (the fresh database bench.run gives), Redis, DEBUG off, a webhook
secret (OUTREACH_WEBHOOK_SECRET). Seeded with COPY: 20,000 shops and, of one marketing message,
20,000 SMS deliveries in status sent with Aliyun BizIds (waiting for their report, as after a
send) beside the message's 20,000 in-app copies.

The load comes from a separate process (bench/outreach_support/receipts_loadgen.py, built on
bench/intake_support/loadgen.py): 8 clients, each posting as soon as its last post was answered,
2 s warm-up then 15 s measured. Each post is one signed Aliyun SmsReport (a JSON list of one
report, ``X-Flexserve-Signature: sha256=<hex HMAC-SHA256 of the body>``) to
/o/hooks/aliyun-sms-report/: 90 % a delivery's first report, 10 % a report already acknowledged
sent again byte for byte (a provider calling back twice). The anchor, in the same run and
against the same server: the same load on GET /healthz (one database query, one broker ping).

Checked afterwards: every report acknowledged once moved its delivery to delivered, with the
report's time (whole seconds, after the send), and left exactly one receipt; the repeats added
no receipt and changed nothing; no delivery without a report moved.
"""

import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import _live as live
from bench.outreach_support import cpu

DATABASE = "postgresql"
DELIVERIES = 20_000
WARMUP_S, DURATION_S = 2, 15
REPEAT_SHARE = 0.10
TARGETS = {"receipts_p99_ms": (100, "<")}
ANCHORS = {"receipts_rps": "receipts_healthz_rps"}
NOTES = {
    "receipts_rps": "signed Aliyun SMS delivery reports acknowledged per second: POST "
    "/o/hooks/aliyun-sms-report/, one report each, 90 % new, 10 % repeats; gunicorn 2 sync "
    "workers, PostgreSQL, 8 clients on loopback",
    "receipts_p50_ms": "median latency of those posts",
    "receipts_p99_ms": "99th percentile latency of those posts",
    "receipts_applied": "distinct reports acknowledged (each moved its delivery to delivered once)",
    "receipts_repeats": "repeated reports acknowledged (each changed nothing)",
    "receipts_healthz_rps": "anchor: GET /healthz per second, same server and load",
    "receipts_healthz_p99_ms": "99th percentile latency of those requests",
}

ROOT = Path(__file__).resolve().parent.parent
FIRST_SHOP, FIRST_USER = 1_000, 1_000


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


def _biz_id(n: int) -> str:
    """An Aliyun BizId: digits, a caret, digits."""
    return f"{700000000 + n * 37}^{n % 97}"


def _seed() -> list[list]:
    """Shops, a message and its deliveries; [delivery id, BizId, phone] of the SMS ones."""
    from django.db import connection
    from django.utils import timezone

    from bench.outreach_support import seed
    from demo import sql
    from outreach.models import Delivery, Message, Template

    started = time.perf_counter()
    grid = seed.territory()
    actor = seed.staff()
    shops = seed.draw_shops(
        DELIVERIES, first_shop_id=FIRST_SHOP, first_user_id=FIRST_USER, seed="outreach-receipts"
    )
    for shop in shops:
        shop.phone = shop.phone or f"139{shop.id:08d}"
    seed.write_shops(shops, grid)
    template = Template.objects.create(
        name="基准新品推送", topic="marketing", subject="{店名}：本周新品",
        body="{负责人}您好，本周新品到店。", sms_template_code="SMS_BENCH_001",
        sms_params=["负责人"], created_by=actor,
    )  # fmt: skip
    now = timezone.now()
    sent_at = now - datetime.timedelta(minutes=2)
    message = Message.objects.create(
        template=template, topic="marketing", scheduled_for=sent_at, state=Message.State.OUT,
        audience_size=len(shops),
    )  # fmt: skip
    first = sql.next_id(Delivery)
    waiting = sent_at + datetime.timedelta(minutes=30)  # the receipt time-out
    fields = ("id", "message_id", "shop_id", "channel", "status", "reason", "address",
              "provider_id", "error", "attempts", "created_at", "sent_at", "delivered_at",
              "not_before")  # fmt: skip
    rows, items = [], []
    for n, shop in enumerate(shops):
        sms_id, app_id = first + 2 * n, first + 2 * n + 1
        rows.append((sms_id, message.pk, shop.id, "sms", "sent", "", shop.phone, _biz_id(n), "",
                     1, sent_at, sent_at, None, waiting))  # fmt: skip
        rows.append((app_id, message.pk, shop.id, "in_app", "delivered", "", str(shop.owner_id),
                     "", "", 1, sent_at, sent_at, sent_at, None))  # fmt: skip
        items.append([sms_id, _biz_id(n), shop.phone])
    sql.insert(Delivery, fields, rows)
    sql.reset_sequences([Delivery])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _say(f"seeded {len(shops):,} shops, {len(rows):,} deliveries ({len(items):,} SMS waiting for "
         f"a report) in {time.perf_counter() - started:.1f} s")  # fmt: skip
    return items


# --- Load ---------------------------------------------------------------------------------------


def _load(config: dict, tmp: Path, groups: dict[str, int]) -> dict:
    """One run of the load generator, and the cores each party used meanwhile."""
    config = {"host": "127.0.0.1", "clients": live.CLIENTS, "timeout_s": 10} | config
    config_path = tmp / f"load-{config['label']}.json"
    result_path = tmp / f"load-{config['label']}-result.json"
    config_path.write_text(json.dumps(config))
    before, started = cpu.sample(), time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.outreach_support.receipts_loadgen", str(config_path),
         str(result_path)],
        cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        if process.wait(timeout=120) != 0:
            raise RuntimeError(f"the load generator failed (exit code {process.returncode})")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    used = cpu.seconds(before, cpu.sample(), groups)
    result = json.loads(result_path.read_text())
    # The generator has ended (its /proc entry with it): its own account of its CPU.
    used["load generator"] = result["cpu_share"] * result["wall_s"]
    used["other processes"] = max(0.0, used["other processes"] - used["load generator"])
    _say(cpu.report(used, time.monotonic() - started, f"the {config['label']} run"))
    return result


# --- Checks -------------------------------------------------------------------------------------


def _post(port: int, body: bytes, secret: str) -> tuple[int, bytes]:
    from bench.outreach_support.receipts_loadgen import HOOK_PATH, sign

    headers = {"Content-Type": "application/json", "X-Flexserve-Signature": sign(secret, body)}
    status, _, answer = live.http(port, "POST", HOOK_PATH, headers, body)
    return status, answer


def _check_contract(port: int, secret: str, item: list) -> None:
    """One report, its repeat and a forged one: what the load relies on."""
    from bench.outreach_support.receipts_loadgen import report_body
    from outreach.models import Delivery, Receipt

    delivery_id, biz_id, phone = item
    body = report_body(delivery_id, biz_id, phone)
    status, answer = _post(port, body, "not-the-secret")
    if status < 400 or Receipt.objects.exists():
        raise RuntimeError(f"a forged signature answered HTTP {status} {answer[:200]!r}")
    for attempt in ("first", "repeat"):
        status, answer = _post(port, body, secret)
        if status != 200 or b'"code":0' not in answer.replace(b" ", b""):
            raise RuntimeError(f"{attempt} report: HTTP {status} {answer[:300]!r}")
    row = Delivery.objects.get(pk=delivery_id)
    receipts = Receipt.objects.filter(delivery_id=delivery_id).count()
    if row.status != "delivered" or receipts != 1:
        raise RuntimeError(f"after a report and its repeat: {row.status}, {receipts} receipts")


def _verify(applied: set[int], unsure: set[int], items: list) -> None:
    """Each acknowledged report applied once, with its time; the repeats and the rest no-ops."""
    from django.db.models import Count
    from django.db.models.functions import Now

    from outreach.models import Delivery, Receipt

    sms = Delivery.objects.filter(pk__in=[i[0] for i in items])
    delivered = set(sms.filter(status="delivered").values_list("pk", flat=True))
    missing = applied - delivered
    stray = delivered - applied - unsure
    receipts = dict(
        Receipt.objects.filter(provider="aliyun-sms")
        .values_list("delivery_id")
        .annotate(n=Count("pk"))
        .values_list("delivery_id", "n")
    )
    twice = {d for d, n in receipts.items() if n > 1}
    without = applied - set(receipts)
    unmatched = Receipt.objects.filter(provider="aliyun-sms", delivery__isnull=True).count()
    # The report's time (whole seconds, Beijing time), not the moment it was applied.
    untimed = sum(
        at is None or at.microsecond != 0 or not (sent < at <= now)
        for at, sent, now in sms.filter(status="delivered").values_list(
            "delivered_at", "sent_at", Now()
        )
    )
    problems = {
        "acknowledged but not delivered": len(missing),
        "delivered without an acknowledged report": len(stray),
        "deliveries with more than one receipt": len(twice),
        "acknowledged without a receipt": len(without),
        "receipts matched to no delivery": unmatched,
        "delivered without the report's time": untimed,
    }
    _say(f"checked: {len(applied):,} reports applied, {len(delivered):,} deliveries delivered, "
         f"{sum(receipts.values()):,} receipts; "
         + ", ".join(f"{k} {v}" for k, v in problems.items()))  # fmt: skip
    if any(problems.values()):
        raise RuntimeError(f"receipts not applied exactly once: {problems}")


def run() -> dict[str, float]:
    items = _seed()
    secret = live.secret(40)
    env = live.flexserve_env() | {"OUTREACH_WEBHOOK_SECRET": secret}
    port = live.free_port()
    with tempfile.TemporaryDirectory() as tmp, live.services() as started:
        tmp = Path(tmp)
        gunicorn = live.flexserve_web(env, port, tmp)
        started.append(gunicorn)
        live.wait_ready(gunicorn, port, "/healthz")
        contract, items = items[0], items[1:]
        _check_contract(port, secret, contract)
        _say(f"flexserve on :{port}: a report, its repeat and a forged one answered as expected")
        groups = {"gunicorn": gunicorn.process.pid}
        common = {"port": port, "warmup_s": WARMUP_S, "duration_s": DURATION_S}
        receipts = _load(
            common | {"label": "receipts", "kind": "receipts", "items": items,
                      "secret": secret, "repeat_share": REPEAT_SHARE},
            tmp, groups,
        )  # fmt: skip
        summary = live.summary(receipts)
        if receipts["exhausted"]:
            raise RuntimeError("a client ran out of fresh reports: seed more deliveries")
        healthz = _load(common | {"label": "healthz", "kind": "healthz"}, tmp, groups)
        anchor = live.summary(healthz)
    applied = set(receipts["new_acked"]) | {contract[0]}
    _verify(applied, set(receipts["new_unsure"]), [contract, *items])
    ratio = summary["rps"] / anchor["rps"]
    _say(f"receipts: {summary['rps']:.0f}/s, {ratio:.2f}× /healthz ({anchor['rps']:.0f}/s)")
    return {
        "receipts_rps": round(summary["rps"], 1),
        "receipts_p50_ms": round(summary["p50_ms"], 1),
        "receipts_p99_ms": round(summary["p99_ms"], 1),
        "receipts_applied": len(receipts["new_acked"]),
        "receipts_repeats": receipts["repeats_acked"],
        "receipts_healthz_rps": round(anchor["rps"], 1),
        "receipts_healthz_p99_ms": round(anchor["p99_ms"], 1),
    }
