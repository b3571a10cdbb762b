"""Seeding helpers for the demo tests: small cities with a fixed end date."""

import datetime
import io

from django.core.management import call_command

UNTIL_DATE = datetime.date(2026, 11, 23)  # a Monday: the demo history ends here


def seed(*args: str, **options) -> str:
    """Run ``seed_demo`` (ending on ``UNTIL_DATE`` unless told) and return what it printed."""
    out = io.StringIO()
    options.setdefault("until", UNTIL_DATE)
    options.setdefault("plan_iterations", 100)  # the demo week is small here; keep the suite fast
    call_command("seed_demo", *args, stdout=out, **options)
    return out.getvalue()
