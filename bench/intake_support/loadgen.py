"""Closed-loop HTTP load generator of bench/intake.py: a separate process, stdlib only.

    python -m bench.intake_support.loadgen CONFIG.json RESULT.json

A fixed number of clients (one connection each) submit for a fixed time on loopback, each
starting its next submission when the last one was answered. Two kinds of submission:

- ``intake``: POST /api/service/requests with a bearer token, JSON and an Idempotency-Key;
  acknowledged by any 2xx. With ``owners`` ([shop id, token] pairs) each client submits for
  its own shop with that shop owner's token (the owner's scope applies); else ``token`` and
  ``shop_ids``.
- ``helpdesk``: django-helpdesk's public ticket form; each client fetches the form once (CSRF
  cookie and token), then POSTs it as a browser does (multipart); acknowledged by the 302 to
  the ticket page.

With ``retry`` (the crash test) a failed attempt — connection error, time-out, 5xx — is sent
again with the same key and body until it is acknowledged; clients finish the submission they
hold when time is up. Asyncio over raw streams keeps the generator's own CPU cost small (it
shares two cores with the servers); its CPU share is part of the result.

Only requests that complete inside the measured window (after the warm-up) count for rates and
latencies. Progress is printed each second. The result also gives ``started_at`` and each
acknowledgement's ``ack_at`` on ``time.monotonic()`` (one clock for all processes on Linux), so
the caller can place its own events (a fault, a drained outbox) on the same time line.
"""

import asyncio
import json
import re
import resource
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

INTAKE_PATH = "/api/service/requests"
HELPDESK_FORM_PATH = "/tickets/submit/"
BACKOFF_S = 0.05
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")


class HttpFailure(Exception):
    """The exchange broke off: connection refused or reset, closed early, or timed out."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


class Connection:
    """One HTTP/1.1 connection, reopened when the server closes it (gunicorn's sync workers
    answer ``Connection: close``, so each request then pays for a new loopback connection)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes, timeout: float) -> Response:
        try:
            return await asyncio.wait_for(self._exchange(raw), timeout)
        except (OSError, EOFError, ValueError, asyncio.IncompleteReadError) as exc:
            self.close()
            raise HttpFailure(type(exc).__name__) from None
        except TimeoutError:
            self.close()
            raise HttpFailure("timeout") from None

    async def _exchange(self, raw: bytes) -> Response:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        version, status = lines[0].split(" ", 2)[:2]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                name = name.strip().lower()
                value = value.strip()
                # Several Set-Cookie lines: keep them all.
                headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunked()
        else:
            body = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
            self.close()
        return Response(int(status), headers, body)

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


def _request(method: str, path: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class Stats:
    warmup_s: float
    duration_s: float
    started: float = field(default_factory=time.monotonic)
    latencies_ms: list[float] = field(default_factory=list)  # acknowledged, inside the window
    per_second: Counter = field(default_factory=Counter)  # acknowledged by elapsed second
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)  # keys (intake)
    ack_at: list[float] = field(default_factory=list)  # time.monotonic() of each, same order
    gave_up: list[str] = field(default_factory=list)
    attempts: int = 0
    replays: int = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def in_window(self, at: float) -> bool:
        return self.warmup_s <= at < self.warmup_s + self.duration_s

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        self.per_second[("error", int(self.elapsed()))] += 1
        if detail and len(self.error_samples) < 5:
            self.error_samples.append(f"{kind}: {detail[:300]}")


class Submitter:
    """Builds one client's submissions and tells an acknowledgement from a failure."""

    def __init__(self, config: dict, client: int):
        self.config, self.client = config, client
        self.host = f"{config['host']}:{config['port']}"
        self.serial = 0

    async def prepare(self, connection: Connection) -> None:
        """Anything a client does once before it submits (helpdesk: fetch the form)."""

    def next(self) -> tuple[str, bytes]:
        raise NotImplementedError

    def acknowledged(self, response: Response) -> bool:
        raise NotImplementedError


class IntakeSubmitter(Submitter):
    def next(self) -> tuple[str, bytes]:
        config, self.serial = self.config, self.serial + 1
        key = str(uuid.uuid4())
        types = config["request_types"]
        n = self.client * 100_003 + self.serial
        if config.get("owners"):
            shop_id, token = config["owners"][self.client % len(config["owners"])]
        else:
            shops, token = config["shop_ids"], config["token"]
            shop_id = shops[n % len(shops)]
        body = json.dumps(
            {
                "shop_id": shop_id,
                "request_type": types[n % len(types)],
                "channel": "api",
                "title": f"{config['label']} {self.client}-{self.serial}: cooler stops at night",
                # The key in the text lets the crash test find duplicates in the table itself.
                "description": f"bench {config['label']} key={key}. The display cooler stops "
                "at night and the cigarettes are warm in the morning.",
            }
        ).encode()
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        return key, _request("POST", INTAKE_PATH, self.host, headers, body)

    def acknowledged(self, response: Response) -> bool:
        return 200 <= response.status < 300


