"""Benchmark: a shop owner submitting a SERVQUAL survey over HTTP.

flexserve runs as in production, like the intake benchmark (bench/_live.py): gunicorn with 2
sync workers on loopback, PostgreSQL (the fresh database ``bench.run`` gives), Redis for the
cache and throttling, DEBUG off, the API limits raised out of the way. The city is
``seed_demo --shops 1000 --weeks 1`` without request, chat or visit history (its quality demo
data included: two past SERVQUAL waves with answers, a staff wave, NPS, ratings); then a service
manager makes 5 fresh waves of the shipped instrument ``servqual-shop-22`` for every shop with
``quality.services.surveys.wave_create``, opening 3 s later (before the load: see
``_open_waves``), so each shop holds 5 invitations.

Before the load, one owner goes through the API as the portal does: lists its open surveys
(``GET /api/quality/surveys``), reads the questions (``GET /api/quality/surveys/{token}``),
submits, sends the same submission again (the stored one comes back) and other answers (409).
The answers of the load are drawn from those questions. The SQL queries of one submission are
counted in this process with Django's test client (the same view, embedded settings).

The load comes from a separate process (bench/intake_support/survey_loadgen.py): 8 clients, each
with its own shop owners' bearer tokens and invitations (no shop shared between clients), each
submitting the full 22 expectation/perception items and the 100 points of one invitation as soon
as its last submission was answered: 2 s warm-up, then 15 s measured; every invitation is
answered at most once. Afterwards the database must hold exactly the acknowledged submissions
(one submitted response with all its answers per acknowledged invitation), or the run fails.
"""

import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench import _live as live

DATABASE = "postgresql"
TARGETS = {"survey_submit_p99_ms": (200, "<")}
NOTES = {
    "survey_submit_p50_ms": "median latency of POST /api/quality/surveys/{token} (submit: 22 "
    "SERVQUAL items + 100 points), gunicorn 2 sync workers, PostgreSQL, 8 shop owners on "
    "loopback",
    "survey_submit_p95_ms": "95th percentile latency of those submissions",
    "survey_submit_p99_ms": "99th percentile latency of those submissions",
    "survey_submit_count": "submissions acknowledged in the 15 s window (each stored, checked)",
    "survey_submit_rps": "those submissions per second",
    "survey_submit_queries": "SQL queries of one submission (in-process, Django's test client)",
}

ROOT = Path(__file__).resolve().parent.parent
SHOPS, WEEKS, WAVES = 1000, 1, 5  # ~4,900 invitations: ~20 s at 240/s before any runs out
WARMUP_S, DURATION_S = 2, 15
SEED = 20261207
SERVQUAL_ITEMS = 22  # expectation/perception questions of the shipped instrument
ANSWERS_PER_SUBMISSION = SERVQUAL_ITEMS + 1  # and the points question
OPEN_AFTER_S = 3  # the waves open once the setup is done (see _open_waves)
CHECK_SHOPS = 2  # the contract check's and the query count's, kept out of the load
CHECK_SUBMISSIONS = 3  # stored by the checks: the contract's, the warm-up's, the counted one


# --- Data ---------------------------------------------------------------------------------------


def _seed() -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command(
        "seed_demo",
        shops=SHOPS,
        weeks=WEEKS,
        request_weeks=0,
        chat_weeks=0,
        visit_weeks=0,
        stdout=io.StringIO(),
    )
    print(f"  seeded {SHOPS} shops, {WEEKS} week in {time.perf_counter() - started:.1f} s")


def _instrument():
    """The shipped SERVQUAL instrument, checked to hold what the load answers."""
    from quality import shipped
    from quality.models import Instrument, Response

    instrument = Instrument.objects.get(code=shipped.CODE, is_active=True)
    kinds = Counter(instrument.questions.values_list("kind", flat=True))
    if kinds["ep"] != SERVQUAL_ITEMS or kinds["points"] != 1:
        raise RuntimeError(f"{shipped.CODE}: expected 22 ep items and 1 points question, {kinds}")
    demo = Response.objects.filter(wave__instrument=instrument, state="submitted").count()
    if not demo:
        raise RuntimeError("seed_demo made no SERVQUAL responses: the quality demo data is missing")
    print(f"  {shipped.CODE}: {dict(kinds)}; {demo} demo responses already stored")
    return instrument


