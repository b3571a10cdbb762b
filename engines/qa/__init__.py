"""Chinese FAQ retrieval for the self-service Q&A (feature M8): pure Python, no Django.

engine = QAEngine([Entry("e1", "订货截止时间", ["每周几点前要订货"])])
answer = engine.search("订货几点截止")   # Answer(hits, confidence, decision, reason)

decision: "answer" | "clarify" (hits[0] or hits[1]?) | "suggest" | "handover";
reason: "off_topic" when the domain gate handed over, else "".
"""

from engines.qa.engine import Answer, Entry, Hit, QAEngine
from engines.qa.normalize import canonical, normalize

__all__ = ["Answer", "Entry", "Hit", "QAEngine", "canonical", "normalize"]
