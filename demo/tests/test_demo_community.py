"""The demo city's community: counters that agree with the published rows, a review queue that
is not empty, reads after publication with a learnable structure, the same seed the same forum.

One city is seeded for the class of read-only checks (rolled back at the end); the determinism
check seeds its own.
"""

import pytest
from django.db import transaction
from django.db.models import Count, F, Max, Q

from accounts.models import Role, User
from community.models import (
    Article,
    ArticleRead,
    Flag,
    ForumCategory,
    Member,
    Post,
    PostLike,
    SensitiveWord,
    Thread,
    Visibility,
    WordListRevision,
)
from community.richtext import sanitise
from community.services.forum import HIDE_AT_WEIGHT, TRUSTED_AFTER
from customers.models import Shop
from demo import city as demo_city
from demo import community
from demo.tests.helpers import UNTIL_DATE, seed

# Ten weeks of orders: the platform has been live longer than the forum's 60 days.
CITY = {"shops": 200, "staff": 8, "weeks": 10, "request_weeks": 0, "chat_weeks": 0}
SMALL = {"shops": 80, "staff": 6, "weeks": 10, "request_weeks": 0, "chat_weeks": 0}


@pytest.fixture(scope="class")
def city(django_db_setup, django_db_blocker):
    """A 200-shop city with its community, rolled back after the class."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = seed(visit_weeks=0, **CITY)
        yield out
        transaction.set_rollback(True)


def _demo_owner() -> User:
    usernames = [
        login.username for login in demo_city.demo_logins() if login.role == Role.SHOP_OWNER
    ]
    shop = Shop.objects.filter(owner_account__username__in=usernames).order_by("pk").first()
    return shop.owner_account


@pytest.mark.django_db
@pytest.mark.usefixtures("city")
class TestDemoCommunity:
    def test_progress_and_phase_are_printed(self, city):
        assert "community threads" in city and "community article reads" in city
        assert "community " in city.split("Time per stage:")[1].splitlines()[0]

    def test_categories_threads_and_articles_in_plausible_numbers(self):
        assert ForumCategory.objects.count() == 6
        assert ForumCategory.objects.get(name="政策咨询").review_required
        assert 120 <= Thread.objects.count() <= 170
        published = Article.objects.filter(status=Article.Status.PUBLISHED)
        now = Post.objects.aggregate(m=Max("created_at"))["m"]
        assert 28 <= published.filter(publish_at__lte=now).count() <= 36
        assert published.filter(publish_at__gt=now).count() == 2  # scheduled
        assert Article.objects.filter(status=Article.Status.DRAFT).count() == 1
        pending = Article.objects.filter(status=Article.Status.PENDING)
        assert pending.count() == 2 and not pending.filter(author_shop__isnull=True).exists()
        for article in Article.objects.all():
            assert sanitise(article.body) == article.body
            assert article.brands == []  # no real brand is named, let alone praised
        assert published.filter(body__contains="不向未成年人").exists()

    def test_thread_counters_agree_with_published_rows(self):
        published = Q(posts__visibility=Visibility.PUBLISHED)
        threads = Thread.objects.annotate(
            replies=Count("posts", filter=published & Q(posts__is_opening=False)),
            last=Max("posts__created_at", filter=published),
        )
        for thread in threads:
            assert thread.reply_count == thread.replies, thread.title
            assert thread.last_posted_at == (thread.last or thread.created_at), thread.title
            likes = PostLike.objects.filter(
                post__thread=thread, post__visibility=Visibility.PUBLISHED
            ).count()
            assert thread.like_count == likes, thread.title
        assert not PostLike.objects.exclude(post__visibility=Visibility.PUBLISHED).exists()
        mismatched = Post.objects.annotate(n=Count("likes")).exclude(like_count=F("n"))
        assert not mismatched.exists()
        assert PostLike.objects.count() > Thread.objects.count()

    def test_members_count_the_posts_that_were_approved(self):
        # Published posts, and those published before readers' flags hid them (as the services).
        for member in Member.objects.all():
            approved = Post.objects.filter(
                author=member.user_id, visibility__in=[Visibility.PUBLISHED, Visibility.HIDDEN]
            ).count()
            assert member.approved_posts == approved, member.nickname
            assert 2 <= len(member.nickname) <= 20
        posters = set(Post.objects.values_list("author", flat=True))
        assert posters <= set(Member.objects.values_list("user", flat=True))

    def test_the_review_queue_has_pending_and_hidden_posts_not_counted(self):
        pending = Post.objects.filter(visibility=Visibility.PENDING)
        assert 5 <= pending.count() <= 8
        assert {"new_author", "category", "word"} <= set(pending.values_list("held_for", flat=True))
        assert pending.filter(thread__category__review_required=True).exists()
        assert pending.filter(held_for="word").exclude(matched_words=[]).exists()
        for post in pending.filter(held_for="new_author"):
            author = Member.objects.get(user=post.author_id)
            assert author.approved_posts < TRUSTED_AFTER
        hidden = Post.objects.filter(visibility=Visibility.HIDDEN)
        assert hidden.count() == 2
        for post in hidden:
            flags = Flag.objects.filter(post=post, flagger__isnull=False, upheld__isnull=True)
            assert sum(flags.values_list("weight", flat=True)) >= HIDE_AT_WEIGHT
        # Pending openings keep their thread out of the lists.
        for post in pending.filter(is_opening=True):
            assert post.thread.visibility == Visibility.PENDING
            assert post.thread.reply_count == 0
        # A published post that needed a moderator (new author, policy category) was approved.
        held = Post.objects.filter(visibility=Visibility.PUBLISHED).exclude(held_for="")
        assert held.exists() and not held.filter(moderated_by__isnull=True).exists()

    def test_the_demo_owner_has_a_published_thread_and_a_pending_reply(self):
        owner = _demo_owner()
        thread = Thread.objects.get(author=owner)
        assert thread.visibility == Visibility.PUBLISHED and thread.reply_count >= 3
        assert thread.posts.filter(by_staff=True, visibility=Visibility.PUBLISHED).exists()
        mine = Post.objects.filter(author=owner, visibility=Visibility.PENDING)
        assert mine.count() == 1 and mine.get().held_for == "new_author"

    def test_staff_answers_useful_answers_and_pinned_topics(self):
        staff_posts = Post.objects.filter(by_staff=True)
        assert staff_posts.exists()
        assert not staff_posts.filter(author__role=Role.SHOP_OWNER).exists()
        assert (
            not Post.objects.filter(by_staff=False).exclude(author__role=Role.SHOP_OWNER).exists()
        )
        useful = Post.objects.filter(is_useful=True)
        assert useful.count() > 10
        assert not useful.filter(Q(is_opening=True) | ~Q(visibility=Visibility.PUBLISHED)).exists()
        assert useful.values("thread").annotate(n=Count("pk")).filter(n__gt=1).count() == 0
        pinned = Thread.objects.filter(pinned=True)
        assert 2 <= pinned.count() <= 3
        assert not pinned.exclude(visibility=Visibility.PUBLISHED).exists()
        assert Thread.objects.filter(hot_score__gt=0).exists()

    def test_the_word_list_is_imported_once(self):
        actions = dict(SensitiveWord.objects.values_list("word", "action"))
        assert actions["走私烟"] == "block" and actions["加微信"] == "review"
        assert actions["投诉"] == "flag" and "mask" in actions.values()
        revision = WordListRevision.objects.get()
        assert revision.source == WordListRevision.Source.IMPORT
        assert set(revision.changes["added"]) == set(actions)
        blocked = [w for w, a in actions.items() if a == "block"]
        for word in blocked:
            assert not Post.objects.filter(body__contains=word).exists()
            assert not Thread.objects.filter(title__contains=word).exists()
        assert Post.objects.filter(body__contains="**").exists()  # a masked insult

    def test_reads_follow_publication_and_counts_agree(self):
        assert 6 * 200 <= ArticleRead.objects.count() <= 8 * 200
        assert not ArticleRead.objects.filter(read_at__lte=F("article__publish_at")).exists()
        latest = ArticleRead.objects.aggregate(m=Max("read_at"))["m"]
        assert latest.date() <= UNTIL_DATE
        assert not ArticleRead.objects.exclude(article__status=Article.Status.PUBLISHED).exists()
        assert not ArticleRead.objects.exclude(user=F("shop__owner_account")).exists()
        mismatched = Article.objects.annotate(n=Count("reads")).exclude(read_count=F("n"))
        assert not mismatched.exists()

    def test_reads_carry_structure_a_recommender_can_learn(self):
        shops = Shop.objects.filter(status=Shop.Status.ACTIVE, owner_account__isnull=False)
        per_shop = dict(shops.values_list("segment").annotate(n=Count("pk")).order_by())
        reads = dict(
            ArticleRead.objects.values_list("shop__segment").annotate(n=Count("pk")).order_by()
        )
        core, ordinary = reads["core"] / per_shop["core"], reads["ordinary"] / per_shop["ordinary"]
        assert core > 1.8 * ordinary

        # Tobacco and liquor stores read brand building more than convenience stores do.
        def brand_share(business_type: str) -> float:
            rows = ArticleRead.objects.filter(shop__business_type=business_type)
            return rows.filter(article__topic="brand").count() / max(rows.count(), 1)

        assert brand_share("tobacco_liquor") > 1.3 * brand_share("convenience")

    def test_building_again_adds_nothing(self):
        before = (Thread.objects.count(), Post.objects.count(), ArticleRead.objects.count())
        assert community.build(seed=1, now=Post.objects.aggregate(m=Max("created_at"))["m"]) == {}
        after = (Thread.objects.count(), Post.objects.count(), ArticleRead.objects.count())
        assert after == before


def _titles() -> list[tuple]:
    return list(Thread.objects.order_by("created_at", "title").values_list("created_at", "title"))


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_forum_and_reset_clears_it():
    seed(visit_weeks=0, **SMALL)
    first = _titles()
    assert len(first) > 100
    seed("--reset", visit_weeks=0, **SMALL)  # the community goes before the users it names
    assert _titles() == first
    assert WordListRevision.objects.count() == 1  # the list is kept, not imported again
    seed("--reset", visit_weeks=0, seed=7, **SMALL)
    assert _titles() != first
