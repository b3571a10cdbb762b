"""Benchmark: faults beyond a worker crash — PostgreSQL, the Redis broker, a Celery worker.

flexserve runs as in production (gunicorn 2 sync workers, a Celery worker with one pool process,
DEBUG off) on services of this benchmark's own, which it may stop: a throw-away PostgreSQL
cluster (``initdb``/``pg_ctl``, its own port and temp directory, run as the ``postgres`` OS user
when we are root), migrated and seeded (``seed_demo --shops 300 --weeks 2``) through
``manage.py``, and a throw-away redis-server holding both the cache and the broker, as in
production. The machine's PostgreSQL and Redis are never touched. E-mail goes to
bench/intake_support/mailcount.py: one line per hand-over with its Message-ID, from any process.

The load is the crash test's (bench/intake.py): 8 clients on loopback, each a shop owner with
its own bearer token, an Idempotency-Key per submission and the key in the description; a failed
attempt (connection error, time-out, 5xx) is sent again with the same key and body until it is
acknowledged. Then the database is counted: acknowledged but missing is lost, a key stored twice
is a duplicate.

1. PostgreSQL: ``pg_ctl stop -m immediate`` 3 s into a 12 s load, ``pg_ctl start`` 4 s later.
2. Redis (cache and broker): SIGKILL 3 s into a 14 s load, a new one on the same port 4 s later (no
   persistence: queued tasks are gone). Every routed request owes its assignee an in-app
   notification through the outbox; each must be delivered exactly once (one Notification row
   per outbox message) once the broker is back.
3. Celery worker: SIGKILL of the pool process while it optimises a plan (the task comes back:
   acks_late, reject_on_worker_lost); SIGKILL of the whole worker while it optimises another,
   a new worker, and the sweeper task beat sends every 2 minutes; SIGKILL of the pool process
   while it drains 600 e-mails and 600 in-app notifications. The dead drain's claims are freed
   by the sweeper after outbox.STALE_CLAIM (5 min): the benchmark runs that sweep with the
   clock moved on instead of waiting. Then every message must have been handed over once.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import _live as live

DATABASE = "postgresql"
TARGETS = {
    "fault_pg_lost": (0, "<="),
    "fault_pg_duplicates": (0, "<="),
    "fault_redis_lost_notifications": (0, "<="),
    "fault_redis_double_sent": (0, "<="),
    "fault_worker_double_sent": (0, "<="),
    "fault_worker_lost_messages": (0, "<="),
    "fault_worker_optimisation_done": (1, ">="),
}
NOTES = {
    "fault_pg_stops": "PostgreSQL stopped hard (pg_ctl stop -m immediate) under 8 clients' load",
    "fault_pg_acknowledged": "submissions acknowledged (201) during that run",
    "fault_pg_errors": "failed attempts the clients saw (5xx, time-outs) and sent again",
    "fault_pg_lost": "acknowledged but not stored after the restart (a false 201)",
    "fault_pg_duplicates": "stored twice (a key in two rows)",
    "fault_pg_recovery_s": "from `pg_ctl start` to the first 201",
    "fault_redis_stops": "Redis (cache and broker) killed (SIGKILL) under load, back 4 s later",
    "fault_redis_acknowledged": "submissions acknowledged during that run",
    "fault_redis_acknowledged_while_down": "of which while the broker was down",
    "fault_redis_errors": "failed attempts the clients saw",
    "fault_redis_p99_ms": "99th percentile latency of the submissions during that run",
    "fault_redis_notifications": "in-app notifications those submissions owe (outbox messages)",
    "fault_redis_lost_notifications": "of those, never delivered",
    "fault_redis_double_sent": "delivered more than once",
    "fault_worker_kills": "Celery worker SIGKILLs: pool process mid-optimisation, whole worker "
    "mid-optimisation, pool process mid-drain",
    "fault_worker_optimisation_done": "1 when both killed optimisations finished afterwards",
    "fault_worker_messages": "outbox messages drained by the killed worker (half e-mail)",
    "fault_worker_lost_messages": "of those, never delivered",
    "fault_worker_double_sent": "handed over more than once (e-mails by Message-ID, "
    "in-app notifications by outbox message)",
}

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SHOPS, WEEKS, PLAN_ITERATIONS = 300, 2, 300
PG_LOAD_S, PG_STOP_AT_S, PG_DOWN_S = 12, 3, 4
REDIS_LOAD_S, REDIS_STOP_AT_S, REDIS_DOWN_S = 14, 3, 4
PLAN_SECONDS = 8
DRAIN_NOTIFICATIONS = 600  # each an in-app message and an e-mail
DELIVERY_WAIT_S = 60


def _manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=600)


def _prepare(url: str) -> None:
    """Migrate and seed the throw-away database in the embedded mode, as an operator would."""
    env = os.environ.copy()
    env.update(
        DATABASE_URL=url,
        FLEXSERVE_MODE="embedded",
        CELERY_BROKER_URL="",
        FLEXSERVE_INPROCESS_TASKS="sync",
    )
    started = time.perf_counter()
    _manage(env, "migrate", "--verbosity", "0")
    seed = ["seed_demo", "--shops", str(SHOPS), "--weeks", str(WEEKS)]
    _manage(env, *seed, "--plan-iterations", str(PLAN_ITERATIONS), "--verbosity", "0")
    print(f"  throw-away database migrated and seeded in {time.perf_counter() - started:.1f} s")


def _reconnect() -> None:
    from django.db import connections

    connections.close_all()  # the server was restarted: old connections are gone


def _wait(what: str, done, timeout_s: float, every_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := done():
            return value
        time.sleep(every_s)
    raise RuntimeError(f"timed out after {timeout_s:.0f} s waiting for {what}")


# --- 1. PostgreSQL ------------------------------------------------------------------------------


def _pg_fault(cluster: live.PostgresCluster, load: dict, tmp: Path) -> dict[str, float]:
    config = load | {"label": "pgfault", "warmup_s": 0, "duration_s": PG_LOAD_S, "retry": True}
    process, result_path = live.start_load(config, tmp)
    try:
        time.sleep(PG_STOP_AT_S)
        cluster.stop_immediate()
        print(f"    pg_ctl stop -m immediate at {PG_STOP_AT_S} s; down for {PG_DOWN_S} s")
        time.sleep(PG_DOWN_S)
        restart_at = time.monotonic()
        cluster.start()
        print(
            f"    pg_ctl start: accepting connections after {time.monotonic() - restart_at:.1f} s"
        )
    finally:
        result = live.finish_load(process, result_path)
    _reconnect()
    counts = live.count_stored("pgfault", result["acknowledged"])
    after = [t for t in result["ack_at"] if t > restart_at]
    recovery = round(min(after) - restart_at, 2) if after else -1.0
    errors = sum(result["errors"].values())
    print(
        f"  postgres: {counts['acknowledged']} acknowledged, {counts['stored']} stored, "
        f"{counts['lost']} lost, {counts['duplicates']} duplicated, "
        f"{counts['unacknowledged']} stored but never acknowledged; errors {result['errors']}, "
        f"{result['replays']} replayed answers, {len(result['gave_up'])} given up; "
        f"first 201 {recovery} s after the restart"
    )
    if not after:
        raise RuntimeError("nothing was acknowledged after PostgreSQL came back")
    return {
        "fault_pg_stops": 1,
        "fault_pg_acknowledged": counts["acknowledged"],
        "fault_pg_errors": errors,
        "fault_pg_lost": counts["lost"],
        "fault_pg_duplicates": counts["duplicates"],
        "fault_pg_recovery_s": recovery,
    }


# --- 2. Redis broker ----------------------------------------------------------------------------


def _deliveries(message_ids: list[int], mail_log: Path) -> tuple[int, int]:
    """(never delivered, delivered more than once) of these outbox messages: in-app ones by
    their Notification rows, e-mails by their Message-ID in the hand-over log."""
    from servicedesk.models import Notification, OutboxMessage

    media = dict(
        OutboxMessage.objects.filter(pk__in=message_ids).values_list("pk", "medium").iterator()
    )
    rows = Counter(
        Notification.objects.filter(outbox_id__in=message_ids)
        .values_list("outbox_id", flat=True)
        .iterator()
    )
    lines = mail_log.read_text().split() if mail_log.exists() else []
    mails = Counter(int(line.removeprefix("<outbox-").split("@")[0]) for line in lines)
    delivered = {
        pk: rows[pk] if medium == OutboxMessage.Medium.IN_APP else mails[pk]
        for pk, medium in media.items()
    }
    lost = sum(1 for n in delivered.values() if n == 0)
    return lost, sum(n - 1 for n in delivered.values() if n > 1)


def _redis_fault(
    services: list, celery: live.Service, broker: dict, load: dict, tmp: Path
) -> dict[str, float]:
    config = load | {"label": "redisfault", "warmup_s": 0, "duration_s": REDIS_LOAD_S}
    process, result_path = live.start_load(config | {"retry": True}, tmp)
    try:
        time.sleep(REDIS_STOP_AT_S)
        down_at = time.monotonic()
        os.killpg(broker["service"].process.pid, signal.SIGKILL)
        broker["service"].process.wait(5)
        print(
            f"    SIGKILL redis (cache, broker) at {REDIS_STOP_AT_S} s; down for {REDIS_DOWN_S} s"
        )
        time.sleep(REDIS_DOWN_S)
        up_at = time.monotonic()
        broker["service"] = live.redis_server(broker["port"], tmp, "redis-broker-2")
        services.append(broker["service"])
    finally:
        result = live.finish_load(process, result_path)
    while_down = sum(1 for t in result["ack_at"] if down_at <= t < up_at)
    owed = live.outbox_messages("redisfault", result["acknowledged"])
    started = time.monotonic()
    try:
        _wait("the outbox to drain", lambda: live.undelivered(owed) == 0, DELIVERY_WAIT_S, 0.25)
    except RuntimeError:
        from servicedesk.models import OutboxMessage

        states = Counter(OutboxMessage.objects.filter(pk__in=owed).values_list("state", flat=True))
        print(f"  outbox states: {dict(states)}\n{celery.log_tail(60)}")
        raise
    drained_s = time.monotonic() - started
    lost, double = _deliveries(owed, broker["mail_log"])
    counts = live.count_stored("redisfault", result["acknowledged"])
    p99 = live.percentile(result["latencies_ms"], 0.99) if result["latencies_ms"] else 0.0
    print(
        f"  redis broker: {counts['acknowledged']} acknowledged ({while_down} while it was "
        f"down), {counts['lost']} lost, {counts['duplicates']} duplicated; errors "
        f"{result['errors']}; p99 {p99:.1f} ms, max {max(result['latencies_ms'], default=0):.1f}"
        f" ms; {len(owed)} notifications owed, all delivered {drained_s:.1f} s after the load; "
        f"{lost} lost, {double} delivered twice"
    )
    if counts["lost"] or counts["duplicates"]:
        raise RuntimeError(f"intake lost or duplicated requests while Redis was down: {counts}")
    return {
        "fault_redis_stops": 1,
        "fault_redis_acknowledged": counts["acknowledged"],
        "fault_redis_acknowledged_while_down": while_down,
        "fault_redis_errors": sum(result["errors"].values()),
        "fault_redis_p99_ms": round(p99, 1),
        "fault_redis_notifications": len(owed),
        "fault_redis_lost_notifications": lost,
        "fault_redis_double_sent": double,
    }


# --- 3. Celery worker ---------------------------------------------------------------------------


def _new_plan() -> int:
    """A plan of the seeded week, queued as start_plan queues one (its task is sent by us)."""
    from dispatch.models import Plan

    week = Plan.objects.filter(kind=Plan.Kind.PERIOD).order_by("-created_at").first()
    if week is None:
        raise RuntimeError("the seeded city has no plan: nothing to optimise")
    plan = Plan.objects.create(
        kind=Plan.Kind.PERIOD,
        state=Plan.State.QUEUED,
        first_day=week.first_day,
        last_day=week.last_day,
        seconds=PLAN_SECONDS,
        message="bench faults",
    )
    return plan.pk


def _plan_state(plan_id: int) -> str:
    from dispatch.models import Plan

    return Plan.objects.values_list("state", flat=True).get(pk=plan_id)


def _running(plan_id: int) -> bool:
    return _plan_state(plan_id) == "running"


def _finished(plan_id: int) -> str:
    state = _plan_state(plan_id)
    return state if state in ("ready", "failed") else ""


def _kill_pool_process(celery: live.Service) -> int:
    children = _wait("the worker's pool process", celery.children, 30)
    os.kill(children[0], signal.SIGKILL)
    return children[0]


def _drain_messages() -> list[int]:
    """DRAIN_NOTIFICATIONS notifications (in-app and e-mail) to staff, written as notify()
    writes them, but not scheduled: the killed worker is to drain them."""
    from accounts.models import User
    from servicedesk import outbox
    from servicedesk.models import OutboxMessage

    staff = list(User.objects.filter(is_active=True, is_staff=True).exclude(email="")[:50])
    staff = staff or list(User.objects.filter(is_active=True).exclude(email="")[:50])
    rows = []
    for n in range(DRAIN_NOTIFICATIONS):
        rows += outbox.messages_for(staff[n % len(staff)], subject=f"bench drain {n}", email=True)
    return [m.pk for m in OutboxMessage.objects.bulk_create(rows)]


def _sweep_later(env: dict) -> int:
    """The beat sweeper as it runs once outbox.STALE_CLAIM has passed (the clock moved on)."""
    code = (
        "import django; django.setup()\n"
        "from django.utils import timezone\n"
        "from servicedesk import outbox\n"
        "print(outbox.sweep(now=timezone.now() + outbox.STALE_CLAIM + outbox.SWEEP_AFTER))\n"
    )
    env = env | {"DJANGO_SETTINGS_MODULE": "flexserve.settings"}
    done = subprocess.run(
        [PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"the sweep failed: {done.stderr[-800:]}")
    return int(done.stdout.split()[-1])


def _worker_fault(
    services: list, celery: live.Service, env: dict, broker_url: str, mail_log: Path, tmp: Path
) -> dict[str, float]:
    kills, finished = 0, []

    # a. The pool process dies mid-optimisation: the main process hands the task back.
    plan_id = _new_plan()
    live.send_task(broker_url, "dispatch.run_plan", plan_id)
    _wait("the plan to start", lambda: _running(plan_id), 60)
    time.sleep(1.5)
    victim = _kill_pool_process(celery)
    kills += 1
    print(f"    SIGKILL pool process {victim} while it optimised plan {plan_id}")
    finished.append(_wait("the plan to finish", lambda: _finished(plan_id), PLAN_SECONDS * 4 + 60))
    print(f"    plan {plan_id}: {finished[-1]}")

    # b. The whole worker dies mid-optimisation: a new one, and the sweeper beat would send.
    plan_id = _new_plan()
    live.send_task(broker_url, "dispatch.run_plan", plan_id)
    _wait("the plan to start", lambda: _running(plan_id), 60)
    time.sleep(1.5)
    os.killpg(celery.process.pid, signal.SIGKILL)
    celery.process.wait(5)
    kills += 1
    print(f"    SIGKILL the whole worker while it optimised plan {plan_id}")
    celery = live.celery_worker(env, tmp, "celery-2")
    services.append(celery)
    live.send_task(broker_url, "dispatch.requeue_waiting_plans")
    finished.append(_wait("the plan to finish", lambda: _finished(plan_id), PLAN_SECONDS * 4 + 60))
    print(f"    plan {plan_id}: {finished[-1]} (after a new worker and the sweeper task)")

    # c. The pool process dies mid-drain.
    message_ids = _drain_messages()
    live.send_task(broker_url, "servicedesk.drain_outbox")
    before = len(mail_log.read_text().split()) if mail_log.exists() else 0

    def handed_over() -> int:
        return (len(mail_log.read_text().split()) if mail_log.exists() else 0) - before

    _wait("the drain to start sending", lambda: handed_over() >= 100, 60, 0.005)
    victim = _kill_pool_process(celery)
    kills += 1
    at_kill = handed_over()
    print(f"    SIGKILL pool process {victim} after {at_kill} e-mails of the drain")

    def settled() -> bool:
        from servicedesk.models import OutboxMessage

        return not OutboxMessage.objects.filter(
            pk__in=message_ids, state=OutboxMessage.State.PENDING
        ).exists()

    _wait("the drain to resume", settled, 60, 0.25)
    time.sleep(1)
    swept = _sweep_later(env)
    lost, double = _deliveries(message_ids, mail_log)
    print(
        f"  worker: plans {', '.join(finished)}; {len(message_ids)} messages drained, "
        f"{swept} left by the dead drain delivered by the later sweep; {lost} lost, "
        f"{double} handed over twice"
    )
    return {
        "fault_worker_kills": kills,
        "fault_worker_optimisation_done": int(all(s == "ready" for s in finished)),
        "fault_worker_messages": len(message_ids),
        "fault_worker_lost_messages": lost,
        "fault_worker_double_sent": double,
    }


# --- Run ----------------------------------------------------------------------------------------


def run() -> dict[str, float]:
    """Lost and duplicated requests and notifications when PostgreSQL, Redis or a worker dies."""
    began = time.monotonic()
    metrics: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as name, live.services() as services:
        tmp = Path(name)
        cluster = live.PostgresCluster()
        try:
            cluster.init()
            cluster.start()
            url = cluster.create_database("flexserve_fault")
            print(f"  throw-away PostgreSQL cluster on :{cluster.port} ({cluster.dir})")
            _prepare(url)
            live.use_database(url)
            owners = live.shop_owner_tokens(live.CLIENTS)

            # One Redis for the cache (db 0) and the broker (db 1), as README's production
            # start has it: when it stops, the rate limits and the drain debounce lose it too.
            broker_port = live.free_port()
            broker = {"port": broker_port, "mail_log": tmp / "mail.log"}
            broker["service"] = live.redis_server(broker_port, tmp, "redis-broker")
            services.append(broker["service"])
            broker_url = f"redis://127.0.0.1:{broker_port}/1"
            env = live.flexserve_env() | {
                "DATABASE_URL": url,
                "REDIS_URL": f"redis://127.0.0.1:{broker_port}/0",
                "CELERY_BROKER_URL": broker_url,
                "EMAIL_BACKEND": "bench.intake_support.mailcount.EmailBackend",
                "BENCH_MAIL_LOG": str(broker["mail_log"]),
                "PYTHONPATH": str(ROOT),
            }
            celery = live.celery_worker(env, tmp)
            services.append(celery)
            port = live.free_port()
            gunicorn = live.flexserve_web(env, port, tmp)
            services.append(gunicorn)
            live.wait_ready(gunicorn, port, "/healthz")
            types = live.request_types(port, owners[0][1])
            load = {"kind": "intake", "port": port, "owners": owners, "request_types": types}
            print(f"  flexserve on :{port}, {len(owners)} shop owners, types {', '.join(types)}")

            metrics |= _pg_fault(cluster, load, tmp)
            metrics |= _redis_fault(services, celery, broker, load, tmp)
            gunicorn.stop()
            metrics |= _worker_fault(services, celery, env, broker_url, broker["mail_log"], tmp)
        finally:
            for service in reversed(services):
                service.stop()
            cluster.close()
    faults = metrics["fault_pg_stops"] + metrics["fault_redis_stops"]
    print(
        f"  faults: {metrics['fault_pg_stops']} PostgreSQL stop, {metrics['fault_redis_stops']} "
        f"Redis stop, {metrics['fault_worker_kills']} worker kills "
        f"({faults + metrics['fault_worker_kills']} in all) in {time.monotonic() - began:.0f} s"
    )
    return metrics


if __name__ == "__main__":
    sys.exit("run it through the runner: python -m bench.run --only faults")
