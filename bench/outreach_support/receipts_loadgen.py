"""Closed-loop load generator of bench/outreach_receipts.py: a separate process, stdlib only.

    python -m bench.outreach_support.receipts_loadgen CONFIG.json RESULT.json

The connection, the request writer, the statistics and the progress lines are those of
bench/intake_support/loadgen.py; what differs is what each client sends:

- ``receipts``: signed Aliyun SMS delivery reports (``X-Flexserve-Signature: sha256=<hex HMAC>``)
  to /o/hooks/aliyun-sms-report/, a JSON list of one report each. Each client reports on its own
  share of the seeded deliveries (``items``: [delivery id, BizId, phone]), each once; with the
  probability ``repeat_share`` it sends instead, byte for byte, a report it already had
  acknowledged (a provider calling back twice). Acknowledged: HTTP 200 with Aliyun's
  ``{"code":0,…}``.
- ``healthz``: GET /healthz (the anchor: the same server's cheapest page that reads the database
  and the broker).

A client that runs out of fresh reports says so in the result (``exhausted``): the seed was too
small for the rate, and the mix no longer the one asked for.
"""

import asyncio
import hashlib
import hmac
import json
import random
import resource
import sys
import time
from pathlib import Path

from bench.intake_support.loadgen import Connection, HttpFailure, Stats, _request, progress

HOOK_PATH = "/o/hooks/aliyun-sms-report/"
ALIYUN_OK = b'"code":0'


def report_body(delivery_id: int, biz_id: str, phone: str) -> bytes:
    """One Aliyun SmsReport item, as Aliyun posts it (a list), times in Beijing time."""
    sent = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600 - 60))
    received = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 8 * 3600))
    item = {
        "phone_number": phone,
        "send_time": sent,
        "report_time": received,
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": biz_id,
        "out_id": str(delivery_id),
    }
    return json.dumps([item], ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Client:
    def __init__(self, config: dict, number: int, stats: Stats):
        self.config, self.number, self.stats = config, number, stats
        self.host = f"{config['host']}:{config['port']}"
        self.rng = random.Random(f"receipts:{number}")
        items = config.get("items", [])
        self.fresh = items[number :: config["clients"]]
        self.done: list[tuple[int, bytes]] = []  # acknowledged reports: (delivery id, body)
        self.new_acked: list[int] = []
        self.new_unsure: list[int] = []  # sent, answer lost: applied or not
        self.repeats_acked = 0
        self.exhausted = False

    def next(self) -> tuple[str, int, bytes, bytes]:
        """(kind, delivery id, body, raw request)."""
        if self.config["kind"] == "healthz":
            return "healthz", 0, b"", _request("GET", "/healthz", self.host, {}, b"")
        repeat = self.done and self.rng.random() < self.config["repeat_share"]
        if not repeat and not self.fresh:
            self.exhausted, repeat = True, bool(self.done)
        if repeat:
            delivery_id, body = self.rng.choice(self.done)
            kind = "repeat"
        else:
            delivery_id, biz_id, phone = self.fresh.pop()
            body = report_body(delivery_id, biz_id, phone)
            kind = "new"
        headers = {
            "Content-Type": "application/json",
            "X-Flexserve-Signature": sign(self.config["secret"], body),
        }
        return kind, delivery_id, body, _request("POST", HOOK_PATH, self.host, headers, body)

    def acknowledged(self, kind: str, status: int, body: bytes) -> bool:
        return status == 200 and (kind == "healthz" or ALIYUN_OK in body.replace(b" ", b""))

    async def run(self) -> None:
        stats, connection = self.stats, Connection(self.config["host"], self.config["port"])
        end = stats.warmup_s + stats.duration_s
        try:
            while stats.elapsed() < end:
                kind, delivery_id, body, raw = self.next()
                stats.attempts += 1
                sent = time.monotonic()
                try:
                    response = await connection.request(raw, self.config["timeout_s"])
                except HttpFailure as exc:
                    stats.error(str(exc))
                    if kind == "new":
                        self.new_unsure.append(delivery_id)
                    continue
                done = stats.elapsed()
                if not self.acknowledged(kind, response.status, response.body):
                    stats.error(f"HTTP {response.status}", response.body.decode("utf-8", "replace"))
                    if kind == "new":
                        self.new_unsure.append(delivery_id)
                    continue
                if stats.in_window(done):
                    stats.latencies_ms.append((time.monotonic() - sent) * 1000)
                stats.per_second[("ok", int(done))] += 1
                if kind == "new":
                    self.new_acked.append(delivery_id)
                    self.done.append((delivery_id, body))
                elif kind == "repeat":
                    self.repeats_acked += 1
        finally:
            connection.close()


async def main(config: dict) -> dict:
    stats = Stats(warmup_s=config["warmup_s"], duration_s=config["duration_s"])
    clients = [Client(config, n, stats) for n in range(config["clients"])]
    ticker = asyncio.create_task(progress(config, stats))
    try:
        await asyncio.gather(*(c.run() for c in clients))
    finally:
        ticker.cancel()
    wall = stats.elapsed()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "label": config["label"],
        "clients": config["clients"],
        "duration_s": stats.duration_s,
        "latencies_ms": stats.latencies_ms,
        "attempts": stats.attempts,
        "errors": dict(stats.errors),
        "error_samples": stats.error_samples,
        "new_acked": [d for c in clients for d in c.new_acked],
        "new_unsure": [d for c in clients for d in c.new_unsure],
        "repeats_acked": sum(c.repeats_acked for c in clients),
        "exhausted": any(c.exhausted for c in clients),
        "wall_s": wall,
        "cpu_share": (usage.ru_utime + usage.ru_stime) / wall,
    }


if __name__ == "__main__":
    config_path, result_path = sys.argv[1:3]
    result = asyncio.run(main(json.loads(Path(config_path).read_text())))
    Path(result_path).write_text(json.dumps(result))
