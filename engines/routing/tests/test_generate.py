"""The benchmark's 1,000-stop generator: reproducible, every customer feasible on its own."""

import numpy as np
import pytest

from engines.routing import solomon
from engines.routing.generate import CLASSES, generate


def test_the_same_arguments_give_the_same_instance_and_another_seed_another():
    a, b = generate("RC1", customers=80, seed=4), generate("RC1", customers=80, seed=4)
    assert (a.coords, a.ready, a.due, a.demand, a.service) == (
        b.coords,
        b.ready,
        b.due,
        b.demand,
        b.service,
    )
    assert np.array_equal(a.distance, b.distance)
    assert generate("RC1", customers=80, seed=5).coords != a.coords


@pytest.mark.parametrize("cls", CLASSES)
def test_every_customer_is_reachable_from_the_depot_and_back_in_time(cls):
    instance = generate(cls, customers=300, seed=2)
    d, horizon = instance.distance, instance.horizon
    assert instance.customers == 300 and instance.ready[0] == 0
    for i in range(1, 301):
        assert 0 <= instance.ready[i] <= instance.due[i]
        start = max(d[0, i], instance.ready[i])
        assert start <= instance.due[i]  # leaving at 0, the depot reaches it in its window
        assert start + instance.service[i] + d[i, 0] <= horizon  # and is back in time
        assert 0 < instance.demand[i] <= instance.capacity
    # each customer alone on a route is a feasible solution for the rules
    assert solomon.violations(instance, [[i] for i in range(1, 301)]) == [
        f"300 routes > fleet size {instance.fleet_size}"
    ]


def test_windows_vary_in_width_and_classes_differ_in_layout():
    r1, c1 = generate("R1", customers=400, seed=1), generate("C1", customers=400, seed=1)
    widths = {due - ready for ready, due in zip(r1.ready[1:], r1.due[1:], strict=True)}
    assert len(widths) > 50
    spread = np.asarray(r1.coords).std(axis=0).mean()
    clustered = np.asarray(c1.coords)
    # clustered customers sit much closer to their nearest neighbour than uniform ones
    near = [
        np.sort(solomon.dimacs_matrix(c)[1:, 1:], axis=1)[:, 1].mean()
        for c in (r1.coords, clustered)
    ]
    assert near[1] < near[0] / 2 and spread > 100


def test_a_generated_instance_solves_feasibly():
    from engines.routing.compare import solve_ours

    run = solve_ours(generate("R2", customers=60, seed=3), 1.0)
    assert run.feasible and run.iterations > 0


def test_unknown_class_is_refused():
    with pytest.raises(ValueError, match="instance_class"):
        generate("X1")
