"""Forum search through the Q&A engine's text handling: the query and every thread are read in
the engine's canonical form (NFKC, simplified, the trade and dialect lexicon: 烟证 → 许可证,
定烟 → 订烟; particles dropped) and the query is cut into words by its jieba tokenizer, so
"烟证咋延续" finds a thread titled "许可证延续要带什么". Every word must occur; titles that hold
more of them rank first, then the hotter and the more recent thread.

Only titles and opening posts are searched (``Thread.search_text``), only in published threads.
"""

from __future__ import annotations

from engines.qa.normalize import canonical
from engines.qa.tokens import word_tokenizer, words

MAX_TERMS = 8
MAX_QUERY = 60


def indexed_text(title: str, body: str) -> str:
    return canonical(f"{title} {body}")


def query_terms(query: str) -> list[str]:
    """The words every result must contain ([] for a query with nothing to look for)."""
    text = canonical((query or "")[:MAX_QUERY])
    if not text:
        return []
    terms = [t for t in words(text, word_tokenizer()) if t.strip()]
    return list(dict.fromkeys(terms))[:MAX_TERMS]
