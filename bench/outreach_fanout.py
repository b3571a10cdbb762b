"""Benchmark: one marketing campaign pushed to 50,000 shops through a real Celery worker.

Seeded with COPY (bench/outreach_support/seed.py): 50,000 active shops in four classes, each with
its owner's log-in (in-app messages) and a phone; consent rows in four equal channel orders —
[sms, email], [email], [wechat, sms] and [] (in-app only) — 80 % opted in to marketing, 5 %
unsubscribed from SMS and 3 % from e-mail; 1 % of owners' log-ins inactive, 2 % of phones and
15 % of e-mail addresses missing; 2 % of shops that never chose (default preference: no
opt-in); and 40,000 earlier deliveries of ten other messages so the caps bite: 10 % of shops
had two capped messages today, 5 % six in the last week; others had one, a suppressed one, a
service notice or one older than the week (none of which caps).

Then, as in production: the machine's Redis (broker redis://127.0.0.1:6379/1, on a queue of the
benchmark's own), one Celery worker, prefork with ``CONCURRENCY`` pool processes (the machine
has 2 cores), in production mode on the benchmark's PostgreSQL database. SMS and WeChat go to
the recording fakes (OUTREACH_SMS_PROVIDER=fake, OUTREACH_FAKE_CHANNELS=on: they confirm at once,
no receipt); e-mail goes over real SMTP to an aiosmtpd sink started here (Django's SMTP backend,
one session per batch), in-app into the notification centre. Quiet hours are set to an empty
window (OUTREACH_QUIET_HOURS=00:00-00:00), so the run does not depend on the clock: nothing is
held and every row must reach a final status. The worker reads the SMTP host and port and a
queue of the benchmark's own (CELERY_TASK_DEFAULT_QUEUE) from the environment.

Provider rates are production's defaults (OUTREACH_SMS_PER_SECOND=500, all workers together).
No beat runs; this process sends ``outreach.tick`` to the worker every 60 s from the call, as
beat would (at the worst phase), so rows left due are picked up as in production.

Timed: from ``campaigns.campaign_create`` (called here, on the same database and broker: the
fan-out task goes to the worker) until every targeted shop has its rows and none is left queued
(with quiet hours empty no row may be held: a send lease, a retry or a rate-limit hold is not
done).
Checked afterwards: the rows by channel, status and reason are exactly what ``outreach.rules``
says for each seeded shop (consent, caps, unsubscribes, addresses, channel order), every
e-mail reached the SMTP sink, every in-app delivery made a notification.
"""

import collections
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

from bench import _live as live
from bench.outreach_support import cpu

DATABASE = "postgresql"
SHOPS = 50_000
CONCURRENCY = 2  # worker pool processes: one per core
TIMEOUT_S = 600
PROGRESS_EVERY_S = 3.0  # progress lines while it moves; every QUIET_PROGRESS_S while it does not
QUIET_PROGRESS_S = 15.0
TICK_EVERY_S = 60  # CELERY_BEAT_SCHEDULE["outreach-tick"]
QUIET_HOURS = "00:00-00:00"  # an empty window: nothing is held, whatever the time of day
CAP_PER_DAY, CAP_PER_WEEK = 2, 6  # production's defaults, set explicitly for the worker
TARGETS = {"push_fanout_50000_s": (60, "<")}
NOTES = {
    "push_fanout_50000_s": "campaign_create → every delivery row of 50,000 shops written and "
    "final: one marketing campaign, 1 Celery worker (prefork, 2 processes), Redis broker, "
    "PostgreSQL; SMS/WeChat recording fakes (500 SMS/s, the default limit), e-mail over SMTP to "
    "a local sink, in-app; quiet hours set empty (OUTREACH_QUIET_HOURS=00:00-00:00) so the "
    "clock does not matter; outreach.tick every 60 s from the call, as beat",
    "push_fanout_deliveries": "delivery rows the campaign wrote (in-app copy, channels used, "
    "channels skipped and suppressed shops, each with its reason)",
    "push_fanout_rows_per_s": "push_fanout_deliveries / push_fanout_50000_s",
    "push_fanout_sent": "deliveries handed to a channel (in-app, SMS, e-mail)",
    "push_fanout_planned_s": "campaign_create → the last delivery row written (every shop "
    "planned; rows may still be queued)",
    "push_fanout_worker_cpu_s": "CPU seconds the worker's processes used meanwhile (all pool "
    "processes): the work itself, whatever else shared the machine",
    "push_fanout_postgres_cpu_s": "CPU seconds PostgreSQL's processes used meanwhile (a lower "
    "bound: backends that ended take theirs along)",
    "push_fanout_seed_s": "COPY of 50,000 owners, shops, consent rows and 40,000 earlier "
    "deliveries (not part of the measured time)",
}

