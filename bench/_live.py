"""Live services for the system benchmarks: processes started in their own group and always
stopped, a gunicorn command, HTTP on loopback, the separate load generator
(``bench.intake_support.loadgen``) and where the machine's cores went meanwhile.

Used by the intake, fault and import benchmarks, which run flexserve as in production:
gunicorn with 2 sync workers, Redis, a Celery worker, DEBUG off. The fault benchmark also starts
its own PostgreSQL cluster and Redis server (never the machine's), so it may stop them.
"""

import contextlib
import glob
import http.client as http_client
import json
import math
import os
import pwd
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
BROKER_URL = "redis://127.0.0.1:6379/1"
CLIENTS = 8
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "sync", "--no-control-socket"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def secret(length: int = 50) -> str:
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
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    try:
        yield started
    finally:
        for service in reversed(started):
            service.stop()


def http(
    port: int, method: str, path: str, headers=None, body: bytes | None = None, timeout_s=30.0
):
    """One request on loopback: the status, the headers and the body."""
    connection = http_client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def wait_ready(service: Service, port: int, path: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    last = ""
    while time.monotonic() < deadline:
        if not service.alive():
            raise RuntimeError(f"{service.name} exited:\n{service.log_tail()}")
        try:
            status, _, body = http(port, "GET", path)
        except OSError as exc:
            last = str(exc)
        else:
            if status == 200:
                return
            last = f"HTTP {status}: {body[:300]!r}"
        time.sleep(0.25)
    raise RuntimeError(f"{service.name} not ready on {path} ({last}):\n{service.log_tail()}")


def gunicorn(venv_bin: Path, app: str, port: int, log_dir: Path, name: str) -> list[str]:
    log = str(log_dir / f"{name}-error.log")
    bind = ["--bind", f"127.0.0.1:{port}", "--error-logfile", log]
    return [str(venv_bin / "gunicorn"), app, *GUNICORN_ARGS, *bind]


def flexserve_web(env: dict, port: int, log_dir: Path) -> Service:
    """flexserve under gunicorn, as production serves it (``GUNICORN_ARGS``)."""
    command = gunicorn(ROOT / ".venv" / "bin", "flexserve.wsgi", port, log_dir, "flexserve")
    return Service("flexserve", command, cwd=ROOT, env=env, log_dir=log_dir)


# --- Load ---------------------------------------------------------------------------------------


def start_load(config: dict, tmp: Path) -> tuple[subprocess.Popen, Path]:
    config = {"host": "127.0.0.1", "clients": CLIENTS, "timeout_s": 10, "give_up_s": 30} | config
    config_path = tmp / f"load-{config['label']}.json"
    result_path = tmp / f"load-{config['label']}-result.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "bench.intake_support.loadgen"]
    process = subprocess.Popen(
        [*command, str(config_path), str(result_path)], cwd=ROOT, stdin=subprocess.DEVNULL
    )
    return process, result_path


def finish_load(process: subprocess.Popen, result_path: Path) -> dict:
    if process.wait(timeout=120) != 0:
        raise RuntimeError(f"the load generator failed (exit code {process.returncode})")
    return json.loads(result_path.read_text())


def cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
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


def measured_load(config: dict, tmp: Path, groups: dict[str, int]) -> dict:
    """One throughput run, and the cores each party used meanwhile (where the time goes)."""
    before, started = cpu_seconds(groups), time.monotonic()
    result = finish_load(*start_load(config, tmp))
    after, wall = cpu_seconds(groups), time.monotonic() - started
    shares = {name: (after[name] - before[name]) / wall for name in after}
    shares["load generator"] = result["cpu_share"]
    machine = shares.pop("machine")
    shares["other processes"] = max(0.0, machine - sum(shares.values()))
    spent = ", ".join(f"{name} {share:.2f}" for name, share in shares.items())
    print(f"  cores used during the {config['label']} run: {spent} (of {os.cpu_count()})")
    if shares["other processes"] > 0.25:
        print("  note: other work shared the machine; figures are lower than on a quiet one")
    return result


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summary(result: dict, *, max_error_share: float = 0.0) -> dict[str, float]:
    latencies, errors = result["latencies_ms"], sum(result["errors"].values())
    label = result["label"]
    if not latencies:
        raise RuntimeError(f"{label}: nothing acknowledged; {result['error_samples']}")
    if errors > max_error_share * result["attempts"]:
        raise RuntimeError(f"{label}: {result['errors']} errors; {result['error_samples']}")
    summary = {
        "rps": len(latencies) / result["duration_s"],
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
    }
    print(
        f"  {label}: {summary['rps']:.1f} req/s, p50 {summary['p50_ms']:.1f} ms, "
        f"p99 {summary['p99_ms']:.1f} ms, max {max(latencies):.1f} ms; "
        f"load generator CPU {result['cpu_share']:.2f} cores"
    )
    return summary


def flexserve_env() -> dict:
    env = os.environ.copy()
    env.pop("FLEXSERVE_INPROCESS_TASKS", None)
    env.update(
        FLEXSERVE_MODE="production",
        SECRET_KEY=secret(),
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=REDIS_URL,
        CELERY_BROKER_URL=BROKER_URL,
        SECURE_SSL_REDIRECT="false",
        ALLOWED_HOSTS="127.0.0.1",
        API_RATE_LIMIT_PER_MINUTE="1000000",
        INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR="1000000",
        DJANGO_DEBUG="false",
        LOG_LEVEL="WARNING",
        # No SMTP server here: e-mail stays in memory, as on the helpdesk side.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def celery_worker(env: dict, log_dir: Path, name: str = "celery") -> Service:
    """One prefork worker process (its pool child runs the tasks), as production runs it."""
    command = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "flexserve", "worker"]
    command += ["--concurrency", "1", "--loglevel", "WARNING", "--hostname", f"{name}@%h"]
    return Service(name, command, cwd=ROOT, env=env, log_dir=log_dir)


def send_task(broker_url: str, name: str, *args: object) -> None:
    """Put a task on the broker as flexserve would (this process runs with no broker)."""
    from celery import Celery

    app = Celery("bench", broker=broker_url)
    try:
        app.send_task(name, args=list(args))
    finally:
        app.close()


# --- Data ---------------------------------------------------------------------------------------


def request_types(port: int, token: str, limit: int = 5) -> list[str]:
    """Codes of up to ``limit`` active request types, read through the API."""
    status, _, body = http(
        port, "GET", "/api/service/request-types", {"Authorization": f"Bearer {token}"}
    )
    if status != 200:
        raise RuntimeError(f"GET /api/service/request-types: HTTP {status} {body[:300]!r}")
    data = json.loads(body)
    items = data.get("items", []) if isinstance(data, dict) else data
    codes = [t["code"] for t in items if t.get("is_active", t.get("active", True))]
    if not codes:
        raise RuntimeError("no active request type: the intake cannot be measured")
    return codes[:limit]


def count_stored(label: str, acknowledged: list[str]) -> dict[str, int]:
    """Requests of a load run in the database, by the key each description carries."""
    import re
    from collections import Counter

    from servicedesk.models import ServiceRequest

    prefix = f"bench {label} key="
    key_of = re.compile(rf"^{re.escape(prefix)}([0-9a-f-]{{36}})")
    stored = Counter(
        m.group(1)
        for d in ServiceRequest.objects.filter(description__startswith=prefix)
        .values_list("description", flat=True)
        .iterator()
        if (m := key_of.match(d))
    )
    acked = set(acknowledged)
    return {
        "acknowledged": len(acked),
        "stored": sum(stored.values()),
        "lost": len(acked - set(stored)),
        "duplicates": sum(n - 1 for n in stored.values() if n > 1),
        "unacknowledged": len(set(stored) - acked),
    }


def shop_owner_tokens(count: int) -> list[list]:
    """[shop id, bearer token] of the first ``count`` active shops that have an owner's log-in."""
    from accounts.services import api_token_create
    from customers.models import Shop

    shops = (
        Shop.objects.filter(status=Shop.Status.ACTIVE, owner_account__is_active=True)
        .select_related("owner_account")
        .order_by("pk")[:count]
    )
    owners = [[s.pk, api_token_create(user=s.owner_account, name="bench")[1]] for s in shops]
    if len(owners) < count:
        raise RuntimeError(f"only {len(owners)} shops with an owner's log-in; {count} needed")
    return owners


def use_database(url: str) -> None:
    """Point this process's default database connection at ``url`` (closed, reopened on use)."""
    from django.db import connections

    parts = urlsplit(url)
    connection = connections["default"]
    connection.close()
    connection.settings_dict.update(
        NAME=parts.path.lstrip("/"),
        USER=unquote(parts.username or ""),
        PASSWORD=unquote(parts.password or ""),
        HOST=parts.hostname or "",
        PORT=str(parts.port or ""),
    )


# --- Services of the fault benchmark's own ------------------------------------------------------


def redis_server(port: int, log_dir: Path, name: str = "redis") -> Service:
    """A throw-away redis-server on ``port``: no persistence, gone when stopped."""
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port)]
    command += ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(log_dir)]
    return Service(
        name, command, cwd=log_dir, env={"PATH": os.environ.get("PATH", "")}, log_dir=log_dir
    )


