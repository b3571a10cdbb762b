"""Seeded VRPTW instances in the Gehring–Homberger style, for sizes the shared data lacks
(1,000 customers): the benchmark's own generator, never the published 1,000-customer files.

    instance = generate("R1", customers=1000, seed=1)   # a solomon.Instance (tenths, DIMACS)

Classes as in Solomon and Gehring–Homberger: positions R (uniform), C (clustered round a few
centres), RC (half each); series 1 a short horizon and small vehicles (many short routes),
series 2 a long horizon and large vehicles. On a 500 × 500 grid with the depot in the middle:

- a share of the customers (varied per instance) has a time window of varied width around a
  centre drawn uniformly among the starts the depot can reach; the others may start any time
  they can still get home;
- every customer is feasible on its own by construction: the depot reaches it by its due date
  (leaving at 0), and starting by then it is served and back before the horizon; its demand
  fits a vehicle;
- fleet and capacity as in Gehring–Homberger 1,000 (250 vehicles; 200 or 1,000 units).

Times and distances follow ``engines.routing.solomon`` (integer grid, ``floor(10 * euclid)``,
times in tenths), so the generated instances run through the same code as the shared files.
"""

from __future__ import annotations

import numpy as np

from engines.routing.solomon import SCALE, Instance, dimacs_matrix

CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")
GRID = 500
FLEET = 250
# per series: horizon (grid units of time), capacity, service time R/C, window widths
SERIES = {
    "1": {"horizon": 2300, "capacity": 200, "service": {"R": 10, "C": 90}, "width": (10, 160)},
    "2": {"horizon": 8000, "capacity": 1000, "service": {"R": 10, "C": 90}, "width": (120, 1200)},
}
WINDOW_SHARES = (0.25, 0.5, 0.75, 1.0)  # share of customers with a window, one per instance


def generate(instance_class: str, *, customers: int = 1000, seed: int = 1) -> Instance:
    """A reproducible instance of ``instance_class`` (one of ``CLASSES``): same arguments, same
    instance."""
    if instance_class not in CLASSES:
        raise ValueError(f"instance_class must be one of {CLASSES}")
    if customers < 1:
        raise ValueError("customers must be >= 1")
    rng = np.random.default_rng([CLASSES.index(instance_class), customers, seed])
    kind, series = instance_class[:-1], SERIES[instance_class[-1]]
    points = _positions(rng, kind, customers)
    coords = np.vstack([[GRID // 2, GRID // 2], points]).astype(np.int64)
    distance = dimacs_matrix(coords)

    horizon = series["horizon"] * SCALE
    service = np.full(customers + 1, series["service"]["C" if kind == "C" else "R"] * SCALE)
    service[0] = 0
    out, back = distance[0], distance[:, 0]
    # latest start that still gets home by the horizon; earliest is the drive from the depot
    latest = horizon - service - back
    earliest = out.copy()
    if (latest[1:] < earliest[1:]).any():
        raise ValueError("horizon too short for the grid")  # a fault in SERIES, not in use
    ready, due = np.zeros(customers + 1, np.int64), latest.copy()
    share = WINDOW_SHARES[rng.integers(len(WINDOW_SHARES))]
    lo, hi = series["width"]
    windowed = rng.random(customers) < share
    for i in np.flatnonzero(windowed) + 1:
        width = int(rng.integers(lo, hi + 1)) * SCALE
        centre = int(rng.integers(earliest[i], latest[i] + 1))
        ready[i] = max(0, centre - width // 2)
        due[i] = min(latest[i], max(earliest[i], centre + width // 2))
        ready[i] = min(ready[i], due[i])
    ready[0], due[0] = 0, horizon

    if kind == "C":
        demand = 10 * rng.integers(1, 5, customers + 1)
    else:
        demand = rng.integers(1, 51, customers + 1)
    demand[0] = 0
    return Instance(
        name=f"GEN_{instance_class}_{customers}_{seed}",
        fleet_size=FLEET,
        capacity=series["capacity"],
        coords=tuple((int(x), int(y)) for x, y in coords),
        demand=tuple(int(d) for d in demand),
        ready=tuple(int(t) for t in ready),
        due=tuple(int(t) for t in due),
        service=tuple(int(s) for s in service),
        distance=distance,
    )


def _positions(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "R":
        return rng.integers(0, GRID + 1, (n, 2))
    if kind == "C":
        return _clustered(rng, n)
    half = n // 2
    return np.vstack([rng.integers(0, GRID + 1, (half, 2)), _clustered(rng, n - half)])


def _clustered(rng: np.random.Generator, n: int) -> np.ndarray:
    """Customers round ~n/40 centres, a normal spread of a few grid units, kept on the grid."""
    centres = rng.integers(GRID // 10, GRID - GRID // 10, (max(1, n // 40), 2))
    which = rng.integers(len(centres), size=n)
    spread = rng.normal(0, GRID / 60, (n, 2))
    return np.clip(np.rint(centres[which] + spread), 0, GRID).astype(np.int64)


__all__ = ["CLASSES", "generate"]
