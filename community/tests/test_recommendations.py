"""为您推荐 in the app: explained, personal by class and reads, and the same for everyone once
personalisation is off (PIPL art. 24); every settings change audited."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from community.models import Article, ArticleRead, ReaderPreference
from community.services import preferences, recommendations
from community.tests.factories import ArticleFactory
from flexserve.errors import FieldInvalid

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(service_manager):
    now = timezone.now()
    made = {}
    for n, (topic, segments) in enumerate(
        [("display", []), ("brand", ["core"]), ("terminal", []), ("experience", [])]
    ):
        made[topic] = ArticleFactory(
            topic=topic,
            title=f"{topic} 文章标题{n}",
            segments=segments,
            author=service_manager,
            publish_at=now - datetime.timedelta(days=n + 1),
        )
    return made


def test_chosen_topics_lead_and_are_explained(shop_owner, articles, client_for):
    preferences.preference_set(actor=shop_owner, personalised=True, topics=["terminal"])
    suggested, personalised = recommendations.recommended(shop_owner)
    assert personalised
    first = suggested[0]
    assert first.article == articles["terminal"]
    assert "Shop development" in first.reason or "终端建设" in first.reason
    page = client_for(shop_owner).get(reverse("community:home")).content.decode()
    assert first.reason in page


def test_personalisation_off_gives_everyone_the_same_list(
    shop_owner, other_shop_owner, shop, articles
):
    shop.segment = "core"
    shop.save(update_fields=["segment"])
    preferences.preference_set(actor=shop_owner, personalised=True, topics=["experience"])
    ArticleRead.objects.create(article=articles["display"], user=shop_owner, read_at=timezone.now())
    recommendations.forget()
    mine, _ = recommendations.recommended(shop_owner)
    theirs, _ = recommendations.recommended(other_shop_owner)
    assert [s.article for s in mine] != [s.article for s in theirs]
    preferences.preference_set(actor=shop_owner, personalised=False, topics=["experience"])
    preferences.preference_set(actor=other_shop_owner, personalised=False, topics=[])
    off_mine, flag = recommendations.recommended(shop_owner)
    off_theirs, _ = recommendations.recommended(other_shop_owner)
    assert flag is False
    assert [(s.article, s.reason) for s in off_mine] == [(s.article, s.reason) for s in off_theirs]


def test_settings_are_validated_and_audited(shop_owner, client_for):
    with pytest.raises(FieldInvalid):
        preferences.preference_set(actor=shop_owner, personalised=True, topics=["weather"])
    assert not ReaderPreference.objects.exists()
    response = client_for(shop_owner).post(
        reverse("community:preference"), {"topics": ["display"], "personalised": ""}
    )
    assert response.status_code == 302
    pref = ReaderPreference.objects.get(user=shop_owner)
    assert (pref.personalised, pref.topics) == (False, ["display"])
    entry = AuditEntry.objects.get(action="community.preference_set")
    assert entry.changes["personalised"] == [True, False]


def test_a_read_article_is_not_suggested_again(shop_owner, articles):
    suggested, _ = recommendations.recommended(shop_owner, k=10)
    first = suggested[0].article
    ArticleRead.objects.create(article=first, user=shop_owner, read_at=timezone.now())
    again, _ = recommendations.recommended(shop_owner, k=10)  # same model, read since
    assert first not in [s.article for s in again]
    assert Article.objects.count() == 4
