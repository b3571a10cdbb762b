"""A warning rule (below 100 %) warns before the deadline only; past it, the breach applies once."""

import datetime

import pytest

from servicedesk import clock, escalation
from servicedesk.models import EscalationFiring, EscalationRule, EventKind, OutboxMessage
from servicedesk.tests.conftest import SHANGHAI
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db


def at(hour, minute=0, day=24):
    return datetime.datetime(2025, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def warning(db):
    EscalationRule.objects.all().delete()
    return EscalationRule.objects.create(
        name="首次响应预警（80%）", clock="response", threshold_pct=80, notify_supervisor=True
    )


def test_a_request_found_past_its_deadline_gets_the_breach_not_the_warning(
    warning, shop_owner, account_manager, service_manager
):
    request = make_request(shop_owner)  # response target 60 min from Monday 09:00
    before = OutboxMessage.objects.count()
    # The first sweep comes long after the deadline (a database seeded days ago, say).
    result = escalation.escalations_run(at(11, day=28))  # both clocks are late by Friday
    assert (result.fired, result.breaches) == (0, 2)
    assert not EscalationFiring.objects.filter(request=request).exists()
    assert not request.events.filter(kind=EventKind.ESCALATED).exists()
    subjects = list(OutboxMessage.objects.order_by("pk")[before:].values_list("subject", flat=True))
    assert subjects and all("预警" not in s and "Escalation" not in s for s in subjects)
    # Again and again: nothing more (the breach is recorded once, the warning never comes).
    count = OutboxMessage.objects.count()
    for hour in (11, 15, 17):
        assert escalation.escalations_run(at(hour, 30, day=28)).fired == 0
    assert OutboxMessage.objects.count() == count
    assert request.events.filter(kind=EventKind.BREACHED).count() == 2


def test_a_warning_in_time_reports_the_share_it_found(warning, shop_owner, account_manager):
    request = make_request(shop_owner)
    assert escalation.escalations_run(at(9, 49)).fired == 1  # 49 of 60 minutes
    note = request.events.get(kind=EventKind.ESCALATED).note
    assert "82" in note
    escalation.escalations_run(at(10, 30))  # now late: the breach, no second warning
    assert request.events.filter(kind=EventKind.ESCALATED).count() == 1
    assert request.events.filter(kind=EventKind.BREACHED).count() == 1


def test_due_actions_skip_warnings_past_the_deadline_but_not_later_rules(
    warning, shop_owner, account_manager
):
    late = EscalationRule.objects.create(
        name="超时 150%", clock="response", threshold_pct=150, notify_supervisor=True
    )
    request = make_request(shop_owner)
    rules = escalation.active_rules()
    calendar = clock.company_calendar()
    states = escalation.running_clocks(request, at(9, 50), calendar)
    assert escalation.due_actions(request, states, rules, set()) == [("response", warning)]
    states = escalation.running_clocks(request, at(10, 40), calendar)  # 167 %
    assert escalation.due_actions(request, states, rules, set()) == [
        ("response", None),
        ("response", late),
    ]
    # next_due: the warning at 48 min, the breach just after 60, the late rule at 90 (then
    # the resolution clock).
    moments = escalation.next_due(request, rules, set(), calendar)
    assert [m.astimezone(SHANGHAI).strftime("%H:%M:%S") for m in moments[:3]] == [
        "09:48:00",
        "10:00:01",
        "10:30:00",
    ]
