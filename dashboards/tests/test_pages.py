"""The dashboard pages: who may open them, what they show, their lists and their XLSX files."""

import datetime
import io
import json
import re
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from django.utils import timezone

from dashboards.services import rollups
from dashboards.tests.factories import hand_made, minutes

pytestmark = pytest.mark.django_db

SERVICE, STAFF, LIST = (
    "/console/dashboards/",
    "/console/dashboards/staff/",
    "/console/dashboards/requests/",
)


@pytest.fixture
def figures(shop, other_shop, account_manager):
    """Two requests today in the manager's grid (one resolved late), one elsewhere."""
    today = timezone.localtime().replace(hour=0, minute=5, second=0, microsecond=0)
    mine = hand_made(
        shop,
        created_at=today,
        responded_after=minutes(3),
        resolved_after=minutes(50),
        resolution_breached=True,
        assignee=account_manager,
    )
    open_one = hand_made(shop, created_at=today)
    theirs = hand_made(other_shop, created_at=today, resolved_after=minutes(20))
    rollups.refresh(full=True)
    return {"mine": mine, "open": open_one, "theirs": theirs}


def tile_value(html: str, key: str) -> str:
    match = re.search(rf'data-tile="{key}".*?data-value>([^<]*)<', html, re.S)
    return match.group(1).strip()


def tile_link(html: str, key: str) -> str:
    return re.search(rf'<a class="kpi[^"]*" href="([^"]+)" data-tile="{key}"', html).group(1)


def test_a_manager_sees_the_tiles_the_chart_and_how_fresh_the_figures_are(
    client_for, service_manager, figures
):
    response = client_for(service_manager).get(SERVICE)
    html = response.content.decode()

    assert response.status_code == 200
    assert tile_value(html, "created") == "3"
    assert tile_value(html, "resolved") == "2"
    assert tile_value(html, "backlog_growth") == "+1"
    assert tile_value(html, "resolution_sla") == "50.0"
    assert 'data-refreshed-at="' in html and "stale" not in html.split("dash-stamp")[1][:20]
    data = json.loads(re.search(r'id="dashboards-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert data["created"][-1] == 3 and data["resolved"][-1] == 2
    assert len(data["days"]) == 30
    assert 'href="/console/dashboards/"' in html  # the nav entry
    assert "js/dashboards.js" in html and "echarts" in html


def test_each_tile_opens_the_requests_it_counts(client_for, service_manager, figures):
    client = client_for(service_manager)
    html = client.get(SERVICE).content.decode()
    link = tile_link(html, "resolution_sla").replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query)["metric"] == ["resolved_late"]

    listed = client.get(link).content.decode()
    assert re.findall(r'data-request="(\d+)"', listed) == [str(figures["mine"].pk)]
    created = client.get(tile_link(html, "created").replace("&amp;", "&")).content.decode()
    assert len(re.findall(r'data-request="(\d+)"', created)) == 3


def test_an_account_manager_sees_only_their_grid_on_every_page(
    client_for, account_manager, figures
):
    client = client_for(account_manager)
    assert tile_value(client.get(SERVICE).content.decode(), "created") == "2"
    listed = client.get(LIST, {"metric": "created"}).content.decode()
    assert str(figures["theirs"].pk) not in re.findall(r'data-request="(\d+)"', listed)
    staff = client.get(STAFF).content.decode()
    assert re.findall(r'data-staff="(\d+)"', staff) == [str(account_manager.pk)]


def test_the_filter_bar_narrows_the_figures(client_for, service_manager, figures):
    response = client_for(service_manager).get(
        SERVICE, {"district": figures["theirs"].shop.grid.district_id}
    )
    assert tile_value(response.content.decode(), "created") == "1"


def test_a_bad_period_shows_the_error_and_the_default_figures(client_for, service_manager, figures):
    response = client_for(service_manager).get(
        SERVICE, {"since": "2025-11-24", "until": "2025-11-01"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert tile_value(html, "created") == "3"  # the last 30 days


def test_shop_owners_are_refused_and_visitors_sent_to_log_in(
    client_for, client, shop_owner, figures
):
    for url in (SERVICE, STAFF, f"{LIST}?metric=created", f"{SERVICE}?format=xlsx"):
        assert client_for(shop_owner).get(url).status_code == 403
        assert client.get(url).status_code == 302
    assert (
        'href="/console/dashboards/"' not in client_for(shop_owner).get("/portal/").content.decode()
    )


def test_an_unknown_list_is_not_found(client_for, service_manager):
    assert client_for(service_manager).get(LIST, {"metric": "everything"}).status_code == 404


def test_the_service_export_opens_and_holds_the_figures(client_for, service_manager, figures):
    response = client_for(service_manager).get(
        SERVICE, {"format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    figures_sheet, by_day = book.worksheets[0], book.worksheets[1]
    values = {row[0]: row[2] for row in figures_sheet.iter_rows(min_row=2, values_only=True)}
    assert (values["Created"], values["Resolved"]) == (3, 2)
    assert values["Resolved within target"] == 50.0
    assert values["Open requests untouched for 5 days"] == 0
    rows = list(by_day.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 30
    assert rows[-1][1:] == (3, 2)


def test_the_staff_page_ranks_and_exports(client_for, service_manager, account_manager, figures):
    client = client_for(service_manager)
    html = client.get(STAFF, {"sort": "sla"}).content.decode()
    assert re.findall(r'data-staff="(\d+)"', html) == [str(account_manager.pk)]
    assert "data-csat-hidden" in html  # no ratings: no CSAT shown

    book = openpyxl.load_workbook(io.BytesIO(client.get(STAFF, {"format": "xlsx"}).content))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert rows == [(1, str(account_manager), 1, pytest.approx(50 / 60, abs=0.15), 0.0, None, 0)]


def test_the_stamp_warns_when_the_refresh_is_late(client_for, service_manager, figures):
    rollups.refresh(now=timezone.now() - datetime.timedelta(hours=2))
    html = client_for(service_manager).get(SERVICE).content.decode()
    assert 'class="dash-stamp stale"' in html
