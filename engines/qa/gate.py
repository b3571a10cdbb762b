"""The domain gate: is a question about this KB's domain at all?

A question about the weather, a joke, "你是机器人吗" or another trade's licence must be handed
over (``reason="off_topic"``), not answered with three unrelated suggestions. The gate is
relative to the KB it guards, so a bank's FAQ and a tobacco company's FAQ each keep their own
domain. Features of a query:

- ``char_coverage`` / ``word_coverage``: the IDF-weighted share of the query's character
  bigrams (unigrams for a one-character query) and jieba words that occur somewhere in the KB;
- dense mode only: ``kb_cosine``, the best raw (uncentred) e5 cosine to any KB phrasing, and
  ``off_cosine``, the best cosine to the shipped off-domain prototypes (``offdomain_zh.txt``,
  ~1,380 questions: weather, chit-chat, identity, jokes, sports, cooking, health, travel, other
  trades … in standard, colloquial and dialect wording, written for the purpose from general
  knowledge; a nearest-prototype cosine only covers what the list is near, hence its breadth);
- dense mode only: ``kb_cosine_5`` and ``off_cosine_5``, the same over the five nearest (a
  question near several prototypes is surer off-domain than one near a single line);
- dense mode only: ``domain_logit``, a linear boundary in e5 space between this KB's phrasings
  and the prototypes (``fit_domain``, trained at every build, balanced): where the nearest
  neighbour only knows "close to one line", the boundary learns directions (weather-ness,
  small talk) and so generalises to off-domain questions no prototype is near.

A logistic model over them gives p(off-domain); ``params.GATE_*`` (dense) and
``params.LEXICAL_GATE_*`` hold its coefficients and threshold, fitted by
``calibration.fit_gate`` on KB phrasings held out and their variants (in-domain) against the
prototypes left out one at a time and another KB's phrasings (off-domain). The threshold keeps
the simulated in-domain false-off-topic rate under ``calibration.GATE_FALSE_OFF``. Lexical-only
mode uses coverage alone, with a threshold fitted on the same data.

The gate only judges what would not be answered outright. One exception: a question that is word
for word a line of the off-domain list (``listed_off_domain``; "wifi密码忘了怎么办" next to the KB's
"忘记密码怎么办") is never answered, provided the gate leans off-domain too (p ≥
``engine.LISTED_GATE_AGREES``), since the list was written for a retail service's KB.
"""

import functools
import math
from collections import Counter
from pathlib import Path

import numpy as np

from engines.qa.normalize import canonical, dense_form, normalize

PROTOTYPES = Path(__file__).with_name("offdomain_zh.txt")
GATE_FEATURES = ("char_coverage", "word_coverage")
DENSE_GATE_FEATURES = (
    *GATE_FEATURES,
    "kb_cosine",
    "off_cosine",
    "kb_cosine_5",
    "off_cosine_5",
    "domain_logit",
)
# kb_cosine_5 / off_cosine_5: the mean of the best NEIGHBOURS cosines (one lucky line counts less).
NEIGHBOURS = 5
# The boundary: logit = SCALE * (vector . direction) + bias over unit vectors.
DOMAIN_SCALE = 5.0
DOMAIN_STEPS = 300
DOMAIN_L2 = 1e-3
# KB phrasings it trains on at most (evenly spaced): bounds the build of a 10k-phrasing KB.
DOMAIN_SAMPLE = 3000


def prototypes() -> list[str]:
    """The off-domain prototype questions, normalised, in file order (comments skipped)."""
    lines = PROTOTYPES.read_text(encoding="utf-8").splitlines()
    texts = [normalize(line) for line in lines if line.strip() and not line.startswith("#")]
    return [t for t in texts if t]


@functools.cache
def listed_off_domain() -> frozenset[str]:
    """The prototypes in the lexical side's canonical form: a question that is one of them,
    word for word (particles and punctuation aside), is off-domain by the list itself."""
    return frozenset(canonical(t) for t in prototypes())


def prototype_vectors(embedder) -> np.ndarray:
    """Raw unit vectors of the prototypes, asked of the embedder on every engine build.

    Cheap after the first time (embedders of one model share vectors in the process, and the
    disk cache keeps them), and asking each time keeps them in that embedder's cache file.
    """
    return embedder.matrix([dense_form(t) for t in prototypes()])


def bigrams(char_tokens: list[str]) -> list[str]:
    """The two-character tokens of ``tokens.chars`` output; the unigrams when there are none."""
    pairs = [t for t in char_tokens if len(t) == 2 and not t.isascii()]
    return pairs or char_tokens


class Coverage:
    """Document frequencies of a KB's tokens; IDF-weighted share of a query's tokens found."""

    def __init__(self, docs: list[list[str]]):
        self.size = len(docs)
        self.df = Counter(t for doc in docs for t in set(doc))

    def share(self, tokens: list[str], exclude: Counter | None = None) -> float:
        """``exclude``: token → how many hidden docs hold it (their counts are taken off)."""
        if not tokens:
            return 0.0
        total = found = 0.0
        for token in set(tokens):
            df = self.df.get(token, 0) - (exclude[token] if exclude else 0)
            idf = math.log((self.size + 1) / (max(df, 0) + 0.5))
            total += idf
            found += idf if df > 0 else 0.0
        return found / total if total > 0 else 0.0


def gate_probability(features: list[float], bias: float, coef: tuple[float, ...]) -> float:
    z = bias + sum(c * f for c, f in zip(coef, features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def fit_domain(inside: np.ndarray, outside: np.ndarray) -> tuple[np.ndarray, float]:
    """Balanced logistic regression, off-domain (``outside``) vs this KB (``inside``), on unit
    vectors; full-batch gradient descent, deterministic. Returns (direction, bias)."""
    if len(inside) > DOMAIN_SAMPLE:
        inside = inside[np.linspace(0, len(inside) - 1, DOMAIN_SAMPLE).astype(np.int64)]
    x = np.vstack([inside, outside]).astype(np.float32)
    y = np.concatenate([np.zeros(len(inside)), np.ones(len(outside))]).astype(np.float32)
    weight = np.where(y == 1, 0.5 / max(len(outside), 1), 0.5 / max(len(inside), 1))
    weight = weight.astype(np.float32)
    direction = np.zeros(x.shape[1], dtype=np.float32)
    bias = 0.0
    for _ in range(DOMAIN_STEPS):
        z = np.clip(DOMAIN_SCALE * (x @ direction) + bias, -50, 50)
        error = (1 / (1 + np.exp(-z)) - y) * weight
        direction -= DOMAIN_SCALE * (x.T @ error) + DOMAIN_L2 * direction
        bias -= float(error.sum())
    return direction, bias


def domain_logit(vector: np.ndarray, boundary: tuple[np.ndarray, float]) -> float:
    direction, bias = boundary
    return float(max(-30.0, min(30.0, DOMAIN_SCALE * float(vector @ direction) + bias)))


def top_mean(cosines: np.ndarray, k: int) -> float:
    """The mean of the ``k`` largest values (all of them when there are fewer)."""
    if not len(cosines):
        return -1.0
    k = min(k, len(cosines))
    return float(np.partition(cosines, len(cosines) - k)[-k:].mean())
