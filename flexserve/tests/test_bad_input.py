"""Input that used to answer 500 answers a clear 4xx naming the field, and changes nothing.

Run on PostgreSQL too (DATABASE_URL=postgres://…): NUL characters only fail there.
"""

import secrets

import pytest
from django.test import Client

from accounts.models import ApiToken
from imports.models import ImportJob
from servicedesk.models import RequestAttachment, ServiceRequest
from servicedesk.tests.factories import make_request

TOO_BIG = str(2**63)  # one past the largest 64-bit id
NO_BOUNDARY = "multipart/form-data"  # a client that forgot the boundary=… parameter


@pytest.fixture
def bearer():
    """``Authorization`` headers with a fresh API token of ``user``."""

    def make(user) -> dict[str, str]:
        token = secrets.token_urlsafe(32)
        digest = ApiToken.digest_of(token)
        ApiToken.objects.create(user=user, name="test", digest=digest, prefix=token[:8])
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    return make


def _invalid_fields(response) -> dict[str, list[str]]:
    body = response.json()["error"]
    assert (response.status_code, body["code"]) == (422, "invalid"), response.content
    return body["fields"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/customers/shops",
        "/api/customers/segment-rule-sets",
        "/api/commerce/orders",
        "/api/commerce/deliveries",
        "/api/commerce/payments",
        "/api/imports/jobs",
        "/api/service/requests",
        "/api/service/notifications",
        "/api/knowledge/entries",
    ],
)
def test_a_page_past_any_list_is_refused_naming_page(client_for, admin_user, path):
    response = client_for(admin_user).get(path, {"page": "9223372036854775807"})
    assert "page" in _invalid_fields(response)


def test_a_reasonable_page_past_the_end_is_an_empty_page(client_for, admin_user):
    body = client_for(admin_user).get("/api/customers/shops?page=1000").json()
    assert body["items"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/console/shops/",
        "/console/requests/",
        "/console/requests/notifications/",
        "/console/knowledge/",
    ],
)
def test_console_lists_show_their_last_page_for_a_huge_page_number(client_for, admin_user, path):
    response = client_for(admin_user).get(path, {"page": "9223372036854775807"})
    assert response.status_code == 200


def test_portal_lists_show_their_last_page_for_a_huge_page_number(client_for, shop_owner):
    for path in ("/portal/orders/", "/portal/requests/"):
        response = client_for(shop_owner).get(path, {"page": "9223372036854775807"})
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/customers/shops", "district_id"),
        ("/api/customers/shops", "grid_id"),
        ("/api/customers/shops", "account_manager_id"),
        ("/api/commerce/orders", "shop_id"),
        ("/api/commerce/deliveries", "shop_id"),
        ("/api/commerce/payments", "shop_id"),
        ("/api/service/requests", "shop_id"),
        ("/api/dispatch/bookings", "shop_id"),
        ("/api/dispatch/board?day=2026-01-05", "plan_id"),
    ],
)
def test_an_id_filter_beyond_64_bits_is_refused_naming_it(client_for, admin_user, path, field):
    response = client_for(admin_user).get(path, {field: TOO_BIG})
    assert field in _invalid_fields(response)


def test_an_import_without_a_multipart_boundary_is_refused(admin_user, bearer):
    response = Client().post(
        "/api/imports/jobs", b"--x\r\nkind=shops", content_type=NO_BOUNDARY, **bearer(admin_user)
    )
    assert "Content-Type" in _invalid_fields(response)
    assert not ImportJob.objects.exists()


def test_photos_without_a_multipart_boundary_are_refused(shop_owner, shop, bearer):
    sr = make_request(shop_owner)
    response = Client().post(
        f"/api/service/requests/{sr.pk}/photos",
        b"--x\r\nphotos",
        content_type=NO_BOUNDARY,
        **bearer(shop_owner),
    )
    assert "Content-Type" in _invalid_fields(response)
    assert not RequestAttachment.objects.exists()


def test_the_dispatch_board_refuses_a_day_it_cannot_show(client_for, dispatcher):
    response = client_for(dispatcher).get("/console/dispatch/?day=9999-12-31")
    assert response.status_code == 422
    assert "day" in response.content.decode()


def test_the_board_api_refuses_a_day_it_cannot_show(client_for, dispatcher):
    response = client_for(dispatcher).get("/api/dispatch/board?day=9999-12-31")
    assert "day" in _invalid_fields(response)


def test_a_nul_in_a_json_text_field_is_refused_naming_it(shop_owner, bearer):
    payload = {"request_type": "order_problem", "title": "订单\x00提交不了"}
    response = Client().post(
        "/api/service/requests", payload, content_type="application/json", **bearer(shop_owner)
    )
    assert "title" in _invalid_fields(response)
    assert not ServiceRequest.objects.exists()


def test_a_nul_deep_in_a_json_body_is_named_by_its_path(client_for, admin_user, bearer):
    payload = {"rules": [{"segment": "core\x00", "grade_min": 20, "star_min": 3}], "note": ""}
    response = Client().post(
        "/api/customers/segment-rule-sets",
        payload,
        content_type="application/json",
        **bearer(admin_user),
    )
    assert "rules.0.segment" in _invalid_fields(response)


@pytest.mark.parametrize(
    "path", ["/api/service/requests", "/api/customers/shops", "/api/knowledge/entries"]
)
def test_a_nul_in_an_api_search_is_refused_naming_q(client_for, dispatcher, path):
    response = client_for(dispatcher).get(path, {"q": "烟\x00酒"})
    assert "q" in _invalid_fields(response)


@pytest.mark.parametrize("path", ["/console/shops/", "/console/requests/"])
def test_a_nul_in_a_console_search_is_refused_naming_q(client_for, dispatcher, path):
    response = client_for(dispatcher).get(path, {"q": "烟\x00酒"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "q: Remove the NUL character" in response.content.decode()


def test_a_nul_in_a_form_post_is_refused_naming_the_field(client_for, dispatcher):
    response = client_for(dispatcher).post(
        "/console/requests/new/", {"shop_q": "烟\x00酒", "title": "x"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert "shop_q: Remove the NUL character" in response.content.decode()
    assert not ServiceRequest.objects.exists()


def test_the_refusal_is_in_chinese_by_default(client_for, dispatcher):
    response = client_for(dispatcher).get("/api/service/requests", {"q": "\x00"})
    message = response.json()["error"]["message"]
    assert message.startswith("q") and any("\u4e00" <= ch <= "\u9fff" for ch in message)
