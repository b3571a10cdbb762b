"""No shop owner (or account manager) can read or change data outside their scope.

The matrix is generated: every operation in the OpenAPI schema and every page in the URL conf is
called as each restricted role with the ids of another shop's records. A new endpoint is covered
the day it is added; a path parameter this module cannot fill fails the test, so whoever adds a
new kind of id must say here which out-of-scope record it points to.
"""

import io
import re
import zipfile
from collections.abc import Callable, Iterator

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import Role
from accounts.tests.factories import UserFactory
from commerce.tests.factories import DeliveryFactory, OrderLineFactory, PaymentFactory
from customers.models import SegmentRuleSet, ServicePlan
from customers.tests.factories import ShopFactory
from flexserve.api import api

SKIPPED_PAGE_PREFIXES = ("admin/", "api/", "i18n/", "static/", "media/")


@pytest.fixture
def world(shop_owner, shop, other_shop, account_manager):
    """Another shop (outside the owner's shop and the manager's territory) with records."""
    order = OrderLineFactory(order__shop=other_shop).order
    delivery = DeliveryFactory(order=order)
    payment = PaymentFactory(order=order)
    own_order = OrderLineFactory(order__shop=shop).order
    markers = [other_shop.licence_no, other_shop.name, other_shop.phone, order.number]
    ids: dict[str, Callable[[], int]] = {
        "shop_id": lambda: other_shop.pk,
        "order_id": lambda: order.pk,
        "delivery_id": lambda: delivery.pk,
        "payment_id": lambda: payment.pk,
        "rule_set_id": lambda: SegmentRuleSet.objects.get(status="active").pk,
        "plan_id": lambda: ServicePlan.objects.get(segment="core").pk,
        "job_id": _other_import_job,
    }
    return {
        "markers": markers,
        "ids": ids,
        "own_order": own_order,
        "roles": {"shop_owner": shop_owner, "account_manager": account_manager},
    }


def _other_import_job() -> int:
    """An import job started by an administrator (only administrators may see jobs)."""
    job_model = apps.get_model("imports", "ImportJob")
    admin = UserFactory(username="importer", role=Role.ADMIN)
    return job_model.objects.create(kind="shops", created_by=admin, original_name="shops.csv").pk


def _fill(path: str, ids: dict[str, Callable[[], int]]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        if name not in ids:
            pytest.fail(
                f"{path}: no out-of-scope record for parameter {name!r}; add one to world()"
            )
        return str(ids[name]())

    return re.sub(r"[{<]([^}>]+)[}>]", value, path)


def _api_operations() -> Iterator[tuple[str, str]]:
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method in operations:
            yield method.upper(), path


def _page_routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PAGE_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from _page_routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield "/" + route.lstrip("^").rstrip("$")


def _body_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX export: read the text inside the workbook
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return " ".join(
                book.read(name).decode("utf-8", "ignore")
                for name in book.namelist()
                if name.endswith(".xml")
            )
    return content.decode("utf-8", "ignore")


def _snapshot() -> dict[str, object]:
    """Every row of every project model, to prove a refused call changed nothing."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "axes", "admin"}:
            continue
        state[model._meta.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
    return state


def _check(client, method: str, url: str, markers: list[str], label: str) -> None:
    before = _snapshot() if method != "GET" else None
    if method in {"POST", "PATCH", "PUT"}:
        send = getattr(client, method.lower())
        response = send(url, data="{}", content_type="application/json")
    else:
        response = getattr(client, method.lower())(url)
    status = response.status_code
    if method == "GET" and status == 200:
        text = _body_text(response)
        leaked = [m for m in markers if m in text]
        assert not leaked, f"{label} {method} {url} shows another shop's data: {leaked}"
    else:
        assert status in {302, 400, 401, 403, 404, 405, 409, 422}, (
            f"{label} {method} {url} answered {status}"
        )
    if before is not None:
        assert _snapshot() == before, f"{label} {method} {url} changed data"


@pytest.mark.parametrize("role", ["shop_owner", "account_manager"])
def test_no_api_operation_reaches_another_shops_data(client_for, world, role):
    client = client_for(world["roles"][role])
    operations = list(_api_operations())
    assert len(operations) >= 15  # the schema really was read
    for method, path in operations:
        _check(client, method, "/api" + _fill(path, world["ids"]), world["markers"], role)


@pytest.mark.parametrize("role", ["shop_owner", "account_manager"])
def test_no_page_reaches_another_shops_data(client_for, world, role):
    client = client_for(world["roles"][role])
    routes = list(_page_routes())
    assert len(routes) >= 4
    for route in routes:
        url = _fill(route, world["ids"])
        _check(client, "GET", url, world["markers"], role)
        _check(client, "POST", url, world["markers"], role)


def test_the_matrix_would_notice_a_leak(client_for, world, dispatcher):
    """The same check fails for a role that may see every shop: the markers are really there."""
    client = client_for(dispatcher)
    url = f"/api/customers/shops/{world['ids']['shop_id']()}"
    with pytest.raises(AssertionError, match="shows another shop's data"):
        _check(client, "GET", url, world["markers"], "dispatcher")


def test_shop_owner_still_reads_their_own_order(client_for, world, shop_owner):
    own = world["own_order"]
    response = client_for(shop_owner).get(f"/api/commerce/orders/{own.pk}")
    assert response.status_code == 200 and response.json()["number"] == own.number


def test_a_second_shop_owner_is_scoped_the_same_way(client_for, other_shop_owner, shop):
    """Symmetry: the other shop's owner cannot see the first shop either."""
    ShopFactory()  # a third shop, to be sure lists are filtered and not just short
    body = client_for(other_shop_owner).get("/api/customers/shops").json()
    assert shop.licence_no not in str(body) and body["count"] == 1
