"""The bell clears once the staff member deals with the request it announced: acting on it (any
write service) or opening its console page marks their notifications about it read, and only
theirs, and only about that request."""

import pytest
from django.urls import reverse

from servicedesk import services
from servicedesk.models import Notification
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db


def unread(user, request=None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    return (qs.filter(outbox__request=request) if request else qs).count()


@pytest.fixture
def announced(shop_owner, account_manager, django_capture_on_commit_callbacks):
    """Two requests routed to the shop's account manager, each announced on their bell."""
    with django_capture_on_commit_callbacks(execute=True):
        first = make_request(shop_owner, at=None, title="订单提交不了")
        second = make_request(shop_owner, at=None, title="送货晚了")
    assert first.assignee == account_manager and second.assignee == account_manager
    assert unread(account_manager, first) == 1 and unread(account_manager, second) == 1
    return first, second


def test_an_internal_note_clears_the_notes_about_that_request_only(account_manager, announced):
    first, second = announced
    services.comment_add(actor=account_manager, request_id=first.pk, body="已联系", internal=True)
    assert unread(account_manager, first) == 0
    assert unread(account_manager, second) == 1


@pytest.mark.parametrize(
    "act",
    [
        lambda user, sr: services.request_transition(actor=user, request_id=sr.pk, action="start"),
        lambda user, sr: services.comment_add(actor=user, request_id=sr.pk, body="马上处理"),
        lambda user, sr: services.support_task_create(
            actor=user, request_id=sr.pk, department_id=user.department_id or 1, need="查物流"
        ),
    ],
    ids=["status change", "reply", "support call"],
)
def test_acting_on_the_request_marks_its_notifications_read(account_manager, announced, act):
    first, _second = announced
    act(account_manager, first)
    assert unread(account_manager, first) == 0


def test_handing_over_clears_the_giver_and_announces_it_to_the_taker(
    account_manager, service_worker, announced, django_capture_on_commit_callbacks
):
    first, _second = announced
    with django_capture_on_commit_callbacks(execute=True):
        services.request_assign(
            actor=account_manager,
            request_id=first.pk,
            assignee_id=service_worker.pk,
            reason="请客服跟进",
        )
    assert unread(account_manager, first) == 0
    assert unread(service_worker, first) == 1


def test_taking_a_request_does_not_announce_it_to_oneself(
    shop_owner, service_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(shop_owner, request_type="complaint", at=None)
        services.request_take(actor=service_manager, request_id=request.pk)
    assert unread(service_manager, request) == 0


def test_others_notifications_about_the_request_stay_unread(
    shop_owner, account_manager, announced, django_capture_on_commit_callbacks
):
    first, _second = announced
    with django_capture_on_commit_callbacks(execute=True):
        services.request_transition(actor=account_manager, request_id=first.pk, action="start")
        services.request_transition(
            actor=account_manager, request_id=first.pk, action="resolve", note="已补单"
        )
    assert unread(shop_owner, first) == 1  # the shop is asked to confirm: still news to them
    assert unread(account_manager, first) == 0


def test_opening_the_console_page_clears_the_bell_it_shows(client_for, account_manager, announced):
    first, second = announced
    client = client_for(account_manager)
    response = client.get(reverse("console:request_detail", args=[first.pk]))
    assert response.status_code == 200
    assert unread(account_manager, first) == 0 and unread(account_manager, second) == 1
    assert '<span class="badge">1</span>' in response.content.decode()  # the header's bell


def test_the_sla_panel_refresh_does_not_mark_anything_read(client_for, account_manager, announced):
    first, _second = announced
    client_for(account_manager).get(
        reverse("console:request_detail", args=[first.pk]), {"panel": "sla"}, HTTP_HX_REQUEST="true"
    )
    assert unread(account_manager, first) == 1


def test_the_bell_count_endpoint_follows_an_htmx_action(client_for, account_manager, announced):
    """The page's bell fetches this after an htmx write (static/js/app.js) instead of reloading."""
    first, _second = announced
    client = client_for(account_manager)
    url = reverse("console:notifications_unread")
    assert client.get(url).json() == {"unread": 2}
    response = client.post(
        reverse("console:request_comment", args=[first.pk]),
        {"body": "已联系", "internal": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert client.get(url).json() == {"unread": 1}
    page = client.get(reverse("console:requests")).content.decode()
    assert f'data-unread-url="{url}"' in page