class HelpdeskSubmitter(Submitter):
    boundary = "----benchFormBoundary7MA4YWxkTrZu0gW"

    async def prepare(self, connection: Connection) -> None:
        raw = _request("GET", HELPDESK_FORM_PATH, self.host, {}, b"")
        response = await connection.request(raw, self.config["timeout_s"])
        token = _CSRF_INPUT.search(response.body)
        cookie = _CSRF_COOKIE.search(response.headers.get("set-cookie", ""))
        if response.status != 200 or not token or not cookie:
            raise RuntimeError(f"helpdesk form: HTTP {response.status}, no CSRF token/cookie")
        self.token, self.cookie = token.group(1).decode(), cookie.group(1)

    def next(self) -> tuple[str, bytes]:
        self.serial += 1
        key = str(uuid.uuid4())
        fields = {
            "csrfmiddlewaretoken": self.token,
            "queue": str(self.config["queue_id"]),
            "title": f"{self.config['label']} {self.client}-{self.serial}: cooler stops at night",
            "body": f"bench key={key}. The display cooler stops at night and the cigarettes "
            "are warm in the morning.",
            "priority": "3",
            "due_date": "",
            "submitter_email": f"shop{self.client}.{self.serial}@example.com",
        }
        parts = [
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ]
        # A browser sends the empty file input too.
        parts.append(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="attachment"; '
            'filename=""\r\nContent-Type: application/octet-stream\r\n\r\n\r\n'
        )
        body = ("".join(parts) + f"--{self.boundary}--\r\n").encode()
        headers = {
            "Content-Type": f"multipart/form-data; boundary={self.boundary}",
            "Cookie": f"csrftoken={self.cookie}",
        }
        return key, _request("POST", HELPDESK_FORM_PATH, self.host, headers, body)

    def acknowledged(self, response: Response) -> bool:
        return response.status == 302 and "/view/?ticket=" in response.headers.get("location", "")


async def client(config: dict, number: int, stats: Stats) -> None:
    kind = {"intake": IntakeSubmitter, "helpdesk": HelpdeskSubmitter}[config["kind"]]
    submitter = kind(config, number)
    connection = Connection(config["host"], config["port"])
    await submitter.prepare(connection)
    end = stats.warmup_s + stats.duration_s
    retry, timeout = config["retry"], config["timeout_s"]
    try:
        while stats.elapsed() < end:
            key, raw = submitter.next()
            first_try = stats.elapsed()
            while True:
                stats.attempts += 1
                sent = time.monotonic()
                try:
                    response = await connection.request(raw, timeout)
                except HttpFailure as exc:
                    stats.error(str(exc))
                    failed = True
                else:
                    done = stats.elapsed()
                    if submitter.acknowledged(response):
                        if stats.in_window(done):
                            stats.latencies_ms.append((time.monotonic() - sent) * 1000)
                        stats.per_second[("ok", int(done))] += 1
                        stats.acknowledged.append(key)
                        stats.ack_at.append(time.monotonic())
                        if response.headers.get("idempotent-replayed", "").lower() == "true":
                            stats.replays += 1
                        break
                    failed = response.status >= 500
                    stats.error(f"HTTP {response.status}", response.body.decode("utf-8", "replace"))
                    if not failed:  # a 4xx is an answer: sending it again will not change it
                        break
                if not retry:
                    break
                if stats.elapsed() - first_try > config["give_up_s"]:
                    stats.gave_up.append(key)
                    break
                await asyncio.sleep(BACKOFF_S)
    finally:
        connection.close()


async def progress(config: dict, stats: Stats) -> None:
    label, second = config["label"], 0
    while True:
        await asyncio.sleep(max(0.0, second + 1 - stats.elapsed()))
        ok, errors = stats.per_second[("ok", second)], stats.per_second[("error", second)]
        phase = "warm-up" if second < stats.warmup_s else "measure"
        if second >= stats.warmup_s + stats.duration_s:
            phase = "finish"
        print(f"    {label:>8} {second + 1:3d} s  {ok:5d} ok  {errors:3d} errors  ({phase})")
        second += 1


async def main(config: dict) -> dict:
    stats = Stats(warmup_s=config["warmup_s"], duration_s=config["duration_s"])
    ticker = asyncio.create_task(progress(config, stats))
    try:
        await asyncio.gather(*(client(config, n, stats) for n in range(config["clients"])))
    finally:
        ticker.cancel()
    wall = stats.elapsed()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    window = [v for (what, second), v in stats.per_second.items() if what == "ok"]
    return {
        "label": config["label"],
        "clients": config["clients"],
        "duration_s": stats.duration_s,
        "ok_in_window": len(stats.latencies_ms),
        "latencies_ms": stats.latencies_ms,
        "acknowledged": stats.acknowledged,
        "ack_at": stats.ack_at,
        "started_at": stats.started,
        "acknowledged_total": sum(window),
        "attempts": stats.attempts,
        "replays": stats.replays,
        "errors": dict(stats.errors),
        "error_samples": stats.error_samples,
        "gave_up": stats.gave_up,
        "wall_s": wall,
        "cpu_share": (usage.ru_utime + usage.ru_stime) / wall,
    }


if __name__ == "__main__":
    config_path, result_path = sys.argv[1:3]
    result = asyncio.run(main(json.loads(Path(config_path).read_text())))
    Path(result_path).write_text(json.dumps(result))
