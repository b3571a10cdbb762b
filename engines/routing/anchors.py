"""The same instances solved by VROOM (pyvroom) and by OR-Tools routing, for comparison.

Solomon (``solve_vroom`` / ``solve_ortools``):

Both get the DIMACS integer-tenths matrix of ``engines.routing.solomon`` as distance and travel
time, the fleet of ``fleet_size`` identical vehicles, the capacity, service start windows and
the depot window as each vehicle's working window; both run on one thread within the given
time. Their routes are re-priced and re-checked with solomon.py: what a solver reports about
itself is not trusted.

    result = solve_vroom(instance, time_limit_s=10)    # or solve_ortools(...)
    result.routes, result.cost, result.feasible

City day (``solve_city_vroom`` / ``solve_city_ortools``): an engine ``Problem`` with skills,
shifts, lunch breaks, several windows, visit limits and optional jobs, solved on the problem's
own duration matrix (travel seconds as cost); the answer's visiting order is rescheduled by our
rules (``greedy.schedule``, not strict) into an engine ``Solution`` for ``checker.check``.

- VROOM gets everything: skills as ints, vehicle breaks (window + service), shift windows,
  several job windows, ``max_tasks``, capacity; required jobs priority 100, optional ones
  1–10 by penalty (VROOM maximises the priority sum before minimising cost, and leaves out
  what cannot fit). Days: a one-day job becomes a skill; a job on several days cannot be
  expressed (none in the city).
- OR-Tools gets skills as allowed vehicles, shifts and windows on the time dimension (several
  windows: the gaps removed from the node's cumul), visit limits as a count dimension, optional
  jobs as disjunctions with their penalty (required ones with ``REQUIRED_PENALTY``, so the
  model stays solvable), breaks via ``SetBreakIntervalsOfVehicle`` (``breaks=False`` leaves
  them to the rescheduling and the checker). Days: as allowed vehicles.
"""

import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from engines.routing import solomon
from engines.routing.greedy import schedule
from engines.routing.model import Job, Problem, Route, Solution, Unassigned
from engines.routing.solomon import Instance

VROOM_EXPLORATION_LEVEL = 5  # the highest; VROOM stops earlier when its search converges
VROOM_MAX_PRIORITY = 100
# VROOM maximises the priority SUM first: optional jobs stay far below a required one, so that
# dropping several of them to fit one required job pays (1..10 by penalty, as our prizes rank).
VROOM_OPTIONAL_PRIORITY = 10
REQUIRED_PENALTY = 10**9  # OR-Tools disjunction penalty of a required job: worth any detour


@dataclass(frozen=True)
class AnchorResult:
    solver: str
    routes: tuple[tuple[int, ...], ...]  # customer numbers in visiting order
    cost: int | None  # tenths, solomon.cost; None when there are no routes
    runtime_s: float
    violations: tuple[str, ...]  # solomon.violations, or why there is no solution

    @property
    def feasible(self) -> bool:
        return self.cost is not None and not self.violations


def _result(solver: str, instance: Instance, routes, started: float) -> AnchorResult:
    runtime = time.perf_counter() - started
    routes = tuple(tuple(r) for r in routes if r)
    return AnchorResult(
        solver=solver,
        routes=routes,
        cost=solomon.cost(instance, routes),
        runtime_s=runtime,
        violations=tuple(solomon.violations(instance, routes)),
    )


def solve_vroom(
    instance: Instance, *, time_limit_s: float, exploration_level: int = VROOM_EXPLORATION_LEVEL
) -> AnchorResult:
    """VROOM, one thread, costs = the distance matrix (so it minimises total distance)."""
    import vroom

    started = time.perf_counter()
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=instance.distance)
    problem.set_costs_matrix(profile="car", matrix_input=instance.distance)
    depot_window = vroom.TimeWindow(instance.ready[0], instance.due[0])
    problem.add_vehicle(
        [
            vroom.Vehicle(k, start=0, end=0, capacity=[instance.capacity], time_window=depot_window)
            for k in range(1, instance.fleet_size + 1)
        ]
    )
    problem.add_job(
        [
            vroom.Job(
                c,
                location=c,
                default_service=instance.service[c],
                delivery=[instance.demand[c]],
                time_windows=[vroom.TimeWindow(instance.ready[c], instance.due[c])],
            )
            for c in range(1, instance.customers + 1)
        ]
    )
    solution = problem.solve(
        exploration_level=exploration_level,
        nb_threads=1,
        timeout=timedelta(seconds=time_limit_s),
    )
    steps = solution.routes
    jobs = steps[steps["type"] == "job"]
    routes = [[int(c) for c in group["id"]] for _, group in jobs.groupby("vehicle_id", sort=True)]
    return _result("vroom", instance, routes, started)


