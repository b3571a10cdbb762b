"""The segmentation page: charts, rules in force, history; preview writes nothing, apply does."""

import json
import re

from customers.models import SegmentChange, SegmentRuleSet, Shop
from customers.tests.factories import ShopFactory

URL = "/console/segments/"


def _rules(*rows, default="ordinary", note=""):
    """Form data of the rule editor: parallel lists, one entry per row."""
    fields = ("segment", "grade_min", "grade_max", "star_min", "star_max")
    data = {name: [str(row[i]) for row in rows] for i, name in enumerate(fields)}
    data |= {"market_type": [""] * len(rows), "business_type": [""] * len(rows)}
    return data | {"default_segment": default, "note": note}


def _city():
    big = ShopFactory(grade=26, star=5, segment="core")
    mid = ShopFactory(grade=18, star=3, segment="key")
    small = ShopFactory(grade=3, star=1, segment="ordinary")
    return big, mid, small


def _json(html: str, element_id: str):
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    return json.loads(match.group(1))


def test_the_page_shows_the_distribution_charts_and_the_rules_in_force(
    client_for, service_manager, db
):
    _city()
    response = client_for(service_manager).get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    pie = _json(html, "segment-pie-data")
    assert pie["series"][0]["data"] == [1, 1, 0, 1]
    assert pie["colors"] == ["#b42318", "#c2410c", "#1d4ed8", "#52606d"]
    bars = _json(html, "segment-district-data")
    assert [s["color"] for s in bars["series"]] == pie["colors"]
    assert len(bars["labels"]) == 3  # each factory shop is in its own district
    assert 'data-chart="pie"' in html and 'data-chart="stacked-bar"' in html
    assert "Rules in force" in html and "grade 24–30" in html  # rule 1 of the default rules
    assert "Rule-set history" in html and "v1" in html
    assert 'id="rule-editor"' in html


def test_roles_that_may_only_view_get_no_editor(client_for, account_manager, shop):
    response = client_for(account_manager).get(URL)
    assert response.status_code == 200
    assert 'id="rule-editor"' not in response.content.decode()


def test_shop_owners_are_refused_and_anonymous_visitors_sent_to_log_in(
    client_for, client, shop_owner
):
    assert client_for(shop_owner).get(URL).status_code == 403
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_preview_shows_the_moves_and_writes_nothing(client_for, service_manager, db):
    big, mid, small = _city()
    segments_before = dict(Shop.objects.values_list("pk", "segment"))
    changes_before = SegmentChange.objects.count()
    versions_before = SegmentRuleSet.objects.count()
    # Everything from grade 10 up becomes core.
    data = _rules(("core", 10, 30, 1, 5))
    response = client_for(service_manager).post(
        f"{URL}preview/", data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'kpi-value">3<.*Shops checked', html)
    assert re.search(r'kpi-value">1<.*Would change class', html)  # the key shop becomes core
    chart = _json(html, "preview-chart-data")
    assert chart["series"][0]["data"] == [1, 1, 0, 1] and chart["series"][1]["data"] == [2, 0, 0, 1]
    assert 'class="badge key">Key</span></td>' in html  # the from → to table
    assert dict(Shop.objects.values_list("pk", "segment")) == segments_before
    assert SegmentChange.objects.count() == changes_before
    assert SegmentRuleSet.objects.count() == versions_before


def test_preview_names_the_bad_rule_and_its_problem(client_for, service_manager, db):
    data = _rules(("core", 24, 30, 4, 5), ("key", 20, 10, 1, 5))
    response = client_for(service_manager).post(
        f"{URL}preview/", data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "Grades run from 1 to 30 and the lowest may not exceed the highest." in html
    rows = html.split("data-rule-row")
    assert "rule-errors" not in rows[1] and "rule-errors" in rows[2]
    assert 'value="20" aria-label="Lowest grade" aria-invalid="true"' in rows[2]
    assert "Shops checked" not in html


def test_preview_refuses_text_where_a_number_belongs(client_for, service_manager, db):
    data = _rules(("core", "many", 30, 4, 5))
    html = (
        client_for(service_manager)
        .post(f"{URL}preview/", data, HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "Enter a whole number." in html


def test_apply_saves_a_new_version_reclassifies_and_records_history(
    client_for, service_manager, db
):
    big, mid, small = _city()
    data = _rules(("core", 10, 30, 1, 5), note="wider core")
    response = client_for(service_manager).post(
        f"{URL}apply/", data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 200
    new = SegmentRuleSet.objects.get(status="active")
    assert new.version == 2 and new.note == "wider core" and new.created_by == service_manager
    assert SegmentRuleSet.objects.get(version=1).status == "retired"
    mid.refresh_from_db()
    assert mid.segment == "core"
    change = SegmentChange.objects.get(shop=mid)
    assert (change.from_segment, change.to_segment, change.rule_set) == ("key", "core", new)
    assert "Rule set version 2 is now in force: 3 shops checked, 1 changed class." in html
    assert 'id="segment-overview" hx-swap-oob="true"' in html  # charts and history refresh


def test_apply_with_no_rules_explains_and_changes_nothing(client_for, service_manager, shop):
    data = {"default_segment": "ordinary", "note": ""}
    html = (
        client_for(service_manager)
        .post(f"{URL}apply/", data, HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "A rule set needs at least one rule." in html
    assert SegmentRuleSet.objects.count() == 1


def test_roles_without_edit_permission_cannot_preview_or_apply(client_for, account_manager, shop):
    client = client_for(account_manager)
    data = _rules(("core", 1, 30, 1, 5))
    assert client.post(f"{URL}preview/", data).status_code == 403
    assert client.post(f"{URL}apply/", data).status_code == 403
    shop.refresh_from_db()
    assert shop.segment == "ordinary" and SegmentRuleSet.objects.count() == 1


def test_viewers_get_403_even_for_rules_that_would_not_parse(client_for, account_manager, shop):
    data = _rules(("core", "x", 30, 1, 5))
    assert client_for(account_manager).post(f"{URL}preview/", data).status_code == 403
