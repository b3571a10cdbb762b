"""Solomon / Gehring–Homberger VRPTW instances under the DIMACS 2021 convention, in integer tenths.

Distances and travel times are ``floor(10 * euclid)`` (truncated, not rounded); every time in an
instance (ready, due, service, horizon) is multiplied by 10 so that one unit is a tenth
everywhere. Costs come back in tenths: ``bks_distance`` 827.3 is 8273 here. See
../shared/bench/vrptw/README.md for the convention and the data (read in place, never copied).

    instance = read_instance(path)
    problem = to_problem(instance)                  # an engines.routing Problem
    cost(instance, routes), violations(instance, routes)   # routes: lists of customer numbers
"""

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.routing.model import Job, Problem, Route, Solution, StaffDay, TimeWindow, Visit
from engines.routing.travel import MatrixTravel

SCALE = 10  # one unit = a tenth of a Solomon unit


@dataclass(frozen=True, eq=False)
class Instance:
    """Row 0 is the depot; rows 1..n the customers, numbered as in the file. Times in tenths."""

    name: str
    fleet_size: int
    capacity: int
    coords: tuple[tuple[int, int], ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]
    distance: np.ndarray  # int64 tenths, also the travel time

    @property
    def customers(self) -> int:
        return len(self.coords) - 1

    @property
    def horizon(self) -> int:
        """The depot's due date: the latest return, in tenths."""
        return self.due[0]


@dataclass(frozen=True)
class Bks:
    instance: str
    instance_class: str  # C1, C2, R1, R2, RC1, RC2
    distance: int  # tenths
    vehicles: int


def dimacs_matrix(coords) -> np.ndarray:
    """``floor(10 * euclid)`` for integer coordinates, exactly: ``isqrt(100 * squared)``."""
    points = np.asarray(coords, dtype=np.int64)
    delta = points[:, None, :] - points[None, :, :]
    squared = 100 * (delta**2).sum(axis=2)
    root = np.floor(np.sqrt(squared.astype(np.float64))).astype(np.int64)
    # float sqrt may land one off near perfect squares; correct to the integer square root
    root -= root * root > squared
    root += (root + 1) * (root + 1) <= squared
    return root


def read_instance(path: Path | str) -> Instance:
    """Parse a Solomon text file (CRLF, column padding: split on whitespace)."""
    lines = Path(path).read_text().split("\n")
    name = lines[0].strip()
    vehicle_at = next(i for i, line in enumerate(lines) if line.strip().upper() == "VEHICLE")
    fleet_size, capacity = (int(v) for v in lines[vehicle_at + 2].split()[:2])
    customer_at = next(i for i, line in enumerate(lines) if line.strip().upper() == "CUSTOMER")
    rows = [line.split() for line in lines[customer_at + 2 :]]
    rows = [[int(v) for v in row] for row in rows if len(row) == 7]
    if [row[0] for row in rows] != list(range(len(rows))):
        raise ValueError(f"{path}: customers must be numbered 0..n in order")
    coords = tuple((row[1], row[2]) for row in rows)
    return Instance(
        name=name,
        fleet_size=fleet_size,
        capacity=capacity,
        coords=coords,
        demand=tuple(row[3] for row in rows),
        ready=tuple(SCALE * row[4] for row in rows),
        due=tuple(SCALE * row[5] for row in rows),
        service=tuple(SCALE * row[6] for row in rows),
        distance=dimacs_matrix(coords),
    )


def read_bks(path: Path | str) -> dict[str, Bks]:
    """solomon_bks.csv / homberger200_bks.csv, keyed by instance name; distances in tenths."""
    with Path(path).open(newline="") as rows:
        return {
            row["instance"]: Bks(
                instance=row["instance"],
                instance_class=row["class"],
                distance=round(float(row["bks_distance"]) * SCALE),
                vehicles=int(row["bks_vehicles"]),
            )
            for row in csv.DictReader(rows)
        }


def read_routes(path: Path | str) -> list[list[int]]:
    """A ``.sol`` file: ``Route #k: c1 c2 ...`` lines (the depot implied at both ends)."""
    routes = []
    for line in Path(path).read_text().splitlines():
        if line.startswith("Route"):
            routes.append([int(c) for c in line.split(":", 1)[1].split()])
    return routes