def solve_ortools(
    instance: Instance, *, time_limit_s: float, first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
) -> AnchorResult:
    """OR-Tools routing: an insertion first solution, then guided local search until the limit.

    PARALLEL_CHEAPEST_INSERTION, not the tutorials' PATH_CHEAPEST_ARC: a path-building first
    solution often strands customers with tight windows and then finds no solution at all.
    """
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    nodes = instance.customers + 1
    manager = pywrapcp.RoutingIndexManager(nodes, instance.fleet_size, 0)
    routing = pywrapcp.RoutingModel(manager)
    distance = instance.distance.tolist()
    # travel time from i to j includes the service at i, so a node's cumul is its service start
    travel_time = [[instance.service[i] + d for d in row] for i, row in enumerate(distance)]
    distance_index = routing.RegisterTransitMatrix(distance)
    routing.SetArcCostEvaluatorOfAllVehicles(distance_index)
    demand_index = routing.RegisterUnaryTransitVector(list(instance.demand))
    routing.AddDimension(demand_index, 0, instance.capacity, True, "load")
    time_index = routing.RegisterTransitMatrix(travel_time)
    horizon = instance.horizon
    routing.AddDimension(time_index, horizon, horizon, False, "time")  # slack = waiting
    clock = routing.GetDimensionOrDie("time")
    for customer in range(1, nodes):
        index = manager.NodeToIndex(customer)
        clock.CumulVar(index).SetRange(instance.ready[customer], instance.due[customer])
    for vehicle in range(instance.fleet_size):
        clock.CumulVar(routing.Start(vehicle)).SetRange(instance.ready[0], horizon)
        clock.CumulVar(routing.End(vehicle)).SetRange(instance.ready[0], horizon)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
    parameters.time_limit.FromMilliseconds(int(remaining * 1000))
    assignment = routing.SolveWithParameters(parameters)
    if assignment is None:
        return AnchorResult(
            solver="ortools",
            routes=(),
            cost=None,
            runtime_s=time.perf_counter() - started,
            violations=(f"no solution (status {routing.status()})",),
        )
    routes = []
    for vehicle in range(instance.fleet_size):
        route, index = [], assignment.Value(routing.NextVar(routing.Start(vehicle)))
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = assignment.Value(routing.NextVar(index))
        routes.append(route)
    return _result("ortools", instance, routes, started)


# --- city day: an engine Problem, answers rescheduled and judged by our rules --------------------


def _city_solution(problem: Problem, orders, solver: str, started: float) -> Solution:
    """Visiting orders (staff-day index → (job indices, break gaps)) as a checkable Solution."""
    distance, duration = problem.travel.matrices(problem.locations)
    routes: list[Route] = []
    served: set[str] = set()
    for s_index, (job_indices, gaps) in sorted(orders.items()):
        if not job_indices:
            continue
        sd = problem.staff_days[s_index]
        seq = [problem.jobs[j] for j in job_indices]
        routes.append(schedule(sd, seq, distance, duration, hint=tuple(gaps), strict=False))
        served.update(job.id for job in seq)
    return Solution(
        routes=tuple(routes),
        unassigned=tuple(
            Unassigned(job.id, "capacity" if job.required else "not_worth")
            for job in problem.jobs
            if job.id not in served
        ),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        runtime_s=time.perf_counter() - started,
        solver=solver,
    )


