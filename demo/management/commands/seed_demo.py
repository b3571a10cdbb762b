"""``manage.py seed_demo``: build the demo city (see demo/city.py) and print its log-ins.

    manage.py seed_demo                      # 3,000 shops, 25 staff, 52 weeks of orders
    manage.py seed_demo --if-empty           # what `make run` does: only on an empty database
    manage.py seed_demo --reset --shops 50000 --weeks 0
    manage.py seed_demo --until 2026-11-23   # the demo's today (11:00 then); default: right now
    manage.py seed_demo --request-weeks 0    # no service-request history
    manage.py seed_demo --chat-weeks 0       # no self-service Q&A history
    manage.py seed_demo --visit-weeks 0      # no field work (roster, visits, bookings, routes)
    manage.py seed_demo --plan-iterations 500   # a quicker, rougher demo week of routes

The demo administrator ``admin`` gets the public demo password: in production mode
(``FLEXSERVE_MODE=production``) the command refuses to run unless ``--allow-production``.

Operator output stays in English like Django's own commands (they run with translation off).
"""

import datetime
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import ProtectedError

from customers.models import Segment, Shop
from demo import city, community, outreach
from demo import dispatch as field_work
from demo import knowledge as chat_history
from demo import quality as service_quality


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--until needs a date like 2026-11-23, not {value!r}") from None


