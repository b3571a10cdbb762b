"""What the shop is told after a visit (``VisitReport.shop_summary``): the check-out API takes it
like the phone form does, and the console shop page shows it in the visit history."""

import pytest
from django.utils import timezone

from dispatch.models import JobState, VisitReport
from dispatch.services.visits import MAX_TEXT
from dispatch.tests.factories import RoutineJobFactory, at, field_staff

pytestmark = pytest.mark.django_db
JSON = "application/json"
SUMMARY = "陈列已整理，新价签已贴好。"


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="summary-field").user


@pytest.fixture
def job(shop, staff):
    today = timezone.localdate()
    return RoutineJobFactory(
        shop=shop,
        assignee=staff,
        state=JobState.PLANNED,
        due_on=today,
        planned_day=today,
        planned_start=at(today, 9, 30),
    )


def check_in(client, job):
    response = client.post(f"/api/dispatch/jobs/{job.pk}/check-in", {}, content_type=JSON)
    assert response.status_code == 200


def check_out(client, job, **fields):
    payload = {"outcome": "done", "work_done": "整理陈列", "coaching": "讲解新品"} | fields
    return client.post(f"/api/dispatch/jobs/{job.pk}/check-out", payload, content_type=JSON)


def test_the_check_out_api_keeps_what_the_shop_is_told(client_for, staff, job):
    client = client_for(staff)
    check_in(client, job)

    response = check_out(client, job, shop_summary=f"  {SUMMARY}  ")

    assert response.status_code == 200
    assert response.json()["shop_summary"] == SUMMARY
    report = VisitReport.objects.get(job=job)
    assert (report.shop_summary, report.coaching) == (SUMMARY, "讲解新品")


def test_the_check_out_api_refuses_a_too_long_summary_and_changes_nothing(client_for, staff, job):
    client = client_for(staff)
    check_in(client, job)

    response = check_out(client, job, shop_summary="字" * (MAX_TEXT + 1))

    assert response.status_code == 422
    assert "shop_summary" in str(response.json()["error"])
    report = VisitReport.objects.get(job=job)
    assert report.checked_out_at is None and report.shop_summary == ""


def test_the_shop_page_shows_what_the_shop_was_told(client_for, staff, job, shop, account_manager):
    client = client_for(staff)
    check_in(client, job)
    assert check_out(client, job, shop_summary=SUMMARY).status_code == 200

    html = client_for(account_manager).get(f"/console/shops/{shop.pk}/").content.decode()

    visits = html[html.index('id="shop-visits"') :]
    assert "What the shop was told" in visits
    assert f"data-shop-summary>{SUMMARY}</td>" in visits
