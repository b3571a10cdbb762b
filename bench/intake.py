"""Benchmark: service-request intake over HTTP, beside django-helpdesk, and a crash test.

Both systems run as in production: gunicorn with 2 sync workers on loopback, PostgreSQL (the
fresh database ``bench.run`` gives, and a database of its own for helpdesk on the same server),
DEBUG off. flexserve runs in its production mode with Redis (cache, throttling) and a Celery
worker consuming the outbox, seeded with ``seed_demo --shops 300 --weeks 2``; requests come
through ``POST /api/service/requests`` with an Idempotency-Key, each client a shop owner
submitting for its own shop with its own bearer token (the owner's scope and the per-shop intake
limit run; the limits are raised out of the way). django-helpdesk 2.6.1 (its own virtual
environment, var/bench/helpdesk-venv, made on first use) takes tickets through its public form
(bench/intake_support/helpdesk_site); its e-mail goes to Django's in-memory backend.

Two comparisons. *As each ships*: flexserve acknowledges once the request and its outbox rows
are committed and delivers notifications afterwards; helpdesk's queue is as created, so it sends
the submitter's acknowledgement e-mail inside the request. *Equal work*: flexserve's measured
time runs until the Celery worker has delivered every notification the measured submissions
created (the assignee's in-app notification of each routed request); helpdesk's queue also
mails staff about each new ticket (new-ticket CC), so it sends the acknowledgement and the staff
notification inside the request. What still differs: helpdesk renders two templated e-mails
(text and HTML) per ticket, flexserve writes one notification row; helpdesk's e-mails are counted
from the recipients each ticket's first follow-up records.

The load comes from a separate process (bench/intake_support/loadgen.py): 8 clients, each
submitting as soon as its last submission was answered, 2 s warm-up then 15 s measured, the same
for both systems. Its own CPU share is printed: it answers ~3,700 requests/s against a null
server with a new connection each time, far above what either system reaches here.

Crash test: while 8 clients submit to flexserve for 10 s, a gunicorn worker (never the master)
is killed with SIGKILL 5 times, 1.5 s apart. Clients send a failed submission again (same key,
same body) until it is acknowledged. Afterwards the database is counted by the key each
description carries: acknowledged but missing is lost, stored twice is a duplicate.
"""

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench import _live as live

DATABASE = "postgresql"
TARGETS = {
    "crash_lost": (0, "<="),
    "crash_duplicates": (0, "<="),
    "intake_p99_ms": (100, "<"),
    "intake_vs_helpdesk": (2, ">="),
}
ANCHORS = {
    "intake_rps": "helpdesk_rps",
    "intake_p99_ms": "helpdesk_p99_ms",
    "intake_equal_work_rps": "helpdesk_equal_work_rps",
}
NOTES = {
    "intake_rps": "service requests created per second: POST /api/service/requests, "
    "gunicorn 2 sync workers, PostgreSQL, 8 clients on loopback, each a shop owner",
    "intake_p50_ms": "median latency of those requests",
    "intake_p99_ms": "99th percentile latency of those requests",
    "helpdesk_rps": "django-helpdesk 2.6.1 tickets per second through its public form, "
    "same server settings and load",
    "helpdesk_p50_ms": "median latency of those requests",
    "helpdesk_p99_ms": "99th percentile latency of those requests",
    "intake_vs_helpdesk": "intake_rps / helpdesk_rps, as each ships: flexserve delivers its "
    "notifications after the answer, helpdesk sends the submitter's e-mail inside the request",
    "intake_equal_work_rps": "intake_rps with the measured time running until the worker has "
    "delivered every notification (the assignee's, in-app) those submissions created",
    "intake_notifications": "notifications the measured submissions created, all delivered",
    "helpdesk_equal_work_rps": "helpdesk_rps with its queue also mailing staff about each new "
    "ticket (acknowledgement + staff e-mail per ticket, into Django's in-memory backend)",
    "helpdesk_emails_per_ticket": "e-mails helpdesk sent per ticket in the equal-work run",
    "helpdesk_shipped_emails_per_ticket": "e-mails helpdesk sent per ticket as shipped",
    "intake_vs_helpdesk_equal_work": "intake_equal_work_rps / helpdesk_equal_work_rps",
    "crash_acknowledged": "submissions acknowledged while a worker was SIGKILLed 5 times",
    "crash_lost": "acknowledged but not stored",
    "crash_duplicates": "stored more than once (key found in two rows)",
    "loadgen_cpu_share": "the load generator's CPU, in cores (the machine has 2)",
}

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = ROOT / "bench" / "intake_support"
HELPDESK_VENV = ROOT / "var" / "bench" / "helpdesk-venv"
HELPDESK_VERSION = "2.6.1"
HELPDESK_PACKAGES = [f"django-helpdesk=={HELPDESK_VERSION}", "gunicorn", "psycopg[binary]"]