def to_problem(instance: Instance) -> Problem:
    """The instance as an engine Problem: job id = customer number, NUMBER identical staff-days
    whose shift is the depot window, all jobs required, travel time = distance (tenths)."""
    jobs = tuple(
        Job(
            id=str(customer),
            location=customer,
            duration=instance.service[customer],
            windows=(TimeWindow(instance.ready[customer], instance.due[customer]),),
            demand=instance.demand[customer],
        )
        for customer in range(1, instance.customers + 1)
    )
    shift = TimeWindow(instance.ready[0], instance.due[0])
    staff_days = tuple(
        StaffDay(
            id=f"v{k}",
            staff_id=f"v{k}",
            day=0,
            shift=shift,
            start=0,
            end=0,
            capacity=instance.capacity,
        )
        for k in range(1, instance.fleet_size + 1)
    )
    return Problem(
        locations=tuple((float(x), float(y)) for x, y in instance.coords),
        jobs=jobs,
        staff_days=staff_days,
        # one array for both: travel time is the distance (nobody writes to it)
        travel=MatrixTravel(instance.distance, instance.distance),
    )


def routes_of(solution) -> list[list[int]]:
    """An engine Solution's non-empty routes as lists of customer numbers."""
    return [[int(v.job_id) for v in route.visits] for route in solution.routes if route.visits]


def to_solution(instance: Instance, routes, solver: str = "solomon") -> Solution:
    """Customer-number routes as an engine Solution on ``to_problem``'s staff-days, each service
    starting as early as it can (so ``engines.routing.checker.check`` can judge them too)."""
    matrix = instance.distance
    built = []
    for number, route in enumerate((r for r in routes if r), start=1):
        visits, time, here = [], instance.ready[0], 0
        for customer in route:
            arrival = time + int(matrix[here, customer])
            start = max(arrival, instance.ready[customer])
            time, here = start + instance.service[customer], customer
            visits.append(Visit(str(customer), arrival, start, time))
        arrival = time + int(matrix[here, 0])
        built.append(
            Route(
                staff_day_id=f"v{number}",
                visits=tuple(visits),
                breaks=(),
                distance=cost(instance, [route]),
                duration=arrival - instance.ready[0],
                departure=instance.ready[0],
                arrival=arrival,
            )
        )
    return Solution(
        routes=tuple(built),
        unassigned=(),
        distance=sum(r.distance for r in built),
        duration=sum(r.duration for r in built),
        runtime_s=0.0,
        solver=solver,
    )


def cost(instance: Instance, routes) -> int:
    """Total distance in tenths (the DIMACS objective), depot at both ends of each route."""
    matrix = instance.distance
    total = 0
    for route in routes:
        path = [0, *route, 0]
        total += int(sum(matrix[a, b] for a, b in zip(path, path[1:], strict=False)))
    return total


def violations(instance: Instance, routes) -> list[str]:
    """Every broken VRPTW rule, in words; empty when the routes are a feasible solution.

    Service starts at max(arrival, ready) and must start by due; a route leaves the depot at its
    ready time and must be back by the depot's due date; loads within capacity; at most
    ``fleet_size`` non-empty routes; each customer served exactly once.
    """
    found = []
    used = [r for r in routes if r]
    if len(used) > instance.fleet_size:
        found.append(f"{len(used)} routes > fleet size {instance.fleet_size}")
    seen: dict[int, int] = {}
    for number, route in enumerate(used, start=1):
        load = sum(instance.demand[c] for c in route if 1 <= c <= instance.customers)
        if load > instance.capacity:
            found.append(f"route {number}: load {load} > capacity {instance.capacity}")
        time, here = instance.ready[0], 0
        for customer in route:
            if not 1 <= customer <= instance.customers:
                found.append(f"route {number}: unknown customer {customer}")
                break
            seen[customer] = seen.get(customer, 0) + 1
            start = max(time + instance.distance[here, customer], instance.ready[customer])
            if start > instance.due[customer]:
                found.append(
                    f"route {number}: customer {customer} starts {start} > due "
                    f"{instance.due[customer]}"
                )
            time, here = start + instance.service[customer], customer
        back = time + instance.distance[here, 0]
        if back > instance.horizon:
            found.append(f"route {number}: back at depot {back} > {instance.horizon}")
    for customer in range(1, instance.customers + 1):
        if seen.get(customer, 0) != 1:
            found.append(f"customer {customer} served {seen.get(customer, 0)} times")
    return found


def gap_pct(cost_tenths: int, bks_tenths: int) -> float:
    """``100 * (cost - bks) / bks``; both in the same (truncated) convention."""
    return 100 * (cost_tenths - bks_tenths) / bks_tenths