def _open_waves(instrument) -> list:
    """WAVES waves of the instrument for every shop, opened by a service manager.

    They open OPEN_AFTER_S from now, before the load starts: a wave already open when created
    sends its invitations on commit, one notification per shop (here delivered in-process), which
    is not what is measured and took ~40 s for 3 waves of 1,000 shops.
    """
    from django.utils import timezone

    from accounts.models import User
    from flexserve.policy import Role
    from quality.models import Invitation
    from quality.services import surveys

    manager = User.objects.filter(role=Role.SERVICE_MANAGER, is_active=True).order_by("pk").first()
    if manager is None:
        raise RuntimeError("seed_demo made no service manager to open the waves")
    started, opens_at = time.perf_counter(), timezone.now() + timedelta(seconds=OPEN_AFTER_S)
    waves = [
        surveys.wave_create(
            actor=manager,
            instrument_id=instrument.pk,
            name=f"bench SERVQUAL wave {number}",
            opens_at=opens_at,
            closes_at=opens_at + timedelta(days=7),
        )
        for number in range(1, WAVES + 1)
    ]
    for wave in waves:
        invited = Invitation.objects.filter(wave=wave).count()
        if not invited or invited != wave.invited:
            raise RuntimeError(f"{wave.name}: {invited} invitations stored, {wave.invited} invited")
    print(
        f"  {WAVES} waves of {waves[0].invited} invitations each in "
        f"{time.perf_counter() - started:.1f} s, opening at {opens_at:%H:%M:%S}"
    )
    return waves


def _wait_open(waves: list) -> None:
    from django.utils import timezone

    opens_at = max(wave.opens_at for wave in waves)
    time.sleep(max(0.0, (opens_at - timezone.now()).total_seconds() + 0.1))


def _owners(waves: list) -> list[tuple[int, str, list[str]]]:
    """(shop id, bearer token, its invitation tokens in wave order) of every shop owner invited."""
    from accounts.models import User
    from accounts.services import api_token_create
    from quality.models import Invitation

    started = time.perf_counter()
    tokens: dict[int, list[str]] = {}
    owner_of: dict[int, int] = {}
    rows = (
        Invitation.objects.filter(
            wave__in=waves, shop__owner_account__is_active=True, shop__status="active"
        )
        .order_by("shop_id", "wave__opens_at", "wave_id")
        .values_list("shop_id", "shop__owner_account_id", "token")
    )
    for shop_id, owner_id, token in rows:
        tokens.setdefault(shop_id, []).append(token)
        owner_of[shop_id] = owner_id
    users = User.objects.in_bulk(set(owner_of.values()))
    owners = [
        (shop_id, api_token_create(user=users[owner_of[shop_id]], name="bench")[1], found)
        for shop_id, found in tokens.items()
    ]
    if len(owners) < CHECK_SHOPS + live.CLIENTS:
        raise RuntimeError(f"only {len(owners)} invited shops have an owner's log-in")
    print(
        f"  {len(owners)} shop owners with a bearer token in {time.perf_counter() - started:.1f} s"
    )
    return owners


# --- Checks -------------------------------------------------------------------------------------


def _fail(gunicorn: live.Service, what: str) -> RuntimeError:
    return RuntimeError(f"{what}\n--- flexserve's log ---\n{gunicorn.log_tail(40)}")


def _check_contract(gunicorn: live.Service, port: int, owner) -> tuple[list[dict], list[str]]:
    """The portal's way through the API for one owner; the questions and dimension codes."""
    _shop_id, bearer, tokens = owner
    auth = {"Authorization": f"Bearer {bearer}"}
    status, _, body = live.http(port, "GET", "/api/quality/surveys", auth)
    if status != 200:
        raise _fail(gunicorn, f"GET /api/quality/surveys: HTTP {status} {body[:300]!r}")
    listed = {s["token"] for s in json.loads(body)}
    if not set(tokens) <= listed:
        raise RuntimeError(f"GET /api/quality/surveys lists {len(listed)} surveys, not the waves'")
    path = f"/api/quality/surveys/{tokens[0]}"
    status, _, body = live.http(port, "GET", path, auth)
    if status != 200:
        raise _fail(gunicorn, f"GET {path}: HTTP {status} {body[:300]!r}")
    survey = json.loads(body)
    questions = survey["questions"]
    dimensions = [d["code"] for d in survey["dimensions"]]

    from bench.intake_support.survey_loadgen import draw_answers

    answers = draw_answers(random.Random(SEED), questions, dimensions)
    headers = auth | {"Content-Type": "application/json"}

    def post(given: dict) -> tuple[int, bytes]:
        payload = json.dumps({"answers": given, "submit": True}).encode()
        status, _, body = live.http(port, "POST", path, headers, payload)
        return status, body

    first = post(answers)
    if first[0] != 200 or json.loads(first[1]).get("state") != "submitted":
        raise _fail(gunicorn, f"POST {path} (submit): HTTP {first[0]} {first[1][:300]!r}")
    again = post(answers)
    if again[0] != 200 or json.loads(again[1]) != json.loads(first[1]):
        raise RuntimeError(f"the same submission again: HTTP {again[0]} {again[1][:300]!r}")
    other = {**answers, questions[0]["code"]: {"e": 1, "p": 1}}
    if answers[questions[0]["code"]] == other[questions[0]["code"]]:
        other[questions[0]["code"]] = {"e": 2, "p": 2}
    conflict = post(other)
    if conflict[0] != 409:
        raise RuntimeError(f"other answers after submitting: HTTP {conflict[0]} instead of 409")
    print(
        f"  contract: listed {len(listed)} open surveys, read {len(questions)} questions, "
        "submitted, replayed (same answer), refused other answers (409)"
    )
    return questions, dimensions