SHOPS, WEEKS = 300, 2
WARMUP_S, DURATION_S = 2, 15
CRASH_DURATION_S, CRASH_KILLS, CRASH_FIRST_KILL_S, CRASH_KILL_EVERY_S = 10, 5, 2.0, 1.5
REQUEST_TYPES = 5
STAFF_CC = "service-team@example.com"  # helpdesk's new-ticket CC in the equal-work run


# --- Processes ----------------------------------------------------------------------------------


# --- flexserve ----------------------------------------------------------------------------------


def _seed_flexserve() -> list[list]:
    """Seed the demo city; return [shop id, bearer token] of one shop owner per client."""
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("seed_demo", shops=SHOPS, weeks=WEEKS, stdout=io.StringIO())
    owners = live.shop_owner_tokens(live.CLIENTS)
    connections.close_all()
    print(f"  seeded {SHOPS} shops, {WEEKS} weeks in {time.perf_counter() - started:.1f} s")
    return owners


def _check_contract(port: int, token: str, shop_id: int, request_type: str) -> None:
    """One submission, its retry and a conflicting retry: what the crash test relies on."""
    key = str(uuid.uuid4())
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    payload = {
        "shop_id": shop_id,
        "request_type": request_type,
        "channel": "api",
        "title": "bench contract check",
        "description": f"bench contract key={key}",
    }
    body = json.dumps(payload).encode()
    first = live.http(port, "POST", "/api/service/requests", headers, body)
    if first[0] != 201:
        hint = " (a bearer-token POST must not need a CSRF token)" if first[0] == 403 else ""
        raise RuntimeError(f"POST /api/service/requests: HTTP {first[0]}{hint} {first[2][:300]!r}")
    again = live.http(port, "POST", "/api/service/requests", headers, body)
    if again[0] != 201 or json.loads(again[2]) != json.loads(first[2]):
        raise RuntimeError(f"a retry with the same key answered HTTP {again[0]} {again[2][:300]!r}")
    if again[1].get("Idempotent-Replayed", "").lower() != "true":
        print("  note: the replayed answer has no 'Idempotent-Replayed: true' header")
    other = json.dumps(payload | {"title": "bench contract check, changed"}).encode()
    conflict = live.http(port, "POST", "/api/service/requests", headers, other)
    if conflict[0] != 409:
        raise RuntimeError(f"same key, other body: HTTP {conflict[0]} instead of 409")


def _crash_run(gunicorn: live.Service, config: dict, tmp: Path) -> tuple[dict, int]:
    process, result_path = live.start_load(config, tmp)
    started, kills = time.monotonic(), 0
    try:
        for n in range(CRASH_KILLS):
            time.sleep(
                max(0.0, started + CRASH_FIRST_KILL_S + n * CRASH_KILL_EVERY_S - time.monotonic())
            )
            deadline = time.monotonic() + 5
            while not (workers := gunicorn.children()) and time.monotonic() < deadline:
                time.sleep(0.05)  # both workers are being replaced
            if not workers:
                continue
            victim = workers[0]  # the oldest: serving, not still booting
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
                kills += 1
                print(f"    SIGKILL gunicorn worker {victim} at {time.monotonic() - started:.1f} s")
    finally:
        result = live.finish_load(process, result_path)
    return result, kills


def _count_crash(result: dict) -> dict[str, float]:
    counts = live.count_stored("crash", result["acknowledged"])
    print(
        f"  crash: {counts['acknowledged']} acknowledged, {counts['stored']} rows stored, "
        f"{counts['lost']} lost, {counts['duplicates']} duplicated; {result['attempts']} "
        f"attempts, {result['replays']} replayed answers, errors {result['errors']}, "
        f"{len(result['gave_up'])} given up, {counts['unacknowledged']} stored but never "
        "acknowledged"
    )
    return {
        "crash_acknowledged": counts["acknowledged"],
        "crash_lost": counts["lost"],
        "crash_duplicates": counts["duplicates"],
    }


