"""The ``Problem`` as PyVRP 0.14 ``ProblemData``: one routing profile, rules as load dimensions.

See ``engines.routing.solver`` for the encoding and why its schedules are truly feasible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType
from pyvrp.constants import MAX_VALUE

from engines.routing.model import Break, Job, Problem, StaffDay

RULE_WEIGHT = 100_000  # load of one job in a "forbidden" dimension (skill or day)


@dataclass
class Encoded:
    data: ProblemData
    clients: list[
        tuple[str, object]
    ]  # per PyVRP client: ("job", (job_id, window)) / ("break", spec)
    vehicles: list[list[StaffDay]]  # per PyVRP vehicle type: the staff-days it stands for
    vehicle_type: dict[str, int]  # staff-day id -> vehicle type
    # (job id, window index) -> its client; (job id, window index, break kind) -> the client
    # "this visit, then that break"
    client_of: dict[tuple, int]
    pv_loc: dict[int, int]  # problem location -> PyVRP location
    big: int
    required_prize: int  # a prize-optional required job's prize (0 with required clients)
    max_prize: int  # the largest prize of any client (0: none, PyVRP's own penalties do)
    dims: list[str] = field(default_factory=list)


def break_key(brk: Break) -> tuple:
    return (brk.window.start, brk.window.end, brk.duration)


def encode(
    problem: Problem,
    windows_by_job: dict[str, list[int]],
    distance: np.ndarray,
    duration: np.ndarray,
    objective: str,
    balance: float | None,
    balance_cost: int,
    required_clients: bool = False,
) -> Encoded:
    """``required_clients``: every required job is a PyVRP required client (the caller knows
    the staff can serve them all); else each is optional with ``required_prize``."""
    jobs = [job for job in problem.jobs if job.id in windows_by_job]
    staff_days = problem.staff_days

    # --- PyVRP locations: every problem location used, depots first ---------------------------
    depot_locations = sorted({loc for sd in staff_days for loc in (sd.start, sd.end)})
    depot_index = {loc: i for i, loc in enumerate(depot_locations)}
    # depots come first among PyVRP's locations
    used = depot_locations + sorted({j.location for j in jobs} - set(depot_locations))
    pv_loc = {loc: i for i, loc in enumerate(used)}
    real = np.asarray(used)

    # --- load dimensions -------------------------------------------------------------------------
    dims: list[str] = []
    use_demand = any(sd.capacity is not None for sd in staff_days) and any(j.demand for j in jobs)
    if use_demand:
        dims.append("demand")
    use_count = any(sd.max_jobs is not None for sd in staff_days)
    if use_count:
        dims.append("count")
    skills = sorted(
        {s for j in jobs for s in j.skills if not all(s in sd.skills for sd in staff_days)}
    )
    dims += [f"skill:{s}" for s in skills]
    # a job barred from day d needs the day dimension only when one of its windows meets that
    # day's shifts (with times counted from the start of the plan, time alone keeps it out)
    span: dict[int, tuple[int, int]] = {}
    for sd in staff_days:
        lo, hi = span.get(sd.day, (sd.shift.start, sd.shift.end))
        span[sd.day] = (min(lo, sd.shift.start), max(hi, sd.shift.end))
    barred: dict[str, set[int]] = {}
    for job in jobs:
        if job.days is None:
            continue
        for d, (lo, hi) in span.items():
            if d not in job.days and any(
                job.windows[w].start <= hi and job.windows[w].end >= lo
                for w in windows_by_job[job.id]
            ):
                barred.setdefault(job.id, set()).add(d)
    days = sorted({d for ds in barred.values() for d in ds})
    dims += [f"day:{d}" for d in days]
    specs = sorted({break_key(b) for sd in staff_days for b in sd.breaks})
    colour = _break_colours(specs, staff_days)
    dims += [f"break:{c}" for c in sorted(set(colour.values()))]
    dim = {name: i for i, name in enumerate(dims)}

    def job_load(job: Job) -> list[int]:
        load = [0] * len(dims)
        if use_demand:
            load[dim["demand"]] = job.demand
        if use_count:
            load[dim["count"]] = 1
        for s in job.skills:
            if f"skill:{s}" in dim:
                load[dim[f"skill:{s}"]] = RULE_WEIGHT
        for d in barred.get(job.id, ()):
            load[dim[f"day:{d}"]] = RULE_WEIGHT
        return load

    # --- clients: per fitting window of a job, plain and "then a break" --------------------------
    big = _big_prize(problem, distance, duration)
    # removing one job frees at most one break of each kind on its route
    required_prize = 0
    if not required_clients:
        required_prize = big * (1 + max((len(sd.breaks) for sd in staff_days), default=0))
    # a break is worth as much as any job: a route skipping it is not truly feasible (a lower,
    # route-level prize left breaks out more often on the city day, costing required jobs)
    break_prize = big
    pv_clients: list[Client] = []
    clients: list[tuple[str, object]] = []
    groups: list[ClientGroup] = []
    client_of: dict[tuple[str, int], int] = {}
    for job in jobs:
        variants = []  # (window index, tw_early, tw_late, break kind or None)
        for w_index in windows_by_job[job.id]:
            window = job.windows[w_index]
            variants.append((w_index, window.start, window.end, None))
            for spec in specs:
                # "a break, then this visit", both at the shop: the client's time window is
                # the break's start, and the visit starts when the break ends
                early = max(spec[0], window.start - spec[2])
                late = min(spec[1], window.end - spec[2])
                if early <= late:
                    variants.append((w_index, early, late, spec))
        must = required_clients and job.required
        group = None
        if len(variants) > 1:
            group = len(groups)
            groups.append(ClientGroup(required=must, name=job.id))
        load = job_load(job)
        prize = 0 if must else required_prize if job.required else job.penalty
        for w_index, early, late, spec in variants:
            if group is not None:
                groups[group].add_client(len(pv_clients))
            if spec is None:
                client_of[(job.id, w_index)] = len(pv_clients)
                with_break, service = load, job.duration
            else:
                client_of[(job.id, w_index, spec)] = len(pv_clients)
                with_break = list(load)
                with_break[dim[f"break:{colour[spec]}"]] = 1
                service = job.duration + spec[2]
            clients.append(("job", (job.id, w_index, spec)))
            pv_clients.append(
                Client(
                    location=pv_loc[job.location],
                    delivery=with_break,
                    service_duration=service,
                    tw_early=early,
                    tw_late=late,
                    prize=prize if spec is None else prize + break_prize,
                    required=must and group is None,
                    group=group,
                    name=job.id,
                )
            )

    matrices = [_submatrix(m, real) for m in (distance, duration)]

    # --- vehicle types: identical staff-days share one ------------------------------------------
    total_demand = sum(job.demand for job in jobs)
    keys: dict[tuple, int] = {}
    vehicles: list[list[StaffDay]] = []
    vehicle_types: list[VehicleType] = []
    vehicle_type: dict[str, int] = {}
    for sd in staff_days:
        capacity = [0] * len(dims)
        if use_demand:
            capacity[dim["demand"]] = total_demand if sd.capacity is None else sd.capacity
        if use_count:
            capacity[dim["count"]] = len(jobs) if sd.max_jobs is None else sd.max_jobs
        for s in skills:
            capacity[dim[f"skill:{s}"]] = RULE_WEIGHT * len(jobs) if s in sd.skills else 0
        for d in days:
            capacity[dim[f"day:{d}"]] = 0 if sd.day == d else RULE_WEIGHT * len(jobs)
        for b in sd.breaks:
            capacity[dim[f"break:{colour[break_key(b)]}"]] += 1
        length = sd.shift.end - sd.shift.start
        soft = length if balance is None else min(length, int(balance * length))
        # the shift's window already bounds the route: no duration limit to check, as in PyVRP
        # alone (the overtime fields only matter when balancing)
        shift_duration = soft if soft < length else VehicleType().shift_duration
        key = (sd.start, sd.end, sd.shift, tuple(capacity), soft)
        if key in keys:
            vehicles[keys[key]].append(sd)
            vehicle_type[sd.id] = keys[key]
            continue
        keys[key] = len(vehicles)
        vehicle_type[sd.id] = len(vehicles)
        vehicles.append([sd])
        vehicle_types.append(
            VehicleType(
                capacity=capacity,
                start_depot=depot_index[sd.start],
                end_depot=depot_index[sd.end],
                tw_early=sd.shift.start,
                tw_late=sd.shift.end,
                shift_duration=shift_duration,
                max_overtime=length - soft,
                unit_overtime_cost=balance_cost if soft < length else 0,
                unit_distance_cost=1 if objective == "distance" else 0,
                unit_duration_cost=1 if objective == "duration" else 0,
                name=sd.id,
            )
        )
    vehicle_types = [
        vt.replace(num_available=len(vs)) for vt, vs in zip(vehicle_types, vehicles, strict=True)
    ]

    locations = [Location(*map(float, problem.locations[o])) for o in used]
    data = ProblemData(
        locations=locations,
        clients=pv_clients,
        depots=[Depot(location=i) for i in range(len(depot_locations))],
        vehicle_types=vehicle_types,
        distance_matrices=[matrices[0]],
        duration_matrices=[matrices[1]],
        groups=groups,
    )
    return Encoded(
        data=data,
        clients=clients,
        vehicles=vehicles,
        vehicle_type=vehicle_type,
        client_of=client_of,
        pv_loc=pv_loc,
        big=big,
        required_prize=required_prize,
        max_prize=max((c.prize for c in pv_clients), default=0),
        dims=dims,
    )


def _submatrix(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix`` restricted to ``rows`` (and those columns), capped at PyVRP's MAX_VALUE, zero
    diagonal; the matrix itself, not a copy, when it already is all that (PyVRP copies it)."""
    if len(rows) != len(matrix) or (rows != np.arange(len(rows))).any():
        matrix = matrix[np.ix_(rows, rows)]
    if matrix.max(initial=0) > MAX_VALUE:
        matrix = np.minimum(matrix, MAX_VALUE)
    if matrix.diagonal().any():
        matrix = matrix.copy()
        np.fill_diagonal(matrix, 0)
    return np.ascontiguousarray(matrix, dtype=np.int64)


