"""The colloquial and off-topic benchmark sets: loading, validation and the metric arithmetic."""

import json
import math
from types import SimpleNamespace

import pytest

from engines.qa.bench import colloquial_metrics, offtopic_metrics, read_eval_set, real_user_sets

KB = [{"id": "order"}, {"id": "delivery"}, {"id": "licence"}]


def _answer(decision, ids, reason=""):
    hits = [SimpleNamespace(entry_id=i) for i in ids]
    return SimpleNamespace(decision=decision, hits=hits, reason=reason)


# query → (the engine's answer, the anchor's top-1)
COLLOQUIAL = {
    "定烟咋弄": (_answer("answer", ["order", "delivery"]), "order"),  # answered, right
    "礼拜几送货": (_answer("answer", ["order", "delivery"]), "delivery"),  # answered, wrong
    "订货还是送货": (_answer("clarify", ["order", "delivery"]), "order"),  # clarify, gold 2nd
    "烟草证咋续": (_answer("clarify", ["order", "delivery"]), "licence"),  # clarify, gold absent
    "证到期了": (_answer("suggest", ["licence"]), "order"),  # top-1 right, not answered
}
GOLD = {
    "定烟咋弄": "order",
    "礼拜几送货": "delivery",
    "订货还是送货": "delivery",
    "烟草证咋续": "licence",
    "证到期了": "licence",
}


class FakeEngine:
    def __init__(self, answers):
        self.answers = answers

    def search(self, query, k=10):
        return self.answers[query]


class FakeAnchor:
    def search(self, query, k=10):
        return [COLLOQUIAL[query][1]], 1.0


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_colloquial_arithmetic():
    answers = [COLLOQUIAL[q][0] for q in GOLD]
    metrics = colloquial_metrics(answers, list(GOLD.values()), [COLLOQUIAL[q][1] for q in GOLD])
    assert metrics["qa_colloquial_top1"] == 40.0  # 定烟咋弄, 证到期了
    assert metrics["qa_colloquial_bm25_top1"] == 60.0  # 定烟咋弄, 礼拜几送货, 烟草证咋续
    assert metrics["qa_colloquial_answered_share"] == 40.0  # only decision "answer"
    assert metrics["qa_colloquial_answered_accuracy"] == 50.0
    assert metrics["qa_colloquial_clarify_share"] == 40.0
    assert metrics["qa_colloquial_clarify_accuracy"] == 50.0  # gold among the two offered


def test_nothing_answered_leaves_the_accuracy_undefined():
    metrics = colloquial_metrics([_answer("suggest", ["order"])], ["order"], ["order"])
    assert metrics["qa_colloquial_answered_share"] == 0.0
    assert math.isnan(metrics["qa_colloquial_answered_accuracy"])


def test_offtopic_counts_every_handover_and_the_gates_apart():
    answers = [
        _answer("handover", [], reason="off_topic"),
        _answer("handover", ["order"]),  # low confidence, not the gate
        _answer("suggest", ["order", "delivery"]),
        SimpleNamespace(decision="answer", hits=[]),  # an engine without ``reason``
    ]
    metrics = offtopic_metrics(answers)
    assert metrics["qa_offtopic_handover_share"] == 50.0
    assert metrics["qa_offtopic_gate_share"] == 25.0
    assert metrics["qa_offtopic_answered_share"] == 25.0


def test_both_files_read_and_scored(tmp_path, capsys):
    colloquial = _write(
        tmp_path / "c.jsonl",
        [{"qid": n, "query": q, "gold": g} for n, (q, g) in enumerate(GOLD.items())],
    )
    offtopic = _write(tmp_path / "o.jsonl", [{"qid": "o1", "query": "明天下雨吗"}])
    answers = {q: a for q, (a, _) in COLLOQUIAL.items()}
    answers["明天下雨吗"] = _answer("handover", [], reason="off_topic")
    first = _write(
        tmp_path / "o1.jsonl", [{"qid": "o1", "query": "明天下雨吗"}, {"qid": "o2", "query": "x"}]
    )
    answers["x"] = _answer("suggest", [])
    metrics = real_user_sets(FakeEngine(answers), FakeAnchor(), KB, colloquial, offtopic, first)
    assert metrics["qa_colloquial_top1"] == 40.0
    assert metrics["qa_offtopic_handover_share"] == 100.0
    assert metrics["qa_offtopic_first_handover_share"] == 50.0
    assert "colloquial: 5 questions" in capsys.readouterr().out


def test_missing_files_are_skipped_with_a_note(tmp_path, capsys):
    metrics = real_user_sets(
        FakeEngine({}),
        FakeAnchor(),
        KB,
        tmp_path / "none.jsonl",
        tmp_path / "nope.jsonl",
        tmp_path / "neither.jsonl",
    )
    assert metrics == {}
    out = capsys.readouterr().out
    assert "colloquial: skipped" in out and "off-topic: skipped" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"qid": 1, "query": "x"}\n', "missing field"),
        ('{"qid": 1, "query": "x", "gold": "nope"}\n', "not a KB id"),
        ('{"qid": 1, "query": "  ", "gold": "order"}\n', "empty query"),
        ("not json\n", "not valid JSON"),
        ("\n", "no rows"),
    ],
)
def test_a_bad_file_is_refused_with_its_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_eval_set(path, ("qid", "query", "gold"), {"order"})
