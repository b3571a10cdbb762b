"""Run escalation rules and the outbox sweeper: once, or every minute (embedded mode)."""

from django.core.management.base import BaseCommand

from servicedesk import scheduler


class Command(BaseCommand):
    help = "Run the periodic service-request work (escalations, outbox) once or in a loop."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="repeat every --interval seconds")
        parser.add_argument("--interval", type=float, default=scheduler.INTERVAL_SECONDS)

    def handle(self, *args, loop: bool, interval: float, **options):
        if loop:
            self.stdout.write(f"Running every {interval:g} s; Ctrl-C stops.")
            scheduler.loop(interval)
            return
        result = scheduler.run_periodic_once()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in result.items()))
