"""Re-planning a live day: an urgent job goes onto one route, fixed visits and bookings hold."""

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
from engines.routing.replan import LiveState, check_live, insert_urgent

SHIFT = TimeWindow(480, 1020)  # minutes: 08:00–17:00
LUNCH = Break(TimeWindow(690, 810), 30)
NOW = 600  # 10:00


def city(n_shops: int, seed: int) -> tuple[tuple, MatrixTravel]:
    """Depot 0 and shops on a 10 km square; minutes at 25 km/h, metres."""
    rng = random.Random(seed)
    points = np.array(
        [(5.0, 5.0)] + [(rng.uniform(0, 10), rng.uniform(0, 10)) for _ in range(n_shops)]
    )
    km = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    travel = MatrixTravel(np.rint(km * 1000).astype(np.int64), np.ceil(km * 2.4).astype(np.int64))
    return tuple(map(tuple, points)), travel


def staff(k: int, skills=(), **overrides) -> StaffDay:
    fields = {"shift": SHIFT, "start": 0, "end": 0, "skills": frozenset(skills), "breaks": (LUNCH,)}
    fields.update(overrides)
    return StaffDay(f"staff{k}", f"p{k}", day=0, **fields)


def booked(i: int, opens: int, **overrides) -> Job:
    return Job(f"booked{i}", i, 30, (TimeWindow(opens, opens + 60),), **overrides)


def routine(i: int, penalty: int = 60, **overrides) -> Job:
    return Job(
        f"routine{i}", i, 20, (TimeWindow(480, 990),), required=False, penalty=penalty, **overrides
    )


def urgent(location: int, **overrides) -> Job:
    fields = {"duration": 30, "windows": (TimeWindow(NOW, NOW + 240),), "priority": 2}
    fields.update(overrides)
    return Job("complaint", location, **fields)


def live_day(jobs, staff_days, n_shops: int, seed: int = 0):
    locations, travel = city(n_shops, seed)
    problem = Problem(locations, tuple(jobs), tuple(staff_days), travel)
    published = solve(problem, time_limit_s=1, seed=0, max_iterations=300)
    assert check(problem, published) == []
    return problem, published, LiveState.from_plan(problem, published, NOW)


def two_staff_day():
    jobs = [
        booked(1, 500),
        booked(2, 560),
        booked(3, 720, skills=frozenset({"repair"})),
        booked(4, 840),
        *(routine(i) for i in range(5, 11)),
    ]
    return live_day(jobs, [staff(0), staff(1, {"repair"})], n_shops=12)


def assert_live_rules_hold(problem, published, state, proposal):
    """Fixed visits unchanged, the whole day passes the checker, at most one route changed."""
    assert check_live(proposal.problem, proposal.solution, state) == []
    assert check(proposal.problem, proposal.solution) == []
    new_routes = {r.staff_day_id: r for r in proposal.solution.routes}
    for p in state.progress:
        assert new_routes[p.staff_day_id].visits[: len(p.done)] == p.done
    changed = [r.staff_day_id for r in published.routes if new_routes.get(r.staff_day_id) != r]
    changed += [i for i in new_routes if i not in {r.staff_day_id for r in published.routes}]
    assert len(changed) <= 1
    if proposal.staff_day_id is not None:
        assert changed == [proposal.staff_day_id]
        assert [c.staff_day_id for c in proposal.changes] == changed
        old = {v.job_id: v.start for r in published.routes for v in r.visits}
        new = {v.job_id: v.start for v in new_routes[proposal.staff_day_id].visits}
        moved = {(j, old[j], new[j]) for j in new if j in old and old[j] != new[j]}
        assert set(proposal.changes[0].moved) == moved


