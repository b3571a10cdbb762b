"""Benchmark: 为您推荐 on the demo city's reads, split by time, against the city's most read.

What it can and cannot show: the demo has some 25 articles live at T, and a shop has read about
7; a list of 10 then holds nearly every article a shop could still read, so the recommender and
the most-read list both come out at (or next to) the ceiling — the share of held-out reads on
articles live at T (``recommend_demo_ceiling``). The demo checks the wiring (tags, classes,
chosen topics, reads, the build at T); telling recommenders apart needs a catalogue of hundreds
of articles: ``engines/recommend/bench.py`` (50,000 shops, 1,000 articles) gives the headline
``recommend_recall10`` against ``recommend_popularity_recall10``.

The demo city (3,000 shops, the default seed, 26 weeks of history) is seeded as ``make run``
does, with its community: articles over 120 days and the shops' reads, which follow each shop's
one or two topics of interest (by business type), class and market (``demo/community``). The
last 14 days of reads are held out: the app's own ``recommendations.build(now=T)`` builds the
model at T from the articles live then and the reads before T. For every shop with a held-out
read, recall@10 is the share of its held-out (shop, article) reads whose article is in its top
10 at T, pooled over all those reads (``recommend_demo_recall10``). The baseline
(``recommend_demo_popularity_recall10``) is the city's 10 most read articles in the 7 days
before T, minus what the shop had read. Articles published after T count as misses for both.

The demo's reads are generated; what they can show is whether the app's wiring (tags, classes,
chosen topics, reads) gives the engine what it needs. The engine on 50,000 shops:
``engines/recommend/bench.py``.
"""

import datetime
import io
import time
from collections import Counter, defaultdict

DATABASE = "sqlite"
HELD_OUT_DAYS = 14
ANCHORS = {"recommend_demo_recall10": "recommend_demo_popularity_recall10"}
NOTES = {
    "recommend_demo_ceiling": "share of the held-out reads on articles live at T: no list of any "
    "recommender can score above it",
    "recommend_demo_recall10": "demo city, last 14 days of reads held out: share of held-out "
    "(shop, article) reads in the shop's top 10 at T",
    "recommend_demo_popularity_recall10": "the same for the city's 10 most read articles in the 7 "
    "days before T, minus what the shop read",
    "recommend_demo_build_s": "recommendations.build(now=T) on the demo city (3,000 shops)",
    "recommend_demo_heldout_reads": "held-out reads scored",
}


def run() -> dict[str, float]:
    from django.core.management import call_command
    from django.utils import timezone

    from community.models import Article, ArticleRead
    from community.services import recommendations

    mark = time.perf_counter()
    call_command(
        "seed_demo",
        shops=3000,
        weeks=26,
        request_weeks=0,
        chat_weeks=0,
        visit_weeks=0,
        stdout=io.StringIO(),
    )
    print(f"  demo city seeded in {time.perf_counter() - mark:.1f} s", flush=True)
    latest = ArticleRead.objects.order_by("-read_at").values_list("read_at", flat=True).first()
    now = latest or timezone.now()
    split = now - datetime.timedelta(days=HELD_OUT_DAYS)
    mark = time.perf_counter()
    model = recommendations.build(now=split)
    build_s = time.perf_counter() - mark
    before: dict[int, set[int]] = defaultdict(set)
    for user_id, article_id in ArticleRead.objects.filter(read_at__lte=split).values_list(
        "user_id", "article_id"
    ):
        before[user_id].add(article_id)
    held: dict[int, set[int]] = defaultdict(set)
    for user_id, article_id in ArticleRead.objects.filter(read_at__gt=split).values_list(
        "user_id", "article_id"
    ):
        held[user_id].add(article_id)
    live = set(
        Article.objects.filter(publish_at__lte=split, status=Article.Status.PUBLISHED).values_list(
            "pk", flat=True
        )
    )
    week = Counter(
        ArticleRead.objects.filter(
            read_at__gt=split - datetime.timedelta(days=7), read_at__lte=split, article_id__in=live
        ).values_list("article_id", flat=True)
    )
    ranked = [article for article, _ in sorted(week.items(), key=lambda kv: (-kv[1], kv[0]))]
    ranked += sorted(live - set(ranked))
    ours = baseline = total = reachable = 0
    for user_id, articles in held.items():
        top = {r.item_id for r in model.recommend(user_id, k=10)}
        popular = [a for a in ranked if a not in before[user_id]][:10]
        ours += len(articles & top)
        baseline += len(articles & set(popular))
        total += len(articles)
        reachable += len(articles & live)
    recall = ours / total if total else 0.0
    popular_recall = baseline / total if total else 0.0
    print(
        f"  {total:,} held-out reads of {len(held):,} shops: recall@10 {recall:.3f}, "
        f"popularity {popular_recall:.3f}, ceiling {reachable / max(total, 1):.3f} "
        f"({len(live)} articles live at T), build {build_s:.2f} s",
        flush=True,
    )
    return {
        "recommend_demo_recall10": round(recall, 4),
        "recommend_demo_popularity_recall10": round(popular_recall, 4),
        "recommend_demo_ceiling": round(reachable / total, 4) if total else 0.0,
        "recommend_demo_build_s": round(build_s, 2),
        "recommend_demo_heldout_reads": total,
    }
