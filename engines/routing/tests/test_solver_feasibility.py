"""Property: on random small city days every solution passes the checker."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engines.routing import (
    Break,
    Job,
    MatrixTravel,
    Problem,
    StaffDay,
    TimeWindow,
    check,
    solve,
)

SKILLS = ("repair", "audit")
REASONS_FOR_LEFT_OUT_REQUIRED = {
    "no_skill",
    "no_window",
    "no_day",
    "capacity",
    "time_limit",
    "break",
}


def random_day(seed: int, n_jobs: int, n_staff_days: int) -> Problem:
    """Shops on a 10 km square (minutes), a 8:00–17:00 day, lunch 30 min starting 11:30–13:30."""
    rng = random.Random(seed)
    points = np.array([(rng.uniform(0, 10), rng.uniform(0, 10)) for _ in range(n_jobs + 1)])
    km = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    minutes = np.ceil(km * 2.4).astype(np.int64)  # 25 km/h
    metres = np.rint(km * 1000).astype(np.int64)
    jobs = []
    for i in range(1, n_jobs + 1):
        opens = rng.randrange(480, 960)
        windows = [TimeWindow(opens, min(opens + rng.choice((30, 60, 240)), 1020))]
        if rng.random() < 0.25 and opens + 180 < 1000:
            windows.append(TimeWindow(opens + 120, min(opens + 180, 1020)))
        jobs.append(
            Job(
                f"shop{i}",
                i,
                duration=rng.choice((15, 30, 45)),
                windows=tuple(windows),
                skills=frozenset(rng.sample(SKILLS, rng.choice((0, 0, 1)))),
                demand=rng.randint(0, 3),
                required=rng.random() < 0.7,
                penalty=rng.randint(0, 120),
                days=frozenset({rng.randrange(2)}) if rng.random() < 0.2 else None,
            )
        )
    staff_days = [
        StaffDay(
            f"staff{k}",
            f"p{k}",
            day=k % 2,
            shift=TimeWindow(480, 1020),
            start=0,
            end=0,
            skills=frozenset(rng.sample(SKILLS, rng.randint(0, 2))),
            capacity=rng.choice((None, 8)),
            breaks=(Break(TimeWindow(690, 810), 30),),
            max_jobs=rng.choice((None, 6)),
        )
        for k in range(n_staff_days)
    ]
    return Problem(
        tuple(map(tuple, points)), tuple(jobs), tuple(staff_days), MatrixTravel(metres, minutes)
    )


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_jobs=st.integers(8, 25),
    n_staff_days=st.integers(2, 4),
)
def test_every_solution_passes_the_checker_and_explains_what_it_left_out(
    seed, n_jobs, n_staff_days
):
    problem = random_day(seed, n_jobs, n_staff_days)
    solution = solve(problem, time_limit_s=0.3, seed=seed, max_iterations=300)

    assert check(problem, solution) == []
    served = {v.job_id for route in solution.routes for v in route.visits}
    reasons = {u.job_id: u.reason for u in solution.unassigned}
    for job in problem.jobs:
        assert (job.id in served) != (job.id in reasons)
        if job.required and job.id in reasons:
            assert reasons[job.id] in REASONS_FOR_LEFT_OUT_REQUIRED
    for route in solution.routes:
        assert len(route.breaks) == 1  # lunch on every working route
