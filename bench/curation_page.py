"""Benchmark: the Q&A curation page on the demo city, with its clustering precomputed.

Seeds the demo city as ``make run`` does (``seed_demo --if-empty``, defaults: 12 weeks of chats,
several hundred questions open for curation), computes the clustering snapshot once as the beat
task does (timed: what the page used to do on every view), then times GETs of
/console/knowledge/curation/ through the Django test client, logged in as a knowledge manager.
The page reads the snapshot and the open questions; it never clusters or searches.
"""

import io
import statistics
import time

DATABASE = "sqlite"
GETS = 40
WARMUP = 3
TARGETS = {"curation_page_p95_ms": (500, "<")}
NOTES = {
    "curation_page_p95_ms": "95th percentile of 40 GETs (GETS) of the curation page (default "
    "filters), demo city, snapshot precomputed",
    "curation_page_median_ms": "median of the same GETs",
    "curation_snapshot_s": "one background clustering of every open question (26 weeks) with "
    "each cluster's confident candidate: the work the page no longer does per view",
    "curation_open_questions": "open questions clustered by that snapshot",
    "curation_clusters": "clusters in that snapshot",
}
URL = "/console/knowledge/curation/"


def _curator():
    from accounts.models import User
    from flexserve import policy
    from flexserve.policy import Perm

    users = User.objects.filter(is_active=True).order_by("is_superuser", "pk")
    for user in users:
        if policy.has_perm(user, Perm.KNOWLEDGE_EDIT) and policy.has_perm(user, Perm.CONSOLE_USE):
            return user
    raise RuntimeError("the demo city has no knowledge manager")


def run() -> dict[str, float]:
    """Milliseconds per curation page view, and seconds of the snapshot computed beforehand."""
    from django.core.management import call_command
    from django.test import Client

    from knowledge.models import CurationSnapshot
    from knowledge.services.curation import curation_snapshot_run

    started = time.perf_counter()
    call_command("seed_demo", "--if-empty", stdout=io.StringIO())
    print(f"  seed_demo: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    snapshot = CurationSnapshot.objects.create()
    curation_snapshot_run(snapshot.pk)
    computed = time.perf_counter() - started
    snapshot.refresh_from_db()
    clusters = len(snapshot.groups["groups"])
    print(f"  snapshot: {computed:.2f} s, {snapshot.open_turns} questions, {clusters} clusters")

    # A host the settings allow; no setup_test_environment, whose instrumented template
    # rendering (a context copy per template) would be timed too.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(_curator())
    times_ms = []
    for n in range(WARMUP + GETS):
        started = time.perf_counter()
        response = client.get(URL)
        elapsed = 1000 * (time.perf_counter() - started)
        if response.status_code != 200 or b'class="card cluster"' not in response.content:
            raise RuntimeError(
                f"the curation page answered {response.status_code} without clusters"
            )
        if n >= WARMUP:
            times_ms.append(elapsed)
    p95 = statistics.quantiles(times_ms, n=20, method="inclusive")[18]
    median = statistics.median(times_ms)
    print(f"  page: median {median:.0f} ms, p95 {p95:.0f} ms over {GETS} GETs")
    return {
        "curation_page_p95_ms": round(p95, 1),
        "curation_page_median_ms": round(median, 1),
        "curation_snapshot_s": round(computed, 2),
        "curation_open_questions": snapshot.open_turns,
        "curation_clusters": clusters,
    }
