"""Who among the staff sees a request, and who replies to the shop.

Account managers and service staff see the requests of their grids' shops, those they own and
those they support. A department's whole queue (every shop of the city) is seen only by the
members of a city-wide department (customer service, logistics): a property of the department,
not of the role. Replies to the shop come from the request's owner or a dispatcher / manager;
everyone else who sees the request writes internal notes.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from accounts.models import Department, Role
from accounts.tests.factories import UserFactory
from servicedesk import services
from servicedesk.models import CannedReply, Comment, OutboxMessage, RequestEvent, ServiceRequest
from servicedesk.tests.conftest import department
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db

SECRET = "远方门店的私密诉求"
REPLY_REFUSED = (
    "Only the request's owner, a dispatcher or a manager can reply to the shop; "
    "add an internal note instead."
)


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile("shelf.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def marketing_am(grid):
    """An account manager of the first shop's grid, in marketing (not city-wide)."""
    user = UserFactory(
        username="am-mkt", role=Role.ACCOUNT_MANAGER, department=department("marketing")
    )
    grid.staff.add(user)
    return user


def _far_request(other_shop_owner, request_type: str) -> tuple[ServiceRequest, int]:
    """A request of a shop outside ``marketing_am``'s grids, with a photo, left in its
    department's queue, unassigned."""
    request = make_request(
        other_shop_owner, request_type=request_type, at=None, title=SECRET, description=SECRET
    )
    # Routing may hand it to any member of the department; here it waits in the queue.
    ServiceRequest.objects.filter(pk=request.pk).update(assignee=None, status="new")
    request.refresh_from_db()
    photo = services.photos_add(actor=other_shop_owner, request_id=request.pk, photos=[_png()])[0]
    return request, photo.pk


@pytest.fixture
def far_marketing(other_shop_owner):
    request, photo_id = _far_request(other_shop_owner, "consultation")
    assert request.department.code == "marketing"
    return request, photo_id


@pytest.fixture
def far_service(other_shop_owner):
    request, photo_id = _far_request(other_shop_owner, "complaint")
    assert request.department.code == "service"
    return request, photo_id


def _sees(client, request: ServiceRequest, photo_id: int) -> dict[str, bool]:
    """What of ``request`` the client reaches: each queue, the detail (API, page), the photo."""
    seen = {}
    for queue in ("department", "all", ""):
        body = client.get("/api/service/requests", {"queue": queue, "page_size": 100}).json()
        seen[f"list:{queue}"] = request.pk in [item["id"] for item in body["items"]]
    seen["api"] = client.get(f"/api/service/requests/{request.pk}").status_code == 200
    page = client.get(reverse("console:request_detail", args=[request.pk]))
    seen["page"] = page.status_code == 200
    queue_page = client.get(reverse("console:requests"), {"queue": "department"})
    seen["queue page"] = SECRET in queue_page.content.decode()
    seen["photo"] = client.get(f"/files/requests/{photo_id}/").status_code == 200
    return seen


def test_an_account_manager_does_not_see_other_grids_requests_in_their_departments_queue(
    client_for, marketing_am, far_marketing
):
    request, photo_id = far_marketing
    client = client_for(marketing_am)
    assert not any(_sees(client, request, photo_id).values())
    response = client.get(f"/api/service/requests/{request.pk}")
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    assert client.get(f"/files/requests/{photo_id}/").status_code == 404


def test_a_city_wide_departments_member_sees_its_whole_queue(
    client_for, service_worker, far_service
):
    request, photo_id = far_service
    assert department("service").city_wide
    assert all(_sees(client_for(service_worker), request, photo_id).values())


def test_city_wide_is_a_property_of_the_department_not_of_the_role(
    client_for, marketing_am, far_marketing
):
    request, photo_id = far_marketing
    Department.objects.filter(code="marketing").update(city_wide=True)
    assert all(_sees(client_for(marketing_am), request, photo_id).values())


def test_the_demo_departments_customer_service_and_logistics_are_city_wide(db):
    city_wide = set(Department.objects.filter(city_wide=True).values_list("code", flat=True))
    assert city_wide == {"service", "logistics"}


def test_a_department_outside_the_city_wide_ones_still_sees_its_grids_queue(
    client_for, marketing_am, shop_owner
):
    """The same queue, a shop of the manager's own grid: there it is."""
    near = make_request(shop_owner, request_type="consultation", at=None, title="近处的咨询")
    client = client_for(marketing_am)
    body = client.get("/api/service/requests", {"queue": "department"}).json()
    assert near.pk in [item["id"] for item in body["items"]]


def test_a_support_task_owner_outside_the_grid_sees_the_request(
    client_for, marketing_am, far_service, dispatcher
):
    request, photo_id = far_service
    client = client_for(marketing_am)
    assert client.get(f"/api/service/requests/{request.pk}").status_code == 404
    services.support_task_create(
        actor=dispatcher,
        request_id=request.pk,
        department_id=department("marketing").pk,
        need="请协调货源",
        owner_id=marketing_am.pk,
    )
    assert client.get(f"/api/service/requests/{request.pk}").status_code == 200
    assert client.get(f"/files/requests/{photo_id}/").status_code == 200


