"""Benchmark: the forum at city scale — 50,000 shop owners, 200,000 threads, 2,000,000 posts,
5,000,000 read rows — on PostgreSQL.

The data is written with SQL (``INSERT … SELECT generate_series``), not the ORM, from a
multiplicative hash of the row number (deterministic): 8 categories; threads spread over the
last 365 days, 97 % published, 2 % pending, 1 % rejected, 5 pinned; 1,800,000 replies on threads
chosen with a skew (a few threads collect many replies), 98 % published; 1,000,000 likes;
500,000 follows (10 per reader); 5,000,000 ThreadRead rows (100 threads per reader). Counters
(reply, like, seen counts) are then set from the rows, the secondary indexes built and the
tables ANALYZEd (``forum_load_s``).

Timed, through the app's own selectors as the pages call them, for 200 random (reader,
category) pairs each: a category's thread list at page 1 (``forum_list_p95_ms``: the page's
rows with each row's unread count, and the page count) and at page 500 (``forum_deep_page_p95_ms``),
the hot list (``hot_list_p95_ms``: pinned first, then by stored hot score), a reader's
followed-threads-with-new-posts count (``unread_p95_ms``); and ``hot.refresh()`` over every
published thread (``hot_refresh_s``).
"""

import random
import statistics
import time

from bench._pg import drop_secondary_indexes

DATABASE = "postgresql"
READERS = 50_000
STAFF = 50
CATEGORIES = 8
THREADS = 200_000
POSTS = 2_000_000
LIKES = 1_000_000
FOLLOWS_PER_READER = 10
READS = 5_000_000
SAMPLES = 200
DEEP_PAGE = 500
TARGETS = {
    "forum_list_p95_ms": (50, "<"),
    "forum_deep_page_p95_ms": (50, "<"),
    "hot_list_p95_ms": (50, "<"),
    "unread_p95_ms": (100, "<"),
}
NOTES = {
    "forum_load_s": "write 200,000 threads, 2,000,000 posts, 1,000,000 likes, 500,000 follows "
    "and 5,000,000 read rows in SQL, set the counters, build indexes, ANALYZE",
    "forum_list_p95_ms": "thread_list page 1 of a category with unread counts + page count, "
    "random reader; p95 of 200",
    "forum_deep_page_p95_ms": "the same at page 500 (OFFSET 14,970)",
    "hot_list_p95_ms": "hot_threads (pinned, then stored hot score), 10 rows; p95 of 200",
    "unread_p95_ms": "unread_total: the reader's followed threads with new posts; p95 of 200",
    "hot_refresh_s": "hot.refresh() of every published thread (likes and repliers, lifetime "
    "and last 7 days)",
}

# Their secondary indexes are dropped while loading. Not community_watch: its unique indexes
# are partial (no constraint behind them) and ON CONFLICT needs them.
_BIG_TABLES = (
    "community_thread",
    "community_post",
    "community_postlike",
    "community_threadread",
)
H = 2654435761  # Knuth's multiplicative hash: a fixed, well-spread pseudo-random per row


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


_LOAD_SQL = (
    """
    INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name,
            email, is_staff, is_active, date_joined, role, full_name, phone)
        SELECT u, '!', false, 'reader' || u, '', '', '', false, true, now(),
               CASE WHEN u <= %(staff)s THEN 'account_manager' ELSE 'shop_owner' END,
               '店主' || u, ''
        FROM generate_series(1::bigint, %(readers)s + %(staff)s) u
    """,
    """
    INSERT INTO community_forumcategory (id, code, name, description, review_required, position)
        SELECT c, 'c' || c, '分类' || c, '', false, c
        FROM generate_series(1::bigint, %(categories)s) c
    """,
    """
    INSERT INTO community_thread (id, category_id, title, author_id, visibility, pinned,
            reply_count, like_count, search_text, hot_score, created_at, last_posted_at)
        SELECT t, 1 + t %% %(categories)s, '帖子标题' || t,
               1 + (t * %(h)s) %% (%(readers)s + %(staff)s),
               CASE WHEN (t * 7919) %% 100 < 97 THEN 'published'
                    WHEN (t * 7919) %% 100 < 99 THEN 'pending' ELSE 'rejected' END,
               t <= 5, 0, 0, '帖子标题' || t, 0,
               now() - ((t * %(h)s) %% (365 * 24 * 60)) * interval '1 minute',
               now() - ((t * %(h)s) %% (365 * 24 * 60)) * interval '1 minute'
        FROM generate_series(1::bigint, %(threads)s) t
    """,
    # Opening posts: one per thread, sharing its visibility.
    """
    INSERT INTO community_post (id, thread_id, author_id, by_staff, is_opening, body, visibility,
            held_for, matched_words, reject_reason, is_useful, like_count, created_at)
        SELECT t.id, t.id, t.author_id, false, true, '开头内容', t.visibility, '', '[]'::jsonb, '',
               false, 0, t.created_at
        FROM community_thread t
    """,
    # Replies: the thread is skewed (squaring a uniform draw favours low ids, i.e. some threads
    # collect many replies); each comes after its thread's start.
    """
    INSERT INTO community_post (id, thread_id, author_id, by_staff, is_opening, body, visibility,
            held_for, matched_words, reject_reason, is_useful, like_count, created_at)
        SELECT %(threads)s + p, th.id, 1 + (p * 40503) %% (%(readers)s + %(staff)s), false, false,
               '回复内容', CASE WHEN (p * 7919) %% 100 < 98 THEN 'published' ELSE 'pending' END,
               '', '[]'::jsonb, '', false, 0,
               th.created_at + ((p * 31) %% 2880) * interval '1 minute'
        FROM generate_series(1::bigint, %(replies)s) p
        JOIN community_thread th ON th.id = 1 + floor(
            power(((p * %(h)s) %% 1000003) / 1000003.0, 2) * %(threads)s)::int
    """,
    """
    INSERT INTO community_postlike (post_id, user_id, created_at)
        SELECT 1 + (l * %(h)s) %% %(posts)s, 1 + (l * 40503) %% %(readers)s,
               now() - ((l * 13) %% 30000) * interval '1 minute'
        FROM generate_series(1::bigint, %(likes)s) l
        ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO community_watch (user_id, thread_id, created_at)
        SELECT 1 + (w - 1) / %(follows)s, 1 + (w * %(h)s) %% %(threads)s, now()
        FROM generate_series(1::bigint, %(readers)s * %(follows)s) w
        ON CONFLICT DO NOTHING
    """,
    """
    INSERT INTO community_threadread (user_id, thread_id, seen_count, read_at)
        SELECT 1 + (r - 1) / %(reads_per_reader)s, 1 + (r * %(h)s) %% %(threads)s,
               (r * 7) %% 6, now()
        FROM generate_series(1::bigint, %(reads)s) r
        ON CONFLICT DO NOTHING
    """,
    """
    UPDATE community_thread t
        SET reply_count = c.n, last_posted_at = GREATEST(t.last_posted_at, c.last)
        FROM (SELECT thread_id, count(*) AS n, max(created_at) AS last FROM community_post
              WHERE NOT is_opening AND visibility = 'published' GROUP BY thread_id) c
        WHERE c.thread_id = t.id
    """,
    """
    UPDATE community_post p SET like_count = c.n
        FROM (SELECT post_id, count(*) AS n FROM community_postlike GROUP BY post_id) c
        WHERE c.post_id = p.id
    """,
    """
    UPDATE community_thread t SET like_count = c.n
        FROM (SELECT thread_id, sum(like_count) AS n FROM community_post
              WHERE visibility = 'published' GROUP BY thread_id) c
        WHERE c.thread_id = t.id
    """,
)


