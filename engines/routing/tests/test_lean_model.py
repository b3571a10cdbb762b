"""The PyVRP model carries only what the problem uses: on a plain VRPTW instance it is the very
model PyVRP alone solves (compare.pyvrp_data), so each search iteration costs the same; a rule's
load dimension appears only when some staff-day needs it."""

import numpy as np
from pyvrp import VehicleType

import engines.routing.solver as solver
from engines.routing import Job, MatrixTravel, Problem, StaffDay, TimeWindow, check, solomon
from engines.routing.compare import pyvrp_data
from engines.routing.generate import generate
from engines.routing.solver.encode import encode

VEHICLE_FIELDS = (
    "num_available",
    "capacity",
    "start_depot",
    "end_depot",
    "tw_early",
    "tw_late",
    "shift_duration",
    "max_duration",
    "max_distance",
    "unit_distance_cost",
    "unit_duration_cost",
    "fixed_cost",
    "max_overtime",
    "unit_overtime_cost",
    "profile",
)
CLIENT_FIELDS = (
    "location",
    "delivery",
    "pickup",
    "service_duration",
    "tw_early",
    "tw_late",
    "release_time",
    "prize",
    "required",
    "group",
)


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def test_plain_vrptw_is_the_model_pyvrp_alone_solves(monkeypatch):
    instance = generate("R1", customers=100, seed=1)
    seen = {}
    real = solver.pyvrp_solve

    def capture(data, stop, **kwargs):
        seen["data"], seen["kwargs"] = data, kwargs
        return real(data, stop, **kwargs)

    monkeypatch.setattr(solver, "pyvrp_solve", capture)
    problem = solomon.to_problem(instance)
    solution = solver.solve(
        problem, time_limit_s=30, seed=1, objective="distance", max_iterations=20
    )
    assert check(problem, solution) == []
    ours, alone = seen["data"], pyvrp_data(instance)

    # no extra load dimension, depot, vehicle type, group or profile
    for count in (
        "num_load_dimensions",
        "num_depots",
        "num_locations",
        "num_vehicle_types",
        "num_vehicles",
        "num_groups",
        "num_profiles",
        "num_clients",
    ):
        assert getattr(ours, count) == getattr(alone, count), count
    # distance cost only, no duration limit or overtime to evaluate on every move
    for mine, theirs in zip(ours.vehicle_types(), alone.vehicle_types(), strict=True):
        assert _fields(mine, VEHICLE_FIELDS) == _fields(theirs, VEHICLE_FIELDS)
    # required clients without prizes, as PyVRP alone has them
    for mine, theirs in zip(ours.clients(), alone.clients(), strict=True):
        assert _fields(mine, CLIENT_FIELDS) == _fields(theirs, CLIENT_FIELDS)
    for name in ("distance_matrix", "duration_matrix"):
        assert np.array_equal(getattr(ours, name)(0), getattr(alone, name)(0))
    # PyVRP's default search: no warm start, default penalties
    assert seen["kwargs"]["initial_solution"] is None
    assert seen["kwargs"]["params"].penalty.max_penalty == 100_000.0


def _line(n: int) -> MatrixTravel:
    points = np.arange(n + 1) * 10
    m = np.abs(points[:, None] - points[None, :]).astype(np.int64)
    return MatrixTravel(m, m)


def _dims(jobs, staff_days, n=4) -> list[str]:
    p = Problem(
        tuple((float(i), 0.0) for i in range(n + 1)), tuple(jobs), tuple(staff_days), _line(n)
    )
    distance, duration = p.travel.matrices(p.locations)
    windows = {job.id: [0] for job in p.jobs}
    encoded = encode(p, windows, distance, duration, "duration", None, 1, True)
    assert encoded.data.num_load_dimensions == len(encoded.dims)
    shift = VehicleType().shift_duration
    assert all(
        vt.shift_duration == shift and vt.max_overtime == 0 for vt in encoded.data.vehicle_types()
    )
    return encoded.dims


def test_a_rule_is_a_load_dimension_only_where_some_staff_day_needs_it():
    day = TimeWindow(0, 1000)
    any_time = (TimeWindow(0, 1000),)
    plain = [Job(f"j{i}", i, 10, any_time, skills=frozenset({"gas"})) for i in range(1, 5)]
    both = [StaffDay(f"s{k}", f"s{k}", 0, day, 0, 0, skills=frozenset({"gas"})) for k in (1, 2)]
    # skill everybody has, no capacity, no max_jobs, no day rules: nothing to carry
    assert _dims(plain, both) == []
    # demand without a capacity anywhere: still nothing
    heavy = [Job(f"j{i}", i, 10, any_time, demand=3) for i in range(1, 5)]
    assert _dims(heavy, both) == []
    # each rule once some staff-day needs it
    one_short = [both[0], StaffDay("s3", "s3", 0, day, 0, 0)]
    assert _dims(plain, one_short) == ["skill:gas"]
    capped = [both[0], StaffDay("s3", "s3", 0, day, 0, 0, skills=frozenset({"gas"}), max_jobs=2)]
    assert _dims(plain, capped) == ["count"]
    sized = [both[0], StaffDay("s3", "s3", 0, day, 0, 0, capacity=6)]
    assert _dims(heavy, sized) == ["demand"]
