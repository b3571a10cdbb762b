"""Helpers the browser tests share: one password for every test user and one way to log in."""

import re

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