def _equal_work(result: dict) -> dict[str, float]:
    """The measured window stretched until the notifications of its submissions were delivered."""
    from django.db.models import Max

    from servicedesk.models import OutboxMessage

    start = result["started_at"] + WARMUP_S
    end = start + DURATION_S
    measured = [
        k for k, t in zip(result["acknowledged"], result["ack_at"], strict=True) if start <= t < end
    ]
    owed = live.outbox_messages("intake", measured)
    deadline = time.monotonic() + 60
    while live.undelivered(owed) and time.monotonic() < deadline:
        time.sleep(0.1)
    if live.undelivered(owed):
        raise RuntimeError(f"{live.undelivered(owed)} notifications still undelivered after 60 s")
    last = OutboxMessage.objects.filter(pk__in=owed).aggregate(last=Max("sent_at"))["last"]
    # sent_at is wall-clock time; the window is on the monotonic clock of this machine.
    last_sent = last.timestamp() - (time.time() - time.monotonic()) if last else end
    tail = max(0.0, last_sent - end)
    print(
        f"  equal work: {len(owed)} notifications of {len(measured)} measured submissions, "
        f"the last delivered {tail:.2f} s after the window"
    )
    return {
        "intake_equal_work_rps": round(len(measured) / (DURATION_S + tail), 1),
        "intake_notifications": len(owed),
    }


def _flexserve(services: list[live.Service], tmp: Path) -> dict[str, float]:
    owners = _seed_flexserve()
    env, port = live.flexserve_env(), live.free_port()
    celery = live.celery_worker(env, tmp)
    services.append(celery)
    gunicorn = live.flexserve_web(env, port, tmp)
    services.append(gunicorn)
    live.wait_ready(gunicorn, port, "/healthz")
    types = live.request_types(port, owners[0][1], REQUEST_TYPES)
    _check_contract(port, owners[0][1], owners[0][0], types[0])
    print(f"  flexserve on :{port}: {len(owners)} shop owners, request types {', '.join(types)}")

    common = {"kind": "intake", "port": port, "owners": owners, "request_types": types}
    measured = {"warmup_s": WARMUP_S, "duration_s": DURATION_S, "retry": False}
    groups = {"gunicorn": gunicorn.process.pid, "celery": celery.process.pid}
    intake = live.measured_load(common | measured | {"label": "intake"}, tmp, groups)
    summary = live.summary(intake)
    equal = _equal_work(intake)

    crash_config = {"label": "crash", "warmup_s": 0, "duration_s": CRASH_DURATION_S, "retry": True}
    crash, kills = _crash_run(gunicorn, common | crash_config, tmp)
    gunicorn.stop()
    celery.stop()
    if kills < CRASH_KILLS:
        raise RuntimeError(f"only {kills} of {CRASH_KILLS} workers could be killed")
    return {
        "intake_rps": round(summary["rps"], 1),
        "intake_p50_ms": round(summary["p50_ms"], 1),
        "intake_p99_ms": round(summary["p99_ms"], 1),
        **equal,
        **_count_crash(crash),
        "loadgen_cpu_share": round(max(intake["cpu_share"], crash["cpu_share"]), 2),
    }


# --- django-helpdesk ----------------------------------------------------------------------------


def _python311() -> str:
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if not found:
        raise RuntimeError("python3.11 is needed for the django-helpdesk virtual environment")
    return found


def _helpdesk_venv() -> Path:
    """var/bench/helpdesk-venv with django-helpdesk 2.6.1, made (or repaired) when needed."""
    python = HELPDESK_VENV / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('django-helpdesk'))"
    if python.exists() and (HELPDESK_VENV / "bin" / "gunicorn").exists():
        version = subprocess.run([python, "-c", probe], capture_output=True, text=True)
        if version.returncode == 0 and version.stdout.strip() == HELPDESK_VERSION:
            return HELPDESK_VENV / "bin"
    print(f"  making {HELPDESK_VENV.relative_to(ROOT)} (django-helpdesk {HELPDESK_VERSION}) …")
    HELPDESK_VENV.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_python311(), "-m", "venv", HELPDESK_VENV], check=True)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *HELPDESK_PACKAGES], check=True, timeout=600)
    return HELPDESK_VENV / "bin"


@contextlib.contextmanager
def _helpdesk_database() -> Iterator[str]:
    """A database of its own on the same server, recreated each run and dropped afterwards."""
    import psycopg
    from psycopg import sql

    url = os.environ["DATABASE_URL"]
    name = f"{urlsplit(url).path.lstrip('/')}_helpdesk"[:63]
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(drop)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        finally:
            admin.execute(drop)


def _helpdesk_counts(url: str) -> tuple[int, int]:
    """(tickets, e-mails sent): each ticket's first follow-up records whom it mailed."""
    import psycopg

    with psycopg.connect(url) as connection:
        tickets = connection.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]
        emails = connection.execute(
            "SELECT coalesce(sum(jsonb_array_length(email_recipients)), 0) "
            "FROM helpdesk_followup WHERE jsonb_typeof(email_recipients) = 'array'"
        ).fetchone()[0]
    return tickets, emails