def _optional_priority(job: Job, top_penalty: int) -> int:
    if job.required:
        return VROOM_MAX_PRIORITY
    return max(1, round(VROOM_OPTIONAL_PRIORITY * job.penalty / max(top_penalty, 1)))


def solve_city_vroom(
    problem: Problem, *, time_limit_s: float, exploration_level: int = VROOM_EXPLORATION_LEVEL
) -> Solution:
    """VROOM on one thread, cost = travel seconds; see the module docstring for the mapping."""
    import vroom

    started = time.perf_counter()
    _, duration = problem.travel.matrices(problem.locations)
    names = sorted({s for job in problem.jobs for s in job.skills})
    names += sorted({f"day:{d}" for job in problem.jobs if job.days for d in job.days})
    skill_id = {name: i for i, name in enumerate(names)}
    use_demand = any(sd.capacity is not None for sd in problem.staff_days)
    total_demand = sum(job.demand for job in problem.jobs)

    vroom_input = vroom.Input()
    matrix = np.asarray(duration, dtype=np.uint32)
    vroom_input.set_durations_matrix(profile="car", matrix_input=matrix)
    vroom_input.set_costs_matrix(profile="car", matrix_input=matrix)
    vroom_input.add_vehicle(
        [
            vroom.Vehicle(
                s + 1,
                start=sd.start,
                end=sd.end,
                capacity=[total_demand if sd.capacity is None else sd.capacity]
                if use_demand
                else (),
                skills={skill_id[n] for n in (*sd.skills, f"day:{sd.day}") if n in skill_id},
                time_window=vroom.TimeWindow(sd.shift.start, sd.shift.end),
                breaks=[
                    vroom.Break(
                        k,
                        time_windows=[vroom.TimeWindow(b.window.start, b.window.end)],
                        service=b.duration,
                    )
                    for k, b in enumerate(sd.breaks)
                ],
                max_tasks=len(problem.jobs) if sd.max_jobs is None else sd.max_jobs,
            )
            for s, sd in enumerate(problem.staff_days)
        ]
    )
    top_penalty = max((job.penalty for job in problem.jobs if not job.required), default=1)
    vroom_input.add_job(
        [
            vroom.Job(
                j + 1,
                location=job.location,
                default_service=job.duration,
                delivery=[job.demand] if use_demand else (),
                skills={skill_id[n] for n in job.skills}
                | (
                    {skill_id[f"day:{d}"] for d in job.days}
                    if job.days and len(job.days) == 1
                    else set()
                ),
                priority=_optional_priority(job, top_penalty),
                time_windows=[vroom.TimeWindow(w.start, w.end) for w in job.windows],
            )
            for j, job in enumerate(problem.jobs)
        ]
    )
    answer = vroom_input.solve(
        exploration_level=exploration_level,
        nb_threads=1,
        timeout=timedelta(seconds=time_limit_s),
    )
    orders: dict[int, tuple[list[int], list[int]]] = {}
    steps = answer.routes
    for vehicle_id, group in steps.groupby("vehicle_id", sort=True):
        job_indices: list[int] = []
        gaps: list[int] = []
        for kind, step_id in zip(group["type"], group["id"], strict=True):
            if kind == "job":
                job_indices.append(int(step_id) - 1)
            elif kind == "break":
                gaps.append(len(job_indices))
        orders[int(vehicle_id) - 1] = (job_indices, gaps)
    return _city_solution(problem, orders, "vroom", started)


