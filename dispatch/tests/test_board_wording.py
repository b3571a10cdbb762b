"""What the board says to people: an insertion proposal is named by its day and the time it was
made (not by the plan's internal id), and on a phone the timeline says it scrolls sideways."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from customers.tests.factories import ShopFactory
from dispatch.models import Plan, Route, Stop
from dispatch.tests.factories import RoutineJobFactory, at, field_staff

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 12, 7)


def proposal(made_at: datetime.datetime) -> Plan:
    plan = Plan.objects.create(
        kind=Plan.Kind.REPLAN, state=Plan.State.READY, first_day=DAY, last_day=DAY
    )
    Plan.objects.filter(pk=plan.pk).update(created_at=timezone.make_aware(made_at))
    plan.refresh_from_db()
    return plan


def heading(plan: Plan) -> str:
    with translation.override("zh-hans"):
        html = render_to_string("dispatch/_board_proposal.html", {"proposal": plan})
    start = html.index('id="proposal-title">') + len('id="proposal-title">')
    return html[start : html.index("</h2>", start)]


def test_a_proposal_is_named_by_its_day_and_the_time_it_was_made():
    plan = proposal(datetime.datetime(2026, 12, 7, 10, 42))

    assert heading(plan) == "插单建议 · 12月7日 · 10:42 生成"
    assert f"#{plan.pk}" not in heading(plan)


def test_a_proposal_made_on_an_earlier_day_says_that_day_too():
    plan = proposal(datetime.datetime(2026, 12, 6, 18, 5))

    assert heading(plan) == "插单建议 · 12月7日 · 12月6日 18:05 生成"


def test_the_timeline_tells_a_phone_user_it_scrolls_sideways(client_for, dispatcher, grid):
    day = timezone.localdate()
    staff = field_staff(grids=[grid], username="wording-fs").user
    job = RoutineJobFactory(shop=ShopFactory(grid=grid), due_on=day)
    plan = Plan.objects.create(
        first_day=day, last_day=day, state=Plan.State.PUBLISHED, progress=100
    )
    route = Route.objects.create(
        plan=plan, staff=staff, day=day, shift_start=at(day, 8, 30), shift_end=at(day, 17, 30)
    )
    Stop.objects.create(
        route=route, job=job, seq=0, arrival=at(day, 9), start=at(day, 9), end=at(day, 9, 30)
    )
    url = f"{reverse('console:dispatch_board')}?day={day.isoformat()}&plan={plan.pk}"

    with translation.override("zh-hans"):
        html = client_for(dispatcher).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert 'id="timeline-hint" data-timeline-hint' in html
    assert "左右滑动查看全天" in html
    assert 'aria-describedby="timeline-hint"' in html and "data-timeline-frame" in html