def _load() -> float:
    from django.db import connection, transaction

    params = {
        "readers": READERS,
        "staff": STAFF,
        "categories": CATEGORIES,
        "threads": THREADS,
        "replies": POSTS - THREADS,
        "posts": POSTS,
        "likes": LIKES,
        "follows": FOLLOWS_PER_READER,
        "reads": READS,
        "reads_per_reader": READS // READERS,
        "h": H,
    }
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are not checked row by row while loading (the generator keeps them).
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        indexes = drop_secondary_indexes(cursor, _BIG_TABLES)
        for n, statement in enumerate(_LOAD_SQL, start=1):
            mark = time.perf_counter()
            cursor.execute(statement, params)
            _say(
                f"load step {n}/{len(_LOAD_SQL)}: {cursor.rowcount:,} rows, "
                f"{time.perf_counter() - mark:.1f} s"
            )
        mark = time.perf_counter()
        for definition in indexes:
            cursor.execute(definition)
        _say(f"{len(indexes)} indexes rebuilt in {time.perf_counter() - mark:.1f} s")
        for table in (
            "accounts_user",
            "community_thread",
            "community_post",
            "community_postlike",
            "community_watch",
            "community_threadread",
            "community_forumcategory",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
    with connection.cursor() as cursor:
        # VACUUM sets the visibility map: page-id scans of the lists are then index-only.
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1000


def _time(call, args: list) -> list[float]:
    samples = []
    for arg in args:
        mark = time.perf_counter()
        call(arg)
        samples.append(time.perf_counter() - mark)
    return samples


def run() -> dict[str, float]:
    from accounts.models import User
    from community import selectors
    from community.models import ForumCategory
    from community.services import hot

    load_s = _load()
    _say(f"loaded in {load_s:.1f} s")
    rng = random.Random(20261207)
    users = {u.pk: u for u in User.objects.filter(pk__in=rng.sample(range(1, READERS), SAMPLES))}
    categories = list(ForumCategory.objects.all())
    pairs = [(users[pk], rng.choice(categories)) for pk in users]

    def page(n):
        def call(pair):
            user, category = pair
            result = selectors.thread_list(user, category=category, page=n)
            rows = list(result.object_list)
            assert rows and all(r.unread is not None for r in rows)
            return result.paginator.num_pages

        return call

    list(selectors.thread_list(pairs[0][0], category=pairs[0][1]).object_list)  # warm
    first = _time(page(1), pairs)
    _say(f"category list page 1: p95 {_p95(first):.1f} ms")
    deep = _time(page(DEEP_PAGE), pairs)
    _say(f"category list page {DEEP_PAGE}: p95 {_p95(deep):.1f} ms")
    mark = time.perf_counter()
    changed = hot.refresh()
    refresh_s = time.perf_counter() - mark
    _say(f"hot.refresh: {changed:,} threads in {refresh_s:.1f} s")
    hot_samples = _time(lambda pair: selectors.hot_threads(pair[0], limit=10), pairs)
    _say(f"hot list: p95 {_p95(hot_samples):.1f} ms")
    unread_samples = _time(lambda pair: selectors.unread_total(pair[0]), pairs)
    _say(f"unread count: p95 {_p95(unread_samples):.1f} ms")
    return {
        "forum_load_s": round(load_s, 1),
        "forum_list_p95_ms": round(_p95(first), 2),
        "forum_deep_page_p95_ms": round(_p95(deep), 2),
        "hot_list_p95_ms": round(_p95(hot_samples), 2),
        "unread_p95_ms": round(_p95(unread_samples), 2),
        "hot_refresh_s": round(refresh_s, 1),
        "forum_threads_hot": changed,
    }
