"""Weighted draws and fair splits, shared by the parts of the demo city (pure Python)."""

import random
from collections.abc import Iterable


def cumulative(weights: Iterable[float]) -> list[float]:
    """Running totals of ``weights``, as ``random.choices(cum_weights=…)`` takes them."""
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def pick(rng: random.Random, cum_weights: list[float]) -> int:
    """The index of one weighted draw."""
    target = rng.random() * cum_weights[-1]
    for index, edge in enumerate(cum_weights):
        if target < edge:
            return index
    return len(cum_weights) - 1


def split(total: int, weights: list[float]) -> list[int]:
    """``total`` divided in proportion to ``weights`` (largest remainders; sums exactly)."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
