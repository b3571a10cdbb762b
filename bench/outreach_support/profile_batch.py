"""Where one ``deliver_batch`` of 1,000 shops spends its time: cProfile, in-process.

    .venv/bin/python -m bench.outreach_support.profile_batch [--smtp] [--shops 1000]

Not a benchmark (bench.run does not find it): a tool for when push_fanout_50000_s is slow. It
makes a fresh PostgreSQL database (as bench.run does, dropped afterwards), seeds three times the
shops as bench/outreach_fanout.py does, makes the campaign's message, runs ``deliver_batch``
on a first third (warming up, as a worker's earlier batches do), times it on the second and
profiles it on the third, with the SQL statements counted and
timed. SMS and WeChat go to the recording fakes; e-mail to Django's in-memory backend, or with
``--smtp`` to the SMTP sink over loopback.
"""

import argparse
import collections
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--smtp", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    from bench.run import postgres_database

    with postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        os.environ.update(
            DATABASE_URL=url,
            FLEXSERVE_MODE="embedded",
            CELERY_BROKER_URL="",
            FLEXSERVE_INPROCESS_TASKS="sync",
            DJANGO_DEBUG="false",
            DJANGO_SETTINGS_MODULE="flexserve.settings",
            OUTREACH_QUIET_HOURS="00:00-00:00",
            OUTREACH_FAKE_CHANNELS="true",
            OUTREACH_SMS_PROVIDER="fake",
            LOG_LEVEL="WARNING",
        )
        sink = None
        if args.smtp:
            from bench._live import free_port

            port = free_port()
            sink = subprocess.Popen(
                [sys.executable, "-m", "bench.outreach_support.smtp_sink", str(port),
                 str(Path(tmp) / "sink.txt")],
                cwd=ROOT, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(1.0)
            os.environ.update(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(port),
            )
        else:
            os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
        try:
            _profile(args)
        finally:
            from django.db import connections

            connections.close_all()
            if sink is not None:
                sink.terminate()
                sink.wait(10)


def _profile(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench import outreach_fanout as fanout
    from bench.outreach_support import seed
    from outreach.models import Delivery, Message
    from outreach.services import campaigns, delivery

    call_command("migrate", interactive=False, verbosity=0)
    grid = seed.territory()
    actor = seed.staff()
    # Three times the shops: the first third warms the process up (URLconf import, first
    # queries), as a worker's earlier batches do; the second is timed, the third profiled.
    shops = seed.draw_shops(3 * args.shops, first_shop_id=1000, first_user_id=1000, seed="pr")
    seed.write_shops(shops, grid)
    fanout._earlier(shops, actor, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    template = campaigns.template_save(
        actor=actor,
        template_id=None,
        name="基准新品推送",
        topic="marketing",
        subject="{店名}：本周新品",
        body=fanout.TEMPLATE_BODY,
        sms_template_code="SMS_BENCH_001",
        sms_params=["负责人", "店名"],
    )
    message = Message.objects.create(
        template=template, topic="marketing", link="/community/",
        scheduled_for=timezone.now(), state=Message.State.OUT,
    )  # fmt: skip
    n = args.shops
    warm, timed, ids = ([s.id for s in shops[k * n : (k + 1) * n]] for k in range(3))
    delivery.deliver_batch(message.pk, warm)
    wall, cpu = time.perf_counter(), time.process_time()
    delivery.deliver_batch(message.pk, timed)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"deliver_batch({n} shops), not profiled: wall {wall:.2f} s, CPU {cpu:.2f} s")
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        profiler.enable()
        sent = delivery.deliver_batch(message.pk, ids)
        profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = Delivery.objects.filter(message=message, shop_id__in=ids).count()
    print(f"deliver_batch({args.shops} shops): {rows} rows, {sent} sent; wall {wall:.2f} s, "
          f"this process's CPU {cpu:.2f} s, {len(queries)} SQL statements")  # fmt: skip
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    for q in queries.captured_queries:
        words = q["sql"].split()
        by_kind[" ".join(words[:3])[:60]].append(float(q["time"]))
    print("SQL by statement start: count, seconds (as Django measured them)")
    for kind, times in sorted(by_kind.items(), key=lambda kv: -sum(kv[1]))[:15]:
        print(f"  {len(times):5d} {sum(times):7.3f}  {kind}")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
