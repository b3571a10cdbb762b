"""The same Solomon instance solved by VROOM (pyvroom) and by OR-Tools routing, for comparison.

Both get the DIMACS integer-tenths matrix of ``engines.routing.solomon`` as distance and travel
time, the fleet of ``fleet_size`` identical vehicles, the capacity, service start windows and
the depot window as each vehicle's working window; both run on one thread within the given
time. Their routes are re-priced and re-checked with solomon.py: what a solver reports about
itself is not trusted.

    result = solve_vroom(instance, time_limit_s=10)    # or solve_ortools(...)
    result.routes, result.cost, result.feasible
"""

import time
from dataclasses import dataclass
from datetime import timedelta

from engines.routing import solomon
from engines.routing.solomon import Instance

VROOM_EXPLORATION_LEVEL = 5  # the highest; VROOM stops earlier when its search converges


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
