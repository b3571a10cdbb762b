"""The console's service-request pages: queues per user, htmx row actions, the request page's
forms (a failure shows its error and changes nothing), scope, support tasks, notifications."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from accounts.tests.factories import UserFactory
from servicedesk import selectors, services
from servicedesk.models import (
    Comment,
    Notification,
    RequestAttachment,
    RequestEvent,
    ServiceRequest,
    Status,
    SupportTask,
)
from servicedesk.tests.conftest import department
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def detail_url(request):
    return reverse("console:request_detail", args=[request.pk])


def action_url(request, action):
    return reverse("console:request_action", args=[request.pk, action])


@pytest.fixture
def mine(shop_owner, account_manager):
    """Routed to the shop's account manager (order problems go to the territory's manager)."""
    request = make_request(shop_owner, at=None, title="订单提交不了")
    assert request.assignee == account_manager
    return request


@pytest.fixture
def unassigned(shop_owner):
    """A complaint waits in the customer-service queue: nobody there holds the skills yet."""
    request = make_request(shop_owner, request_type="complaint", at=None, title="服务态度差")
    assert request.assignee is None and request.status == Status.NEW
    return request


@pytest.fixture
def elsewhere(other_shop_owner):
    """A request of a shop outside the account manager's territory."""
    return make_request(other_shop_owner, at=None, title="远方的订单问题")


# --- Work queue -----------------------------------------------------------------------------------


def test_queue_tabs_show_each_user_their_requests(
    client_for, account_manager, dispatcher, mine, unassigned, elsewhere
):
    am = client_for(account_manager)
    page = am.get(reverse("console:requests")).content.decode()
    assert 'data-queue="mine" aria-current="page"' in page  # the default tab of who works requests
    assert mine.number in page
    assert unassigned.number not in page

    page = am.get(reverse("console:requests"), {"queue": "unassigned"}).content.decode()
    assert unassigned.number in page
    assert elsewhere.number not in page  # another territory
    assert mine.number not in page

    page = am.get(reverse("console:requests"), {"queue": "all"}).content.decode()
    assert mine.number in page and unassigned.number in page
    assert elsewhere.number not in page

    desk = client_for(dispatcher)
    page = desk.get(reverse("console:requests")).content.decode()
    assert 'data-queue="breaching" aria-current="page"' in page
    page = desk.get(reverse("console:requests"), {"queue": "all"}).content.decode()
    assert elsewhere.number in page and mine.number in page


def test_queue_filters_and_htmx_swap_the_table_only(client_for, dispatcher, mine, unassigned):
    client = client_for(dispatcher)
    response = client.get(
        reverse("console:requests"), {"queue": "all", "q": "服务态度", "status": ""}, **HTMX
    )
    body = response.content.decode()
    assert "<html" not in body
    assert unassigned.number in body and mine.number not in body
    assert (
        response["HX-Push-Url"]
        == f"{reverse('console:requests')}?queue=all&q=%E6%9C%8D%E5%8A%A1%E6%80%81%E5%BA%A6"
    )

    by_number = client.get(reverse("console:requests"), {"queue": "all", "q": mine.number})
    assert mine.number in by_number.content.decode()
    by_status = client.get(reverse("console:requests"), {"queue": "all", "status": "new"})
    assert unassigned.number in by_status.content.decode()
    assert mine.number not in by_status.content.decode()