def solve_city_ortools(
    problem: Problem,
    *,
    time_limit_s: float,
    breaks: bool = True,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
) -> Solution:
    """OR-Tools routing (insertion first solution, then guided local search), cost = travel
    seconds plus the penalties of left-out jobs; see the module docstring for the mapping."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    started = time.perf_counter()
    _, duration = problem.travel.matrices(problem.locations)
    staff_days = problem.staff_days
    depots = sorted({loc for sd in staff_days for loc in (sd.start, sd.end)})
    depot_node = {loc: n for n, loc in enumerate(depots)}
    node_location = np.asarray([*depots, *(job.location for job in problem.jobs)])
    service = np.asarray([0] * len(depots) + [job.duration for job in problem.jobs])
    n_depots = len(depots)

    manager = pywrapcp.RoutingIndexManager(
        len(node_location),
        len(staff_days),
        [depot_node[sd.start] for sd in staff_days],
        [depot_node[sd.end] for sd in staff_days],
    )
    routing = pywrapcp.RoutingModel(manager)
    travel = np.asarray(duration, dtype=np.int64)[np.ix_(node_location, node_location)]
    cost_index = routing.RegisterTransitMatrix(travel.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost_index)
    # a node's cumul is its service start: the transit out of it includes its service
    time_index = routing.RegisterTransitMatrix((travel + service[:, None]).tolist())
    day_end = max(sd.shift.end for sd in staff_days)
    routing.AddDimension(time_index, day_end, day_end, False, "time")
    clock = routing.GetDimensionOrDie("time")
    if any(sd.max_jobs is not None for sd in staff_days):
        count_index = routing.RegisterUnaryTransitVector([0] * n_depots + [1] * len(problem.jobs))
        limits = [len(problem.jobs) if sd.max_jobs is None else sd.max_jobs for sd in staff_days]
        routing.AddDimensionWithVehicleCapacity(count_index, 0, limits, True, "visits")
    if any(sd.capacity is not None for sd in staff_days):
        total = sum(job.demand for job in problem.jobs)
        load_index = routing.RegisterUnaryTransitVector(
            [0] * n_depots + [job.demand for job in problem.jobs]
        )
        capacities = [total if sd.capacity is None else sd.capacity for sd in staff_days]
        routing.AddDimensionWithVehicleCapacity(load_index, 0, capacities, True, "load")

    for j, job in enumerate(problem.jobs):
        index = manager.NodeToIndex(n_depots + j)
        windows = sorted(job.windows, key=lambda w: w.start)
        cumul = clock.CumulVar(index)
        cumul.SetRange(windows[0].start, max(w.end for w in windows))
        reach = windows[0].end
        for w in windows[1:]:
            if w.start > reach + 1:
                cumul.RemoveInterval(reach + 1, w.start - 1)
            reach = max(reach, w.end)
        allowed = [v for v, sd in enumerate(staff_days) if sd.can_serve(job)]
        if len(allowed) < len(staff_days):
            routing.VehicleVar(index).SetValues([-1, *allowed])  # -1: left out
        routing.AddDisjunction([index], REQUIRED_PENALTY if job.required else job.penalty)
    for v, sd in enumerate(staff_days):
        clock.CumulVar(routing.Start(v)).SetRange(sd.shift.start, sd.shift.end)
        clock.CumulVar(routing.End(v)).SetRange(sd.shift.start, sd.shift.end)
    if breaks:
        solver = routing.solver()
        visit_transits = [int(service[manager.IndexToNode(i)]) for i in range(routing.Size())]
        for v, sd in enumerate(staff_days):
            intervals = [
                solver.FixedDurationIntervalVar(
                    b.window.start, b.window.end, b.duration, False, f"break {sd.id} {k}"
                )
                for k, b in enumerate(sd.breaks)
            ]
            if intervals:
                clock.SetBreakIntervalsOfVehicle(intervals, v, visit_transits)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, first_solution
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
    parameters.time_limit.FromMilliseconds(int(remaining * 1000))
    assignment = routing.SolveWithParameters(parameters)
    orders: dict[int, tuple[list[int], list[int]]] = {}
    if assignment is not None:
        for v in range(len(staff_days)):
            job_indices, index = [], assignment.Value(routing.NextVar(routing.Start(v)))
            while not routing.IsEnd(index):
                job_indices.append(manager.IndexToNode(index) - n_depots)
                index = assignment.Value(routing.NextVar(index))
            orders[v] = (job_indices, [])
    solution = _city_solution(problem, orders, "ortools", started)
    if assignment is None:  # nothing found in time: every job is reported, none served
        solution = Solution(
            routes=(),
            unassigned=tuple(Unassigned(job.id, "time_limit") for job in problem.jobs),
            distance=0,
            duration=0,
            runtime_s=solution.runtime_s,
            solver="ortools",
        )
    return solution
