"""Initiative funnels, before/after comparison per stage and the status of a SMART goal.

Stages (seed 001): awareness = aware / surveyed; interest = interested / aware; experience =
tried / aware; perception = rated well / tried. Each stage is a share with its Wilson interval.
A before/after comparison is the pooled two-proportion z test with the Wald interval of the
change, or the exact McNemar test when the same shops answered both times.
"""

from datetime import datetime
from typing import NamedTuple

from engines.servqual.stats import mcnemar_exact, two_proportion_z, wilson_interval

STAGES = ("awareness", "interest", "experience", "perception")
# numerator and denominator of each stage's share, as counts of a FunnelCounts
STAGE_RATIOS = {
    "awareness": ("aware", "surveyed"),
    "interest": ("interested", "aware"),
    "experience": ("tried", "aware"),
    "perception": ("good", "tried"),
}


class FunnelCounts(NamedTuple):
    surveyed: int
    aware: int
    interested: int
    tried: int
    good: int  # tried and rated well


class Stage(NamedTuple):
    stage: str
    count: int
    base: int
    share: float | None  # None when the base is 0
    low: float | None
    high: float | None


class StageChange(NamedTuple):
    stage: str
    before: float | None
    after: float | None
    change: float | None  # after − before
    low: float | None
    high: float | None
    z: float | None
    p: float | None
    test: str  # "two_proportion", "mcnemar" or "none"


def _validate(counts: FunnelCounts) -> None:
    for value in counts:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("negative_count")
    if not (counts.aware <= counts.surveyed and counts.good <= counts.tried <= counts.aware):
        raise ValueError("count_exceeds_total")
    if counts.interested > counts.aware:
        raise ValueError("count_exceeds_total")


def funnel(counts: FunnelCounts, confidence: float = 0.95) -> list[Stage]:
    """The four stage shares with their Wilson intervals."""
    _validate(counts)
    stages = []
    for stage in STAGES:
        numerator, denominator = STAGE_RATIOS[stage]
        count, base = getattr(counts, numerator), getattr(counts, denominator)
        if base == 0:
            stages.append(Stage(stage, count, base, None, None, None))
            continue
        low, high = wilson_interval(count, base, confidence)
        stages.append(Stage(stage, count, base, count / base, low, high))
    return stages


def compare(
    before: FunnelCounts, after: FunnelCounts, confidence: float = 0.95
) -> list[StageChange]:
    """Each stage after against before on independent samples (pooled two-proportion z)."""
    _validate(before)
    _validate(after)
    changes = []
    for stage in STAGES:
        numerator, denominator = STAGE_RATIOS[stage]
        x1, n1 = getattr(after, numerator), getattr(after, denominator)
        x2, n2 = getattr(before, numerator), getattr(before, denominator)
        if n1 == 0 or n2 == 0:
            share_before = x2 / n2 if n2 else None
            share_after = x1 / n1 if n1 else None
            changes.append(
                StageChange(stage, share_before, share_after, None, None, None, None, None, "none")
            )
            continue
        result = two_proportion_z(x1, n1, x2, n2, confidence)
        changes.append(
            StageChange(
                stage,
                x2 / n2,
                x1 / n1,
                result.diff,
                result.low,
                result.high,
                result.z,
                result.p,
                "two_proportion",
            )
        )
    return changes


def compare_paired(pairs: list[tuple[bool, bool]], stage: str) -> StageChange:
    """One stage on the same shops before and after: exact McNemar on the discordant pairs."""
    if not pairs:
        raise ValueError("empty")
    n = len(pairs)
    before = sum(1 for b, _ in pairs if b) / n
    after = sum(1 for _, a in pairs if a) / n
    gained = sum(1 for b, a in pairs if a and not b)
    lost = sum(1 for b, a in pairs if b and not a)
    p = mcnemar_exact(gained, lost)
    return StageChange(stage, before, after, after - before, None, None, None, p, "mcnemar")


GOAL_STATES = ("met", "missed", "on_track", "at_risk")


def goal_status(
    *,
    baseline: float,
    target: float,
    current: float | None,
    start: datetime,
    deadline: datetime,
    now: datetime,
) -> str:
    """``met`` once the metric reaches the target (in the target's direction from the
    baseline); ``missed`` past the deadline; otherwise ``on_track`` when the progress made is at
    least the share of the period elapsed, else ``at_risk``."""
    if deadline <= start:
        raise ValueError("deadline_before_start")
    if target == baseline:
        raise ValueError("target_equals_baseline")
    if current is None:
        return "missed" if now >= deadline else "at_risk"
    rising = target > baseline
    if (current >= target) if rising else (current <= target):
        return "met"
    if now >= deadline:
        return "missed"
    progress = (current - baseline) / (target - baseline)
    elapsed = max(0.0, (now - start) / (deadline - start))
    return "on_track" if progress >= elapsed else "at_risk"
