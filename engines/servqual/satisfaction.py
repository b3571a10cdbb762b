"""Satisfaction figures: CSAT after a contact and the Net Promoter Score of a wave.

- CSAT = share of 4–5 among ratings on 1–5, with its Wilson interval; the response rate is
  rated / invited.
- NPS = % promoters (9–10) − % detractors (0–6) among 0–10 answers, in points (−100 … 100). Its
  interval is the normal (Wald) one of the mean of +1 / 0 / −1 scores, whose variance is
  p₊ + p₋ − (p₊ − p₋)².

Shares are fractions; NPS and its interval are in points. Bad input raises ``ValueError``.
"""

import math
from collections.abc import Iterable
from typing import NamedTuple

from engines.servqual.stats import _check_confidence, norm_ppf, wilson_interval

CSAT_SCALE = (1, 5)
CSAT_SATISFIED_FROM = 4
NPS_SCALE = (0, 10)
PROMOTER_FROM = 9
DETRACTOR_TO = 6


class Csat(NamedTuple):
    rated: int
    satisfied: int
    csat: float  # share of 4–5
    low: float
    high: float
    invited: int | None
    response_rate: float | None  # rated / invited


class Nps(NamedTuple):
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float  # points, −100 … 100
    low: float
    high: float


def _scores(values: Iterable[int], scale: tuple[int, int]) -> list[int]:
    scores = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int) and not float(value).is_integer():
            raise ValueError("not_integer")
        value = int(value)
        if not scale[0] <= value <= scale[1]:
            raise ValueError("out_of_scale")
        scores.append(value)
    if not scores:
        raise ValueError("empty")
    return scores


def csat(ratings: Iterable[int], invited: int | None = None, confidence: float = 0.95) -> Csat:
    """CSAT of 1–5 ratings: the share of 4 and 5, its Wilson interval and the response rate."""
    scores = _scores(ratings, CSAT_SCALE)
    satisfied = sum(1 for score in scores if score >= CSAT_SATISFIED_FROM)
    low, high = wilson_interval(satisfied, len(scores), confidence)
    rate = None
    if invited is not None:
        if invited < len(scores):
            raise ValueError("count_exceeds_total")
        rate = len(scores) / invited
    return Csat(len(scores), satisfied, satisfied / len(scores), low, high, invited, rate)


def nps_class(score: int) -> str:
    """``promoter`` (9–10), ``passive`` (7–8) or ``detractor`` (0–6)."""
    (score,) = _scores([score], NPS_SCALE)
    if score >= PROMOTER_FROM:
        return "promoter"
    return "detractor" if score <= DETRACTOR_TO else "passive"


def nps(answers: Iterable[int], confidence: float = 0.95) -> Nps:
    """Net Promoter Score of 0–10 answers with its Wald interval, in points."""
    confidence = _check_confidence(confidence)
    scores = _scores(answers, NPS_SCALE)
    n = len(scores)
    promoters = sum(1 for s in scores if s >= PROMOTER_FROM)
    detractors = sum(1 for s in scores if s <= DETRACTOR_TO)
    share_promoters, share_detractors = promoters / n, detractors / n
    score = share_promoters - share_detractors
    variance = share_promoters + share_detractors - score * score
    half = norm_ppf(0.5 + 0.5 * confidence) * math.sqrt(max(variance, 0.0) / n)
    return Nps(
        n,
        promoters,
        n - promoters - detractors,
        detractors,
        100 * score,
        100 * max(-1.0, score - half),
        100 * min(1.0, score + half),
    )
