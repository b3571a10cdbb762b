"""为您推荐: the article recommender (``engines.recommend``) over this company's articles, shops
and reads, kept in memory per process.

The model is built from live articles, every active shop with an owner's log-in (its class,
business type, urban/rural market and chosen topics) and the last ``READS_DAYS`` of reads. It is
rebuilt in a background thread once ``MAX_AGE_S`` old, the old model answering meanwhile, so no
page waits for a rebuild after the first. A shop that turned personalisation off (PIPL art. 24)
gets the same latest + hot list as everyone. The reason shown with each article comes from the
engine; ``reason_text`` puts it in words (cohort reasons only from 5 shops: the engine's floor).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import close_old_connections
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from community.models import Article, ArticleRead, ReaderPreference, Topic
from customers.models import BusinessType, MarketType, Segment, Shop
from engines.recommend import (
    Item,
    Read,
    Reader,
    Reason,
    Recommender,
    business_type_tag,
    segment_tag,
)

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger(__name__)

READS_DAYS = 120
MAX_AGE_S = 15 * 60

_lock = threading.Lock()
_model: Recommender | None = None
_built_at = 0.0
_rebuilding = False


def forget() -> None:
    """Drop the model (tests; a process starts without one)."""
    global _model, _built_at
    with _lock:
        _model, _built_at = None, 0.0


def _epoch(moment: datetime.datetime) -> float:
    return moment.timestamp()


def build(now: datetime.datetime | None = None) -> Recommender:
    """Read the articles, shops, preferences and reads, and build the model at ``now``."""
    now = now or timezone.now()
    articles = Article.objects.filter(
        status=Article.Status.PUBLISHED, publish_at__lte=now
    ).values_list("pk", "topic", "segments", "business_types", "publish_at")
    items = [
        Item(
            id=pk,
            topic=topic,
            tags=frozenset(
                [segment_tag(s) for s in segments] + [business_type_tag(b) for b in types]
            ),
            published_at=_epoch(published),
        )
        for pk, topic, segments, types, published in articles
    ]
    chosen = dict(
        ReaderPreference.objects.filter(user__owned_shop__isnull=False).values_list(
            "user_id", "topics"
        )
    )
    shops = Shop.objects.filter(status=Shop.Status.ACTIVE, owner_account__isnull=False)
    readers = [
        Reader(
            id=user_id,
            segment=segment,
            business_type=business_type,
            market_type=market_type,
            interests=frozenset(chosen.get(user_id) or ()),
        )
        for user_id, segment, business_type, market_type in shops.values_list(
            "owner_account_id", "segment", "business_type", "market_type"
        )
    ]
    since = now - datetime.timedelta(days=READS_DAYS)
    reads = (
        Read(reader_id=user_id, item_id=article_id, at=_epoch(at))
        for user_id, article_id, at in ArticleRead.objects.filter(
            read_at__gte=since, read_at__lte=now
        )
        .values_list("user_id", "article_id", "read_at")
        .iterator(chunk_size=20_000)
    )
    return Recommender.build(items, readers, reads, now=_epoch(now))


def _rebuild_in_background() -> None:
    global _model, _built_at, _rebuilding
    try:
        fresh = build()
        with _lock:
            _model, _built_at = fresh, time.monotonic()
    except Exception:
        logger.exception("Rebuilding the article recommender failed")
    finally:
        _rebuilding = False
        close_old_connections()


def current() -> Recommender:
    """The model, built now if there is none, refreshed in the background when old."""
    global _model, _built_at, _rebuilding
    with _lock:
        model, age = _model, time.monotonic() - _built_at
        if model is not None and age > MAX_AGE_S and not _rebuilding:
            _rebuilding = True
            threading.Thread(target=_rebuild_in_background, daemon=True).start()
    if model is not None:
        return model
    fresh = build()
    with _lock:
        _model, _built_at = fresh, time.monotonic()
    return fresh


def personalised_for(user: User) -> bool:
    pref = ReaderPreference.objects.filter(user=user).values_list("personalised", flat=True)
    return pref.first() is not False


@dataclass(frozen=True)
class Suggested:
    article: Article
    reason: str


def _cohort_label(params: dict) -> str:
    parts = []
    if params.get("market_type"):
        parts.append(str(MarketType(params["market_type"]).label))
    if params.get("segment"):
        parts.append(str(Segment(params["segment"]).label))
    if params.get("business_type"):
        parts.append(str(BusinessType(params["business_type"]).label))
    return " ".join(parts)


def reason_text(reason: Reason, titles: dict[int, str]) -> str:
    """The engine's reason as the sentence shown under the article."""
    p = reason.params
    if reason.kind == "interest":
        topic = str(Topic(p["topic"]).label) if p.get("topic") in Topic.values else p.get("topic")
        if p.get("source") == "chosen":
            return _("Because you follow %(topic)s") % {"topic": topic}
        return _("You often read about %(topic)s") % {"topic": topic}
    if reason.kind == "cohort":
        return _("Read lately by %(shops)s shops like yours (%(cohort)s)") % {
            "shops": p.get("shops"),
            "cohort": _cohort_label(p),
        }
    if reason.kind == "coread":
        title = titles.get(p.get("item_id"))
        if title:
            return _("Shops that read “%(title)s” also read this") % {"title": title}
        return _("Shops that read what you read also read this")
    if reason.kind == "audience":
        who = _cohort_label({"segment": p.get("segment"), "business_type": p.get("business_type")})
        return _("Written for %(who)s") % {"who": who}
    if reason.kind == "popular":
        return _("Popular across the city")
    return pgettext("recommendation reason", "New")


def recommended(user: User, *, k: int = 6) -> tuple[list[Suggested], bool]:
    """Up to ``k`` live articles for ``user`` with their reasons, and whether the list is
    personalised. Articles the user read since the model was built are left out."""
    personalised = personalised_for(user)
    found = current().recommend(user.pk, k=k + 10, personalised=personalised)
    already = (
        set(
            ArticleRead.objects.filter(
                user=user, article_id__in=[r.item_id for r in found]
            ).values_list("article_id", flat=True)
        )
        if personalised
        else set()
    )
    wanted = [r for r in found if r.item_id not in already]
    ids = [r.item_id for r in wanted] + [
        r.reason.params["item_id"] for r in wanted if r.reason.kind == "coread"
    ]
    now = timezone.now()
    articles = Article.objects.filter(
        pk__in=ids, status=Article.Status.PUBLISHED, publish_at__lte=now
    )
    by_id = {a.pk: a for a in articles}
    titles = {pk: a.title for pk, a in by_id.items()}
    out = [
        Suggested(article=by_id[r.item_id], reason=reason_text(r.reason, titles))
        for r in wanted
        if r.item_id in by_id
    ]
    return out[:k], personalised
