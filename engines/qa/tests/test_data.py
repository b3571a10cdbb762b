"""Checks that need the bench data; skipped where ../shared/bench/qa is missing."""

from pathlib import Path

import pytest

from engines.qa import calibration, params
from engines.qa.bench import auroc

KB = Path(__file__).resolve().parents[3].parent / "shared" / "bench" / "qa" / "bq_faq" / "kb.jsonl"
pytestmark = pytest.mark.skipif(not KB.exists(), reason="bench data not available")


def test_stored_word_weight_is_what_fit_weights_gives():
    assert calibration.fit_weights(calibration.load_kb(KB)) == params.WORD_WEIGHT


def test_auroc():
    assert auroc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