def test_a_support_call_to_a_department_reaches_its_members_outside_the_grid(
    client_for, marketing_am, far_service, dispatcher
):
    """Called with no owner named, every member of the department is notified: each must be
    able to open the request and take the task, though the shop lies outside their grids."""
    request, photo_id = far_service
    services.support_task_create(
        actor=dispatcher,
        request_id=request.pk,
        department_id=department("marketing").pk,
        need="请协调货源",
    )
    assert OutboxMessage.objects.filter(recipient=marketing_am, request=request).exists()
    client = client_for(marketing_am)
    assert client.get(f"/api/service/requests/{request.pk}").status_code == 200
    assert client.get(f"/files/requests/{photo_id}/").status_code == 200
    tasks = client.get(f"/api/service/requests/{request.pk}/support-tasks")
    marketing = department("marketing")
    assert [t["department_id"] for t in tasks.json()] == [marketing.pk], tasks.content
    page = client.get(reverse("console:request_detail", args=[request.pk])).content.decode()
    assert "请协调货源" in page  # the task is on the page, to be started


# ---------------------------------------------------------------- replies and internal notes


@pytest.fixture
def supported(shop_owner, account_manager, logistics_worker):
    """The first shop's request, owned by its account manager, with logistics called in."""
    request = make_request(shop_owner, at=None, title="少送了两条")
    assert request.assignee == account_manager
    services.support_task_create(
        actor=account_manager,
        request_id=request.pk,
        department_id=department("logistics").pk,
        need="请补送",
    )
    return request


def _comment(client, request, body, *, internal):
    return client.post(
        f"/api/service/requests/{request.pk}/comments",
        {"body": body, "internal": internal},
        content_type="application/json",
    )


def test_a_support_party_adds_an_internal_note_but_cannot_reply_to_the_shop(
    client_for, supported, logistics_worker, shop_owner
):
    client = client_for(logistics_worker)
    note = _comment(client, supported, "已安排明天补送", internal=True)
    assert note.status_code == 201 and note.json()["internal"] is True

    events = RequestEvent.objects.filter(request=supported).count()
    notices = OutboxMessage.objects.filter(recipient=shop_owner).count()
    for language in ("en", "zh-hans"):
        reply = client.post(
            f"/api/service/requests/{supported.pk}/comments",
            {"body": "您好，明天补送"},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        error = reply.json()["error"]
        assert (reply.status_code, error["code"]) == (403, "forbidden")
        with translation.override(language):
            assert error["message"] == translation.gettext(REPLY_REFUSED)
    assert not Comment.objects.filter(request=supported, body="您好，明天补送").exists()
    assert RequestEvent.objects.filter(request=supported).count() == events
    assert OutboxMessage.objects.filter(recipient=shop_owner).count() == notices
    supported.refresh_from_db()
    assert supported.first_response_at is None


def test_a_colleague_who_sees_the_request_writes_internal_notes_only(client_for, supported, grid):
    colleague = UserFactory(username="am-2", role=Role.ACCOUNT_MANAGER)
    grid.staff.add(colleague)
    client = client_for(colleague)
    assert _comment(client, supported, "我熟悉这家店", internal=True).status_code == 201
    assert _comment(client, supported, "您好", internal=False).status_code == 403


def test_the_owner_and_a_dispatcher_reply_to_the_shop(
    client_for, supported, account_manager, dispatcher, shop_owner
):
    for actor, body in ((account_manager, "您好，已收到"), (dispatcher, "您好，已催办")):
        reply = _comment(client_for(actor), supported, body, internal=False)
        assert reply.status_code == 201 and reply.json()["internal"] is False
    supported.refresh_from_db()
    assert supported.first_response_at is not None
    assert OutboxMessage.objects.filter(recipient=shop_owner).exists()


def test_the_console_page_tells_a_support_party_that_replies_are_for_the_owner(
    client_for, supported, logistics_worker, account_manager
):
    CannedReply.objects.create(title="已收到", body="您好，您的诉求已收到。")
    detail = reverse("console:request_detail", args=[supported.pk])
    owner_page = client_for(account_manager).get(detail).content.decode()
    assert "data-canned-insert" in owner_page  # the owner writes to the shop
    client = client_for(logistics_worker)
    url = reverse("console:request_comment", args=[supported.pk])
    page = client.get(detail).content.decode()
    assert "data-internal-only" in page  # the form says a note stays inside
    assert "data-canned-insert" not in page  # canned replies address the shop: not for notes
    response = client.post(url, {"body": "您好，明天补送"})
    assert response.status_code == 403
    assert 'data-error-code="forbidden"' in response.content.decode()
    assert not Comment.objects.filter(request=supported).exists()
    client.post(url, {"body": "已安排补送", "internal": "on"})
    assert Comment.objects.get(request=supported).internal is True