def _count_queries(warm, owner, questions: list[dict], dimensions: list[str]) -> int:
    """SQL queries of one submission in this process: an owner's first, as under the load (its
    token looked up and marked used), after another owner's submission warmed the process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.intake_support.survey_loadgen import draw_answers

    rng = random.Random(SEED + 1)
    for (_shop_id, bearer, _tokens), token in ((warm, warm[2][1]), (owner, owner[2][0])):
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {bearer}")
        body = json.dumps({"answers": draw_answers(rng, questions, dimensions), "submit": True})
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                f"/api/quality/surveys/{token}", body, content_type="application/json"
            )
        if response.status_code != 200:
            raise RuntimeError(f"in-process submission: HTTP {response.status_code}")
    queries = captured.captured_queries
    spent = sum(float(q["time"]) for q in queries) * 1000
    print(f"  one submission: {len(queries)} SQL queries, {spent:.0f} ms in SQL, in-process:")
    print("    " + ", ".join(_query_kind(q["sql"]) for q in queries))
    return len(queries)


def _query_kind(sql: str) -> str:
    """ "SELECT quality_answer", "UPDATE accounts_apitoken", "BEGIN", …"""
    words = sql.replace('"', "").split()
    verb = words[0].upper() if words else "?"
    keyword = {"SELECT": "FROM", "DELETE": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(verb)
    if keyword in words and words.index(keyword) + 1 < len(words):
        return f"{verb} {words[words.index(keyword) + 1]}"
    return verb


def _verify(waves: list, acknowledged: list[str]) -> None:
    """Every acknowledged submission stored once with all its answers, and nothing else."""
    from quality.models import Answer, Invitation, Response

    submitted = Response.objects.filter(wave__in=waves, state=Response.State.SUBMITTED)
    stored = submitted.count()
    responded = Invitation.objects.filter(
        token__in=acknowledged, responded_at__isnull=False, response__state="submitted"
    ).count()
    answers = Answer.objects.filter(response__in=submitted).count()
    drafts = Response.objects.filter(wave__in=waves, state=Response.State.DRAFT).count()
    expected = len(acknowledged) + CHECK_SUBMISSIONS
    print(
        f"  stored: {stored} submitted responses ({CHECK_SUBMISSIONS} of the checks), "
        f"{answers} answers, {drafts} drafts; {len(acknowledged)} acknowledged under load"
    )
    problems = []
    if len(set(acknowledged)) != len(acknowledged):
        problems.append("an invitation was acknowledged twice")
    if stored != expected:
        problems.append(f"{stored} responses stored for {expected} acknowledged submissions")
    if responded != len(set(acknowledged)):
        problems.append(f"only {responded} acknowledged invitations have a submitted response")
    if answers != stored * ANSWERS_PER_SUBMISSION:
        problems.append(f"{answers} answers for {stored} responses ({ANSWERS_PER_SUBMISSION} each)")
    if drafts:
        problems.append(f"{drafts} drafts left by submissions")
    if problems:
        raise RuntimeError("survey submissions not stored as acknowledged: " + "; ".join(problems))


# --- Load ---------------------------------------------------------------------------------------


def _assignments(owners: list) -> list[list[list[str]]]:
    """Per client, [bearer, invitation token] in the order it submits: its shops round-robin by
    wave (wave 1 of each of its shops, then wave 2, …), no shop shared between clients."""
    clients: list[list[list[str]]] = [[] for _ in range(live.CLIENTS)]
    for n, (_shop_id, bearer, tokens) in enumerate(owners):
        for wave, token in enumerate(tokens):
            clients[n % live.CLIENTS].append([wave, n, bearer, token])
    return [[[bearer, token] for *_, bearer, token in sorted(queue)] for queue in clients]


def _load(config: dict, tmp: Path, groups: dict[str, int]) -> dict:
    """One load run, and the cores each party used meanwhile (as live.measured_load prints)."""
    config_path, result_path = tmp / "survey-load.json", tmp / "survey-load-result.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "bench.intake_support.survey_loadgen"]
    before, started = live.cpu_seconds(groups), time.monotonic()
    process = subprocess.Popen(
        [*command, str(config_path), str(result_path)], cwd=ROOT, stdin=subprocess.DEVNULL
    )
    if process.wait(timeout=120) != 0:
        raise RuntimeError(f"the load generator failed (exit code {process.returncode})")
    result = json.loads(result_path.read_text())
    after, wall = live.cpu_seconds(groups), time.monotonic() - started
    shares = {name: (after[name] - before[name]) / wall for name in after}
    shares["load generator"] = result["cpu_share"]
    machine = shares.pop("machine")
    shares["other processes"] = max(0.0, machine - sum(shares.values()))
    spent = ", ".join(f"{name} {share:.2f}" for name, share in shares.items())
    print(f"  cores used during the load: {spent} (of {os.cpu_count()})")
    if shares["other processes"] > 0.25:
        print("  note: other work shared the machine; latencies are higher than on a quiet one")
    return result


def _summary(result: dict, gunicorn: live.Service) -> dict[str, float]:
    latencies = result["latencies_ms"]
    print(f"  answers by HTTP status: {result['statuses']}; errors {result['errors']}")
    if result["errors"]:
        samples = "\n".join(result["error_samples"])
        raise _fail(gunicorn, f"{sum(result['errors'].values())} failed submissions:\n{samples}")
    if result["ran_out_at_s"] is not None:
        print(f"  note: a client ran out of invitations at {result['ran_out_at_s']:.1f} s")
        if result["duration_s"] < DURATION_S / 2:
            raise RuntimeError("too few invitations for the window: raise SHOPS or WAVES")
    if not latencies:
        raise RuntimeError("no submission acknowledged inside the measured window")
    figures = {q: live.percentile(latencies, q / 100) for q in (50, 95, 99)}
    rps = len(latencies) / result["duration_s"]
    print(
        f"  survey submit: {len(latencies)} in {result['duration_s']:.1f} s ({rps:.1f}/s), "
        f"p50 {figures[50]:.1f} ms, p95 {figures[95]:.1f} ms, p99 {figures[99]:.1f} ms, "
        f"max {max(latencies):.1f} ms; load generator CPU {result['cpu_share']:.2f} cores"
    )
    return {
        "survey_submit_p50_ms": round(figures[50], 1),
        "survey_submit_p95_ms": round(figures[95], 1),
        "survey_submit_p99_ms": round(figures[99], 1),
        "survey_submit_count": len(latencies),
        "survey_submit_rps": round(rps, 1),
    }


def run() -> dict[str, float]:
    from django.db import connections

    _seed()
    instrument = _instrument()
    waves = _open_waves(instrument)
    owners = _owners(waves)
    checks, load_owners = owners[:CHECK_SHOPS], owners[CHECK_SHOPS:]
    connections.close_all()
    with live.services() as services, tempfile.TemporaryDirectory() as tmp:
        env, port = live.flexserve_env(), live.free_port()
        gunicorn = live.flexserve_web(env, port, Path(tmp))
        services.append(gunicorn)
        live.wait_ready(gunicorn, port, "/healthz")
        print(f"  flexserve on :{port}")
        _wait_open(waves)
        questions, dimensions = _check_contract(gunicorn, port, checks[0])
        queries = _count_queries(checks[0], checks[1], questions, dimensions)
        config = {
            "label": "survey",
            "host": "127.0.0.1",
            "port": port,
            "clients": _assignments(load_owners),
            "questions": questions,
            "dimensions": dimensions,
            "seed": SEED,
            "warmup_s": WARMUP_S,
            "duration_s": DURATION_S,
            "timeout_s": 10,
        }
        invitations = sum(len(queue) for queue in config["clients"])
        print(
            f"  load: {live.CLIENTS} clients, {len(load_owners)} shops, {invitations} invitations"
        )
        result = _load(config, Path(tmp), {"gunicorn": gunicorn.process.pid})
        gunicorn.stop()
        _verify(waves, result["acknowledged"])
        metrics = _summary(result, gunicorn)
    return metrics | {"survey_submit_queries": queries}
