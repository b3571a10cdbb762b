"""Refresh the stored hot scores (``community.hotness``): all live threads periodically (Celery
beat), one thread at once after a like or a reply."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from community.hotness import RECENT_DAYS, Activity, hot_score
from community.models import Post, PostLike, Thread, Visibility

BATCH = 2000
CANDIDATE_DAYS = 30


def _counts(thread_ids: list[int], since: datetime.datetime) -> dict[int, dict[str, object]]:
    likes = (
        PostLike.objects.filter(
            post__thread_id__in=thread_ids, post__visibility=Visibility.PUBLISHED
        )
        .values("post__thread_id")
        .annotate(
            total=Count("pk"),
            recent=Count("pk", filter=Q(created_at__gte=since)),
            first_recent=Min("created_at", filter=Q(created_at__gte=since)),
        )
    )
    replies = (
        Post.objects.filter(
            thread_id__in=thread_ids, visibility=Visibility.PUBLISHED, is_opening=False
        )
        .exclude(author_id=F("thread__author_id"))
        .values("thread_id")
        .annotate(
            total=Count("author_id", distinct=True),
            recent=Count("author_id", distinct=True, filter=Q(created_at__gte=since)),
            first_recent=Min("created_at", filter=Q(created_at__gte=since)),
        )
    )
    out: dict[int, dict[str, object]] = {}
    for row in likes:
        out.setdefault(row["post__thread_id"], {})["likes"] = row
    for row in replies:
        out.setdefault(row["thread_id"], {})["replies"] = row
    return out


def _score(thread: Thread, counts: dict[str, object], now: datetime.datetime) -> float:
    likes = counts.get("likes") or {}
    replies = counts.get("replies") or {}
    firsts = [r["first_recent"] for r in (likes, replies) if r and r.get("first_recent")]
    first_recent = min(firsts) if firsts else now
    return hot_score(
        Activity(
            likes=likes.get("total", 0),
            repliers=replies.get("total", 0),
            age_hours=(now - thread.created_at).total_seconds() / 3600,
            recent_likes=likes.get("recent", 0),
            recent_repliers=replies.get("recent", 0),
            recent_age_hours=(now - first_recent).total_seconds() / 3600,
        )
    )


def refresh(
    *, thread_ids: Iterable[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Recompute the hot score of the given threads, or of every published thread active in
    the last ``CANDIDATE_DAYS`` (the periodic run). A thread quiet for longer, or no longer
    public, drops to 0 and leaves the hot list, as Discourse keeps scores only for recently
    active topics. Returns how many scores changed."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=RECENT_DAYS)
    qs = Thread.objects.filter(visibility=Visibility.PUBLISHED)
    changed = 0
    if thread_ids is not None:
        qs = qs.filter(pk__in=list(thread_ids))
    else:
        active_since = now - datetime.timedelta(days=CANDIDATE_DAYS)
        stale = Q(last_posted_at__lt=active_since) | ~Q(visibility=Visibility.PUBLISHED)
        changed += Thread.objects.filter(stale, hot_score__gt=0).update(hot_score=0.0)
        qs = qs.filter(last_posted_at__gte=active_since)
    last_pk = 0
    while True:
        batch = list(
            qs.filter(pk__gt=last_pk).order_by("pk").only("pk", "created_at", "hot_score")[:BATCH]
        )
        if not batch:
            return changed
        last_pk = batch[-1].pk
        counts = _counts([t.pk for t in batch], since)
        dirty = []
        for thread in batch:
            score = _score(thread, counts.get(thread.pk, {}), now)
            if abs(score - thread.hot_score) > 1e-12:
                thread.hot_score = score
                dirty.append(thread)
        Thread.objects.bulk_update(dirty, ["hot_score"], batch_size=BATCH)
        changed += len(dirty)
