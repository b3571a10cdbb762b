"""The community (徽映社区): articles by topic, a moderated real-name forum, the word list.

Articles are written by staff (and by shops, as experience articles reviewed first); they are read
behind log-in only (tobacco advertising law). The forum shows a nickname in front and keeps the real
person behind it: only owners of active licensed shops and staff post.

Moderation keys on one ``Visibility`` per thread and post: only ``PUBLISHED`` content appears in
lists, counts, search, hot topics and recommendations (``community.selectors``); its author sees
their own pending content marked 审核中.

The sensitive-word list is versioned: every change (a word added, removed or re-actioned, an
import) appends a ``WordListRevision``; the compiled matcher is keyed by the latest revision, so an
edit applies to the next post without a restart.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Shop
from flexserve.validation import stored_name


class Topic(models.TextChoices):
    """What an article is about (文章栏目)."""

    DISPLAY = "display", _("Display")
    BRAND = "brand", _("Brand building")
    TERMINAL = "terminal", _("Shop development")
    EXPERIENCE = "experience", _("Shared experience")


class Visibility(models.TextChoices):
    PENDING = "pending", _("Under review")
    PUBLISHED = "published", pgettext_lazy("content status", "Published")
    HIDDEN = "hidden", _("Hidden until reviewed")
    REJECTED = "rejected", pgettext_lazy("content status", "Rejected")


class Article(models.Model):
    view_perm = "community_read"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Under review")
        PUBLISHED = "published", pgettext_lazy("content status", "Published")
        REJECTED = "rejected", pgettext_lazy("content status", "Rejected")
        ARCHIVED = "archived", _("Archived")

    topic = models.CharField(_("topic"), max_length=12, choices=Topic.choices)
    title = models.CharField(_("title"), max_length=80)
    summary = models.CharField(_("summary"), max_length=200, blank=True)
    # Sanitised HTML (community.richtext): only the tags and attributes an article needs.
    body = models.TextField(_("body"))
    brands = models.JSONField(_("brands"), default=list, blank=True)
    business_types = models.JSONField(_("business types"), default=list, blank=True)
    segments = models.JSONField(_("shop classes"), default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="community_articles",
    )
    # Set when a shop owner wrote it (an experience article, reviewed before publishing).
    author_shop = models.ForeignKey(
        Shop, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Publishing at a future time is scheduling: the article is live from then on.
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    read_count = models.PositiveIntegerField(_("reads"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "-publish_at"], name="article_live_idx")]

    def __str__(self) -> str:
        return self.title


def article_image_path(instance: "ArticleImage", filename: str) -> str:
    # The client's file name is ignored: a generated one with the detected type's extension.
    return f"community/{timezone.now():%Y/%m}/{stored_name(instance.content_type)}"


class ArticleImage(models.Model):
    """A picture for articles, checked on upload and served behind log-in like the articles
    (``/community/images/<id>/``): never a public media URL."""

    view_perm = "community_read"

    file = models.FileField(_("image"), upload_to=article_image_path)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article image")
        verbose_name_plural = _("article images")

    def __str__(self) -> str:
        return self.file.name


class ArticleRead(models.Model):
    """One reader's first read of an article (what the shop reads feeds recommendations)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_read_once"),
        ]
        indexes = [models.Index(fields=["shop", "read_at"], name="article_read_shop_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.article_id}"


class ReaderPreference(models.Model):
    """What a reader wants recommended: chosen topics, and whether recommendations may use what
    they read at all (off: everyone gets the same latest + hot list; PIPL art. 24)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_preference"
    )
    personalised = models.BooleanField(_("personalised recommendations"), default=True)
    topics = models.JSONField(_("topics of interest"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {'on' if self.personalised else 'off'}"


class ForumCategory(models.Model):
    view_perm = "community_read"

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Every post here waits for a moderator (e.g. policy questions answered by staff only).
    review_required = models.BooleanField(_("review every post"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderators"),
        blank=True,
        related_name="moderated_categories",
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("forum category")
        verbose_name_plural = _("forum categories")

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """A person's forum identity: the nickname shown in front; the account is the real name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_member"
    )
    nickname = models.CharField(_("nickname"), max_length=20, unique=True)
    approved_posts = models.PositiveIntegerField(_("approved posts"), default=0)
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("forum member")
        verbose_name_plural = _("forum members")

    def __str__(self) -> str:
        return self.nickname


class Thread(models.Model):
    view_perm = "community_read"

    category = models.ForeignKey(ForumCategory, on_delete=models.PROTECT, related_name="threads")
    title = models.CharField(_("title"), max_length=80)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="community_threads"
    )
    visibility = models.CharField(
        _("status"), max_length=10, choices=Visibility.choices, default=Visibility.PENDING
    )
    pinned = models.BooleanField(_("pinned as hot topic"), default=False)
    # Counts of published replies and likes, kept by the services (lists never count rows).
    reply_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    # Title and opening post in the Q&A engine's canonical form (trade lexicon applied), for
    # search (community.search).
    search_text = models.TextField(default="", blank=True)
    # community.hotness: stored, refreshed periodically and on likes and replies.
    hot_score = models.FloatField(default=0.0)
    created_at = models.DateTimeField()
    last_posted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            # The category list: pinned threads apart, the rest newest activity first.
            models.Index(
                fields=["category", "visibility", "pinned", "-last_posted_at", "-id"],
                name="thread_list_idx",
            ),
            models.Index(
                fields=["visibility", "pinned", "-hot_score", "-id"], name="thread_hot_idx"
            ),
            models.Index(
                fields=["-last_posted_at"],
                condition=models.Q(pinned=True),
                name="thread_pinned_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Post(models.Model):
    view_perm = "community_read"

    class HeldFor(models.TextChoices):
        NEW_AUTHOR = "new_author", _("A new author's first posts")
        CATEGORY = "category", _("Category reviews every post")
        WORD = "word", _("Contains a word that needs review")
        FLAGS = "flags", _("Flagged by readers")

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="community_posts"
    )
    # Staff answers are badged (官方); kept on the post as the author's role may change later.
    by_staff = models.BooleanField(default=False)
    is_opening = models.BooleanField(default=False)
    body = models.TextField(_("content"))
    quote = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    visibility = models.CharField(
        _("status"), max_length=10, choices=Visibility.choices, default=Visibility.PENDING
    )
    held_for = models.CharField(_("held for"), max_length=12, choices=HeldFor.choices, blank=True)
    # Words from the list that sent the post to review or that a moderator should see.
    matched_words = models.JSONField(default=list, blank=True)
    reject_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    is_useful = models.BooleanField(_("useful answer"), default=False)
    like_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["thread", "visibility", "created_at"], name="post_thread_idx"),
            models.Index(fields=["visibility", "created_at"], name="post_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}#{self.pk}"


class ThreadRead(models.Model):
    """How far a reader has read a thread: the number of published posts it had when they last
    looked. Unread = the thread's published posts now minus that (no counting of rows)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    seen_count = models.PositiveIntegerField(default=0)
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="thread_read_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saw {self.seen_count} of {self.thread_id}"


class Watch(models.Model):
    """A reader follows a thread (new replies) or a category (new threads): notified in-app."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="community_watches"
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    category = models.ForeignKey(
        ForumCategory, on_delete=models.CASCADE, null=True, blank=True, related_name="watches"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "thread"],
                condition=models.Q(thread__isnull=False),
                name="watch_thread_once",
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=models.Q(category__isnull=False),
                name="watch_category_once",
            ),
            models.CheckConstraint(
                condition=models.Q(thread__isnull=True) ^ models.Q(category__isnull=True),
                name="watch_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.thread_id or self.category_id}"


class PostLike(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="post_like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Flag(models.Model):
    """A reader's report on a post, weighted by how often that reader's flags were upheld."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Advertising or spam")
        OFFENSIVE = "offensive", _("Offensive or abusive")
        ILLEGAL = "illegal", _("Illegal sales or counterfeit")
        PRIVACY = "privacy", _("Exposes someone's private information")
        WORD = "word", _("Contains a listed word")
        OTHER = "other", _("Other")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="flags")
    # None: raised by the word list itself (a FLAG word).
    flagger = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    weight = models.FloatField(default=1.0)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when a moderator decides the post: True when it was removed, False when it stayed.
    upheld = models.BooleanField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "flagger"],
                condition=models.Q(flagger__isnull=False),
                name="flag_once_per_reader",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} on {self.post_id}"


class SensitiveWord(models.Model):
    view_perm = "wordlist_edit"

    class Action(models.TextChoices):
        BLOCK = "block", _("Block (nothing is saved)")
        REVIEW = "review", _("Hold for review")
        MASK = "mask", _("Mask with *")
        FLAG = "flag", _("Publish and flag for moderators")

    word = models.CharField(_("word"), max_length=40, unique=True)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    note = models.CharField(_("note"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["word"]
        verbose_name = _("sensitive word")
        verbose_name_plural = _("sensitive words")

    def __str__(self) -> str:
        return self.word


class AllowedPhrase(models.Model):
    """A phrase in which a listed word is harmless (允许词): hits inside it are ignored."""

    view_perm = "wordlist_edit"

    phrase = models.CharField(_("phrase"), max_length=40, unique=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = _("allowed phrase")
        verbose_name_plural = _("allowed phrases")

    def __str__(self) -> str:
        return self.phrase


class WordListRevision(models.Model):
    """One change of the list; the highest number is the version every check compiles."""

    view_perm = "wordlist_edit"

    class Source(models.TextChoices):
        MANUAL = "manual", _("Edited by hand")
        IMPORT = "import", _("Imported from a spreadsheet")

    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # {"added": [...], "removed": [...], "changed": [...], "allowed_added": [...], ...}
    changes = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("word list revision")
        verbose_name_plural = _("word list revisions")

    def __str__(self) -> str:
        return f"revision {self.pk}"
