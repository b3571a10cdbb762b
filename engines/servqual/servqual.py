"""SERVQUAL analysis of one wave: gaps between perception and expectation by dimension.

Input is a wave as arrays (``WaveAnswers``): expectation and perception, respondents × items
on 1–7 (NaN where an item was not answered), the dimension of each item and, optionally, the
100 importance points each respondent spread over the dimensions. Reverse-scored items are
turned round by the caller or with ``reverse``.

Per dimension: n, mean E, P and gap (P − E) with 95 % t intervals, the share of respondents
whose gap is below zero, Cronbach's alpha of the E, P and gap items (complete answers only),
mean importance and the importance–performance quadrant (Martilla and James: against the
means of importance and performance). Overall: the unweighted gap (mean of a respondent's
dimension gaps), the gap weighted by importance points, a perception-only (SERVPERF) score and
the share below expectation.

``breakdown`` gives the same gaps per group (groups under ``min_group`` respondents carry no
figures) and ranks the group × dimension cells by gap, each tested against the rest of the wave
by Welch t with Holm-adjusted p. ``compare_waves`` and ``paired_change`` test two waves.
"""

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engines.servqual.stats import (
    MeanInterval,
    TTest,
    cronbach_alpha,
    holm,
    mean_interval,
    paired_t,
    welch_t,
    welch_t_from_summary,
)

MIN_GROUP = 5
QUADRANTS = ("keep_up", "concentrate_here", "low_priority", "possible_overkill")


@dataclass
class WaveAnswers:
    """One wave's answers. ``points`` is respondents × dimensions (rows summing to 100, NaN
    for respondents who gave none) or None when the instrument asks no points."""

    dimensions: Sequence[str]
    item_dimension: Sequence[int]  # index into ``dimensions`` for each item
    expectation: np.ndarray
    perception: np.ndarray
    points: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.expectation = np.asarray(self.expectation, dtype=float)
        self.perception = np.asarray(self.perception, dtype=float)
        if self.expectation.ndim != 2 or self.expectation.shape != self.perception.shape:
            raise ValueError("shape_mismatch")
        if len(self.item_dimension) != self.expectation.shape[1]:
            raise ValueError("shape_mismatch")
        self.item_dimension = np.asarray(self.item_dimension, dtype=int)
        if self.item_dimension.size and (
            self.item_dimension.min() < 0 or self.item_dimension.max() >= len(self.dimensions)
        ):
            raise ValueError("unknown_dimension")
        if self.points is not None:
            self.points = np.asarray(self.points, dtype=float)
            if self.points.shape != (self.expectation.shape[0], len(self.dimensions)):
                raise ValueError("shape_mismatch")

    @property
    def respondents(self) -> int:
        return int(self.expectation.shape[0])

    def subset(self, rows: np.ndarray) -> "WaveAnswers":
        return WaveAnswers(
            self.dimensions,
            self.item_dimension,
            self.expectation[rows],
            self.perception[rows],
            None if self.points is None else self.points[rows],
        )


def reverse_scored(values: np.ndarray, reverse: Sequence[bool], low: int = 1, high: int = 7):
    """Turn round the reverse-scored item columns (x → low + high − x)."""
    values = np.array(values, dtype=float)
    columns = np.asarray(reverse, dtype=bool)
    values[:, columns] = low + high - values[:, columns]
    return values


def overall_gap(dimension_gaps: Sequence[float], points: Sequence[float] | None = None) -> float:
    """One respondent's (or one mean) overall gap: the plain mean of the dimension gaps, or
    their mean weighted by importance points (which must sum to 100)."""
    gaps = np.asarray(dimension_gaps, dtype=float)
    if points is None:
        return float(gaps.mean())
    weights = np.asarray(points, dtype=float)
    if weights.shape != gaps.shape or abs(weights.sum() - 100.0) > 1e-6:
        raise ValueError("points_not_100")
    return float((gaps * weights).sum() / 100.0)


def _interval(values: np.ndarray) -> MeanInterval | None:
    values = values[~np.isnan(values)]
    return mean_interval(values) if values.size else None


def _interval_dict(interval: MeanInterval | None) -> dict[str, Any]:
    if interval is None:
        return {"n": 0, "mean": None, "low": None, "high": None, "sd": None}
    return {
        "n": interval.n,
        "mean": interval.mean,
        "low": interval.low,
        "high": interval.high,
        "sd": interval.sd,
    }


