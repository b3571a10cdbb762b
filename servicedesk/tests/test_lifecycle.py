"""Lifecycle: legal moves by permitted roles, events, pauses, support linkage, reopen."""

import datetime

import pytest

from flexserve.errors import Forbidden, Invalid
from servicedesk import services
from servicedesk.errors import IllegalTransition, SupportStillOpen
from servicedesk.models import Comment, RequestEvent, RequestTiming, Status, SupportTask
from servicedesk.tests.conftest import MONDAY_9, SHANGHAI, department
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db

H = datetime.timedelta(hours=1)


def act(actor, request, action, at, note="", **extra):
    return services.request_transition(
        actor=actor, request_id=request.pk, action=action, note=note, at=at, **extra
    )


@pytest.fixture
def request_(shop_owner, account_manager):
    return make_request(shop_owner)


def test_happy_path_records_every_move(request_, account_manager, shop_owner):
    act(account_manager, request_, "start", MONDAY_9 + H)
    act(account_manager, request_, "resolve", MONDAY_9 + 2 * H, note="已重新提交订单")
    done = act(shop_owner, request_, "close", MONDAY_9 + 3 * H)
    assert done.status == Status.CLOSED
    moves = list(
        RequestEvent.objects.filter(request=request_, kind="status").values_list(
            "from_status", "to_status", "actor__username"
        )
    )
    assert moves == [
        ("assigned", "in_progress", "am"),
        ("in_progress", "resolved", "am"),
        ("resolved", "closed", shop_owner.username),
    ]
    assert done.first_response_at == MONDAY_9 + H
    timing = RequestTiming.objects.get(request=request_)
    assert (timing.handling_wait_s, timing.handling_work_s) == (3600, 3600)
    assert timing.first_contact_resolution is True
    assert timing.resolution_s == 7200


def test_illegal_move_is_refused_and_changes_nothing(request_, account_manager):
    with pytest.raises(IllegalTransition):
        act(account_manager, request_, "close", MONDAY_9 + H)
    request_.refresh_from_db()
    assert request_.status == Status.ASSIGNED
    assert not RequestEvent.objects.filter(request=request_, kind="status").exists()


def test_shop_cannot_work_its_own_request(request_, shop_owner):
    with pytest.raises(Forbidden):
        act(shop_owner, request_, "start", MONDAY_9 + H)


def test_staff_outside_the_request_cannot_work_it(request_, service_worker, logistics_worker):
    from flexserve.errors import NotFound

    # The owning department sees the request in its queue but only its owner works it.
    with pytest.raises(Forbidden):
        act(service_worker, request_, "start", MONDAY_9 + H)
    # Another department, another territory: the request does not exist for them.
    with pytest.raises(NotFound):
        act(logistics_worker, request_, "start", MONDAY_9 + H)


def test_resolve_and_ask_need_a_note(request_, account_manager):
    with pytest.raises(Invalid):
        act(account_manager, request_, "resolve", MONDAY_9 + H)
    with pytest.raises(Invalid):
        act(account_manager, request_, "ask_shop", MONDAY_9 + H, note=" ")


def test_waiting_on_shop_pauses_the_resolution_clock(request_, account_manager, shop_owner):
    due_before = request_.resolution_due_at
    act(account_manager, request_, "ask_shop", MONDAY_9 + H, note="请拍一张订货终端的照片")
    request_.refresh_from_db()
    assert request_.resolution_due_at is None and request_.paused_at == MONDAY_9 + H
    # The shop answers 3 business hours later (lunch not counted): the clock resumes.
    answer_at = datetime.datetime(2025, 11, 24, 15, 0, tzinfo=SHANGHAI)
    services.comment_add(actor=shop_owner, request_id=request_.pk, body="照片已上传", at=answer_at)
    request_.refresh_from_db()
    assert request_.status == Status.IN_PROGRESS
    assert request_.paused_seconds == 3 * 3600
    assert request_.resolution_due_at > due_before
    # Due time moved later by exactly the paused business time.
    from servicedesk.clock import company_calendar

    calendar = company_calendar()
    assert calendar.business_seconds(due_before, request_.resolution_due_at) == 3 * 3600