ROOT = Path(__file__).resolve().parent.parent
FIRST_SHOP, FIRST_USER = 1_000, 1_000
FINAL_STATUS = {"in_app": "delivered", "sms": "delivered", "wechat": "delivered", "email": "sent"}
TEMPLATE_BODY = "{负责人}您好，{店名}本周新品到店，详情见{链接}"


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


# --- Seeding ------------------------------------------------------------------------------------


def _earlier(shops, actor, now: datetime.datetime) -> None:
    """Ten earlier messages and 40,000 deliveries of them: the caps' history."""
    import random

    from demo import sql
    from outreach import rules
    from outreach.models import Delivery, Message, Template

    china_midnight = timezone_midnight(now, rules.CHINA)
    service = Template.objects.create(
        name="基准服务通知", topic="service", subject="订单", body="订单已送达", created_by=actor
    )
    marketing = Template.objects.create(
        name="基准旧活动", topic="marketing", subject="旧活动", body="旧活动", created_by=actor
    )

    def message(template, topic: str, at: datetime.datetime):
        return Message.objects.create(
            template=template, topic=topic, scheduled_for=at, state=Message.State.OUT
        )

    today = now - datetime.timedelta(seconds=60)
    today_a = message(marketing, "marketing", today)
    today_b = message(marketing, "policy", today)
    notice = message(service, "service", today)
    old = message(marketing, "marketing", china_midnight - datetime.timedelta(days=8, hours=-12))
    week = [
        (
            message(marketing, "marketing", china_midnight - datetime.timedelta(days=k, hours=-12)),
            china_midnight - datetime.timedelta(days=k, hours=-12),
        )
        for k in range(1, 7)
    ]
    rng = random.Random("outreach-fanout:earlier")
    rows = []
    for shop in shops:
        g = rng.random()
        if g < 0.10:  # two capped messages today: capped by the day
            history = [(today_a, today, "delivered"), (today_b, today, "delivered")]
        elif g < 0.15:  # six in the last week: capped by the week
            history = [(m, at, "delivered") for m, at in week]
        elif g < 0.25:  # one today: room for one more
            history = [(today_a, today, "delivered")]
        elif g < 0.30:  # a suppressed one and a service notice: neither counts
            history = [(today_a, today, "suppressed"), (notice, today, "delivered")]
        elif g < 0.35:  # one older than the week, one today
            history = [(old, old.scheduled_for, "delivered"), (today_a, today, "delivered")]
        else:
            history = []
        for msg, at, status in history:
            shop.earlier.append((msg.topic, at, status))
            reason = "no_consent" if status == "suppressed" else ""
            sent = at if status == "delivered" else None
            rows.append((msg.pk, shop.id, "in_app", status, reason, str(shop.owner_id), "", "",
                         at, sent, sent))  # fmt: skip
    sql.insert(
        Delivery,
        ("message_id", "shop_id", "channel", "status", "reason", "address", "provider_id",
         "error", "created_at", "sent_at", "delivered_at"),
        rows,
    )  # fmt: skip
    _say(f"earlier history: {len(rows):,} deliveries of ten messages")


def timezone_midnight(now: datetime.datetime, tz) -> datetime.datetime:
    return now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)


