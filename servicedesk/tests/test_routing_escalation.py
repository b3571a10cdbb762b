"""Routing by type, skills, territory and load; escalation fires once per rule and request."""

import datetime

import pytest

from accounts.tests.factories import UserFactory
from servicedesk import escalation
from servicedesk.models import (
    EscalationFiring,
    EscalationRule,
    OutboxMessage,
    SlaBreach,
    Status,
)
from servicedesk.tests.conftest import SHANGHAI
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db


def test_skills_decide_within_the_department(shop_owner, service_worker, service_worker_2):
    # licence types need the licence skill: only cs1 has it, whatever the load.
    for _ in range(3):
        assert make_request(shop_owner, request_type="licence_renewal").assignee == service_worker


def test_least_loaded_member_gets_the_next_request(shop_owner, service_worker, service_worker_2):
    # equipment_fault needs "equipment": both have it; the load alternates them.
    owners = [make_request(shop_owner, request_type="equipment_fault").assignee for _ in range(4)]
    assert owners == [service_worker, service_worker_2, service_worker, service_worker_2]


def test_territory_comes_before_load(shop_owner, shop, service_worker, service_worker_2):
    make_request(shop_owner, request_type="equipment_fault")  # cs1 now has one open
    shop.grid.staff.add(service_worker)  # but cs1 serves this grid
    assert make_request(shop_owner, request_type="equipment_fault").assignee == service_worker


def test_shop_account_manager_first(shop_owner, shop, account_manager):
    other_am = UserFactory(username="am2", role="account_manager")
    shop.grid.staff.add(other_am)
    shop.account_manager = other_am
    shop.save()
    assert make_request(shop_owner).assignee == other_am


def at(hour, minute=0, day=24):
    return datetime.datetime(2025, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def rules(db):
    EscalationRule.objects.all().delete()
    return {
        "warn": EscalationRule.objects.create(
            name="80% 预警", clock="response", threshold_pct=80, notify_supervisor=True
        ),
        "raise": EscalationRule.objects.create(
            name="处理 80%",
            clock="resolution",
            threshold_pct=80,
            notify_supervisor=False,
            raise_priority=True,
        ),
        "move": EscalationRule.objects.create(
            name="处理 150% 改派",
            clock="resolution",
            threshold_pct=150,
            notify_supervisor=False,
            reassign=True,
        ),
    }


def test_rule_fires_at_its_threshold_once(rules, shop_owner, account_manager, service_manager):
    request = make_request(shop_owner)  # response target 60 min from 09:00
    assert escalation.escalations_run(at(9, 47)).fired == 0  # 78 %
    first = escalation.escalations_run(at(9, 49))  # 82 %
    assert first.fired == 1
    for _ in range(3):  # the schedule runs again and again: nothing more
        assert escalation.escalations_run(at(9, 55)).fired == 0
    assert EscalationFiring.objects.filter(request=request).count() == 1
    assert OutboxMessage.objects.filter(recipient=service_manager).exists()
    assert request.events.filter(kind="escalated").count() == 1


def test_breach_recorded_once_and_flags_the_request(rules, shop_owner, account_manager):
    request = make_request(shop_owner)
    escalation.escalations_run(at(10, 1))
    escalation.escalations_run(at(10, 30))
    request.refresh_from_db()
    assert request.response_breached is True
    assert SlaBreach.objects.filter(request=request, clock="response").count() == 1


def test_resolution_rules_raise_priority_then_reassign(
    rules, shop_owner, account_manager, django_user_model
):
    request = make_request(shop_owner)  # resolution: 960 business minutes from Mon 09:00
    colleague = django_user_model.objects.create(username="am3", role="account_manager")
    request.shop.grid.staff.add(colleague)
    # 80 % of 16 business hours = 12.8 h: Monday gives 6.5 h, so Tuesday about 16:18.
    escalation.escalations_run(at(17, 0, day=25))
    request.refresh_from_db()
    assert request.priority == "high"
    assert request.assignee == account_manager
    escalation.escalations_run(at(17, 0, day=27))  # well past 150 %
    request.refresh_from_db()
    assert request.assignee == colleague and request.handover_count == 1
    assert request.resolution_breached is True


def test_paused_requests_do_not_escalate_on_resolution(rules, shop_owner, account_manager):
    from servicedesk import services

    request = make_request(shop_owner)
    services.request_transition(
        actor=account_manager,
        request_id=request.pk,
        action="ask_shop",
        note="请补充照片",
        at=at(9, 10),
    )
    escalation.escalations_run(at(17, 0, day=28))
    request.refresh_from_db()
    assert request.status == Status.WAITING_ON_SHOP
    assert not request.resolution_breached
    assert not EscalationFiring.objects.filter(rule=rules["move"]).exists()


def test_resolved_requests_close_after_three_working_days(shop_owner, account_manager):
    from servicedesk import services

    request = make_request(shop_owner)
    services.request_transition(
        actor=account_manager, request_id=request.pk, action="resolve", note="ok", at=at(10)
    )
    assert escalation.escalations_run(at(10, day=26)).closed == 0
    assert escalation.escalations_run(at(11, day=27)).closed == 1
    request.refresh_from_db()
    assert request.status == Status.CLOSED


def test_department_of_the_rule_type_only(rules, shop_owner, account_manager):
    rules["warn"].request_type_id = (
        type(make_request(shop_owner).request_type).objects.get(code="complaint").pk
    )
    rules["warn"].save()
    escalation.escalations_run(at(9, 55))
    assert not EscalationFiring.objects.filter(rule=rules["warn"]).exists()