def test_take_and_start_from_the_queue_answer_with_the_row(client_for, account_manager, unassigned):
    client = client_for(account_manager)
    queue_page = "http://testserver" + reverse("console:requests") + "?queue=unassigned"
    response = client.post(
        reverse("console:request_take", args=[unassigned.pk]),
        {"return": "row"},
        HTTP_HX_CURRENT_URL=queue_page,
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith(f'<tr id="row-{unassigned.pk}"')
    assert action_url(unassigned, "start") in body  # the row now offers Start
    # The tabs' counts come along out of band: one fewer unassigned, one more of mine.
    assert 'id="queue-tabs"' in body and 'hx-swap-oob="true"' in body
    assert 'data-queue="unassigned" aria-current="page"' in body
    unassigned.refresh_from_db()
    assert (unassigned.assignee, unassigned.status) == (account_manager, Status.ASSIGNED)

    response = client.post(action_url(unassigned, "start"), {"return": "row"}, **HTMX)
    assert response.content.decode().lstrip().startswith(f'<tr id="row-{unassigned.pk}"')
    unassigned.refresh_from_db()
    assert unassigned.status == Status.IN_PROGRESS


def test_taking_an_owned_request_shows_why_in_the_row(client_for, account_manager, mine):
    response = client_for(account_manager).post(
        reverse("console:request_take", args=[mine.pk]), {"return": "row"}, **HTMX
    )
    assert 'data-error-code="already_owned"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == Status.ASSIGNED


def test_queue_pages_hold_fifty_rows(client_for, dispatcher, shop_owner, settings):
    settings.INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR = 100  # one shop files them all at once
    for n in range(51):
        make_request(shop_owner, at=None, title=f"第{n}件")
    client = client_for(dispatcher)
    first = client.get(reverse("console:requests"), {"queue": "all"}).content.decode()
    assert first.count('class="queue-row') == 50
    second = client.get(reverse("console:requests"), {"queue": "all", "page": 2}).content.decode()
    assert second.count('class="queue-row') == 1


# --- Request page -------------------------------------------------------------------------------


def test_request_page_shows_clocks_actions_and_timeline(client_for, account_manager, mine):
    response = client_for(account_manager).get(detail_url(mine))
    body = response.content.decode()
    assert response.status_code == 200
    assert mine.number in body and "订单提交不了" in body
    assert reverse("console:shop_detail", args=[mine.shop_id]) in body
    assert body.count("data-countdown") == 2  # both clocks run
    assert 'data-action="start"' in body and 'data-action="resolve"' in body
    assert 'data-action="close"' not in body
    assert 'id="audit"' not in body  # account managers do not read the audit trail

    panel = client_for(account_manager).get(detail_url(mine), {"panel": "sla"}, **HTMX)
    assert panel.content.decode().lstrip().startswith('<section id="sla-panel"')


def test_actions_move_the_request(client_for, account_manager, mine):
    client = client_for(account_manager)
    response = client.post(action_url(mine, "start"), **HTMX)
    assert 'id="request-main"' in response.content.decode()
    mine.refresh_from_db()
    assert mine.status == Status.IN_PROGRESS

    client.post(action_url(mine, "ask_shop"), {"note": "请补充照片"}, **HTMX)
    mine.refresh_from_db()
    assert mine.status == Status.WAITING_ON_SHOP and mine.paused_at is not None

    response = client.post(action_url(mine, "resume"))  # without htmx: back to the page
    assert response.status_code == 302 and response["Location"] == detail_url(mine)
    client.post(action_url(mine, "resolve"), {"note": "已重新提交"}, **HTMX)
    mine.refresh_from_db()
    assert mine.status == Status.RESOLVED


def test_a_bad_action_shows_the_error_and_changes_nothing(client_for, account_manager, mine):
    client = client_for(account_manager)
    events = RequestEvent.objects.filter(request=mine).count()

    response = client.post(action_url(mine, "close"), **HTMX)
    assert response.status_code == 200
    assert 'data-error-code="illegal_transition"' in response.content.decode()

    response = client.post(action_url(mine, "resolve"), {"note": "  "}, **HTMX)
    body = response.content.decode()
    assert 'id="dialog-resolve"' in body and "data-reopen" in body  # the dialog comes back
    assert 'data-error-code="invalid"' in body

    response = client.post(action_url(mine, "close"))  # the whole page, with the conflict
    assert response.status_code == 409
    assert 'data-error-code="illegal_transition"' in response.content.decode()

    mine.refresh_from_db()
    assert mine.status == Status.ASSIGNED
    assert RequestEvent.objects.filter(request=mine).count() == events


def test_account_manager_cannot_see_another_territory_unless_assigned(
    client_for, account_manager, dispatcher, elsewhere
):
    client = client_for(account_manager)
    assert client.get(detail_url(elsewhere)).status_code == 404
    assert client.post(action_url(elsewhere, "start")).status_code == 404
    assert (
        client.post(
            reverse("console:request_comment", args=[elsewhere.pk]), {"body": "x"}
        ).status_code
        == 404
    )
    assert not Comment.objects.filter(request=elsewhere).exists()

    services.request_assign(
        actor=dispatcher, request_id=elsewhere.pk, assignee_id=account_manager.pk, reason="顶班"
    )
    assert client.get(detail_url(elsewhere)).status_code == 200


def test_comments_keep_their_internal_flag(client_for, account_manager, shop_owner, mine):
    client = client_for(account_manager)
    url = reverse("console:request_comment", args=[mine.pk])
    client.post(url, {"body": "只给同事看", "internal": "on"}, **HTMX)
    response = client.post(url, {"body": "您好，已处理"}, **HTMX)
    assert Comment.objects.get(body="只给同事看").internal is True
    assert Comment.objects.get(body="您好，已处理").internal is False
    body = response.content.decode()
    assert "tl-internal" in body and "只给同事看" in body
    shop_sees = [e.text for e in selectors.timeline(shop_owner, mine)]
    assert "您好，已处理" in shop_sees and "只给同事看" not in shop_sees

    response = client.post(url, {"body": ""}, **HTMX)
    assert 'data-error-code="invalid"' in response.content.decode()
    assert Comment.objects.filter(request=mine).count() == 2


def test_support_is_called_then_done_by_the_other_department(
    client_for, account_manager, logistics_worker, mine
):
    client = client_for(account_manager)
    response = client.post(
        reverse("console:support_create", args=[mine.pk]),
        {
            "department_id": department("logistics").pk,
            "need": "核实配送记录",
            "required": "on",
            "due_at": "2030-01-07T10:00",
        },
        **HTMX,
    )
    assert "核实配送记录" in response.content.decode()
    task = SupportTask.objects.get(request=mine)
    assert task.required and task.state == SupportTask.State.OPEN
    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") == "2030-01-07 10:00"

    logistics = client_for(logistics_worker)
    done_url = reverse("console:support_action", args=[task.pk, "done"])
    response = logistics.post(done_url, {"result": ""}, **HTMX)
    assert 'data-error-code="invalid"' in response.content.decode()
    task.refresh_from_db()
    assert task.state == SupportTask.State.OPEN

    logistics.post(done_url, {"result": "已补送两条"}, **HTMX)
    task.refresh_from_db()
    assert (task.state, task.result) == (SupportTask.State.DONE, "已补送两条")


def test_a_manager_resolves_with_support_still_open(
    client_for, account_manager, service_manager, mine
):
    services.support_task_create(
        actor=account_manager,
        request_id=mine.pk,
        department_id=department("logistics").pk,
        need="补送",
    )
    am = client_for(account_manager)
    response = am.post(action_url(mine, "resolve"), {"note": "已处理"}, **HTMX)
    assert 'data-error-code="support_open"' in response.content.decode()
    response = am.post(
        action_url(mine, "resolve"), {"note": "已处理", "override_reason": "我说了算"}, **HTMX
    )
    assert 'data-error-code="forbidden"' in response.content.decode()  # managers only
    mine.refresh_from_db()
    assert mine.status == Status.ASSIGNED

    manager = client_for(service_manager)
    page = manager.get(detail_url(mine)).content.decode()
    assert 'name="override_reason"' in page and 'id="audit"' in page
    manager.post(
        action_url(mine, "resolve"),
        {"note": "已上门处理", "override_reason": "物流已电话确认"},
        **HTMX,
    )
    mine.refresh_from_db()
    assert mine.status == Status.RESOLVED
    page = manager.get(detail_url(mine)).content.decode()
    assert "物流已电话确认" in page  # the reason shows in the audit trail


def test_hand_over_needs_a_reason(client_for, dispatcher, unassigned):
    service_worker = UserFactory(
        username="cs9", role=Role.SERVICE_STAFF, department=department("service")
    )
    client = client_for(dispatcher)
    url = reverse("console:request_assign", args=[unassigned.pk])
    response = client.post(url, {"assignee_id": service_worker.pk, "reason": ""}, **HTMX)
    assert 'data-error-code="invalid"' in response.content.decode()
    unassigned.refresh_from_db()
    assert unassigned.assignee is None

    client.post(url, {"assignee_id": service_worker.pk, "reason": "熟悉该店"}, **HTMX)
    unassigned.refresh_from_db()
    assert unassigned.assignee == service_worker


# --- New request --------------------------------------------------------------------------------


def _png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(data, "PNG")
    data.seek(0)
    data.name = "terminal.png"
    return data


def test_staff_log_a_phone_call_for_a_shop(client_for, account_manager, shop):
    client = client_for(account_manager)
    search = client.get(reverse("console:request_new"), {"shop_q": shop.licence_no}, **HTMX)
    assert shop.name in search.content.decode()

    response = client.post(
        reverse("console:request_new"),
        {
            "shop_q": shop.licence_no,  # typed, not chosen: one shop matches
            "request_type": "equipment_fault",
            "channel": "phone",
            "priority": "urgent",
            "title": "终端机黑屏",
            "photos": [_png()],
        },
    )
    created = ServiceRequest.objects.get(title="终端机黑屏")
    assert response.status_code == 302 and response["Location"] == detail_url(created)
    assert (created.shop, created.channel, created.priority) == (shop, "phone", "urgent")
    assert created.created_by == account_manager

    photo = RequestAttachment.objects.get(request=created)
    served = client.get(reverse("request_attachment", args=[photo.pk]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    # Photos are private: another territory's manager does not get them.
    stranger = UserFactory(username="am-elsewhere", role="account_manager")
    assert (
        client_for(stranger).get(reverse("request_attachment", args=[photo.pk])).status_code == 404
    )


def test_a_shop_outside_the_territory_cannot_be_chosen(client_for, account_manager, other_shop):
    response = client_for(account_manager).post(
        reverse("console:request_new"),
        {
            "shop_id": other_shop.pk,
            "request_type": "order_problem",
            "channel": "visit",
            "title": "远方",
        },
    )
    assert response.status_code == 422
    assert "has-error" in response.content.decode()
    assert not ServiceRequest.objects.exists()


# --- Notifications and access ---------------------------------------------------------------------


def test_notifications_page_lists_and_marks_read(client_for, account_manager, mine):
    now = timezone.now()
    older = Notification.objects.create(
        recipient=account_manager, subject="旧的通知", url=detail_url(mine), created_at=now
    )
    Notification.objects.create(
        recipient=account_manager, subject="新的通知", created_at=now + timezone.timedelta(1)
    )
    client = client_for(account_manager)
    body = client.get(reverse("console:notifications")).content.decode()
    assert body.index("新的通知") < body.index("旧的通知")  # newest first
    assert body.count('class="notification unread"') >= 2

    opened = client.get(reverse("console:notifications"), {"open": older.pk})
    assert opened["Location"] == detail_url(mine)
    older.refresh_from_db()
    assert older.read_at is not None

    response = client.post(reverse("console:notifications"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=account_manager, read_at__isnull=True).exists()


def test_shop_owners_cannot_open_the_console_pages(client_for, shop_owner, mine):
    client = client_for(shop_owner)
    assert client.get(reverse("console:requests")).status_code == 403
    assert client.get(detail_url(mine)).status_code == 403
    assert client.post(action_url(mine, "close")).status_code == 403


def test_staff_without_a_territory_see_nothing_of_a_shop(client_for, mine):
    stranger = UserFactory(username="am-far", role=Role.ACCOUNT_MANAGER)
    assert client_for(stranger).get(detail_url(mine)).status_code == 404


def test_a_call_answered_at_once_stays_with_whoever_took_it(client_for, account_manager, shop):
    response = client_for(account_manager).post(
        reverse("console:request_new"),
        {
            "shop_id": shop.pk,
            "request_type": "delivery_late",  # would be routed to logistics
            "channel": "phone",
            "title": "问今天几点送货",
            "handle_myself": "on",
        },
    )
    created = ServiceRequest.objects.get(title="问今天几点送货")
    assert response.status_code == 302
    assert created.assignee == account_manager and created.status == "assigned"
    services.request_transition(
        actor=account_manager, request_id=created.pk, action="resolve", note="告知下午三点前送达"
    )
    created.refresh_from_db()
    assert created.timing.first_contact_resolution is True


def test_queues_put_the_clock_that_runs_out_first_on_top(shop_owner, account_manager):
    from datetime import timedelta

    answered = make_request(shop_owner, title="已答复")
    waiting = make_request(shop_owner, title="未答复")
    services.comment_add(actor=account_manager, request_id=answered.pk, body="收到")
    # The answered one's resolution is due before the unanswered one's, but the unanswered
    # one's first response is due earlier still.
    ServiceRequest.objects.filter(pk=answered.pk).update(
        resolution_due_at=waiting.response_due_at + timedelta(hours=1)
    )
    mine = selectors.request_list(account_manager, selectors.RequestFilters(queue="mine"))
    assert [r.title for r in mine] == ["未答复", "已答复"]


def test_tab_counts_match_the_queues_they_count(shop_owner, account_manager, dispatcher):
    make_request(shop_owner)
    make_request(shop_owner, request_type="delivery_late")  # nobody in logistics: unassigned
    for user in (account_manager, dispatcher):
        counts = selectors.queue_counts(user)
        for name in selectors.WORK_QUEUES:
            listed = selectors.request_list(user, selectors.RequestFilters(queue=name)).count()
            assert counts[name] == listed, (user, name)
    assert selectors.queue_counts(dispatcher)["unassigned"] == 1
    assert selectors.queue_counts(account_manager)["mine"] == 1
