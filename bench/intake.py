"""Benchmark: service-request intake over HTTP, beside django-helpdesk, and a crash test.

Both systems run as in production: gunicorn with 2 sync workers on loopback, PostgreSQL (the
fresh database ``bench.run`` gives, and a database of its own for helpdesk on the same server),
DEBUG off. flexserve runs in its production mode with Redis (cache, throttling) and a Celery
worker consuming the outbox, seeded with ``seed_demo --shops 300 --weeks 2``; requests come
through ``POST /api/service/requests`` with a bearer token and an Idempotency-Key.
django-helpdesk 2.6.1 (its own virtual environment, var/bench/helpdesk-venv, made on first use)
takes tickets through its public form (bench/intake_support/helpdesk_site).

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
import http.client
import io
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

DATABASE = "postgresql"
TARGETS = {
    "crash_lost": (0, "<="),
    "crash_duplicates": (0, "<="),
    "intake_p99_ms": (100, "<"),
    "intake_vs_helpdesk": (2, ">="),
}
ANCHORS = {"intake_rps": "helpdesk_rps", "intake_p99_ms": "helpdesk_p99_ms"}
NOTES = {
    "intake_rps": "service requests created per second: POST /api/service/requests, "
    "gunicorn 2 sync workers, PostgreSQL, 8 clients on loopback",
    "intake_p50_ms": "median latency of those requests",
    "intake_p99_ms": "99th percentile latency of those requests",
    "helpdesk_rps": "django-helpdesk 2.6.1 tickets per second through its public form, "
    "same server settings and load",
    "helpdesk_p50_ms": "median latency of those requests",
    "helpdesk_p99_ms": "99th percentile latency of those requests",
    "intake_vs_helpdesk": "intake_rps / helpdesk_rps",
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
REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_URL = "redis://127.0.0.1:6379/1"

SHOPS, WEEKS = 300, 2
CLIENTS, WARMUP_S, DURATION_S = 8, 2, 15
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "sync", "--no-control-socket"]
CRASH_DURATION_S, CRASH_KILLS, CRASH_FIRST_KILL_S, CRASH_KILL_EVERY_S = 10, 5, 2.0, 1.5
REQUEST_TYPES = 5


# --- Processes ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _secret(length: int = 50) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


class Service:
    """A process group started for the benchmark; stopped (TERM, then KILL) whatever happens."""

    def __init__(self, name: str, command: list[str], *, cwd: Path, env: dict, log_dir: Path):
        self.name = name
        self.log = log_dir / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def children(self) -> list[int]:
        """Live children of the process (gunicorn's workers), oldest first, read from /proc."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # The command name may hold spaces: the fields after its ')' are fixed.
                fields = stat.read_text().rsplit(")", 1)[1].split()  # state, ppid, …
                if int(fields[1]) == self.process.pid and fields[0] != "Z":
                    found.append((int(fields[19]), int(stat.parent.name)))  # start time, pid
        return [pid for _, pid in sorted(found)]


@contextlib.contextmanager
def _services() -> Iterator[list[Service]]:
    started: list[Service] = []
    try:
        yield started
    finally:
        for service in reversed(started):
            service.stop()