def _big_prize(problem: Problem, distance, duration) -> int:
    """More than any solution's total cost, so serving a required job always pays."""
    longest = int(max(distance.max(initial=0), duration.max(initial=0)))
    shifts = sum(sd.shift.end - sd.shift.start for sd in problem.staff_days)
    legs = (
        len(problem.jobs)
        + 2 * len(problem.staff_days)
        + 2 * sum(len(sd.breaks) for sd in problem.staff_days)
    )
    penalties = sum(job.penalty for job in problem.jobs)
    return min(legs * 2 * longest + shifts + penalties + 1, MAX_VALUE // 1024)


def _break_colours(specs: list[tuple], staff_days) -> dict[tuple, int]:
    """A load dimension for each kind of break; kinds share one when no staff-day owing one of
    them works while the other may start (e.g. the same lunch on different days, with times
    counted from the start of the plan): time alone keeps such a break off the wrong route."""
    owners: dict[tuple, list] = {spec: [] for spec in specs}
    for sd in staff_days:
        for brk in sd.breaks:
            owners[break_key(brk)].append(sd.shift)

    def meet(a: tuple, b: tuple) -> bool:
        return any(shift.start <= b[1] and shift.end >= b[0] for shift in owners[a])

    colour: dict[tuple, int] = {}
    for spec in specs:
        taken = {colour[other] for other in colour if meet(spec, other) or meet(other, spec)}
        colour[spec] = next(c for c in range(len(specs)) if c not in taken)
    return colour
