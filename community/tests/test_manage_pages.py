"""The editors' and moderators' pages under /community/manage/: the review queue, the article
editor and the sensitive-word list, driven through the pages as a browser posts them."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from community.models import (
    Article,
    Member,
    Post,
    SensitiveWord,
    Thread,
    Visibility,
    WordListRevision,
)
from community.services import articles, forum, wordlist
from community.tests.factories import ForumCategoryFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BODY_HTML = "<p>新品上柜时放在视线高度，价签清楚，同价位的放在一起，顾客一眼就能找到。</p>"


@pytest.fixture
def category():
    return ForumCategoryFactory()


def _held_thread(author, category, title="新店怎么陈列比较好", body="刚开店，请教各位陈列的经验。"):
    """A thread by a new author: its opening post waits for a moderator."""
    thread = forum.thread_create(actor=author, category_id=category.pk, title=title, body=body)
    assert thread.visibility == Visibility.PENDING
    return thread, thread.posts.get()


def _state(post: Post) -> tuple:
    post.refresh_from_db()
    thread = Thread.objects.get(pk=post.thread_id)
    return (post.visibility, post.reject_reason, post.moderated_by_id, thread.visibility)


def _xlsx(rows: list[list], allowed: list[str] = ()) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if allowed:
        sheet = book.create_sheet("允许词")
        sheet.append(["允许词"])
        for phrase in allowed:
            sheet.append([phrase])
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("words.xlsx", out.getvalue(), content_type=XLSX)


# --- Review queue ------------------------------------------------------------------------------


def test_a_manager_approves_a_held_post_and_other_shops_then_see_it(
    client_for, service_manager, shop_owner, other_shop_owner, category
):
    thread, post = _held_thread(shop_owner, category)
    reader = client_for(other_shop_owner)
    thread_url = reverse("community:thread", args=[thread.pk])
    assert reader.get(thread_url).status_code == 404

    manager = client_for(service_manager)
    queue = manager.get(reverse("community:moderation"))
    assert queue.status_code == 200
    page = queue.content.decode()
    # Moderators see who is behind the nickname: the real name and the shop's licence.
    nickname = Member.objects.get(user=shop_owner).nickname
    assert nickname in page and shop_owner.full_name in page
    assert shop_owner.owned_shop.licence_no in page
    assert f'id="queue-post-{post.pk}"' in page

    response = manager.post(
        reverse("community:moderation_post", args=[post.pk]), {"action": "approve"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("community:moderation")
    assert _state(post)[0::3] == (Visibility.PUBLISHED, Visibility.PUBLISHED)
    shown = reader.get(thread_url)
    assert shown.status_code == 200 and "刚开店，请教各位陈列的经验。" in shown.content.decode()
    after = manager.get(reverse("community:moderation")).content.decode()
    assert f'id="queue-post-{post.pk}"' not in after


def test_htmx_approve_swaps_the_item_for_a_notice(
    client_for, service_manager, shop_owner, category
):
    _thread, post = _held_thread(shop_owner, category)
    response = client_for(service_manager).post(
        reverse("community:moderation_post", args=[post.pk]),
        {"action": "approve"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#queue-post-{post.pk}"
    assert "alert-ok" in response.content.decode()


def test_rejecting_without_a_reason_is_refused_and_changes_nothing(
    client_for, service_manager, shop_owner, category
):
    _thread, post = _held_thread(shop_owner, category)
    before = _state(post)
    response = client_for(service_manager).post(
        reverse("community:moderation_post", args=[post.pk]), {"action": "reject", "reason": "  "}
    )
    assert response.status_code == 422
    assert response.context["failed_post"] == post.pk and response.context["errors"]
    assert _state(post) == before == (Visibility.PENDING, "", None, Visibility.PENDING)


def test_rejecting_with_a_reason_removes_the_thread_and_keeps_the_reason(
    client_for, service_manager, shop_owner, category
):
    _thread, post = _held_thread(shop_owner, category)
    response = client_for(service_manager).post(
        reverse("community:moderation_post", args=[post.pk]),
        {"action": "reject", "reason": "请勿发布广告"},
    )
    assert response.status_code == 302
    assert _state(post) == (
        Visibility.REJECTED,
        "请勿发布广告",
        service_manager.pk,
        Visibility.REJECTED,
    )


def test_a_post_decided_by_someone_else_first_says_so(
    client_for, service_manager, admin_user, shop_owner, category
):
    _thread, post = _held_thread(shop_owner, category)
    forum.moderate_approve(actor=admin_user, post_id=post.pk)
    response = client_for(service_manager).post(
        reverse("community:moderation_post", args=[post.pk]), {"action": "approve"}
    )
    assert response.status_code == 409 and response.context["failed_post"] == post.pk
    assert _state(post)[0::2] == (Visibility.PUBLISHED, admin_user.pk)


def test_a_moderator_suspends_the_author_of_a_queued_post(
    client_for, service_manager, shop_owner, category
):
    _thread, post = _held_thread(shop_owner, category)
    url = reverse("community:moderation_suspend", args=[post.pk])
    refused = client_for(service_manager).post(url, {"days": "0", "reason": "刷屏"})
    assert refused.status_code == 422
    assert Member.objects.get(user=shop_owner).suspended_until is None

    response = client_for(service_manager).post(url, {"days": "7", "reason": "连续刷屏"})
    assert response.status_code == 302
    until = Member.objects.get(user=shop_owner).suspended_until
    assert until - timezone.now() > datetime.timedelta(days=6, hours=23)
    page = client_for(service_manager).get(reverse("community:moderation")).content.decode()
    assert timezone.localtime(until).strftime("%Y-%m-%d %H:%M") in page


def test_a_named_moderator_sees_only_their_categorys_held_posts(
    client_for, account_manager, shop_owner, other_shop_owner
):
    theirs, elsewhere = ForumCategoryFactory(), ForumCategoryFactory()
    theirs.moderators.add(account_manager)
    _t1, mine = _held_thread(shop_owner, theirs, title="陈列求助一下各位")
    _t2, not_mine = _held_thread(other_shop_owner, elsewhere, title="进货渠道问题请教")

    client = client_for(account_manager)
    response = client.get(reverse("community:moderation"))
    assert response.status_code == 200
    assert [p.pk for p in response.context["page"]] == [mine.pk]
    page = response.content.decode()
    assert "陈列求助一下各位" in page and "进货渠道问题请教" not in page
    # Editors' parts stay hidden: an account manager does not review articles.
    assert not response.context["can_publish"]

    outside = client.post(
        reverse("community:moderation_post", args=[not_mine.pk]), {"action": "approve"}
    )
    assert outside.status_code == 404
    assert _state(not_mine)[0] == Visibility.PENDING


def test_matched_words_are_highlighted_in_the_queue(
    client_for, service_manager, shop_owner, category
):
    wordlist.word_save(actor=service_manager, word="代购", action="review")
    _thread, post = _held_thread(shop_owner, category, body="有人需要代购吗？私聊")
    assert post.held_for == Post.HeldFor.WORD
    page = client_for(service_manager).get(reverse("community:moderation")).content.decode()
    assert "有人需要<mark>代购</mark>吗？私聊" in page


def test_the_queue_page_costs_the_same_queries_for_one_post_or_many(
    client_for, service_manager, shop_owner, other_shop_owner, category
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    wordlist.word_save(actor=service_manager, word="代购", action="review")
    _held_thread(shop_owner, category, body="有人需要代购吗")
    client = client_for(service_manager)
    url = reverse("community:moderation")
    client.get(url)  # the word matcher compiled, the session loaded
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    _held_thread(other_shop_owner, category, title="代购的事情请教", body="代购可以吗")
    _held_thread(shop_owner, ForumCategoryFactory(), title="第二个版块的帖子")
    with CaptureQueriesContext(connection) as three:
        assert len(client.get(url).context["page"]) == 3
    assert len(three) == len(one)


def test_an_editor_approves_a_shops_experience_article_from_the_queue(
    client_for, service_manager, shop_owner, other_shop_owner
):
    article = articles.experience_submit(actor=shop_owner, title="我的店这样做陈列", body=BODY_HTML)
    manager = client_for(service_manager)
    queue = manager.get(reverse("community:moderation"))
    assert [a.pk for a in queue.context["pending_articles"]] == [article.pk]

    url = reverse("community:moderation_article", args=[article.pk])
    assert manager.post(url, {"action": "reject", "reason": ""}).status_code == 422
    assert Article.objects.get(pk=article.pk).status == Article.Status.PENDING
    assert manager.post(url, {"action": "approve"}).status_code == 302
    assert "我的店这样做陈列" in client_for(other_shop_owner).get("/community/").content.decode()


# --- Who may open the manage pages -------------------------------------------------------------


def test_a_shop_owner_is_refused_on_every_manage_page(
    client_for, shop_owner, service_manager, category
):
    _thread, post = _held_thread(shop_owner, category)
    article = articles.article_save(
        actor=service_manager, topic="display", title="柜台陈列要点", body=BODY_HTML
    )
    word = wordlist.word_save(actor=service_manager, word="违禁词甲", action="block")
    phrase = wordlist.allowed_save(actor=service_manager, phrase="违禁词甲须知")
    client = client_for(shop_owner)
    gets = [
        reverse("community:moderation"),
        reverse("community:editor"),
        reverse("community:article_new"),
        reverse("community:article_edit", args=[article.pk]),
        reverse("community:words"),
        reverse("community:words_template"),
    ]
    posts = [
        (reverse("community:moderation_post", args=[post.pk]), {"action": "approve"}),
        (reverse("community:moderation_suspend", args=[post.pk]), {"days": "3", "reason": "x"}),
        (reverse("community:moderation_article", args=[article.pk]), {"action": "approve"}),
        (reverse("community:article_new"), {"topic": "display", "title": "标题四个字"}),
        (reverse("community:article_archive", args=[article.pk]), {}),
        (reverse("community:words"), {"word": "新词", "action": "block"}),
        (reverse("community:words_remove", args=[word.pk]), {}),
        (reverse("community:words_allowed"), {"phrase": "新词须知"}),
        (reverse("community:words_allowed_remove", args=[phrase.pk]), {}),
        (reverse("community:words_import"), {"file": _xlsx([["词", "处理方式"]])}),
        (reverse("community:words_try"), {"text": "违禁词甲"}),
    ]
    for url in gets:
        assert client.get(url).status_code in (403, 404), url
    for url, data in posts:
        assert client.post(url, data).status_code in (403, 404), url
    assert _state(post)[0] == Visibility.PENDING
    assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT
    assert SensitiveWord.objects.get().word == "违禁词甲"
    assert Member.objects.get(user=shop_owner).suspended_until is None


# --- Sensitive words ---------------------------------------------------------------------------


def test_an_import_with_one_bad_row_names_it_and_saves_nothing(client_for, service_manager):
    words_before, revisions_before = SensitiveWord.objects.count(), WordListRevision.objects.count()
    upload = _xlsx([["词", "处理方式", "备注"], ["代购", "审核", ""], ["水货", "看情况", "渠道"]])
    response = client_for(service_manager).post(reverse("community:words_import"), {"file": upload})
    assert response.status_code == 422
    problems = response.context["import_problems"]
    assert [(p["row"], p["column"] != "") for p in problems] == [("3", True)]
    assert "水货" not in [w.word for w in SensitiveWord.objects.all()]
    assert (SensitiveWord.objects.count(), WordListRevision.objects.count()) == (
        words_before,
        revisions_before,
    )


def test_a_good_import_adds_the_words_and_one_revision(client_for, service_manager):
    revisions_before = WordListRevision.objects.count()
    upload = _xlsx(
        [["词", "处理方式", "备注"], ["代购", "审核", ""], ["水货", "屏蔽", "渠道"]],
        allowed=["代购须知"],
    )
    response = client_for(service_manager).post(reverse("community:words_import"), {"file": upload})
    assert response.status_code == 302
    assert dict(SensitiveWord.objects.values_list("word", "action")) == {
        "代购": "review",
        "水货": "block",
    }
    assert WordListRevision.objects.count() == revisions_before + 1
    latest = WordListRevision.objects.first()
    assert latest.source == WordListRevision.Source.IMPORT
    assert sorted(latest.changes["added"]) == ["代购", "水货"]
    assert latest.changes["allowed_added"] == ["代购须知"]
    page = client_for(service_manager).get(reverse("community:words"))
    assert latest in page.context["revisions"]


def test_the_template_file_imports_as_it_is(client_for, service_manager):
    client = client_for(service_manager)
    response = client.get(reverse("community:words_template"))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert [c.value for c in book.worksheets[0][1]] == ["词", "处理方式", "备注"]
    assert book.worksheets[0].max_row == 3 and "允许词" in book.sheetnames
    upload = SimpleUploadedFile("template.xlsx", content, content_type=XLSX)
    assert client.post(reverse("community:words_import"), {"file": upload}).status_code == 302
    assert SensitiveWord.objects.count() == 2


def test_words_are_added_changed_searched_and_removed(client_for, service_manager):
    client = client_for(service_manager)
    url = reverse("community:words")
    assert client.post(url, {"word": "代购", "action": "review", "note": ""}).status_code == 302
    assert (
        client.post(url, {"word": "代购", "action": "block", "note": "改为屏蔽"}).status_code == 302
    )
    word = SensitiveWord.objects.get()
    assert (word.word, word.action, word.note) == ("代购", "block", "改为屏蔽")
    assert client.post(url, {"word": " ", "action": "block"}).status_code == 422
    assert WordListRevision.objects.count() == 2

    found = client.get(url, {"q": "代"})
    assert [w.word for w in found.context["page"]] == ["代购"]
    assert [w.word for w in client.get(url, {"q": "无此词"}).context["page"]] == []

    remove = client.post(reverse("community:words_remove", args=[word.pk]))
    assert remove.status_code == 302 and not SensitiveWord.objects.exists()
    assert WordListRevision.objects.first().changes == {"removed": ["代购"]}


def test_the_try_box_names_a_blocked_word_and_saves_nothing(client_for, service_manager):
    wordlist.word_save(actor=service_manager, word="违禁词甲", action="block")
    revisions = WordListRevision.objects.count()
    client = client_for(service_manager)
    response = client.post(reverse("community:words_try"), {"text": "这里有 违 禁 词 甲 啊"})
    assert response.status_code == 200
    assert response.context["tried"]["blocked"] == "违禁词甲"
    verdict = response.content.decode().split('class="cm-verdict"', 1)[1]
    assert "违禁词甲" in verdict
    assert WordListRevision.objects.count() == revisions and not Post.objects.exists()

    clean = client.post(reverse("community:words_try"), {"text": "正常的一句话"})
    assert clean.context["tried"] == {
        "blocked": "",
        "text": "正常的一句话",
        "masked": False,
        "needs_review": False,
        "flag": False,
        "matched": [],
    }


# --- Article editor ----------------------------------------------------------------------------


def _article_form(**changes) -> dict:
    data = {
        "topic": "display",
        "title": "柜台陈列的三个要点",
        "summary": "",
        "body": BODY_HTML + '<script>alert("x")</script>',
        "brands": "黄山, 红方印",
        "business_types": ["convenience", "grocery"],
        "segments": ["core"],
        "publish": "now",
        "publish_at": "",
    }
    return data | changes


def test_an_editor_publishes_an_article_that_shops_then_read(
    client_for, service_manager, shop_owner
):
    response = client_for(service_manager).post(reverse("community:article_new"), _article_form())
    assert response.status_code == 302 and response["Location"] == reverse("community:editor")
    article = Article.objects.get()
    assert (article.status, article.brands, article.business_types, article.segments) == (
        Article.Status.PUBLISHED,
        ["黄山", "红方印"],
        ["convenience", "grocery"],
        ["core"],
    )
    assert "<script>" not in article.body
    home = client_for(shop_owner).get("/community/").content.decode()
    assert "柜台陈列的三个要点" in home


def test_a_scheduled_article_appears_only_from_its_time(client_for, service_manager, shop_owner):
    when = timezone.localtime() + datetime.timedelta(hours=2)
    form = _article_form(publish="at", publish_at=when.strftime("%Y-%m-%dT%H:%M"))
    assert (
        client_for(service_manager).post(reverse("community:article_new"), form).status_code == 302
    )
    article = Article.objects.get()
    # The browser's local time is read as Beijing time.
    assert article.publish_at == when.replace(second=0, microsecond=0)
    editor = client_for(service_manager).get(reverse("community:editor")).content.decode()
    assert "cm-scheduled" in editor
    reader = client_for(shop_owner)
    assert "柜台陈列的三个要点" not in reader.get("/community/").content.decode()
    with time_machine.travel(when + datetime.timedelta(minutes=5)):
        assert "柜台陈列的三个要点" in reader.get("/community/").content.decode()


def test_schedule_without_a_time_or_a_short_title_saves_nothing(client_for, service_manager):
    client = client_for(service_manager)
    no_time = client.post(reverse("community:article_new"), _article_form(publish="at"))
    assert no_time.status_code == 422 and no_time.context["form"].errors["publish_at"]
    short = client.post(reverse("community:article_new"), _article_form(title="短"))
    assert short.status_code == 422 and short.context["form"].errors["title"]
    assert not Article.objects.exists()


def test_an_editor_saves_a_draft_edits_it_and_archives_it(client_for, service_manager):
    client = client_for(service_manager)
    client.post(reverse("community:article_new"), _article_form(publish="draft"))
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    edit_url = reverse("community:article_edit", args=[article.pk])
    assert client.get(edit_url).context["form"].initial["brands"] == "黄山, 红方印"
    response = client.post(edit_url, _article_form(title="柜台陈列的四个要点", publish="draft"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.status) == ("柜台陈列的四个要点", Article.Status.DRAFT)
    listed = client.get(reverse("community:editor"), {"status": "draft"})
    assert [a.pk for a in listed.context["page"]] == [article.pk]

    archive = client.post(reverse("community:article_archive", args=[article.pk]))
    assert archive.status_code == 302
    assert Article.objects.get(pk=article.pk).status == Article.Status.ARCHIVED
    assert not client.get(reverse("community:editor"), {"status": "draft"}).context["page"]