def _seed():
    from django.db import connection

    from bench.outreach_support import seed

    started = time.perf_counter()
    grid_id = seed.territory()
    actor = seed.staff()
    shops = seed.draw_shops(
        SHOPS, first_shop_id=FIRST_SHOP, first_user_id=FIRST_USER, seed="outreach-fanout"
    )
    seed.write_shops(shops, grid_id)
    from django.utils import timezone

    _earlier(shops, actor, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    seconds = time.perf_counter() - started
    _say(f"seeded {len(shops):,} shops, owners and consent rows in {seconds:.1f} s")
    return shops, actor, seconds


# --- What the rules say -------------------------------------------------------------------------


def _default_channels(contact: tuple[str, ...]) -> tuple[str, ...]:
    mapped = {"sms": "sms", "wechat": "wechat", "phone": "sms"}
    order: list[str] = []
    for code in contact:
        if code in mapped and mapped[code] not in order:
            order.append(mapped[code])
    return tuple(order)


def _expected(shops, now: datetime.datetime) -> collections.Counter:
    """(channel, status, reason) → rows, as outreach.rules decides for each seeded shop."""
    from outreach import rules

    lim = rules.Limits(
        per_day=CAP_PER_DAY,
        per_week=CAP_PER_WEEK,
        quiet_start=datetime.time.fromisoformat(QUIET_HOURS.split("-")[0]),
        quiet_end=datetime.time.fromisoformat(QUIET_HOURS.split("-")[1]),
    )
    today = timezone_midnight(now, rules.CHINA)
    week = today - datetime.timedelta(days=6)
    expected: collections.Counter = collections.Counter()
    for shop in shops:
        counted = [
            at
            for topic, at, status in shop.earlier
            if topic in ("policy", "community", "marketing")
            and status != "suppressed"
            and at >= week
        ]
        channels = (
            shop.channels if shop.has_preference else _default_channels(shop.contact_channels)
        )
        state = rules.ShopState(
            active=True,
            channels=channels,
            topics=frozenset(shop.topics),
            unsubscribed=frozenset(shop.unsubscribed),
            addresses={
                "in_app": str(shop.owner_id) if shop.owner_active else "",
                "sms": shop.phone,
                "email": (shop.email if shop.has_preference else "") or shop.owner_email,
                "wechat": shop.wechat_openid if shop.has_preference else "",
                "wecom": "",
            },
            sent_today=sum(at >= today for at in counted),
            sent_week=len(counted),
        )
        plan = rules.plan("marketing", state, lim)
        if plan.suppressed:
            expected[(channels[0] if channels else "in_app", "suppressed", plan.suppressed)] += 1
            continue
        for step in plan.steps:
            if step.reason:
                expected[(step.channel, "suppressed", step.reason)] += 1
            else:
                assert rules.quiet_until(step.channel, now, lim) is None
                expected[(step.channel, FINAL_STATUS[step.channel], "")] += 1
    return expected


# --- Live services ------------------------------------------------------------------------------


def _environment(queue: str, smtp_port: int) -> dict:
    env = live.flexserve_env()
    env.update(
        DJANGO_SETTINGS_MODULE="flexserve.settings",
        CELERY_TASK_DEFAULT_QUEUE=queue,
        OUTREACH_QUIET_HOURS=QUIET_HOURS,
        OUTREACH_CAP_PER_DAY=str(CAP_PER_DAY),
        OUTREACH_CAP_PER_WEEK=str(CAP_PER_WEEK),
        OUTREACH_FAKE_CHANNELS="true",
        OUTREACH_SMS_PROVIDER="fake",
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
    )
    return env


def _worker(env: dict, queue: str, tmp: Path) -> live.Service:
    command = [str(ROOT / ".venv" / "bin" / "celery"), "-A", "flexserve", "worker"]
    command += ["--concurrency", str(CONCURRENCY), "--loglevel", "WARNING"]
    command += ["--hostname", f"{queue}@%h", "--queues", queue]
    return live.Service("celery", command, cwd=ROOT, env=env, log_dir=tmp)


def _use_broker(queue: str):
    """This process (embedded mode, tasks in-process) hands its tasks to the broker instead."""
    from django.conf import settings

    from flexserve.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(
        broker_url=live.BROKER_URL,
        task_always_eager=False,
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
    )
    return app


def _wait_worker(app, worker: live.Service, queue: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not worker.alive():
            raise RuntimeError(f"the Celery worker exited:\n{worker.log_tail()}")
        replies = app.control.ping(timeout=0.5)
        if any(name.startswith(f"{queue}@") for reply in replies for name in reply):
            return
    raise RuntimeError(f"the Celery worker did not answer in {timeout_s} s:\n{worker.log_tail()}")


def _drop_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(live.BROKER_URL)
    try:
        # The queue and kombu's bindings of it (the exchange of the same name).
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    finally:
        client.close()


# --- Measuring ----------------------------------------------------------------------------------

_PROGRESS_SQL = """
    SELECT count(*),
           count(*) FILTER (WHERE status = 'queued'),
           count(*) FILTER (WHERE status = 'queued' AND not_before <= now())
    FROM outreach_delivery WHERE message_id = %s
"""


def _wait_done(
    message_id: int, expected_rows: int, shops: int, started: float, worker
) -> tuple[float, float]:
    """Seconds from ``started`` until every shop has its rows and none is left queued; and
    until the last row was written (every shop planned).

    With quiet hours empty no row may be held legitimately: a row queued with a future
    ``not_before`` is being sent (a lease), waits for a retry or for the provider's rate limit,
    and is not done. Meanwhile this process plays beat's part for ``outreach.tick`` (every
    60 s, as CELERY_BEAT_SCHEDULE has it; counted from the call, so at the worst phase): the
    tick sends what is due and was not sent otherwise."""
    from django.db import connection

    from outreach.tasks import tick_task

    last_print, ticks, planned, shown = 0.0, 0, None, None
    with connection.cursor() as cursor:
        while True:
            now = time.perf_counter()
            if now - started > TIMEOUT_S:
                raise RuntimeError(f"not done after {TIMEOUT_S} s")
            if not worker.alive():
                raise RuntimeError(f"the Celery worker exited:\n{worker.log_tail()}")
            if now - started >= (ticks + 1) * TICK_EVERY_S:
                ticks += 1
                tick_task.delay()
                _say(f"{now - started:6.1f} s: outreach.tick sent to the worker (beat's part)")
            cursor.execute(_PROGRESS_SQL, [message_id])
            rows, queued, due = cursor.fetchone()
            if planned is None and rows >= expected_rows:
                planned = now - started
            state = (rows, queued, due)
            since = now - last_print
            if (since >= PROGRESS_EVERY_S and state != shown) or since >= QUIET_PROGRESS_S:
                _say(
                    f"{now - started:6.1f} s: {rows - queued:,} / {expected_rows:,} deliveries "
                    f"final ({rows:,} rows written, {queued:,} queued, {due:,} of them due)"
                )
                last_print, shown = now, state
            if rows >= expected_rows and queued == 0:
                cursor.execute(
                    "SELECT count(DISTINCT shop_id) FROM outreach_delivery WHERE message_id = %s",
                    [message_id],
                )
                if cursor.fetchone()[0] >= shops:
                    return time.perf_counter() - started, planned
            time.sleep(0.25)


def _check(message_id: int, expected: collections.Counter, sink: Path, shops) -> dict:
    from outreach.models import Delivery
    from servicedesk.models import Notification

    rows = Delivery.objects.filter(message_id=message_id)
    actual = collections.Counter(
        (c, s, r) for c, s, r in rows.values_list("channel", "status", "reason").iterator()
    )
    for key in sorted(set(expected) | set(actual)):
        mark = "" if expected[key] == actual[key] else f"   ← expected {expected[key]:,}"
        _say(f"    {key[0]:>7} {key[1]:>10} {key[2] or '-':<13} {actual[key]:7,}{mark}")
    if actual != expected:
        raise RuntimeError("the delivery rows differ from what outreach.rules says (see above)")
    emailed = set(rows.filter(channel="email", status="sent").values_list("provider_id", flat=True))
    received = set(sink.read_text().split()) if sink.exists() else set()
    if emailed != received:
        raise RuntimeError(
            f"{len(emailed):,} e-mails sent, {len(received):,} received by the SMTP sink, "
            f"{len(emailed - received):,} missing"
        )
    in_app = rows.filter(channel="in_app", status="delivered").count()
    owners = [s.owner_id for s in shops]
    notified = Notification.objects.filter(
        recipient_id__in=owners, subject__contains="新品"
    ).count()
    if notified != in_app:
        raise RuntimeError(f"{in_app:,} in-app deliveries but {notified:,} notifications")
    sent = rows.filter(status__in=("sent", "delivered")).count()
    _say(f"checked: rows as the rules say; {len(received):,} e-mails received; "
         f"{notified:,} notifications; {sent:,} sent on a channel")  # fmt: skip
    return {"sent": sent, "rows": sum(actual.values())}


def run() -> dict[str, float]:
    from django.db import connections
    from django.utils import timezone

    from outreach.models import Campaign
    from outreach.services import campaigns

    shops, actor, seed_s = _seed()
    template = campaigns.template_save(
        actor=actor,
        template_id=None,
        name="基准新品推送",
        topic="marketing",
        subject="{店名}：本周新品",
        body=TEMPLATE_BODY,
        sms_template_code="SMS_BENCH_001",
        sms_params=["负责人", "店名"],
    )
    queue = f"outreach-bench-{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp, live.services() as started:
        tmp = Path(tmp)
        sink_file, smtp_port = tmp / "smtp-received.txt", live.free_port()
        sink = live.Service(
            "smtp-sink",
            [sys.executable, "-m", "bench.outreach_support.smtp_sink", str(smtp_port),
             str(sink_file)],
            cwd=ROOT, env=os.environ.copy(), log_dir=tmp,
        )  # fmt: skip
        started.append(sink)
        env = _environment(queue, smtp_port)
        worker = _worker(env, queue, tmp)
        started.append(worker)
        app = _use_broker(queue)
        try:
            _wait_worker(app, worker, queue)
            _say(f"worker up: prefork, concurrency {CONCURRENCY}, queue {queue}; "
                 f"SMTP sink on :{smtp_port}")  # fmt: skip
            connections.close_all()
            groups = {"worker": worker.process.pid, "SMTP sink": sink.process.pid}
            cpu_before = cpu.sample()
            at = timezone.now()
            expected = _expected(shops, at)
            total = sum(expected.values())
            began = time.perf_counter()
            campaign = campaigns.campaign_create(
                actor=actor,
                name="基准：新品推送给全部客户",
                template_id=template.pk,
                audience={"segments": ["core", "key", "potential", "ordinary"]},
                link="/community/",
            )
            created_s = time.perf_counter() - began
            message = Campaign.objects.get(pk=campaign.pk).messages.get()
            _say(f"campaign_create returned in {created_s:.2f} s (message {message.pk})")
            elapsed, planned = _wait_done(message.pk, total, len(shops), began, worker)
            used = cpu.seconds(cpu_before, cpu.sample(), groups)
            _say(f"done in {elapsed:.1f} s; every row written after {planned:.1f} s")
            _say(cpu.report(used, elapsed, "the fan-out"))
            checked = _check(message.pk, expected, sink_file, shops)
        finally:
            _drop_queue(queue)
    rows = checked["rows"]
    _say(f"{rows:,} delivery rows in {elapsed:.1f} s: {rows / elapsed:,.0f} rows/s")
    return {
        "push_fanout_50000_s": round(elapsed, 1),
        "push_fanout_deliveries": rows,
        "push_fanout_rows_per_s": round(rows / elapsed, 1),
        "push_fanout_sent": checked["sent"],
        "push_fanout_planned_s": round(planned, 1),
        "push_fanout_worker_cpu_s": round(used["worker"], 1),
        "push_fanout_postgres_cpu_s": round(used["postgres"], 1),
        "push_fanout_seed_s": round(seed_s, 1),
    }
