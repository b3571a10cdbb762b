"""Chinese FAQ retrieval for the self-service Q&A (feature M8): pure Python, no Django.

engine = QAEngine([Entry("e1", "订货截止时间", ["每周几点前要订货"])])
answer = engine.search("订货几点截止")   # Answer(hits, confidence, decision)
"""

from engines.qa.engine import Answer, Entry, Hit, QAEngine
from engines.qa.normalize import normalize

__all__ = ["Answer", "Entry", "Hit", "QAEngine", "normalize"]
