"""Service-request cast: a customer-service worker, a logistics worker, fixed moments in time."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Department, Role, Skill
from accounts.tests.factories import UserFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday, a working day: the clocks start at once.
MONDAY_9 = datetime.datetime(2025, 11, 24, 9, 0, tzinfo=SHANGHAI)


def department(code: str) -> Department:
    return Department.objects.get(code=code)


@pytest.fixture
def service_worker(db):
    user = UserFactory(username="cs1", role=Role.SERVICE_STAFF, department=department("service"))
    user.skills.set(Skill.objects.filter(code__in=["equipment", "licence"]))
    return user


@pytest.fixture
def service_worker_2(db):
    user = UserFactory(username="cs2", role=Role.SERVICE_STAFF, department=department("service"))
    user.skills.set(Skill.objects.filter(code__in=["equipment"]))
    return user


@pytest.fixture
def logistics_worker(db):
    return UserFactory(username="lg1", role=Role.SERVICE_STAFF, department=department("logistics"))
