"""A shop owner in the community on a phone and a desktop: reads an article, posts a thread that
waits for review (审核中), is told which word blocks a post, sees the hot topics; a moderator
approves the thread and another shop owner then finds it."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import UserFactory
from community.models import Thread
from community.services import forum, hot, wordlist
from community.tests.factories import ArticleFactory, ForumCategoryFactory
from customers.tests.factories import ShopFactory
from tests.e2e.helpers import PASSWORD, log_in

pytestmark = pytest.mark.e2e


def _owner(name: str):
    shop = ShopFactory(name=name)
    user = UserFactory(username=shop.licence_no, role=Role.SHOP_OWNER, password=PASSWORD)
    shop.owner_account = user
    shop.save()
    return user


@pytest.fixture
def cast(e2e_db):
    manager = UserFactory(username="manager", role=Role.SERVICE_MANAGER, password=PASSWORD)
    staff = UserFactory(username="am01", role=Role.ACCOUNT_MANAGER, password=PASSWORD)
    category = ForumCategoryFactory(name="经营交流")
    article = ArticleFactory(
        title="柜台陈列的三个要点",
        author=manager,
        publish_at=timezone.now() - datetime.timedelta(hours=2),
    )
    wordlist.word_save(actor=manager, word="假烟批发", action="block")
    hot_thread = forum.thread_create(
        actor=staff, category_id=category.pk, title="送货日扣款失败了怎么办", body="大家遇到过吗？"
    )
    readers = [_owner(f"读者便利店{n}") for n in range(3)]
    for reader in readers:
        forum.like_toggle(actor=reader, post_id=hot_thread.posts.get().pk)
    forum.reply_create(actor=manager, thread_id=hot_thread.pk, body="先确认账户余额。")
    hot.refresh()
    return {
        "owner": _owner("晨光便利店"),
        "other": readers[0],
        "manager": manager,
        "category": category,
        "article": article,
    }


def test_shop_owner_reads_posts_and_is_reviewed(page: Page, live_server, cast):
    base = live_server.url
    log_in(page, base, cast["owner"].username)
    page.goto(f"{base}/community/")
    expect(page.locator("#recommended .cm-reason").first).to_be_visible()
    page.locator(".cm-article-card").get_by_role("link", name="柜台陈列的三个要点").click()
    expect(page.locator("h1")).to_have_text("柜台陈列的三个要点")

    page.goto(f"{base}/community/mine/#preferences")
    page.locator("input[name=topics][value=brand]").check()
    page.locator("input[name=personalised]").uncheck()
    page.locator("#preferences button[type=submit]").click()
    expect(page.locator("input[name=topics][value=brand]")).to_be_checked()
    page.goto(f"{base}/community/")
    expect(page.locator("#recommended")).to_contain_text(re.compile("已关闭|is off"))

    page.goto(f"{base}/community/forum/")
    expect(page.locator(".cm-hot").first).to_contain_text("送货日扣款失败了怎么办")
    page.get_by_role("link", name="经营交流").first.click()
    page.get_by_role("link", name=re.compile("发新帖|New thread")).click()
    page.locator("input[name=title]").fill("有人要假烟批发吗")
    page.locator("textarea[name=body]").fill("这是测试内容")
    page.get_by_role("button", name=re.compile("^(发布|Post)$")).click()
    expect(page.locator(".alert-error")).to_contain_text("假烟批发")
    assert not Thread.objects.filter(author=cast["owner"]).exists()

    page.locator("input[name=title]").fill("新店开业，柜台怎么摆")
    page.locator("textarea[name=body]").fill("第一次开店，请教各位老板。")
    page.get_by_role("button", name=re.compile("^(发布|Post)$")).click()
    expect(page.locator(".cm-thread-title")).to_contain_text(re.compile("审核中|Under review"))

    log_in(page, base, cast["other"].username)
    page.goto(f"{base}/community/forum/{cast['category'].pk}/")
    expect(page.locator(".cm-threads")).not_to_contain_text("新店开业")

    log_in(page, base, cast["manager"].username)
    page.goto(f"{base}/community/manage/review/")
    item = page.locator("article, li, section").filter(has_text="新店开业，柜台怎么摆").last
    item.get_by_role("button", name=re.compile("^(通过|Approve)$")).click()
    expect(page.locator("body")).not_to_contain_text("第一次开店，请教各位老板。")

    log_in(page, base, cast["other"].username)
    page.goto(f"{base}/community/forum/search/?q=柜台")
    expect(page.locator(".cm-threads")).to_contain_text("新店开业，柜台怎么摆")
