"""Article writes: staff write, schedule and publish; shops submit experience articles, which
wait for review; readers' first reads are recorded (they drive recommendations).

An article is live when it is ``PUBLISHED`` and its ``publish_at`` has come: scheduling is
publishing with a future time, so nothing has to run at that moment.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from community.errors import AlreadyModerated, CannotPost
from community.models import Article, ArticleImage, ArticleRead, Topic
from community.richtext import plain_text, sanitise
from community.services import wordlist
from community.services.forum import can_post
from customers.models import BusinessType, Segment
from flexserve import policy
from flexserve.errors import FieldInvalid, Forbidden, Invalid
from flexserve.images import check_images
from flexserve.policy import Perm

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MIN, TITLE_MAX = 4, 80
BODY_MIN, BODY_MAX = 20, 50_000
SUMMARY_MAX = 200
MAX_TAGS = 10


def _clean_fields(
    *,
    topic: str,
    title: str,
    body: str,
    summary: str,
    brands: list[str],
    business_types: list[str],
    segments: list[str],
) -> dict:
    errors: dict[str, list[str]] = {}
    if topic not in Topic.values:
        errors["topic"] = [_("Choose a topic.")]
    title = (title or "").strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = [
            _("Between %(low)d and %(high)d characters.") % {"low": TITLE_MIN, "high": TITLE_MAX}
        ]
    clean_body = sanitise(body)
    words = plain_text(clean_body)
    if len(words) < BODY_MIN:
        errors["body"] = [_("At least %(n)d characters of text.") % {"n": BODY_MIN}]
    elif len(clean_body) > BODY_MAX:
        errors["body"] = [_("At most %(n)d characters.") % {"n": BODY_MAX}]
    summary = (summary or "").strip()
    if len(summary) > SUMMARY_MAX:
        errors["summary"] = [_("At most %(n)d characters.") % {"n": SUMMARY_MAX}]
    brands = [b.strip() for b in brands or [] if b and b.strip()]
    if len(brands) > MAX_TAGS or any(len(b) > 20 for b in brands):
        errors["brands"] = [_("At most 10 brands of 20 characters each.")]
    bad_types = [t for t in business_types or [] if t not in BusinessType.values]
    if bad_types:
        errors["business_types"] = [_("Unknown business type: %(v)s") % {"v": ", ".join(bad_types)}]
    bad_segments = [s for s in segments or [] if s not in Segment.values]
    if bad_segments:
        errors["segments"] = [_("Unknown shop class: %(v)s") % {"v": ", ".join(bad_segments)}]
    if errors:
        raise Invalid(fields=errors)
    checked = wordlist.check_many({"title": title, "summary": summary, "body": words})
    if checked["body"].text != words:
        # A masked word inside HTML cannot be starred safely: ask for a rewrite instead.
        raise FieldInvalid("body", _("Reword the text: it contains a word that must be masked."))
    return {
        "topic": topic,
        "title": checked["title"].text,
        "summary": checked["summary"].text or words[:120],
        "body": clean_body,
        "brands": list(dict.fromkeys(brands)),
        "business_types": list(dict.fromkeys(business_types or [])),
        "segments": list(dict.fromkeys(segments or [])),
    }


def _publish_time(publish_at: datetime.datetime | None) -> datetime.datetime:
    now = timezone.now()
    if publish_at is None:
        return now
    if timezone.is_naive(publish_at):
        raise FieldInvalid("publish_at", _("Give the time with its time zone."))
    return publish_at


@transaction.atomic
def article_save(
    *,
    actor: User,
    article_id: int | None = None,
    topic: str,
    title: str,
    body: str,
    summary: str = "",
    brands: list[str] | None = None,
    business_types: list[str] | None = None,
    segments: list[str] | None = None,
    publish: bool = False,
    publish_at: datetime.datetime | None = None,
) -> Article:
    """Staff create or edit an article; ``publish`` makes it live now or at ``publish_at``."""
    policy.require(actor, Perm.COMMUNITY_PUBLISH)
    fields = _clean_fields(
        topic=topic,
        title=title,
        body=body,
        summary=summary,
        brands=brands or [],
        business_types=business_types or [],
        segments=segments or [],
    )
    past = publish_at is not None and publish_at < timezone.now() - datetime.timedelta(minutes=1)
    if past and article_id is None:
        raise FieldInvalid("publish_at", _("The time has passed; leave it empty to publish now."))
    if article_id is None:
        article = Article(author=actor)
    else:
        article = policy.get_visible(actor, Article, article_id, for_update=True)
        if article.author_shop_id is not None:
            raise Forbidden()  # a shop's own words are reviewed, not rewritten
    for name, value in fields.items():
        setattr(article, name, value)
    if publish:
        article.status = Article.Status.PUBLISHED
        article.publish_at = _publish_time(publish_at)
    elif article.status != Article.Status.PUBLISHED:
        article.status = Article.Status.DRAFT
    article.save()
    audit_record(actor=actor, action="community.article_saved", target=article)
    return article


@transaction.atomic
def article_archive(*, actor: User, article_id: int) -> Article:
    policy.require(actor, Perm.COMMUNITY_PUBLISH)
    article = policy.get_visible(actor, Article, article_id, for_update=True)
    article.status = Article.Status.ARCHIVED
    article.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action="community.article_archived", target=article)
    return article


@transaction.atomic
def experience_submit(*, actor: User, title: str, body: str, summary: str = "") -> Article:
    """A shop owner shares an experience article (经验分享); it waits for review."""
    policy.require(actor, Perm.COMMUNITY_POST)
    if not can_post(actor):
        raise CannotPost()
    fields = _clean_fields(
        topic=Topic.EXPERIENCE,
        title=title,
        body=body,
        summary=summary,
        brands=[],
        business_types=[],
        segments=[],
    )
    shop_id = policy.owned_shop_id(actor)
    return Article.objects.create(
        author=actor, author_shop_id=shop_id, status=Article.Status.PENDING, **fields
    )


def _pending(actor: User, article_id: int) -> Article:
    policy.require(actor, Perm.COMMUNITY_PUBLISH)
    article = policy.get_visible(actor, Article, article_id, for_update=True)
    if article.status != Article.Status.PENDING:
        raise AlreadyModerated()
    return article


@transaction.atomic
def experience_approve(*, actor: User, article_id: int) -> Article:
    article = _pending(actor, article_id)
    now = timezone.now()
    article.status, article.publish_at = Article.Status.PUBLISHED, now
    article.reviewed_by, article.reviewed_at = actor, now
    article.save()
    audit_record(actor=actor, action="community.article_approved", target=article)
    return article


@transaction.atomic
def experience_reject(*, actor: User, article_id: int, reason: str) -> Article:
    reason = (reason or "").strip()
    if not reason:
        raise FieldInvalid("reason", _("Tell the author why."))
    article = _pending(actor, article_id)
    article.status = Article.Status.REJECTED
    article.reject_reason = reason[:200]
    article.reviewed_by, article.reviewed_at = actor, timezone.now()
    article.save()
    audit_record(actor=actor, action="community.article_rejected", target=article, note=reason)
    from servicedesk.outbox import notify

    author, title = article.author, article.title
    transaction.on_commit(
        lambda: notify(
            author,
            subject=_("Your article “%(title)s” was not published") % {"title": title},
            body=_("Reason: %(reason)s") % {"reason": reason},
            url=reverse("community:my_articles"),
            email=False,
        )
    )
    return article


def record_read(*, actor: User, article: Article) -> None:
    """Count a reader's first read (idempotent: the unique constraint makes a re-read a no-op)."""
    if not actor.is_authenticated:
        return
    try:
        with transaction.atomic():
            ArticleRead.objects.create(
                article=article,
                user=actor,
                shop_id=policy.owned_shop_id(actor),
                read_at=timezone.now(),
            )
    except IntegrityError:
        return
    Article.objects.filter(pk=article.pk).update(read_count=F("read_count") + 1)


@transaction.atomic
def image_upload(*, actor: User, upload) -> ArticleImage:
    """Store one checked picture (JPEG, PNG or WebP, 5 MB) for use in articles."""
    policy.require(actor, Perm.COMMUNITY_PUBLISH)
    if upload is None:
        raise FieldInvalid("image", _("Choose a picture."))
    ((checked, kind),) = check_images([upload], max_files=1, field="image")
    return ArticleImage.objects.create(
        file=checked, content_type=kind, size=checked.size, uploaded_by=actor
    )
