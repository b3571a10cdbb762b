"""Intake from every channel: validation, routing, SLA clocks, idempotent API submissions."""

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from customers.models import Shop
from flexserve.errors import Invalid, NotFound
from servicedesk import services
from servicedesk.models import (
    OutboxMessage,
    RequestEvent,
    ServiceRequest,
    Status,
)
from servicedesk.tests.conftest import SHANGHAI
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db


def png(name="photo.png", size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_shop_owner_files_for_own_shop_routed_to_territory_manager(
    shop_owner, shop, account_manager
):
    request = make_request(shop_owner)
    assert request.shop == shop
    assert request.assignee == account_manager  # order_problem goes to the account manager
    assert request.status == Status.ASSIGNED
    kinds = list(request.events.values_list("kind", "to_status"))
    assert kinds == [("created", "new"), ("assigned", "assigned")]
    # Ordinary class, ordering category: 60 / 960 business minutes (service plan defaults).
    assert (request.response_target_min, request.resolution_target_min) == (60, 960)
    assert request.response_due_at == datetime.datetime(2025, 11, 24, 10, 0, tzinfo=SHANGHAI)
    # 960 min = 16 business hours = 2 days of 7 h + 2 h: Wednesday 11:00.
    assert request.resolution_due_at == datetime.datetime(2025, 11, 26, 11, 0, tzinfo=SHANGHAI)
    assert OutboxMessage.objects.filter(recipient=account_manager).exists()


def test_shop_owner_cannot_file_for_another_shop(shop_owner, other_shop):
    with pytest.raises(NotFound):
        make_request(shop_owner, other_shop)
    assert not ServiceRequest.objects.exists()


def test_core_class_gets_tighter_targets(shop_owner, shop, account_manager):
    Shop.objects.filter(pk=shop.pk).update(segment="core")
    request = make_request(shop_owner, request_type="delivery_late")
    assert request.response_target_min < 60


def test_request_on_a_saturday_starts_counting_on_monday(shop_owner, account_manager):
    saturday = datetime.datetime(2025, 11, 22, 10, 0, tzinfo=SHANGHAI)
    request = make_request(shop_owner, at=saturday)
    assert request.response_due_at == datetime.datetime(2025, 11, 24, 9, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"request_type": "no_such_type"}, "request_type"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(shop_owner, changes, field):
    payload = {"request_type": "order_problem", "title": "订单问题", "channel": "portal"} | changes
    with pytest.raises(Invalid) as error:
        services.request_create(actor=shop_owner, **payload)
    assert field in error.value.fields
    assert not ServiceRequest.objects.exists()
    assert not RequestEvent.objects.exists()


def test_closed_shop_cannot_file(shop_owner, shop):
    Shop.objects.filter(pk=shop.pk).update(status="closed", closed_on=datetime.date(2025, 1, 1))
    with pytest.raises(Invalid) as error:
        make_request(shop_owner)
    assert "shop_id" in error.value.fields


def test_photos_are_checked_by_content(shop_owner, account_manager, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("virus.png", b"MZ not an image", content_type="image/png")
    with pytest.raises(Invalid) as error:
        make_request(shop_owner, photos=[png(), fake])
    assert "photos" in error.value.fields
    assert not ServiceRequest.objects.exists()
    with pytest.raises(Invalid):
        make_request(shop_owner, photos=[png(), png(), png(), png()])
    request = make_request(shop_owner, photos=[png(), png("b.png")])
    assert [a.content_type for a in request.attachments.all()] == ["image/png", "image/png"]


def test_staff_logs_a_phone_call_for_a_shop_in_scope(account_manager, shop, other_shop):
    request = make_request(account_manager, shop, channel="phone", priority="urgent")
    assert request.channel == "phone" and request.priority == "urgent"
    with pytest.raises(NotFound):
        make_request(account_manager, other_shop, channel="phone")


def test_shops_cannot_set_priority_or_log_calls(shop_owner, account_manager):
    request = make_request(shop_owner, priority="urgent")
    assert request.priority == "normal"  # the type's default: staff triage
    with pytest.raises(Invalid):
        make_request(shop_owner, channel="phone")


def test_department_queue_when_nobody_fits(shop_owner):
    request = make_request(shop_owner, request_type="delivery_late")
    assert request.status == Status.NEW and request.assignee is None
    assert request.department.code == "logistics"


# ---------------------------------------------------------------- API + Idempotency-Key

BODY = {"request_type": "order_problem", "title": "订单提交不了", "description": "超时"}


def post(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/service/requests", json.dumps(body), content_type="application/json", **headers
    )


def test_api_retry_with_the_same_key_returns_the_first_request(
    client_for, shop_owner, account_manager
):
    client = client_for(shop_owner)
    first = post(client, BODY, key="k-1")
    assert first.status_code == 201, first.content
    again = post(client, BODY, key="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the first result, not a second request
    assert ServiceRequest.objects.get().idempotency_key == "k-1"


def test_api_same_key_other_body_is_refused(client_for, shop_owner, account_manager):
    client = client_for(shop_owner)
    assert post(client, BODY, key="k-2").status_code == 201
    conflict = post(client, BODY | {"title": "别的问题"}, key="k-2")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "idempotency_key_reused"
    assert ServiceRequest.objects.count() == 1


def test_api_keys_are_per_user(client_for, shop_owner, other_shop_owner, account_manager):
    assert post(client_for(shop_owner), BODY, key="same").status_code == 201
    assert post(client_for(other_shop_owner), BODY, key="same").status_code == 201
    assert ServiceRequest.objects.count() == 2


def test_api_validation_error_is_translated_and_writes_nothing(client_for, shop_owner):
    response = post(client_for(shop_owner), BODY | {"title": ""}, key="k-3")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["title"]
    assert not ServiceRequest.objects.exists()
    # The key was not spent: a corrected retry with it succeeds.
    assert post(client_for(shop_owner), BODY, key="k-3").status_code == 201


def test_api_detail_shows_clocks_and_actions(client_for, shop_owner, account_manager):
    created = post(client_for(shop_owner), BODY).json()
    detail = client_for(account_manager).get(f"/api/service/requests/{created['id']}").json()
    assert detail["response_clock"]["target_min"] == 60
    assert set(detail["allowed_actions"]) >= {"start", "resolve"}
    assert created["number"].startswith("SR")


def test_photos_can_be_added_later_through_the_api(client_for, shop_owner, account_manager):
    created = post(client_for(shop_owner), BODY).json()
    url = f"/api/service/requests/{created['id']}/photos"
    added = client_for(shop_owner).post(url, {"photos": [png(), png("b.png")]})
    assert added.status_code == 201, added.content
    assert [p["content_type"] for p in added.json()] == ["image/png", "image/png"]
    # The photo is served to those who may see the request, and to nobody else.
    photo_url = added.json()[0]["url"]
    assert client_for(account_manager).get(photo_url)["Content-Type"] == "image/png"
    # A fourth photo is one too many; a non-image is refused; nothing is stored either way.
    too_many = client_for(shop_owner).post(url, {"photos": [png("c.png"), png("d.png")]})
    assert too_many.status_code == 422
    fake = SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")
    assert client_for(shop_owner).post(url, {"photos": [fake]}).status_code == 422
    assert ServiceRequest.objects.get(pk=created["id"]).attachments.count() == 2


def test_photos_of_another_shop_stay_private(client_for, shop_owner, other_shop_owner):
    created = post(client_for(shop_owner), BODY).json()
    url = f"/api/service/requests/{created['id']}/photos"
    photo_url = client_for(shop_owner).post(url, {"photos": [png()]}).json()[0]["url"]
    assert client_for(other_shop_owner).get(photo_url).status_code == 404
    assert client_for(other_shop_owner).post(url, {"photos": [png()]}).status_code == 404
