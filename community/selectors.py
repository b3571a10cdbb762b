"""Community reads, each shaped for one page and scoped through policy.

The one rule every list here keeps: only published content (``Visibility.PUBLISHED`` in a
published thread; live articles) is listed, counted or searched. An author additionally sees
their own pending and rejected content, marked, on the pages that show it to them; moderators
see their categories' queue. Nothing else reveals pending content.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from community.models import (
    AllowedPhrase,
    Article,
    ArticleImage,
    ForumCategory,
    Post,
    PostLike,
    SensitiveWord,
    Thread,
    ThreadRead,
    Topic,
    Visibility,
    Watch,
    WordListRevision,
)
from flexserve import policy
from flexserve.errors import NotFound
from flexserve.policy import Perm

if TYPE_CHECKING:
    from accounts.models import User

THREADS_PER_PAGE = 30
POSTS_PER_PAGE = 50
ARTICLES_PER_PAGE = 20


def live_articles(user: User) -> QuerySet[Article]:
    qs = policy.visible(user, Article.objects.all())
    return qs.filter(status=Article.Status.PUBLISHED, publish_at__lte=timezone.now())


def article_list(user: User, *, topic: str = "", page: int = 1) -> Page:
    qs = live_articles(user)
    if topic in Topic.values:
        qs = qs.filter(topic=topic)
    qs = qs.select_related("author_shop").order_by("-publish_at", "-pk")
    return Paginator(qs, ARTICLES_PER_PAGE).get_page(page)


def article_detail(user: User, article_id: int) -> Article:
    """A live article; its author and editors may also open it before it is live."""
    article = policy.get_visible(user, Article, article_id)
    if article.status == Article.Status.PUBLISHED and article.publish_at <= timezone.now():
        return article
    if article.author_id == user.pk or policy.has_perm(user, Perm.COMMUNITY_PUBLISH):
        return article
    raise NotFound()


def my_articles(user: User) -> QuerySet[Article]:
    return policy.visible(user, Article.objects.filter(author=user)).order_by("-created_at")


def editor_articles(user: User, *, status: str = "") -> QuerySet[Article]:
    """Every article for editors (drafts, scheduled, pending experience articles)."""
    if not policy.has_perm(user, Perm.COMMUNITY_PUBLISH):
        return Article.objects.none()
    qs = Article.objects.select_related("author", "author_shop")
    if status in Article.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-updated_at")


def categories(user: User) -> list[ForumCategory]:
    """Categories with their published thread counts (one grouped query)."""
    qs = policy.visible(user, ForumCategory.objects.all())
    return list(
        qs.annotate(
            thread_total=Count("threads", filter=Q(threads__visibility=Visibility.PUBLISHED))
        )
    )


def category_detail(user: User, category_id: int) -> ForumCategory:
    return policy.get_visible(user, ForumCategory, category_id)


def published_threads(user: User) -> QuerySet[Thread]:
    return policy.visible(user, Thread.objects.filter(visibility=Visibility.PUBLISHED))


def with_unread(user: User, qs: QuerySet[Thread]) -> QuerySet[Thread]:
    """``seen`` (None: never opened) and ``unread`` (published posts since) per thread, read
    from the user's ThreadRead row: one indexed lookup per row, no counting of posts."""
    seen = ThreadRead.objects.filter(user=user, thread=OuterRef("pk")).values("seen_count")[:1]
    return qs.annotate(seen=Subquery(seen, output_field=IntegerField())).annotate(
        unread=F("reply_count") + 1 - Coalesce(F("seen"), Value(0))
    )


def thread_list(user: User, *, category: ForumCategory, page: int = 1) -> Page:
    """Unpinned threads, newest activity first; pinned ones are ``pinned_threads``, shown above
    page 1. A deferred join: the page's ids come from the index alone (thread_list_idx, however
    deep the page), then only those rows are read, with the reader's unread counts."""
    ids = (
        published_threads(user)
        .filter(category=category, pinned=False)
        .order_by("-last_posted_at", "-pk")
        .values_list("pk", flat=True)
    )
    result = Paginator(ids, THREADS_PER_PAGE).get_page(page)
    page_ids = list(result.object_list)
    rows = Thread.objects.filter(pk__in=page_ids).select_related("author__community_member")
    by_id = {thread.pk: thread for thread in rows}
    seen = dict(
        ThreadRead.objects.filter(user=user, thread_id__in=page_ids).values_list(
            "thread_id", "seen_count"
        )
    )
    threads = [by_id[pk] for pk in page_ids if pk in by_id]
    for thread in threads:
        thread.seen = seen.get(thread.pk)
        thread.unread = thread.reply_count + 1 - (thread.seen or 0)
    result.object_list = threads
    return result


def pinned_threads(user: User, *, category: ForumCategory) -> list[Thread]:
    qs = published_threads(user).filter(category=category, pinned=True)
    qs = qs.select_related("author__community_member").order_by("-last_posted_at")
    return list(with_unread(user, qs)[:10])