def test_urgent_job_goes_on_one_route_keeping_fixed_visits_and_bookings():
    problem, published, state = two_staff_day()
    assert state.progress  # the morning has begun: something is fixed

    proposal = insert_urgent(problem, published, state, urgent(11))

    assert proposal.staff_day_id is not None and proposal.reason is None
    assert_live_rules_hold(problem, published, state, proposal)
    served = {v.job_id for r in proposal.solution.routes for v in r.visits}
    assert "complaint" in served
    assert {j.id for j in problem.jobs if j.required} <= served
    (change,) = proposal.changes
    assert (change.inserted, change.displaced) == (("complaint",), ())


def test_urgent_job_starts_after_now_and_inside_its_window():
    problem, published, state = two_staff_day()
    job = urgent(11, windows=(TimeWindow(NOW + 60, NOW + 120),))

    proposal = insert_urgent(problem, published, state, job)

    (visit,) = [v for r in proposal.solution.routes for v in r.visits if v.job_id == "complaint"]
    assert NOW + 60 <= visit.start <= NOW + 120


def test_skill_decides_who_takes_the_job():
    problem, published, state = two_staff_day()

    proposal = insert_urgent(problem, published, state, urgent(11, skills=frozenset({"repair"})))

    assert proposal.staff_day_id == "staff1"
    assert_live_rules_hold(problem, published, state, proposal)


def test_nobody_with_the_skill_or_on_the_day_is_reported():
    problem, published, state = two_staff_day()

    no_skill = insert_urgent(problem, published, state, urgent(11, skills=frozenset({"gas"})))
    no_day = insert_urgent(problem, published, state, urgent(11, days=frozenset({3})))

    assert (no_skill.staff_day_id, no_skill.reason) == (None, "no_skill")
    assert (no_day.staff_day_id, no_day.reason) == (None, "no_day")
    for proposal in (no_skill, no_day):
        assert proposal.changes == ()
        assert proposal.solution.routes == published.routes
        assert check(proposal.problem, proposal.solution) == []
        assert ("complaint", proposal.reason) in {
            (u.job_id, u.reason) for u in proposal.solution.unassigned
        }


def test_a_window_nobody_can_reach_is_reported_with_its_reason():
    problem, published, state = two_staff_day()
    too_soon = urgent(11, windows=(TimeWindow(NOW - 60, NOW),))  # already over (or nearly)

    proposal = insert_urgent(problem, published, state, too_soon)

    assert (proposal.staff_day_id, proposal.reason) == (None, "no_window")
    assert "complaint" in proposal.detail
    assert check_live(proposal.problem, proposal.solution, state) == []


def test_a_full_route_gives_up_its_cheapest_routine_visit_never_a_booking():
    jobs = [booked(1, 620), routine(2, penalty=90), routine(3, penalty=30)]
    problem, published, state = live_day(jobs, [staff(0, max_jobs=3)], n_shops=4)
    assert len(published.routes[0].visits) == 3

    proposal = insert_urgent(problem, published, state, urgent(4))

    # the cheapest routine visit not yet under way (the plan may start with either)
    fixed = {v.job_id for p in state.progress for v in p.done}
    cheapest = min(
        (j for j in jobs if not j.required and j.id not in fixed), key=lambda j: j.penalty
    )
    assert proposal.staff_day_id == "staff0"
    assert proposal.changes[0].displaced == (cheapest.id,)
    assert "booked1" not in proposal.changes[0].displaced
    assert (cheapest.id, "not_worth") in {
        (u.job_id, u.reason) for u in proposal.solution.unassigned
    }
    assert_live_rules_hold(problem, published, state, proposal)


def test_a_route_full_of_required_work_is_not_touched():
    jobs = [booked(1, 620), booked(2, 700), booked(3, 800)]
    problem, published, state = live_day(jobs, [staff(0, max_jobs=3)], n_shops=4)

    proposal = insert_urgent(problem, published, state, urgent(4))

    assert (proposal.staff_day_id, proposal.reason) == (None, "capacity")
    assert proposal.solution.routes == published.routes