class Command(BaseCommand):
    help = "Build the deterministic demo city around Hefei: shops, staff, log-ins and orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shops", type=int, default=city.DEFAULT_SHOPS)
        parser.add_argument("--staff", type=int, default=city.DEFAULT_STAFF)
        parser.add_argument(
            "--weeks", type=int, default=city.DEFAULT_WEEKS, help="weeks of order history"
        )
        parser.add_argument(
            "--request-weeks",
            type=int,
            default=city.DEFAULT_REQUEST_WEEKS,
            help="weeks of service-request history (0: none)",
        )
        parser.add_argument(
            "--chat-weeks",
            type=int,
            default=chat_history.DEFAULT_WEEKS,
            help="weeks of self-service Q&A history (0: none)",
        )
        parser.add_argument(
            "--visit-weeks",
            type=int,
            default=field_work.DEFAULT_HISTORY_WEEKS,
            help="weeks of past shop visits; with 0, no roster, bookings or routes either",
        )
        parser.add_argument(
            "--plan-iterations",
            type=int,
            default=field_work.DEFAULT_PLAN_ITERATIONS,
            help="search iterations for the demo week's routes (the same seed, the same routes)",
        )
        parser.add_argument(
            "--plan-seconds",
            type=int,
            default=field_work.DEFAULT_PLAN_SECONDS,
            help="most seconds for that search, 1-600 (a cap: routes then depend on the machine)",
        )
        parser.add_argument("--seed", type=int, default=city.DEFAULT_SEED)
        parser.add_argument(
            "--until",
            type=_date,
            default=None,
            help="the demo's today: the history runs to 11:00 that day and the field plans start "
            "then (default: the history runs to this moment, the plans start today)",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when any shop exists"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete shops, orders, territory and non-superuser log-ins first",
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="seed even when FLEXSERVE_MODE=production (every demo log-in, the administrator "
            "included, gets the public demo password)",
        )

    def handle(self, *args, **opts) -> None:
        if settings.PRODUCTION and not opts["allow_production"]:
            # The demo makes a superuser "admin" with the password printed in the README.
            raise CommandError(
                "Refusing to seed the demo city in production mode (FLEXSERVE_MODE=production): "
                f"it creates the superuser 'admin' with the public password {city.DEMO_PASSWORD!r}"
                " and --reset deletes shops and log-ins. Pass --allow-production only on a "
                "throw-away database."
            )
        if opts["if_empty"] and opts["reset"]:
            raise CommandError("--if-empty and --reset contradict each other")
        if opts["chat_weeks"] < 0:
            raise CommandError("--chat-weeks cannot be negative")
        if opts["visit_weeks"] < 0:
            raise CommandError("--visit-weeks cannot be negative")
        if not 1 <= opts["plan_seconds"] <= 600:
            raise CommandError("--plan-seconds must lie between 1 and 600")
        if opts["plan_iterations"] < 1:
            raise CommandError("--plan-iterations must be at least 1")
        started = time.perf_counter()
        if opts["if_empty"] and Shop.objects.exists():
            self.stdout.write("Shops exist already: the demo city was not seeded.")
            return
        try:
            options = city.Options(
                shops=opts["shops"],
                staff=opts["staff"],
                weeks=opts["weeks"],
                request_weeks=opts["request_weeks"],
                seed=opts["seed"],
                **({"until": opts["until"]} if opts["until"] else {}),
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        phases: dict[str, float] = {}
        if opts["reset"]:
            try:
                # Community posts and articles protect their authors: they go first.
                deleted = city.reset()
            except ProtectedError as exc:
                raise CommandError(f"reset stopped: other records still use them ({exc})") from None
            removed = ", ".join(f"{n:,} {name}" for name, n in deleted.items() if n)
            phases["reset"] = time.perf_counter() - started
            self._line("reset", 0, phases["reset"], removed or "nothing")
        elif Shop.objects.exists():
            raise CommandError("The database has shops already: use --reset or --if-empty.")

        self.stdout.write(
            f"Seeding the demo city: {options.shops:,} shops, {options.staff} staff, "
            f"{options.weeks} weeks of orders and {options.request_weeks} of service requests "
            f"up to {options.now:%Y-%m-%d %H:%M}, seed {options.seed}"
        )
        clock = time.perf_counter()

        def line(stage: str, count: int) -> None:
            self._line(stage, count, time.perf_counter() - clock)

        try:
            summary = city.build(options, progress=line)
        except city.DemoError as exc:
            raise CommandError(f"{exc}; run with --reset to replace the demo data") from None
        phases |= summary.phases
        mark = time.perf_counter()
        if opts["chat_weeks"] > 0:
            # The chat history runs to 11:00 of its last day: today once that has passed.
            chat_until = options.until - datetime.timedelta(
                days=0 if options.now.time() >= city.DEMO_TIME else 1
            )
            chat_history.build(
                seed=options.seed, until=chat_until, weeks=opts["chat_weeks"], progress=line
            )
            phases["chat"], mark = time.perf_counter() - mark, time.perf_counter()
        if opts["visit_weeks"] > 0:
            plan_day = field_work.first_plan_day(options.until)  # today, or the next working day
            field_work.build(
                seed=options.seed,
                until=plan_day,
                history_weeks=opts["visit_weeks"],
                progress=line,
            )
            phases["field"], mark = time.perf_counter() - mark, time.perf_counter()
            plan = field_work.plan_week(
                until=plan_day,
                iterations=opts["plan_iterations"],
                seconds=opts["plan_seconds"],
                progress=line,
            )
            phases["plan"] = time.perf_counter() - mark
            if plan is not None and plan.stats.get("runtime_s", 0) >= 0.9 * opts["plan_seconds"]:
                self.stderr.write(
                    f"  note: --plan-seconds {opts['plan_seconds']} may have stopped the search "
                    f"before {opts['plan_iterations']} iterations; the routes then depend on "
                    "this machine's speed"
                )
        mark = time.perf_counter()
        service_quality.build(seed=options.seed, now=options.now, progress=line)
        phases["quality"] = time.perf_counter() - mark
        mark = time.perf_counter()
        community.build(seed=options.seed, now=options.now, progress=line)
        phases["community"] = time.perf_counter() - mark
        mark = time.perf_counter()
        outreach.seed(seed=options.seed, now=options.now, progress=line)
        phases["outreach"] = time.perf_counter() - mark
        # One line a script can read (bench/seed_demo.py does): where the time went.
        self.stdout.write(
            "Time per stage: " + ", ".join(f"{name} {s:.2f} s" for name, s in phases.items())
        )
        self.stdout.write("")
        self.stdout.write("Shops per class:")
        total = sum(summary.segments.values()) or 1
        for segment in Segment:
            n = summary.segments.get(segment.value, 0)
            self.stdout.write(f"  {segment.value:<10} {n:>8,}  {100 * n / total:5.1f} %")
        self.stdout.write("")
        self.stdout.write(f"Demo log-ins (every password is {city.DEMO_PASSWORD}):")
        for login in city.demo_logins():
            self.stdout.write(f"  {login.role:<16} {login.username:<14} {login.note}")
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo city ready in {time.perf_counter() - started:.1f} s.")
        )

    def _line(self, stage: str, count: int, elapsed_s: float, note: str = "") -> None:
        counted = f"{count:>9,}" if count else " " * 9
        self.stdout.write(f"  {stage:<28} {counted}  {elapsed_s:6.1f} s  {note}".rstrip())