def unread_total(user: User) -> int:
    """Followed threads with posts the user has not seen (the forum's badge)."""
    followed = Watch.objects.filter(user=user, thread__isnull=False).values("thread_id")
    qs = published_threads(user).filter(pk__in=followed)
    return with_unread(user, qs).filter(unread__gt=0).count()


def followed_threads(user: User, *, limit: int = 30) -> list[Thread]:
    followed = Watch.objects.filter(user=user, thread__isnull=False).values("thread_id")
    qs = published_threads(user).filter(pk__in=followed).select_related("category")
    return list(with_unread(user, qs).order_by("-last_posted_at")[:limit])


def is_watching(user: User, *, thread: Thread | None = None, category=None) -> bool:
    if thread is not None:
        return Watch.objects.filter(user=user, thread=thread).exists()
    return Watch.objects.filter(user=user, category=category).exists()


def first_unread(user: User, thread: Thread) -> tuple[int, int | None]:
    """(page, post id) of the first published post the user has not seen; the last page and
    None when they have seen everything."""
    read = ThreadRead.objects.filter(user=user, thread=thread).values_list("seen_count", flat=True)
    seen = read.first() or 0
    posts = Post.objects.filter(thread=thread, visibility=Visibility.PUBLISHED).order_by(
        "created_at", "pk"
    )
    found = list(posts.values_list("pk", flat=True)[seen : seen + 1])
    post_id = found[0] if found else None
    total = thread.reply_count + 1
    index = seen if post_id is not None else max(total - 1, 0)
    return index // POSTS_PER_PAGE + 1, post_id


def my_unpublished_threads(user: User, *, category: ForumCategory | None = None):
    """The user's own threads still waiting or rejected, shown to them alone (审核中)."""
    qs = Thread.objects.filter(author=user).exclude(visibility=Visibility.PUBLISHED)
    if category is not None:
        qs = qs.filter(category=category)
    return qs.order_by("-created_at")[:20]


def thread_detail(user: User, thread_id: int) -> Thread:
    thread = policy.get_visible(
        user, Thread, thread_id, qs=Thread.objects.select_related("category")
    )
    if thread.visibility == Visibility.PUBLISHED or thread.author_id == user.pk:
        return thread
    if policy.moderates_category(user, thread.category):
        return thread
    raise NotFound()


def thread_posts(user: User, thread: Thread, *, page: int = 1) -> Page:
    """Published posts, plus the reader's own pending or rejected ones (marked in the page)."""
    mine = Q(author=user) & ~Q(visibility=Visibility.HIDDEN)
    qs = (
        policy.visible(user, Post.objects.filter(thread=thread))
        .filter(Q(visibility=Visibility.PUBLISHED) | mine)
        .select_related("author__community_member", "quote__author__community_member")
        .order_by("created_at", "pk")
    )
    paginator = Paginator(qs, POSTS_PER_PAGE)
    posts = paginator.get_page(paginator.num_pages if page == "last" else page)
    liked = set(
        PostLike.objects.filter(user=user, post__in=[p.pk for p in posts]).values_list(
            "post_id", flat=True
        )
    )
    for post in posts:
        post.liked_by_me = post.pk in liked
        # A quote of content no longer public shows nothing of it.
        if post.quote is not None and post.quote.visibility != Visibility.PUBLISHED:
            post.quote = None
    return posts


def moderation_queue(user: User) -> QuerySet[Post]:
    """Posts waiting or hidden in the categories ``user`` moderates, oldest first."""
    return (
        Post.objects.filter(visibility__in=[Visibility.PENDING, Visibility.HIDDEN])
        .filter(policy.moderation_scope(user, "thread__category"))
        .select_related("thread__category", "author__community_member", "author")
        .annotate(open_flags=Count("flags", filter=Q(flags__upheld__isnull=True)))
        .distinct()
        .order_by("created_at", "pk")
    )


def moderates_any(user: User) -> bool:
    return policy.has_perm(user, Perm.COMMUNITY_MODERATE) or (
        user.is_authenticated and ForumCategory.objects.filter(moderators=user).exists()
    )


def word_list(user: User, *, query: str = "") -> QuerySet[SensitiveWord]:
    qs = policy.visible(user, SensitiveWord.objects.all())
    return qs.filter(word__icontains=query) if query else qs


def allowed_phrases(user: User) -> QuerySet[AllowedPhrase]:
    return policy.visible(user, AllowedPhrase.objects.all())


def word_list_revisions(user: User) -> QuerySet[WordListRevision]:
    return policy.visible(user, WordListRevision.objects.select_related("actor"))[:20]


def hot_threads(user: User, *, limit: int = 10) -> list[Thread]:
    """Pinned hot topics first, then the highest stored hot scores (index thread_hot_idx)."""
    base = published_threads(user).select_related("category")
    pinned = list(base.filter(pinned=True).order_by("-last_posted_at")[:limit])
    rest = base.filter(pinned=False, hot_score__gt=0).order_by(
        "-hot_score", "-pk"
    )  # thread_hot_idx
    return pinned + list(rest[: max(limit - len(pinned), 0)])


