"""/api/dispatch end to end: a shop books through the API, the dispatcher plans and publishes,
the field staff member sees the visit, checks in and out; errors share the envelope."""

import datetime

import pytest
from django.utils import timezone

from dispatch.models import Job, JobKind, JobState, Plan
from dispatch.tests.factories import at, field_staff, item

pytestmark = pytest.mark.django_db
JSON = "application/json"


def next_working_day() -> datetime.date:
    day = timezone.localdate() + datetime.timedelta(days=1)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="api-field").user


def _book(client, shop, day):
    windows = client.get(
        "/api/dispatch/windows",
        {"shop_id": shop.pk, "service_item_id": item("policy_briefing").pk, "day": day},
    )
    assert windows.status_code == 200
    open_windows = [w for w in windows.json() if w["open"]]
    assert open_windows, windows.json()
    return client.post(
        "/api/dispatch/bookings",
        {
            "shop_id": shop.pk,
            "service_item_id": item("policy_briefing").pk,
            "window_start": open_windows[0]["start"],
            "note": "请带新品资料",
        },
        content_type="application/json",
    )


def test_a_booking_made_through_the_api_is_planned_and_published(
    client_for, shop, shop_owner, staff, dispatcher, django_capture_on_commit_callbacks
):
    owner, boss = client_for(shop_owner), client_for(dispatcher)
    day = next_working_day()
    booked = _book(owner, shop, day)
    assert booked.status_code == 201, booked.content
    body = booked.json()
    assert body["kind"] == "booking" and body["staff"] == str(staff) and body["state"] == "open"
    assert [b["id"] for b in owner.get("/api/dispatch/bookings").json()] == [body["id"]]

    with django_capture_on_commit_callbacks(execute=True):  # the plan runs once committed
        started = boss.post(
            "/api/dispatch/plans",
            {"first_day": day, "last_day": day, "seconds": 1},
            content_type="application/json",
        )
    assert started.status_code == 202
    plan_id = started.json()["id"]
    plan = boss.get(f"/api/dispatch/plans/{plan_id}").json()
    assert plan["state"] == "ready" and plan["stats"]["placed"] == 1, plan

    board = boss.get("/api/dispatch/board", {"day": day, "plan_id": plan_id}).json()
    (route,) = board["routes"]
    assert [s["job_id"] for s in route["stops"]] == [body["id"]]
    assert boss.post(f"/api/dispatch/plans/{plan_id}/publish").json()["state"] == "published"

    job = owner.get(f"/api/dispatch/jobs/{body['id']}").json()
    assert job["state"] == "planned"
    assert body["window_start"] <= job["planned_start"] <= body["window_end"]


def test_a_shop_cannot_book_for_another_shop_and_bad_input_changes_nothing(
    client_for, shop_owner, other_shop, shop, staff
):
    client = client_for(shop_owner)
    day = next_working_day()
    query = {"shop_id": other_shop.pk, "service_item_id": item("policy_briefing").pk, "day": day}
    assert client.get("/api/dispatch/windows", query).status_code == 404
    other = client.post(
        "/api/dispatch/bookings",
        {
            "shop_id": other_shop.pk,
            "service_item_id": item("policy_briefing").pk,
            "window_start": at(day, 10, 30).isoformat(),
        },
        content_type=JSON,
    )
    assert other.status_code == 404
    bad = client.post(
        "/api/dispatch/bookings",
        {"shop_id": shop.pk, "service_item_id": item("policy_briefing").pk, "window_start": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "window_start" in bad.json()["error"]["fields"]
    assert not Job.objects.exists()


def test_cancel_through_the_api_and_a_second_cancel_is_a_conflict(
    client_for, shop, shop_owner, staff
):
    client = client_for(shop_owner)
    job_id = _book(client, shop, next_working_day()).json()["id"]
    url = f"/api/dispatch/bookings/{job_id}/cancel"
    first = client.post(url, {"reason": "店里有事"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["state"] == "cancelled"
    again = client.post(url, {"reason": "again"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"]


def test_field_staff_see_their_day_and_check_in_and_out(client_for, shop, staff):
    now = timezone.localtime()
    job = Job.objects.create(
        shop=shop,
        kind=JobKind.ROUTINE,
        state=JobState.PLANNED,
        service_item=item("routine_visit"),
        duration_min=20,
        due_on=now.date(),
        earliest_on=now.date(),
        latest_on=now.date(),
        assignee=staff,
        planned_day=now.date(),
        planned_start=now,
    )
    client = client_for(staff)
    (stop,) = client.get("/api/dispatch/my-day").json()
    assert stop["job"]["id"] == job.pk and stop["checked_in_at"] is None
    checked_in = client.post(
        f"/api/dispatch/jobs/{job.pk}/check-in",
        {"latitude": 31.82, "longitude": 117.23},
        content_type="application/json",
    )
    assert checked_in.status_code == 200 and checked_in.json()["state"] == "in_progress"
    missing = client.post(
        f"/api/dispatch/jobs/{job.pk}/check-out",
        {"outcome": "done"},
        content_type="application/json",
    )
    assert missing.status_code == 422 and "work_done" in missing.json()["error"]["fields"]
    out = client.post(
        f"/api/dispatch/jobs/{job.pk}/check-out",
        {"outcome": "done", "work_done": "整理陈列", "coaching": "讲解新品"},
        content_type="application/json",
    )
    assert out.status_code == 200 and out.json()["state"] == "done"


def test_staff_set_their_own_hours_inside_the_rules_only(client_for, staff):
    client = client_for(staff)
    url = f"/api/dispatch/availability/{staff.pk}/{next_working_day()}"
    early = client.put(
        url,
        {"kind": "work", "start": "06:00:00", "end": "15:00:00"},
        content_type="application/json",
    )
    assert early.status_code == 422 and "start" in early.json()["error"]["fields"]
    ok = client.put(
        url,
        {"kind": "work", "start": "07:30:00", "end": "16:30:00"},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["start"] == "07:30:00"


def test_planning_endpoints_are_for_dispatchers(client_for, staff):
    day = next_working_day()
    refused = client_for(staff).post(
        "/api/dispatch/plans", {"first_day": day, "last_day": day}, content_type="application/json"
    )
    assert refused.status_code == 403 and not Plan.objects.exists()


def test_a_plan_over_more_than_a_week_is_refused(client_for, dispatcher):
    day = next_working_day()
    answer = client_for(dispatcher).post(
        "/api/dispatch/plans",
        {"first_day": day, "last_day": day + datetime.timedelta(days=10)},
        content_type="application/json",
    )
    assert answer.status_code == 422 and "last_day" in answer.json()["error"]["fields"]
    assert not Plan.objects.exists()


def test_routine_visits_from_the_api(client_for, dispatcher, shop, staff):
    first = at(next_working_day(), 0).date()
    answer = client_for(dispatcher).post(
        "/api/dispatch/routine", {"first_day": first, "weeks": 4}, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["created"] == Job.objects.filter(kind=JobKind.ROUTINE).count() >= 1
