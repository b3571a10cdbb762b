"""The console shop list: role checks, filters, pagination, the htmx partial, masked phones."""

import re

import pytest

from customers.tests.factories import GridFactory, ShopFactory

URL = "/console/shops/"


def _names(html: str) -> set[str]:
    return set(re.findall(r'href="/console/shops/\d+/">([^<]+)</a>', html))


def test_staff_see_the_list_with_its_total(client_for, service_manager, shop, other_shop):
    response = client_for(service_manager).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert _names(html) == {shop.name, other_shop.name}
    assert "2 shops" in html


def test_shop_owners_may_not_open_the_console(client_for, shop_owner):
    response = client_for(shop_owner).get(URL)
    assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_list_masks_phone_numbers(client_for, service_manager, shop):
    html = client_for(service_manager).get(URL).content.decode()
    assert shop.phone not in html
    assert shop.masked_phone in html


def test_account_managers_see_only_their_territory(client_for, account_manager, shop, other_shop):
    html = client_for(account_manager).get(URL).content.decode()
    assert _names(html) == {shop.name}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("segment=core", {"核心店"}),
        ("q=核心", {"核心店"}),
        ("grade_min=15&grade_max=30", {"核心店", "中等店"}),
        ("star=1", {"小店"}),
        ("market_type=rural", {"小店"}),
        ("status=closed", set()),
        ("grade_min=abc", {"核心店", "中等店", "小店"}),  # nonsense is ignored, not an error
    ],
)
def test_filters_narrow_the_list(client_for, service_manager, db, query, expected):
    ShopFactory(name="核心店", segment="core", grade=26, star=5)
    ShopFactory(name="中等店", segment="key", grade=18, star=3)
    ShopFactory(name="小店", grade=3, star=1, market_type="rural")
    html = client_for(service_manager).get(f"{URL}?{query}").content.decode()
    assert _names(html) == expected


def test_district_grid_and_account_manager_filters(client_for, service_manager, account_manager):
    grid = GridFactory()
    mine = ShopFactory(grid=grid, account_manager=account_manager)
    ShopFactory()
    client = client_for(service_manager)
    for query in (
        f"district_id={grid.district_id}",
        f"grid_id={grid.pk}",
        f"account_manager_id={account_manager.pk}",
    ):
        assert _names(client.get(f"{URL}?{query}").content.decode()) == {mine.name}


def test_pages_hold_25_shops_and_page_links_keep_the_filters(client_for, service_manager, db):
    ShopFactory.create_batch(30, segment="key")
    ShopFactory.create_batch(3, segment="core")
    client = client_for(service_manager)
    first = client.get(f"{URL}?segment=key").content.decode()
    assert len(_names(first)) == 25
    assert "?segment=key&amp;page=2" in first
    second = client.get(f"{URL}?segment=key&page=2").content.decode()
    assert len(_names(second)) == 5
    assert _names(first).isdisjoint(_names(second))


def test_htmx_requests_get_only_the_results(client_for, service_manager, shop):
    response = client_for(service_manager).get(f"{URL}?q={shop.name}", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert _names(html) == {shop.name}
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client_for, service_manager, shop):
    response = client_for(service_manager).get(
        URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_export_links_carry_the_filters_for_roles_that_may_export(
    client_for, service_manager, shop
):
    html = client_for(service_manager).get(f"{URL}?segment=core&page=1").content.decode()
    assert 'href="/imports/export/shops.csv?segment=core"' in html
    assert 'href="/imports/export/shops.xlsx?segment=core"' in html


def test_the_query_count_does_not_grow_with_the_shops_shown(
    client_for, service_manager, django_assert_num_queries, db
):
    ShopFactory.create_batch(30)  # each with its own grid and district
    client = client_for(service_manager)
    client.get(URL)  # warm the session
    # session, user, count, page of shops (with grid, district, manager), districts, grids
    # with their staff (2), account managers, and the header's unread notifications.
    with django_assert_num_queries(9):
        client.get(URL)
    # The htmx partial skips the filter choices.
    with django_assert_num_queries(4):
        client.get(f"{URL}?page=2", HTTP_HX_REQUEST="true")


def test_htmx_answers_push_an_address_with_only_the_filters_in_use(
    client_for, service_manager, shop
):
    response = client_for(service_manager).get(
        f"{URL}?q=&segment=core&district_id=&page=1", HTTP_HX_REQUEST="true"
    )
    assert response["HX-Push-Url"] == f"{URL}?segment=core"
