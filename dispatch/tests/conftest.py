"""Dispatch tests read messages in English (the Chinese catalogue is checked by check_messages).

Fixtures several dispatch test modules share: the stopped clock, the grid's field staff member,
the small planning city with its plan runner, and service requests of its shops.
"""

import pytest
import time_machine
from django.utils import translation

from dispatch.models import Plan
from dispatch.services import planning
from dispatch.tests.factories import FRIDAY, MONDAY, City, field_staff
from servicedesk.tests.factories import make_request


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def stopped_clock(request):
    """The clock stopped at the test module's ``NOW``; a module opts in with
    ``pytestmark = pytest.mark.usefixtures("stopped_clock")``."""
    with time_machine.travel(request.module.NOW, tick=False):
        yield


@pytest.fixture
def staff(grid):
    """The grid's field staff member "li": 08:30–17:30 every day, no skills. Modules whose
    staff member works other days define their own."""
    return field_staff(grids=[grid], username="li", work_weekdays=list(range(7))).user


@pytest.fixture
def city(db):
    return City()


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Start a plan and let its background task run (1 s budget)."""

    def start(actor, *, seed=0, first=MONDAY, last=FRIDAY) -> Plan:
        with django_capture_on_commit_callbacks(execute=True):
            plan = planning.start_plan(actor, first_day=first, last_day=last, seconds=1, seed=seed)
        plan.refresh_from_db()
        return plan

    return start


@pytest.fixture
def request_of(city, dispatcher):
    """A service request of a new shop of ``grid``, made by the dispatcher."""

    def make(grid):
        return make_request(dispatcher, city.shop(grid))

    return make