def _http(port: int, method: str, path: str, headers=None, body: bytes | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _wait_ready(service: Service, port: int, path: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        try:
            status, _, body = _http(port, "GET", path)
        except OSError as exc:
            last = str(exc)
        else:
            if status == 200:
                return
            last = f"HTTP {status}: {body[:300]!r}"
        time.sleep(0.25)
    raise RuntimeError(f"{service.name} not ready on {path} ({last}):\n{service.log_tail()}")


def _gunicorn(venv_bin: Path, app: str, port: int, log_dir: Path, name: str) -> list[str]:
    log = str(log_dir / f"{name}-error.log")
    bind = ["--bind", f"127.0.0.1:{port}", "--error-logfile", log]
    return [str(venv_bin / "gunicorn"), app, *GUNICORN_ARGS, *bind]


# --- Load ---------------------------------------------------------------------------------------


def _start_load(config: dict, tmp: Path) -> tuple[subprocess.Popen, Path]:
    config = {"host": "127.0.0.1", "clients": CLIENTS, "timeout_s": 10, "give_up_s": 30} | config
    config_path = tmp / f"load-{config['label']}.json"
    result_path = tmp / f"load-{config['label']}-result.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "bench.intake_support.loadgen"]
    process = subprocess.Popen(
        [*command, str(config_path), str(result_path)], cwd=ROOT, stdin=subprocess.DEVNULL
    )
    return process, result_path


def _finish_load(process: subprocess.Popen, result_path: Path) -> dict:
    if process.wait(timeout=120) != 0:
        raise RuntimeError(f"the load generator failed (exit code {process.returncode})")
    return json.loads(result_path.read_text())


def _cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each named process group, and by PostgreSQL's processes."""
    tick = os.sysconf("SC_CLK_TCK")
    names = {pgid: name for name, pgid in groups.items()}
    totals = dict.fromkeys([*groups, "postgres"], 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = stat.read_text()
            command = text[text.index("(") + 1 : text.rindex(")")]
            fields = text[text.rindex(")") + 1 :].split()  # state, ppid, pgrp, …
            seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
            if name := names.get(int(fields[2])):
                totals[name] += seconds
            elif command == "postgres":
                totals["postgres"] += seconds
    # Everything the machine ran: what is not ours is other work sharing the cores.
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, busy[:8])
    totals["machine"] = (user + nice + system + irq + softirq + steal) / tick
    return totals


def _measured_load(config: dict, tmp: Path, groups: dict[str, int]) -> dict:
    """One throughput run, and the cores each party used meanwhile (where the time goes)."""
    before, started = _cpu_seconds(groups), time.monotonic()
    result = _finish_load(*_start_load(config, tmp))
    after, wall = _cpu_seconds(groups), time.monotonic() - started
    shares = {name: (after[name] - before[name]) / wall for name in after}
    shares["load generator"] = result["cpu_share"]
    machine = shares.pop("machine")
    shares["other processes"] = max(0.0, machine - sum(shares.values()))
    spent = ", ".join(f"{name} {share:.2f}" for name, share in shares.items())
    print(f"  cores used during the {config['label']} run: {spent} (of {os.cpu_count()})")
    if shares["other processes"] > 0.25:
        print("  note: other work shared the machine; figures are lower than on a quiet one")
    return result


def _percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _summary(result: dict, *, max_error_share: float = 0.0) -> dict[str, float]:
    latencies, errors = result["latencies_ms"], sum(result["errors"].values())
    label = result["label"]
    if not latencies:
        raise RuntimeError(f"{label}: nothing acknowledged; {result['error_samples']}")
    if errors > max_error_share * result["attempts"]:
        raise RuntimeError(f"{label}: {result['errors']} errors; {result['error_samples']}")
    summary = {
        "rps": len(latencies) / result["duration_s"],
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
    }
    print(
        f"  {label}: {summary['rps']:.1f} req/s, p50 {summary['p50_ms']:.1f} ms, "
        f"p99 {summary['p99_ms']:.1f} ms, max {max(latencies):.1f} ms; "
        f"load generator CPU {result['cpu_share']:.2f} cores"
    )
    return summary


# --- flexserve ----------------------------------------------------------------------------------


def _seed_flexserve() -> str:
    """Seed the demo city; return a bearer token of the dispatcher."""
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("seed_demo", shops=SHOPS, weeks=WEEKS, stdout=io.StringIO())
    out = io.StringIO()
    call_command("create_api_token", "dispatcher", name="bench", stdout=out)
    connections.close_all()
    print(f"  seeded {SHOPS} shops, {WEEKS} weeks in {time.perf_counter() - started:.1f} s")
    return out.getvalue().strip().splitlines()[-1]


def _flexserve_env() -> dict:
    env = os.environ.copy()
    env.pop("FLEXSERVE_INPROCESS_TASKS", None)
    env.update(
        FLEXSERVE_MODE="production",
        SECRET_KEY=_secret(),
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=BROKER_URL,
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        API_RATE_LIMIT_PER_MINUTE="1000000",
        DJANGO_DEBUG="false",
        LOG_LEVEL="WARNING",
        # No SMTP server here: e-mail stays in memory, as on the helpdesk side.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def _active_shops() -> list[int]:
    from customers.models import Shop

    return list(Shop.objects.filter(status="active").order_by("pk").values_list("pk", flat=True))


def _request_types(port: int, token: str) -> list[str]:
    status, _, body = _http(
        port, "GET", "/api/service/request-types", {"Authorization": f"Bearer {token}"}
    )
    if status != 200:
        raise RuntimeError(f"GET /api/service/request-types: HTTP {status} {body[:300]!r}")
    data = json.loads(body)
    items = data.get("items", []) if isinstance(data, dict) else data
    codes = [t["code"] for t in items if t.get("is_active", t.get("active", True))]
    if not codes:
        raise RuntimeError("no active request type: the intake cannot be measured")
    return codes[:REQUEST_TYPES]


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
    first = _http(port, "POST", "/api/service/requests", headers, body)
    if first[0] != 201:
        hint = " (a bearer-token POST must not need a CSRF token)" if first[0] == 403 else ""
        raise RuntimeError(f"POST /api/service/requests: HTTP {first[0]}{hint} {first[2][:300]!r}")
    again = _http(port, "POST", "/api/service/requests", headers, body)
    if again[0] != 201 or json.loads(again[2]) != json.loads(first[2]):
        raise RuntimeError(f"a retry with the same key answered HTTP {again[0]} {again[2][:300]!r}")
    if again[1].get("Idempotent-Replayed", "").lower() != "true":
        print("  note: the replayed answer has no 'Idempotent-Replayed: true' header")
    other = json.dumps(payload | {"title": "bench contract check, changed"}).encode()
    conflict = _http(port, "POST", "/api/service/requests", headers, other)
    if conflict[0] != 409:
        raise RuntimeError(f"same key, other body: HTTP {conflict[0]} instead of 409")


def _crash_run(gunicorn: Service, config: dict, tmp: Path) -> tuple[dict, int]:
    process, result_path = _start_load(config, tmp)
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
        result = _finish_load(process, result_path)
    return result, kills


def _count_crash(result: dict) -> dict[str, float]:
    from servicedesk.models import ServiceRequest

    key_of = re.compile(r"^bench crash key=([0-9a-f-]{36})")
    stored = Counter(
        m.group(1)
        for d in ServiceRequest.objects.filter(description__startswith="bench crash key=")
        .values_list("description", flat=True)
        .iterator()
        if (m := key_of.match(d))
    )
    acknowledged = set(result["acknowledged"])
    lost = acknowledged - set(stored)
    duplicates = sum(n - 1 for n in stored.values() if n > 1)
    unacknowledged = set(stored) - acknowledged
    print(
        f"  crash: {len(acknowledged)} acknowledged, {sum(stored.values())} rows stored, "
        f"{len(lost)} lost, {duplicates} duplicated; {result['attempts']} attempts, "
        f"{result['replays']} replayed answers, errors {result['errors']}, "
        f"{len(result['gave_up'])} given up, {len(unacknowledged)} stored but never acknowledged"
    )
    return {
        "crash_acknowledged": len(acknowledged),
        "crash_lost": len(lost),
        "crash_duplicates": duplicates,
    }


def _flexserve(services: list[Service], tmp: Path) -> dict[str, float]:
    token = _seed_flexserve()
    shops = _active_shops()
    env, bin_dir, port = _flexserve_env(), ROOT / ".venv" / "bin", _free_port()
    worker = [str(bin_dir / "celery"), "-A", "flexserve", "worker", "--concurrency", "1"]
    celery = Service("celery", [*worker, "--loglevel", "WARNING"], cwd=ROOT, env=env, log_dir=tmp)
    services.append(celery)
    gunicorn = Service(
        "flexserve",
        _gunicorn(bin_dir, "flexserve.wsgi", port, tmp, "flexserve"),
        cwd=ROOT,
        env=env,
        log_dir=tmp,
    )
    services.append(gunicorn)
    _wait_ready(gunicorn, port, "/healthz")
    types = _request_types(port, token)
    _check_contract(port, token, shops[0], types[0])
    print(f"  flexserve on :{port}: {len(shops)} shops, request types {', '.join(types)}")

    common = {"kind": "intake", "port": port, "token": token, "shop_ids": shops}
    common["request_types"] = types
    measured = {"warmup_s": WARMUP_S, "duration_s": DURATION_S, "retry": False}
    groups = {"gunicorn": gunicorn.process.pid, "celery": celery.process.pid}
    intake = _measured_load(common | measured | {"label": "intake"}, tmp, groups)
    summary = _summary(intake)

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


def _helpdesk_tickets(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM helpdesk_ticket").fetchone()[0]


def _helpdesk(services: list[Service], bin_dir: Path, tmp: Path) -> dict[str, float]:
    with _helpdesk_database() as url:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(SUPPORT),
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "helpdesk_site.settings",
            "HELPDESK_DATABASE_URL": url,
            "HELPDESK_SECRET_KEY": _secret(),
            "HELPDESK_MEDIA_ROOT": str(tmp / "helpdesk-media"),
        }
        started = time.perf_counter()
        run = {"cwd": SUPPORT, "env": env, "check": True, "timeout": 300}
        subprocess.run([bin_dir / "django-admin", "migrate", "--verbosity", "0"], **run)
        setup = [bin_dir / "python", "-m", "helpdesk_site.setup_data"]
        queue_id = int(
            subprocess.run(setup, capture_output=True, text=True, **run).stdout.split()[-1]
        )
        print(f"  django-helpdesk database ready in {time.perf_counter() - started:.1f} s")

        port = _free_port()
        gunicorn = Service(
            "helpdesk",
            _gunicorn(bin_dir, "helpdesk_site.wsgi", port, tmp, "helpdesk"),
            cwd=SUPPORT,
            env=env,
            log_dir=tmp,
        )
        services.append(gunicorn)
        _wait_ready(gunicorn, port, "/tickets/submit/")
        config = {"kind": "helpdesk", "label": "helpdesk", "port": port, "queue_id": queue_id}
        config |= {"warmup_s": WARMUP_S, "duration_s": DURATION_S, "retry": False}
        result = _measured_load(config, tmp, {"gunicorn": gunicorn.process.pid})
        gunicorn.stop()
        summary = _summary(result)
        tickets = _helpdesk_tickets(url)
        if tickets != len(result["acknowledged"]):
            raise RuntimeError(
                f"helpdesk: {tickets} tickets for {len(result['acknowledged'])} 302s"
            )
    return {
        "helpdesk_rps": round(summary["rps"], 1),
        "helpdesk_p50_ms": round(summary["p50_ms"], 1),
        "helpdesk_p99_ms": round(summary["p99_ms"], 1),
        "helpdesk_cpu_share": result["cpu_share"],
    }


def run() -> dict[str, float]:
    """Intake and helpdesk throughput and latency; lost and duplicated requests under crashes."""
    helpdesk_bin = _helpdesk_venv()  # first: a failed install should not cost the other runs
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp, _services() as services:
        metrics = _flexserve(services, Path(tmp))
        helpdesk = _helpdesk(services, helpdesk_bin, Path(tmp))
    cpu = max(metrics["loadgen_cpu_share"], helpdesk.pop("helpdesk_cpu_share"))
    metrics["loadgen_cpu_share"] = round(cpu, 2)
    metrics |= helpdesk
    metrics["intake_vs_helpdesk"] = round(metrics["intake_rps"] / metrics["helpdesk_rps"], 2)
    return metrics
