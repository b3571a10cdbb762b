"""Articles: sanitised bodies, scheduling, shops' articles reviewed first, reads counted once."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from community import selectors
from community.errors import AlreadyModerated, BlockedWords
from community.models import Article, ArticleRead
from community.services import articles, wordlist
from flexserve.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db

BODY = "<p>按价位分区陈列，新品放在视线高度，价签要清楚，方便顾客挑选。</p>"


def _save(manager, **overrides):
    fields = {"topic": "display", "title": "柜台陈列的三个要点", "body": BODY, "publish": True}
    return articles.article_save(actor=manager, **(fields | overrides))


def test_the_body_is_sanitised(service_manager):
    article = _save(
        service_manager,
        body=BODY + '<script>alert(1)</script><img src="https://ads.example/x.png" onerror="x()">'
        '<img src="/community/images/7/"><img src="/media/../etc/passwd">'
        '<a href="javascript:steal()">点我</a>',
    )
    assert "<script" not in article.body and "onerror" not in article.body
    assert "ads.example" not in article.body and 'src="/community/images/7/"' in article.body
    assert "passwd" not in article.body
    assert "javascript:" not in article.body


def test_a_scheduled_article_is_invisible_until_its_time(service_manager, shop_owner, client_for):
    later = timezone.now() + datetime.timedelta(days=2)
    article = _save(service_manager, publish_at=later)
    assert article not in selectors.live_articles(shop_owner)
    assert (
        client_for(shop_owner).get(reverse("community:article", args=[article.pk])).status_code
        == 404
    )
    Article.objects.filter(pk=article.pk).update(
        publish_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert article in selectors.live_articles(shop_owner)


def test_invalid_input_saves_nothing(service_manager):
    with pytest.raises(Invalid) as caught:
        _save(service_manager, topic="weather", title="短", segments=["gold"], body="<p>太短</p>")
    assert set(caught.value.fields) == {"topic", "title", "segments", "body"}
    assert not Article.objects.exists()


def test_a_blocked_word_in_an_article_is_named(service_manager):
    wordlist.word_save(actor=service_manager, word="违禁词乙", action="block")
    with pytest.raises(BlockedWords) as caught:
        _save(service_manager, body=BODY + "<p>违禁词乙</p>")
    assert "违禁词乙" in caught.value.render_message()
    assert not Article.objects.exists()


def test_shop_owners_cannot_write_staff_articles(shop_owner):
    with pytest.raises(Forbidden):
        _save(shop_owner)


def test_an_experience_article_waits_for_review(
    shop_owner, other_shop_owner, service_manager, client_for
):
    article = articles.experience_submit(actor=shop_owner, title="我的店这样做陈列", body=BODY)
    assert article.status == Article.Status.PENDING and article.author_shop_id is not None
    assert article not in selectors.live_articles(other_shop_owner)
    home = client_for(other_shop_owner).get(reverse("community:home")).content.decode()
    assert "我的店这样做陈列" not in home
    assert (
        client_for(shop_owner).get(reverse("community:article", args=[article.pk])).status_code
        == 200
    )
    articles.experience_approve(actor=service_manager, article_id=article.pk)
    assert article in selectors.live_articles(other_shop_owner)
    with pytest.raises(AlreadyModerated):
        articles.experience_reject(actor=service_manager, article_id=article.pk, reason="重复")


def test_a_read_counts_once_per_reader(service_manager, shop_owner, shop, client_for):
    article = _save(service_manager)
    client = client_for(shop_owner)
    for _ in range(3):
        assert client.get(reverse("community:article", args=[article.pk])).status_code == 200
    assert Article.objects.get(pk=article.pk).read_count == 1
    assert ArticleRead.objects.get().shop_id == shop.pk


def test_share_page_submits_for_review(shop_owner, client_for):
    client = client_for(shop_owner)
    response = client.post(
        reverse("community:share"),
        {"title": "夜间销售的经验", "body": "晚上八点以后补货，\n<b>价签</b>要亮。" * 3},
    )
    assert response.status_code == 302
    article = Article.objects.get()
    assert article.status == Article.Status.PENDING
    assert "<b>" not in article.body and "&lt;b&gt;" in article.body  # typed text, not markup
    bad = client.post(reverse("community:share"), {"title": "短", "body": "短"})
    assert bad.status_code == 422 and Article.objects.count() == 1


def _png(name="shelf.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (11, 110, 79)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_picture_is_checked_and_served_to_readers_only(
    service_manager, shop_owner, client_for, client
):
    from community.models import ArticleImage

    manager = client_for(service_manager)
    fake = _not_a_picture()
    refused = manager.post(reverse("community:article_images"), {"image": fake})
    assert refused.status_code == 422 and not ArticleImage.objects.exists()
    assert (
        manager.post(reverse("community:article_images"), {"image": _png("x.php")}).status_code
        == 302
    )
    image = ArticleImage.objects.get()
    assert image.file.name.endswith(".png") and "x.php" not in image.file.name
    url = reverse("community:image", args=[image.pk])
    served = client_for(shop_owner).get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert client.get(url).status_code == 302  # anonymous: to the log-in page
    assert (
        client_for(shop_owner)
        .post(reverse("community:article_images"), {"image": _png()})
        .status_code
        == 403
    )


def _not_a_picture():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("shelf.png", b"<?php echo 1; ?>", content_type="image/png")
