"""A knowledge manager turns a cluster of unanswered questions into a new entry in the browser;
the shop's next question in those words is then answered by it."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from knowledge import index
from knowledge.models import Conversation, Entry, Turn
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e
ASKED = ["新店开业有没有陈列补贴", "新店开业有陈列补贴吗", "请问新店开业有没有陈列补贴"]


@pytest.fixture
def manager(e2e_db, settings):
    settings.QA_DENSE = "off"
    shop = ShopFactory()
    now = timezone.now()
    for n, question in enumerate(ASKED):
        conversation = Conversation.objects.create(shop=shop, started_at=now)
        Turn.objects.create(
            conversation=conversation,
            shop=shop,
            asked_at=now - dt.timedelta(days=n),
            question=question,
            decision=Turn.Decision.HANDOVER,
            curation=Turn.Curation.OPEN,
        )
    return UserFactory(username="kb-manager", role=Role.SERVICE_MANAGER, password=PASSWORD)


def test_manager_turns_a_cluster_into_an_entry(page: Page, live_server, manager):
    log_in(page, live_server.url, manager.username)
    page.goto(f"{live_server.url}/console/knowledge/curation/")

    card = page.locator(".cluster").first
    expect(card).to_contain_text("新店开业")
    card.get_by_role("button", name=re.compile("新建条目|New entry")).click()
    expect(page).to_have_url(re.compile(r"/curation/new/"))
    page.locator("textarea[name=answer]").fill(
        "新开业门店可申请一次陈列补贴，请联系客户经理提交申请。"
    )
    page.locator("select[name=category]").select_option("display")
    page.get_by_role("button", name=re.compile("^(新建条目|Create the entry)$")).click()

    expect(page.locator(".messages, .alert-ok").first).to_be_visible()
    entry = Entry.objects.get(answer__startswith="新开业门店可申请")
    assert entry.version == 1 and entry.category == "display"
    assert set(ASKED) <= {entry.question, *entry.phrasings}
    assert not Turn.objects.filter(curation=Turn.Curation.OPEN).exists()
    index.changed()
    answer = index.search("新店开业有没有陈列补贴")
    assert answer.hits[0].entry_id == str(entry.pk)