def _helpdesk(services: list[live.Service], bin_dir: Path, tmp: Path) -> dict[str, float]:
    with _helpdesk_database() as url:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(SUPPORT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
            "HELPDESK_DATABASE_URL": url,
            "HELPDESK_SECRET_KEY": live.secret(),
            "HELPDESK_MEDIA_ROOT": str(tmp / "helpdesk-media"),
        }
        started = time.perf_counter()
        run = {"cwd": SUPPORT, "env": env, "check": True, "timeout": 300}
        subprocess.run([bin_dir / "django-admin", "migrate", "--verbosity", "0"], **run)
        setup = [bin_dir / "python", "-m", "helpdesk_site.setup_data"]
        print(f"  django-helpdesk database ready in {time.perf_counter() - started:.1f} s")

        port = live.free_port()
        gunicorn = live.Service(
            "helpdesk",
            live.gunicorn(bin_dir, "helpdesk_site.wsgi", port, tmp, "helpdesk"),
            cwd=SUPPORT,
            env=env,
            log_dir=tmp,
        )
        services.append(gunicorn)
        measured = {}
        # As shipped (the queue as created), then with the staff e-mail (equal work).
        for label, cc in (("helpdesk", ""), ("helpdesk-equal", STAFF_CC)):
            done = subprocess.run(
                [*setup, *([cc] if cc else [])], capture_output=True, text=True, **run
            )
            queue_id = int(done.stdout.split()[-1])
            live.wait_ready(gunicorn, port, "/tickets/submit/")
            before = _helpdesk_counts(url)
            config = {"kind": "helpdesk", "label": label, "port": port, "queue_id": queue_id}
            config |= {"warmup_s": WARMUP_S, "duration_s": DURATION_S, "retry": False}
            result = live.measured_load(config, tmp, {"gunicorn": gunicorn.process.pid})
            after = _helpdesk_counts(url)
            tickets, emails = after[0] - before[0], after[1] - before[1]
            if tickets != len(result["acknowledged"]):
                raise RuntimeError(
                    f"{label}: {tickets} tickets for {len(result['acknowledged'])} 302s"
                )
            per_ticket = emails / tickets if tickets else 0.0
            print(f"  {label}: {emails} e-mails sent for {tickets} tickets ({per_ticket:.2f} each)")
            expected = 2 if cc else 1  # the submitter's acknowledgement (+ the staff CC)
            if round(per_ticket, 2) < expected:
                raise RuntimeError(f"{label}: helpdesk sent fewer e-mails than it should")
            measured[label] = (live.summary(result), per_ticket, result["cpu_share"])
        gunicorn.stop()
    shipped, shipped_mails, shipped_cpu = measured["helpdesk"]
    equal, equal_mails, equal_cpu = measured["helpdesk-equal"]
    return {
        "helpdesk_rps": round(shipped["rps"], 1),
        "helpdesk_p50_ms": round(shipped["p50_ms"], 1),
        "helpdesk_p99_ms": round(shipped["p99_ms"], 1),
        "helpdesk_shipped_emails_per_ticket": round(shipped_mails, 2),
        "helpdesk_equal_work_rps": round(equal["rps"], 1),
        "helpdesk_emails_per_ticket": round(equal_mails, 2),
        "helpdesk_cpu_share": max(shipped_cpu, equal_cpu),
    }


def run() -> dict[str, float]:
    """Intake and helpdesk throughput and latency; lost and duplicated requests under crashes."""
    helpdesk_bin = _helpdesk_venv()  # first: a failed install should not cost the other runs
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp, live.services() as services:
        metrics = _flexserve(services, Path(tmp))
        helpdesk = _helpdesk(services, helpdesk_bin, Path(tmp))
    cpu = max(metrics["loadgen_cpu_share"], helpdesk.pop("helpdesk_cpu_share"))
    metrics["loadgen_cpu_share"] = round(cpu, 2)
    metrics |= helpdesk
    metrics["intake_vs_helpdesk"] = round(metrics["intake_rps"] / metrics["helpdesk_rps"], 2)
    metrics["intake_vs_helpdesk_equal_work"] = round(
        metrics["intake_equal_work_rps"] / metrics["helpdesk_equal_work_rps"], 2
    )
    print(
        f"  intake vs helpdesk: {metrics['intake_vs_helpdesk']}x as each ships, "
        f"{metrics['intake_vs_helpdesk_equal_work']}x at equal work"
    )
    return metrics