TOP_PERIODS = {"day": 1, "week": 7, "month": 30}


def top_threads(user: User, *, period: str = "week", limit: int = 10) -> list[Thread]:
    """Threads started in the last day / week / month with the most likes and replies."""
    import datetime

    days = TOP_PERIODS.get(period, 7)
    since = timezone.now() - datetime.timedelta(days=days)
    qs = published_threads(user).filter(created_at__gte=since).select_related("category")
    return list(
        qs.annotate(activity=F("like_count") + F("reply_count"))
        .filter(activity__gt=0)
        .order_by("-activity", "-last_posted_at")[:limit]
    )


def my_posts(user: User) -> QuerySet[Post]:
    """The user's replies and opening posts, newest first, with their review state."""
    return (
        Post.objects.filter(author=user)
        .select_related("thread")
        .order_by("-created_at", "-pk")[:50]
    )


def published_post(user: User, post_id: int) -> Post:
    post = policy.get_visible(user, Post, post_id, qs=Post.objects.select_related("thread"))
    if post.visibility == Visibility.PUBLISHED and post.thread.visibility == Visibility.PUBLISHED:
        return post
    raise NotFound()


# --- The manage pages (/community/manage/) ----------------------------------------------------

REVIEW_PER_PAGE = 30
EDITOR_ARTICLES_PER_PAGE = 30
WORDS_PER_PAGE = 50


def _word_spans(matcher, text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where ``words`` (a post's matched words) stand in ``text``: the list's own hits (they see
    through spacing and variant characters) plus plain occurrences, in case the list changed
    since; merged, in order, as [start, end) offsets."""
    wanted = {w for w in words if w}
    if not wanted or not text:
        return []
    spans = [(hit.start, hit.end) for hit in matcher.scan(text) if hit.word in wanted]
    lowered = text.lower()
    for word in wanted:
        needle = word.lower()
        start = lowered.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = lowered.find(needle, start + len(needle))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def moderation_page(user: User, *, page: int | str | None = 1) -> Page:
    """One page of ``moderation_queue`` for the review screen. Each post carries ``shop`` (its
    author's shop, or None: moderators see who is behind a nickname), ``words`` (its matched
    words, once each) and ``body_spans`` / ``title_spans`` (where they stand, for highlighting)."""
    from community.services import wordlist

    qs = moderation_queue(user).select_related("author__owned_shop")
    posts = Paginator(qs, REVIEW_PER_PAGE).get_page(page)
    matcher = wordlist.current_matcher() if any(p.matched_words for p in posts) else None
    for post in posts:
        post.shop = getattr(post.author, "owned_shop", None)
        words = list(dict.fromkeys(post.matched_words or []))  # title and body may share one
        post.words = words
        post.body_spans = _word_spans(matcher, post.body, words) if matcher else []
        title = post.thread.title if post.is_opening else ""
        post.title_spans = _word_spans(matcher, title, words) if matcher else []
    return posts


def queued_post(user: User, post_id: int) -> Post:
    """A post in ``user``'s review queue; NotFound when it is not (decided, or not theirs)."""
    post = moderation_queue(user).filter(pk=post_id).first()
    if post is None:
        raise NotFound()
    return post


def editor_article_page(user: User, *, status: str = "", page: int | str | None = 1) -> Page:
    return Paginator(editor_articles(user, status=status), EDITOR_ARTICLES_PER_PAGE).get_page(page)


def word_page(user: User, *, query: str = "", page: int | str | None = 1) -> Page:
    return Paginator(word_list(user, query=query), WORDS_PER_PAGE).get_page(page)


def search_threads(user: User, query: str, *, limit: int = 50) -> list[Thread]:
    """Published threads holding every word of ``query`` (community.search)."""
    from community.search import canonical, query_terms

    terms = query_terms(query)
    if not terms:
        return []
    qs = published_threads(user).select_related("category", "author__community_member")
    for term in terms:
        qs = qs.filter(search_text__contains=term)
    found = list(qs.order_by("-hot_score", "-last_posted_at")[: limit * 4])
    for thread in found:
        title = canonical(thread.title)
        thread.title_hits = sum(term in title for term in terms)
    found.sort(key=lambda t: -t.title_hits)  # stable: keeps hot, then recent, within a tie
    return found[:limit]


def article_image(user: User, image_id: int) -> ArticleImage:
    policy.require(user, Perm.COMMUNITY_READ)
    return policy.get_visible(user, ArticleImage, image_id)


def article_images(user: User, *, limit: int = 40) -> list[ArticleImage]:
    if not policy.has_perm(user, Perm.COMMUNITY_PUBLISH):
        return []
    return list(ArticleImage.objects.order_by("-pk")[:limit])