class PostgresCluster:
    """A throw-away PostgreSQL cluster (initdb, pg_ctl) on its own port and temp directory.

    Never the machine's service: this one may be stopped hard. initdb refuses root, so as root
    the cluster runs as the ``postgres`` OS user, in a directory it owns.
    """

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        pg_ctl = found[-1] if found else shutil.which("pg_ctl")
        if not pg_ctl:
            raise RuntimeError("pg_ctl not found (/usr/lib/postgresql/*/bin or PATH)")
        self.bin = Path(pg_ctl).parent
        self.port = free_port()
        self.as_user: list[str] = []
        self.dir = Path(tempfile.mkdtemp(prefix="flexserve-fault-pg-"))
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"

    def _run(self, *command: str, timeout: float = 120) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        done = subprocess.run(
            [*self.as_user, *command], env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout[-500:]} {done.stderr[-500:]}")

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 "
        options += f"-c unix_socket_directories={self.dir}"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop_immediate(self) -> None:
        """Like a crash: no checkpoint, clients cut off; the next start replays the WAL."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError, OSError):
            if (self.data / "postmaster.pid").exists():
                self.stop_immediate()
        shutil.rmtree(self.dir, ignore_errors=True)


def outbox_messages(label: str, keys) -> list[int]:
    """Outbox messages of the requests a load run stored under these keys."""
    from servicedesk.models import OutboxMessage

    keys, prefix = set(keys), f"bench {label} key="
    found = OutboxMessage.objects.filter(request__description__startswith=prefix)
    return [
        pk
        for pk, description in found.values_list("pk", "request__description").iterator()
        if description[len(prefix) : len(prefix) + 36] in keys
    ]


def undelivered(message_ids: list[int]) -> int:
    from servicedesk.models import OutboxMessage

    sent = OutboxMessage.State.SENT
    return OutboxMessage.objects.filter(pk__in=message_ids).exclude(state=sent).count()
