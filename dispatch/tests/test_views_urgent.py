"""The urgent visit page: the request's number, the day and window the dispatcher picks (default
today, or the next working day), and a retry form that keeps them (issue 13)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from dispatch.models import Job, JobKind, Plan, Stop
from dispatch.tests.factories import at, field_staff

MONDAY = datetime.date(2030, 6, 3)
SUNDAY = MONDAY - datetime.timedelta(days=1)


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="fs1").user


@pytest.fixture
def service_request(shop_owner, shop):
    from servicedesk.tests.factories import make_request

    return make_request(shop_owner, shop, title="送货少了两条")


@pytest.fixture
def sunday():
    with time_machine.travel(at(SUNDAY, 10), tick=False):
        yield


def test_the_page_shows_the_request_number_not_its_id(client_for, dispatcher, service_request):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    page = client_for(dispatcher).get(url).content.decode()
    assert service_request.number in page
    assert f"#{service_request.pk}<" not in page and f"#{service_request.pk} " not in page


def test_on_a_sunday_the_form_offers_monday(sunday, client_for, dispatcher, staff, service_request):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    form = client_for(dispatcher).get(url).context["form"]
    assert (form["day"].value(), form["start_time"].value()) == (MONDAY, datetime.time(8, 30))


def test_on_a_sunday_the_prefilled_form_places_the_visit_on_monday(
    sunday, client_for, dispatcher, staff, service_request
):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    client = client_for(dispatcher)
    body = {"day": MONDAY.isoformat(), "start_time": "08:30", "end_time": "19:00"}
    response = client.post(url, body)
    assert response.status_code == 302
    job = Job.objects.get(kind=JobKind.URGENT)
    proposal = Plan.objects.get(kind=Plan.Kind.REPLAN)
    assert (proposal.first_day, proposal.urgent_job_id) == (MONDAY, job.pk)
    assert Stop.objects.filter(route__plan=proposal, job=job, route__day=MONDAY).exists()
    page = client.get(response["Location"]).content.decode()
    assert reverse("console:dispatch_publish", args=[proposal.pk]) in page


def test_the_retry_form_keeps_the_day_and_window_and_moves_the_draft(
    sunday, client_for, dispatcher, staff, service_request
):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    client = client_for(dispatcher)
    client.post(url, {"day": MONDAY.isoformat(), "start_time": "09:00", "end_time": "10:00"})
    page = client.get(url)
    text = page.content.decode()
    assert 'name="day"' in text and 'name="start_time"' in text and 'name="end_time"' in text
    assert page.context["form"]["start_time"].value() == datetime.time(9)
    tuesday = MONDAY + datetime.timedelta(days=1)
    client.post(url, {"day": tuesday.isoformat(), "start_time": "14:00", "end_time": "16:00"})
    job = Job.objects.get(kind=JobKind.URGENT)  # the same draft, re-timed
    assert (job.window_start, job.window_end) == (at(tuesday, 14), at(tuesday, 16))
    states = list(Plan.objects.order_by("pk").values_list("state", flat=True))
    assert states == [Plan.State.SUPERSEDED, Plan.State.READY]


def test_the_api_takes_the_day_and_window_too(
    sunday, client_for, dispatcher, staff, service_request
):
    tuesday = MONDAY + datetime.timedelta(days=1)
    response = client_for(dispatcher).post(
        "/api/dispatch/urgent",
        {
            "request_id": service_request.pk,
            "window_start": at(tuesday, 13).isoformat(),
            "window_end": at(tuesday, 15).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    job = Job.objects.get(kind=JobKind.URGENT)
    assert (job.window_start, job.window_end) == (at(tuesday, 13), at(tuesday, 15))
    assert Plan.objects.get(kind=Plan.Kind.REPLAN).first_day == tuesday


def test_the_api_default_on_a_sunday_is_monday(
    sunday, client_for, dispatcher, staff, service_request
):
    response = client_for(dispatcher).post(
        "/api/dispatch/urgent",
        {"request_id": service_request.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Plan.objects.get(kind=Plan.Kind.REPLAN).first_day == MONDAY
