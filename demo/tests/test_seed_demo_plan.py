"""The demo week's routes stop on iterations, not seconds: the same seed gives the same routes."""

import datetime

import pytest
from django.core.management import CommandError

from accounts.models import Role, User
from demo.tests.helpers import UNTIL_DATE, seed
from dispatch.models import Plan, Stop
from dispatch.services import planning

pytestmark = pytest.mark.django_db


def _routes(plan: Plan) -> list[tuple]:
    stops = Stop.objects.filter(route__plan=plan).values_list(
        "route__staff__username", "route__day", "seq", "job__shop__licence_no", "start"
    )
    return sorted(stops)


def _optimise(admin: User, iterations: int) -> Plan:
    plan = planning.start_plan(
        admin,
        first_day=UNTIL_DATE,
        last_day=UNTIL_DATE + datetime.timedelta(days=4),
        seconds=600,  # a cap far away: only the iteration limit may stop the search
        max_iterations=iterations,
    )
    planning.run_plan(plan.pk)
    plan.refresh_from_db()
    assert plan.state == Plan.State.READY, plan.message
    return plan


def test_two_optimisations_of_the_same_week_with_an_iteration_limit_give_identical_routes():
    seed(shops=60, staff=6, weeks=0, request_weeks=0, chat_weeks=0, plan_iterations=50)
    admin = User.objects.get(role=Role.ADMIN)
    first, second = _optimise(admin, 50), _optimise(admin, 50)
    assert _routes(first) and _routes(first) == _routes(second)
    assert first.stats["max_iterations"] == second.stats["max_iterations"] == 50


def test_the_demo_week_is_published_with_its_iteration_limit():
    out = seed(shops=60, staff=6, weeks=0, request_weeks=0, chat_weeks=0, plan_iterations=50)
    plan = Plan.objects.get(state=Plan.State.PUBLISHED)
    assert plan.stats["max_iterations"] == 50
    assert "Time per stage: city" in out and ", plan " in out


@pytest.mark.parametrize("options", [{"plan_iterations": 0}, {"plan_seconds": 601}])
def test_bad_plan_limits_are_refused_before_anything_is_written(options):
    with pytest.raises(CommandError):
        seed(shops=20, staff=5, weeks=0, **options)
    assert not Plan.objects.exists() and not User.objects.exists()
