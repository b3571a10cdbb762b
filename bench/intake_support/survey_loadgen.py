"""Closed-loop load generator of bench/survey_submit.py: a separate process, stdlib only.

    python -m bench.intake_support.survey_loadgen CONFIG.json RESULT.json

Each client holds its own shop owners' invitations ([bearer token, invitation token] pairs, no
shop shared between clients) and submits one full answer per invitation with
``POST /api/quality/surveys/{token}``, starting the next as soon as the last was answered, until
the time is up or its invitations run out (each can be submitted once). Answers are drawn at
random from the questions the caller read through the API (``questions``, ``dimensions``).

A submission is acknowledged by a 2xx whose body says ``"state": "submitted"``; nothing is sent
twice. The connection, the request framing, the statistics and the progress lines are those of
``bench.intake_support.loadgen``; only requests that complete inside the measured window count
for latencies. When one client runs out of invitations every client stops and the window ends
there: the concurrency stays the same throughout the window.
"""

import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.intake_support.loadgen import Connection, HttpFailure, Stats, _request, progress

SURVEY_PATH = "/api/quality/surveys/{token}"
POINTS_TOTAL = 100


def _points(rng: random.Random, dimensions: list[str]) -> dict[str, int]:
    """Whole points over the dimensions summing to 100."""
    cuts = sorted(rng.randint(0, POINTS_TOTAL) for _ in range(len(dimensions) - 1))
    edges = [0, *cuts, POINTS_TOTAL]
    return {code: edges[n + 1] - edges[n] for n, code in enumerate(dimensions)}


def _shown(question: dict, answers: dict) -> bool:
    """quality.answers.is_shown for the answers drawn so far (conditions point backwards)."""
    condition = question.get("show_if") or {}
    return not condition or answers.get(condition.get("question", "")) in condition.get("in", [])


def draw_answers(rng: random.Random, questions: list[dict], dimensions: list[str]) -> dict:
    """A complete answer: every shown question but optional free text."""
    answers: dict = {}
    for q in questions:
        if not _shown(q, answers):
            continue
        low, high, kind = q["scale_min"], q["scale_max"], q["kind"]
        if kind == "ep":
            answers[q["code"]] = {"e": rng.randint(low, high), "p": rng.randint(low, high)}
        elif kind in ("scale", "nps", "csat"):
            answers[q["code"]] = rng.randint(low, high)
        elif kind == "choice":
            answers[q["code"]] = rng.randrange(len(q["choices"]))
        elif kind == "points":
            answers[q["code"]] = _points(rng, dimensions)
        elif kind == "text" and q["required"]:
            answers[q["code"]] = "bench: the delivery was on time."
    return answers


@dataclass
class Run:
    stats: Stats
    statuses: Counter = field(default_factory=Counter)
    done_ms: list[tuple[float, float]] = field(default_factory=list)  # (elapsed s, latency ms)
    ran_out_at: float | None = None  # elapsed s when the first client had nothing left


async def client(config: dict, number: int, run: Run) -> None:
    """Submit this client's invitations until the time is up or any client has run out."""
    stats = run.stats
    rng = random.Random(f"{config['seed']}:{number}")
    host = f"{config['host']}:{config['port']}"
    connection = Connection(config["host"], config["port"])
    end = stats.warmup_s + stats.duration_s
    try:
        for bearer, token in config["clients"][number]:
            if stats.elapsed() >= end or run.ran_out_at is not None:
                return
            answers = draw_answers(rng, config["questions"], config["dimensions"])
            body = json.dumps({"answers": answers, "submit": True}).encode()
            headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
            raw = _request("POST", SURVEY_PATH.format(token=token), host, headers, body)
            stats.attempts += 1
            sent = time.monotonic()
            try:
                response = await connection.request(raw, config["timeout_s"])
            except HttpFailure as exc:
                stats.error(str(exc))
                continue
            run.statuses[str(response.status)] += 1
            done = stats.elapsed()
            if 200 <= response.status < 300 and b'"submitted"' in response.body:
                run.done_ms.append((done, (time.monotonic() - sent) * 1000))
                stats.per_second[("ok", int(done))] += 1
                stats.acknowledged.append(token)
                stats.ack_at.append(time.monotonic())
            else:
                stats.error(f"HTTP {response.status}", response.body.decode("utf-8", "replace"))
        if run.ran_out_at is None and stats.elapsed() < end:
            run.ran_out_at = stats.elapsed()
    finally:
        connection.close()


async def main(config: dict) -> dict:
    stats = Stats(warmup_s=config["warmup_s"], duration_s=config["duration_s"])
    run = Run(stats)
    ticker = asyncio.create_task(progress(config, stats))
    try:
        await asyncio.gather(*(client(config, n, run) for n in range(len(config["clients"]))))
    finally:
        ticker.cancel()
    wall = stats.elapsed()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    window_end = stats.warmup_s + stats.duration_s
    if run.ran_out_at is not None:
        window_end = min(window_end, run.ran_out_at)
    stats.latencies_ms = [ms for at, ms in run.done_ms if stats.warmup_s <= at < window_end]
    return {
        "label": config["label"],
        "clients": len(config["clients"]),
        "duration_s": max(0.0, window_end - stats.warmup_s),
        "latencies_ms": stats.latencies_ms,
        "acknowledged": stats.acknowledged,
        "ack_at": stats.ack_at,
        "started_at": stats.started,
        "attempts": stats.attempts,
        "statuses": dict(run.statuses),
        "errors": dict(stats.errors),
        "error_samples": stats.error_samples,
        "ran_out_at_s": run.ran_out_at,
        "wall_s": wall,
        "cpu_share": (usage.ru_utime + usage.ru_stime) / wall,
    }


if __name__ == "__main__":
    config_path, result_path = sys.argv[1:3]
    result = asyncio.run(main(json.loads(Path(config_path).read_text())))
    Path(result_path).write_text(json.dumps(result))