def test_required_support_blocks_resolution_unless_a_manager_overrides(
    request_, account_manager, service_manager, logistics_worker
):
    task = services.support_task_create(
        actor=account_manager,
        request_id=request_.pk,
        department_id=department("logistics").pk,
        need="核实配送记录",
        at=MONDAY_9 + H,
    )
    assert task.due_at <= request_.resolution_due_at
    with pytest.raises(SupportStillOpen):
        act(account_manager, request_, "resolve", MONDAY_9 + 2 * H, note="已处理")
    with pytest.raises(Forbidden):  # an account manager may not override
        act(
            account_manager,
            request_,
            "resolve",
            MONDAY_9 + 2 * H,
            note="已处理",
            override_reason="客户已确认",
        )
    resolved = act(
        service_manager,
        request_,
        "resolve",
        MONDAY_9 + 2 * H,
        note="已处理",
        override_reason="客户已确认，物流稍后补记录",
    )
    assert resolved.status == Status.RESOLVED


def test_support_task_done_lets_the_owner_resolve(request_, account_manager, logistics_worker):
    task = services.support_task_create(
        actor=account_manager,
        request_id=request_.pk,
        department_id=department("logistics").pk,
        need="补送两条",
        at=MONDAY_9 + H,
    )
    # The logistics department sees the request through its support task.
    services.support_task_update(
        actor=logistics_worker, task_id=task.pk, action="start", at=MONDAY_9 + 2 * H
    )
    with pytest.raises(Invalid):  # done needs a result
        services.support_task_update(actor=logistics_worker, task_id=task.pk, action="done")
    services.support_task_update(
        actor=logistics_worker,
        task_id=task.pk,
        action="done",
        result="已补送",
        at=MONDAY_9 + 3 * H,
    )
    task.refresh_from_db()
    assert task.state == SupportTask.State.DONE and task.owner == logistics_worker
    act(account_manager, request_, "resolve", MONDAY_9 + 4 * H, note="已补送")
    timing = RequestTiming.objects.get(request=request_)
    assert (timing.support_wait_s, timing.support_work_s) == (3600, 3600)
    assert timing.first_contact_resolution is False


def test_reopen_counts_and_pauses_while_resolved(request_, account_manager, shop_owner):
    act(account_manager, request_, "resolve", MONDAY_9 + H, note="已处理")
    with pytest.raises(Invalid):
        act(shop_owner, request_, "reopen", MONDAY_9 + 2 * H)
    reopened = act(shop_owner, request_, "reopen", MONDAY_9 + 3 * H, note="还是不行")
    assert reopened.status == Status.ASSIGNED and reopened.reopen_count == 1
    assert reopened.paused_seconds == 2 * 3600  # resolved time does not count against staff
    assert Comment.objects.filter(request=request_, body="还是不行").exists()


def test_reassign_counts_a_handover_and_needs_a_reason(
    request_, account_manager, dispatcher, service_worker
):
    with pytest.raises(Invalid):
        services.request_assign(
            actor=dispatcher, request_id=request_.pk, assignee_id=service_worker.pk, reason=""
        )
    moved = services.request_assign(
        actor=dispatcher,
        request_id=request_.pk,
        assignee_id=service_worker.pk,
        reason="需要设备专员",
        at=MONDAY_9 + H,
    )
    assert moved.assignee == service_worker and moved.handover_count == 1
    assert moved.department.code == "service"
    event = RequestEvent.objects.filter(request=request_, kind="assigned").last()
    assert (event.from_assignee, event.to_assignee, event.public) == (
        account_manager,
        service_worker,
        False,
    )


def test_take_from_the_department_queue(shop_owner, django_user_model):
    request = make_request(shop_owner, request_type="delivery_late")
    assert request.assignee is None  # nobody in logistics yet: it waits in the queue
    logistics_worker = django_user_model.objects.create(
        username="late", role="service_staff", department=department("logistics")
    )
    taken = services.request_take(actor=logistics_worker, request_id=request.pk, at=MONDAY_9 + H)
    assert taken.assignee == logistics_worker and taken.status == Status.ASSIGNED


def test_internal_comments_stay_inside(request_, account_manager, shop_owner):
    from servicedesk import selectors

    services.comment_add(
        actor=account_manager, request_id=request_.pk, body="内部备注", internal=True
    )
    services.comment_add(actor=account_manager, request_id=request_.pk, body="您好，已收到")
    with pytest.raises(Forbidden):
        services.comment_add(actor=shop_owner, request_id=request_.pk, body="x", internal=True)
    shop_view = [e.text for e in selectors.timeline(shop_owner, request_)]
    staff_view = [e.text for e in selectors.timeline(account_manager, request_)]
    assert "内部备注" not in shop_view and "您好，已收到" in shop_view
    assert "内部备注" in staff_view
    request_.refresh_from_db()
    assert request_.first_response_at is not None  # the public reply answered the shop
