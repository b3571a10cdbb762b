"""servicedesk's panel on the console shop page (servicedesk/panels.py): the shop's requests,
newest first, at most ten, each with its number linking to its console page, its status and
SLA state; scoped through policy."""

import pytest
from django.urls import reverse

from servicedesk import panels as request_panels
from servicedesk.tests.factories import make_request

pytestmark = pytest.mark.django_db


def shop_page(client, shop):
    return client.get(reverse("console:shop_detail", args=[shop.pk]), HTTP_ACCEPT_LANGUAGE="en")


def test_the_shop_page_lists_the_shops_requests_newest_first(
    client_for, account_manager, shop_owner, shop, other_shop_owner
):
    older = make_request(shop_owner, title="上周的订单问题")  # 2025-11-24: long overdue
    newer = make_request(shop_owner, at=None, title="今天的订单问题")
    elsewhere = make_request(other_shop_owner, at=None, title="别家的问题")
    html = shop_page(client_for(account_manager), shop).content.decode()
    panel = html[html.index('id="shop-requests"') :]
    panel = panel[: panel.index("</section>")]
    link = reverse("console:request_detail", args=[newer.pk])
    assert f'<a href="{link}">{newer.number}</a>' in panel
    assert panel.index(newer.number) < panel.index(older.number)
    assert "今天的订单问题" in panel and elsewhere.number not in panel
    assert 'data-sla="ok"' in panel and 'data-sla="late"' in panel  # the SLA state of each
    assert f">{older.get_status_display()}<" in panel


def test_the_panel_shows_at_most_ten_and_says_how_many_there_are(
    client_for, account_manager, shop_owner, shop, settings
):
    settings.INTAKE_RATE_LIMIT_PER_SHOP_PER_HOUR = 100
    made = [make_request(shop_owner, at=None, title=f"问题{n}") for n in range(11)]
    html = shop_page(client_for(account_manager), shop).content.decode()
    assert made[0].number not in html and made[-1].number in html
    assert "The latest 10 of 11." in html


def test_a_shop_without_requests_says_so(client_for, account_manager, shop):
    html = shop_page(client_for(account_manager), shop).content.decode()
    assert "No requests from this shop yet." in html


def test_the_panel_reads_through_policy(account_manager, shop, other_shop, other_shop_owner):
    """Called for a shop outside the user's territory, the panel finds nothing to show."""
    make_request(other_shop_owner, at=None)
    assert request_panels.shop_requests(account_manager, other_shop)["rows"] == []