def _dimension_means(wave: WaveAnswers, values: np.ndarray) -> np.ndarray:
    """respondents × dimensions: each respondent's mean over the answered items of a dimension."""
    out = np.full((values.shape[0], len(wave.dimensions)), np.nan)
    with np.errstate(invalid="ignore"):
        for index in range(len(wave.dimensions)):
            columns = values[:, wave.item_dimension == index]
            if columns.shape[1]:
                answered = (~np.isnan(columns)).sum(axis=1)
                sums = np.nansum(columns, axis=1)
                out[:, index] = np.where(answered > 0, sums / np.maximum(answered, 1), np.nan)
    return out


def _alpha(columns: np.ndarray) -> float | None:
    complete = columns[~np.isnan(columns).any(axis=1)]
    if complete.shape[0] < 2 or complete.shape[1] < 2:
        return None
    return cronbach_alpha(complete)


def _quadrant(importance: float, performance: float, importance_mean: float, perf_mean: float):
    if importance >= importance_mean:
        return "keep_up" if performance >= perf_mean else "concentrate_here"
    return "possible_overkill" if performance >= perf_mean else "low_priority"


def _respondent_overall(wave: WaveAnswers, gaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per respondent: the unweighted overall gap and the points-weighted one (respondents
    without points are weighted by the wave's mean points)."""
    complete = ~np.isnan(gaps).any(axis=1)
    unweighted = np.where(complete, np.where(complete[:, None], gaps, 0.0).mean(axis=1), np.nan)
    if wave.points is None:
        return unweighted, np.full(gaps.shape[0], np.nan)
    points = wave.points.copy()
    has_points = ~np.isnan(points).any(axis=1)
    if has_points.any():
        points[~has_points] = points[has_points].mean(axis=0)
    else:
        return unweighted, np.full(gaps.shape[0], np.nan)
    weighted = np.where(complete, (np.nan_to_num(gaps) * points).sum(axis=1) / 100.0, np.nan)
    return unweighted, weighted


def analyse(wave: WaveAnswers) -> dict[str, Any]:
    """The wave's figures per dimension and overall (see the module doc)."""
    expectation = _dimension_means(wave, wave.expectation)
    perception = _dimension_means(wave, wave.perception)
    gaps = perception - expectation
    item_gaps = wave.perception - wave.expectation
    importance = None
    if wave.points is not None:
        rows = ~np.isnan(wave.points).any(axis=1)
        if rows.any():
            importance = wave.points[rows].mean(axis=0)
    dimensions = []
    for index, code in enumerate(wave.dimensions):
        columns = wave.item_dimension == index
        gap_values = gaps[:, index]
        answered = ~np.isnan(gap_values)
        dimensions.append(
            {
                "code": code,
                "n": int(answered.sum()),
                "expectation": _interval_dict(_interval(expectation[:, index])),
                "perception": _interval_dict(_interval(perception[:, index])),
                "gap": _interval_dict(_interval(gap_values)),
                "below_share": float((gap_values[answered] < 0).mean()) if answered.any() else None,
                "alpha": {
                    "expectation": _alpha(wave.expectation[:, columns]),
                    "perception": _alpha(wave.perception[:, columns]),
                    "gap": _alpha(item_gaps[:, columns]),
                },
                "importance": None if importance is None else float(importance[index]),
                "quadrant": None,
            }
        )
    ipa = None
    performance = [d["perception"]["mean"] for d in dimensions]
    if importance is not None and None not in performance:
        ipa = {
            "importance_mean": float(importance.mean()),
            "performance_mean": float(np.mean(performance)),
        }
        for d in dimensions:
            d["quadrant"] = _quadrant(
                d["importance"],
                d["perception"]["mean"],
                ipa["importance_mean"],
                ipa["performance_mean"],
            )
    unweighted, weighted = _respondent_overall(wave, gaps)
    answered = ~np.isnan(unweighted)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a respondent with no perception at all
        perception_only = _interval(np.nanmean(perception, axis=1))
    overall = {
        "n": int(answered.sum()),
        "gap": _interval_dict(_interval(unweighted)),
        "weighted_gap": _interval_dict(_interval(weighted))["mean"],
        "weighted": _interval_dict(_interval(weighted)),
        "perception_only": None if perception_only is None else perception_only.mean,
        "below_share": float((unweighted[answered] < 0).mean()) if answered.any() else None,
    }
    return {
        "respondents": wave.respondents,
        "dimensions": dimensions,
        "overall": overall,
        "ipa": ipa,
        "_gaps": gaps,
        "_overall": unweighted,
    }


def breakdown(
    wave: WaveAnswers,
    groups: Sequence[Hashable],
    *,
    min_group: int = MIN_GROUP,
    analysis: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Gaps per group and dimension, and the cells ranked by gap with Holm-adjusted Welch p
    of each cell against the rest of the wave. Groups under ``min_group`` carry no figures and
    take no part in the ranking."""
    keys = np.asarray(list(groups), dtype=object)
    if keys.shape[0] != wave.respondents:
        raise ValueError("length_mismatch")
    analysis = analysis or analyse(wave)
    gaps, overall = analysis["_gaps"], analysis["_overall"]
    rows, cells = [], []
    # sums per dimension over the whole wave, so "the rest" is the wave minus the group
    valid = ~np.isnan(gaps)
    total_n = valid.sum(axis=0)
    total_sum = np.nansum(gaps, axis=0)
    total_sq = np.nansum(gaps * gaps, axis=0)
    order = {}
    for key in keys:
        order.setdefault(key, len(order))
    for key in order:
        members = keys == key
        respondents = int(members.sum())
        suppressed = respondents < min_group
        row = {
            "key": key,
            "n": respondents,
            "suppressed": suppressed,
            "gaps": {},
            "overall_gap": None,
        }
        if not suppressed:
            group_gaps = gaps[members]
            for index, code in enumerate(wave.dimensions):
                values = group_gaps[:, index]
                values = values[~np.isnan(values)]
                if not values.size:
                    row["gaps"][code] = None
                    continue
                mean = float(values.mean())
                row["gaps"][code] = mean
                rest_n = int(total_n[index] - values.size)
                test = TTest(None, None, None)
                if values.size >= 2 and rest_n >= 2:
                    rest_sum = total_sum[index] - values.sum()
                    rest_sq = total_sq[index] - (values * values).sum()
                    rest_mean = float(rest_sum / rest_n)
                    rest_var = max(
                        float(rest_sq - rest_n * rest_mean * rest_mean) / (rest_n - 1), 0.0
                    )
                    test = welch_t_from_summary(
                        mean, float(values.var(ddof=1)), values.size, rest_mean, rest_var, rest_n
                    )
                cells.append(
                    {
                        "dimension": code,
                        "group": key,
                        "gap": mean,
                        "n": int(values.size),
                        "t": test.t,
                        "p": test.p,
                    }
                )
            overall_values = overall[members]
            overall_values = overall_values[~np.isnan(overall_values)]
            row["overall_gap"] = float(overall_values.mean()) if overall_values.size else None
        rows.append(row)
    tested = [c for c in cells if c["p"] is not None]
    for cell, adjusted in zip(tested, holm([c["p"] for c in tested]), strict=True):
        cell["p_adjusted"] = adjusted
    for cell in cells:
        cell.setdefault("p_adjusted", None)
    cells.sort(key=lambda c: (c["gap"], str(c["group"]), c["dimension"]))
    return {"rows": rows, "ranking": cells}


def compare_waves(gaps_a: Sequence[float], gaps_b: Sequence[float]) -> TTest:
    """Welch t of the mean gap of wave B against wave A (respondents independent)."""
    return welch_t(gaps_b, gaps_a)


def paired_change(before: dict[Hashable, float], after: dict[Hashable, float]) -> dict[str, Any]:
    """Paired t on the shops that answered both waves: change = after − before."""
    shared = sorted(set(before) & set(after), key=str)
    if len(shared) < 2:
        return {"n": len(shared), "mean_change": None, "t": None, "df": None, "p": None}
    first = np.array([before[k] for k in shared], dtype=float)
    second = np.array([after[k] for k in shared], dtype=float)
    test = paired_t(first, second)
    return {
        "n": len(shared),
        "mean_change": float((second - first).mean()),
        "t": test.t,
        "df": test.df,
        "p": test.p,
    }