def test_confirmed_bookings_are_not_displaced():
    # priority > 0 marks a confirmed booking even when it is optional (as in city_day)
    jobs = [
        booked(1, 620, required=False, penalty=500, priority=1),
        booked(2, 700, required=False, penalty=500, priority=1),
    ]
    problem, published, state = live_day(jobs, [staff(0, max_jobs=2)], n_shops=3)
    assert len(published.routes[0].visits) == 2

    proposal = insert_urgent(problem, published, state, urgent(3))

    assert proposal.reason == "capacity"


def test_the_same_call_gives_the_same_proposal():
    problem, published, state = two_staff_day()

    first = insert_urgent(problem, published, state, urgent(11))
    second = insert_urgent(problem, published, state, urgent(11))

    assert (first.solution.routes, first.changes) == (second.solution.routes, second.changes)


def test_reoptimising_the_chosen_route_keeps_the_rules():
    problem, published, state = two_staff_day()

    proposal = insert_urgent(problem, published, state, urgent(11), reoptimise_s=0.5)

    assert_live_rules_hold(problem, published, state, proposal)
    assert "complaint" in {v.job_id for r in proposal.solution.routes for v in r.visits}


def random_live_day(seed: int, n_jobs: int, n_staff: int):
    rng = random.Random(seed)
    jobs = []
    for i in range(1, n_jobs + 1):
        if rng.random() < 0.4:
            opens = rng.randrange(480, 930)
            jobs.append(
                booked(i, opens, skills=frozenset(rng.sample(("repair",), rng.randint(0, 1))))
            )
        else:
            jobs.append(routine(i, penalty=rng.randint(10, 120)))
    staff_days = [
        staff(k, rng.sample(("repair",), rng.randint(0, 1)), max_jobs=rng.choice((None, 5)))
        for k in range(n_staff)
    ]
    locations, travel = city(n_jobs + 1, seed)
    problem = Problem(locations, tuple(jobs), tuple(staff_days), travel)
    published = solve(problem, time_limit_s=0.5, seed=seed, max_iterations=200)
    return problem, published


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_jobs=st.integers(5, 14),
    n_staff=st.integers(1, 3),
    now=st.integers(480, 900),
    width=st.integers(30, 300),
)
def test_every_proposal_keeps_the_live_rules(seed, n_jobs, n_staff, now, width):
    problem, published = random_live_day(seed, n_jobs, n_staff)
    state = LiveState.from_plan(problem, published, now)
    job = urgent(n_jobs + 1, windows=(TimeWindow(now, min(now + width, 1000)),))

    proposal = insert_urgent(problem, published, state, job)

    assert_live_rules_hold(problem, published, state, proposal)
    served = {v.job_id for r in proposal.solution.routes for v in r.visits}
    assert ("complaint" in served) == (proposal.reason is None)
    displaced = {j for c in proposal.changes for j in c.displaced}
    assert all(not j.required for j in problem.jobs if j.id in displaced)
    assert served | displaced >= {v.job_id for r in published.routes for v in r.visits}


def test_staff_who_have_not_left_yet_can_take_the_job():
    problem, published, state = two_staff_day()
    late = LiveState.from_plan(problem, published, 470)  # before any shift starts
    assert late.progress == ()

    proposal = insert_urgent(problem, published, late, urgent(11, windows=(TimeWindow(480, 700),)))

    assert proposal.staff_day_id is not None
    assert check(proposal.problem, proposal.solution) == []


def test_visits_after_the_urgent_job_shift_later_and_are_listed():
    jobs = [routine(i) for i in range(1, 9)]
    problem, published, state = live_day(jobs, [staff(0)], n_shops=9)

    soon = urgent(9, windows=(TimeWindow(NOW, NOW + 60),))  # must come before the rest

    proposal = insert_urgent(problem, published, state, soon)

    (change,) = proposal.changes
    assert change.moved  # a busy route: the rest of it is pushed back
    order = [v.job_id for v in proposal.solution.routes[0].visits]
    after_urgent = set(order[order.index("complaint") + 1 :])
    assert {job_id for job_id, _, _ in change.moved} <= after_urgent
    assert all(new > old for _, old, new in change.moved)
    assert_live_rules_hold(problem, published, state, proposal)
