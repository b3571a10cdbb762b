"""Fixed log-scale histograms of durations in minutes, and percentiles read back from them.

The rollups cannot keep every request's time, so they keep a count per bucket; counts of any
set of rows add up bucket by bucket, and the median or p90 of the sum is read from it. Pure
Python (no Django), so the arithmetic is tested on its own.

Buckets: ``[0, 1)`` minute, then quarter-octave buckets ``[2^(k/4), 2^((k+1)/4))`` for
k = 0 … 63 (1 minute up to 2^16 minutes, about 45.5 days), then ``[2^16, ∞)``: 66 buckets.

Error of a percentile read from these buckets: the estimate is interpolated linearly inside the
bucket that holds the true value (nearest-rank percentile), so both lie in one bucket
``[lo, lo·r)`` with r = 2^(1/4). From one minute up, the relative error is below
r − 1 = 18.9 % (``MAX_RELATIVE_ERROR``); usually far less, as values spread inside a bucket.
Under one minute the error is below one minute. From 2^16 minutes on, the estimate is the
bucket's lower edge: a floor ("at least 45 days").
"""

import math
from collections.abc import Iterable, Sequence

STEPS_PER_DOUBLING = 4
DOUBLINGS = 16
# Lower edges in minutes: 0, 1, 2^(1/4), …, 2^16.
EDGES: tuple[float, ...] = (0.0,) + tuple(
    2 ** (k / STEPS_PER_DOUBLING) for k in range(STEPS_PER_DOUBLING * DOUBLINGS + 1)
)
BUCKETS = len(EDGES)  # 66
MAX_RELATIVE_ERROR = 2 ** (1 / STEPS_PER_DOUBLING) - 1  # 0.189


def bucket_bounds(index: int) -> tuple[float, float | None]:
    """Bucket ``index``'s range in minutes: lower edge included, upper excluded (None: open)."""
    if not 0 <= index < BUCKETS:
        raise ValueError(f"bucket index {index} is outside 0…{BUCKETS - 1}")
    upper = EDGES[index + 1] if index + 1 < BUCKETS else None
    return EDGES[index], upper


def bucket_of(minutes: float) -> int:
    """The bucket holding a duration of ``minutes`` (negative durations go to the first)."""
    if minutes < EDGES[1]:
        return 0
    if minutes >= EDGES[-1]:
        return BUCKETS - 1
    index = 1 + math.floor(math.log2(minutes) * STEPS_PER_DOUBLING)
    # Guard the float rounding of log2 right at an edge.
    while index > 1 and minutes < EDGES[index]:
        index -= 1
    while minutes >= EDGES[index + 1]:
        index += 1
    return index


def histogram(minutes: Iterable[float]) -> list[int]:
    """Counts per bucket of the given durations."""
    counts = [0] * BUCKETS
    for value in minutes:
        counts[bucket_of(value)] += 1
    return counts


def merge(*histograms: Sequence[int]) -> list[int]:
    """The bucket-wise sum of histograms (the histogram of all their values)."""
    counts = [0] * BUCKETS
    for one in histograms:
        if len(one) != BUCKETS:
            raise ValueError(f"a histogram has {BUCKETS} buckets, not {len(one)}")
        for index, count in enumerate(one):
            counts[index] += count
    return counts


def percentile(counts: Sequence[int], fraction: float) -> float | None:
    """The ``fraction`` percentile (0.5 median, 0.9 p90) in minutes; None when empty.

    The rank ``fraction × n`` falls in one bucket; the value is interpolated linearly between
    that bucket's edges by where the rank falls among its counts.
    """
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    if len(counts) != BUCKETS:
        raise ValueError(f"a histogram has {BUCKETS} buckets, not {len(counts)}")
    total = sum(counts)
    if total == 0:
        return None
    rank = fraction * total
    below = 0
    for index, count in enumerate(counts):
        if count and below + count >= rank:
            lower, upper = bucket_bounds(index)
            if upper is None:
                return lower
            return lower + (upper - lower) * (rank - below) / count
        below += count
    raise AssertionError("unreachable: the rank is at most the total")
