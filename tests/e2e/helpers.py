"""Helpers the browser tests share: one password for every test user, one way to log in, and
the smallest demo city."""

import io
import re

from django.core.management import call_command
from playwright.sync_api import Page, expect

PASSWORD = "correct-horse-battery"


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log ``username`` in through the real form (dropping any earlier session first) and wait
    until the site has left the log-in page."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit].primary").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def seed_smallest_demo(settings, tmp_path) -> None:
    """The smallest demo city with field work (its log-ins: ``demo.city.demo_logins``)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command(
        "seed_demo",
        shops=30,
        staff=6,
        weeks=1,
        request_weeks=1,
        chat_weeks=1,
        visit_weeks=1,
        plan_iterations=50,
        plan_seconds=5,
        stdout=io.StringIO(),
    )
