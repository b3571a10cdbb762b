"""The dispatcher's board: who may see it, what it shows, and the actions it offers.

Plans are made here row by row (Plan → Route → Stop, Unplaced) so the page is tested against known
routes; the actions go through the real services.
"""

import datetime
import json

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from customers.tests.factories import ShopFactory
from dispatch.models import Job, JobKind, JobState, Plan, Route, Stop, Unplaced
from dispatch.tests.factories import BookingFactory, RoutineJobFactory, at, field_staff, item

HTMX = {"HTTP_HX_REQUEST": "true"}
QUERIES = 20  # the board page, whatever the number of routes and stops


def next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


@pytest.fixture
def day():
    return next_monday()


@pytest.fixture
def staff(grid):
    """A field staff member serving ``grid``, working Monday to Friday 08:30–17:30."""
    return field_staff(grids=[grid], username="fs1").user


@pytest.fixture
def jobs(grid, day):
    """A booking 10:00–12:00 and a routine visit on ``day``, and a booking nobody could take."""
    near = ShopFactory(grid=grid, name="东城烟酒店", latitude="31.821000", longitude="117.231000")
    far = ShopFactory(grid=grid, name="西湖便利店", latitude="31.830000", longitude="117.250000")
    late = ShopFactory(grid=grid, name="南门超市", latitude="31.815000", longitude="117.240000")
    booking = BookingFactory(
        shop=near, window_start=at(day, 10), window_end=at(day, 12), duration_min=30
    )
    routine = RoutineJobFactory(
        shop=far,
        due_on=day,
        earliest_on=day - datetime.timedelta(days=2),
        latest_on=day + datetime.timedelta(days=2),
    )
    stray = BookingFactory(
        shop=late, window_start=at(day, 15), window_end=at(day, 16), duration_min=30
    )
    return booking, routine, stray


def make_plan(staff, jobs, day, *, state=Plan.State.READY, **extra) -> Plan:
    """A one-day plan: ``staff`` visits the booking then the routine shop; the stray is unplaced."""
    booking, routine, stray = jobs
    plan = Plan.objects.create(
        first_day=day,
        last_day=day,
        state=state,
        progress=100,
        stats={"jobs": 3, "placed": 2, "unplaced": 1, "violations": 0, "travel_s": 1200},
        **extra,
    )
    route = Route.objects.create(
        plan=plan,
        staff=staff,
        day=day,
        shift_start=at(day, 8, 30),
        shift_end=at(day, 17, 30),
        departure=at(day, 9, 45),
        arrival=at(day, 11, 30),
        break_start=at(day, 11, 30),
        break_end=at(day, 12, 15),
        travel_s=1200,
        distance_m=5400,
    )
    Stop.objects.create(
        route=route,
        job=booking,
        seq=0,
        arrival=at(day, 9, 55),
        start=at(day, 10),
        end=at(day, 10, 30),
    )
    Stop.objects.create(
        route=route,
        job=routine,
        seq=1,
        arrival=at(day, 10, 40),
        start=at(day, 10, 40),
        end=at(day, 11),
    )
    Unplaced.objects.create(plan=plan, job=stray, reason=Unplaced.Reason.CAPACITY)
    return plan


def board_url(day, plan=None) -> str:
    url = f"{reverse('console:dispatch_board')}?day={day.isoformat()}"
    return f"{url}&plan={plan.pk}" if plan else url


def snapshot(plan: Plan):
    """Everything a refused action must leave as it was."""
    stops = list(
        Stop.objects.filter(route__plan=plan)
        .order_by("route_id", "seq")
        .values_list("route__staff_id", "job_id", "seq", "start")
    )
    unplaced = list(Unplaced.objects.filter(plan=plan).values_list("job_id", "reason"))
    jobs = list(Job.objects.order_by("pk").values_list("pk", "state", "assignee_id", "version"))
    return stops, unplaced, jobs, Plan.objects.get(pk=plan.pk).state


# --- Who may see and act --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["shop_owner", "account_manager"])
def test_shop_owners_and_field_staff_may_not_see_the_board(request, client_for, who, day):
    user = request.getfixturevalue(who)
    response = client_for(user).get(board_url(day))
    assert response.status_code == 403


def test_a_visitor_is_sent_to_log_in(client_for, day):
    response = client_for(None).get(board_url(day))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("who", ["dispatcher", "service_manager", "admin_user"])
def test_dispatchers_and_managers_see_the_board(request, client_for, who, day):
    response = client_for(request.getfixturevalue(who)).get(board_url(day))
    assert response.status_code == 200
    assert "data-empty-plan" in response.content.decode()


def test_field_staff_may_not_optimise_or_publish(client_for, account_manager, staff, jobs, day):
    plan = make_plan(staff, jobs, day)
    client = client_for(account_manager)
    optimise = client.post(
        reverse("console:dispatch_optimise"), {"day": day, "scope": "day", "seconds": 1}
    )
    publish = client.post(reverse("console:dispatch_publish", args=[plan.pk]))
    assert (optimise.status_code, publish.status_code) == (403, 403)
    assert Plan.objects.count() == 1
    assert Plan.objects.get().state == Plan.State.READY


# --- What the board shows -------------------------------------------------------------------------


def test_the_board_shows_each_route_its_stops_and_the_unplaced_jobs(
    client_for, dispatcher, staff, jobs, day
):
    booking, routine, stray = jobs
    plan = make_plan(staff, jobs, day)
    response = client_for(dispatcher).get(board_url(day, plan))
    page = response.content.decode()
    assert response.status_code == 200
    for name in ("东城烟酒店", "西湖便利店", "南门超市"):
        assert name in page
    assert str(Unplaced.Reason.CAPACITY.label) in page
    assert 'id="board-data"' in page
    chart = response.context["chart"]
    [route] = chart["routes"]
    assert route["id"] == staff.pk
    assert [s["job"] for s in route["stops"]] == [booking.pk, routine.pk]
    # Times are minutes from local midnight; the booking's window is its bracket.
    assert route["stops"][0]["start"] == 600
    assert route["stops"][0]["window"] == [600, 720]
    assert route["stops"][1]["window"] is None
    assert route["lunch"] == [690, 735]
    assert [u["job"] for u in chart["unplaced"]] == [stray.pk]
    # The plan chooser marks the plan shown and the draft is called a draft.
    assert f'data-plan="{plan.pk}"' in page
    assert 'data-plan-state="ready"' in page
    stats = {s["key"]: s["value"] for s in response.context["stats"]}
    assert (stats["jobs"], stats["placed"], stats["unplaced"], stats["km"]) == (3, 2, 1, 5.4)


def test_the_chart_data_is_valid_json_in_the_page(client_for, dispatcher, staff, jobs, day):
    plan = make_plan(staff, jobs, day)
    page = client_for(dispatcher).get(board_url(day, plan)).content.decode()
    blob = page.split('<script id="board-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(blob)
    assert data["routes"][0]["stops"][0]["shop"] == "东城烟酒店"
    assert data["range"][0] <= 8 * 60 and data["range"][1] >= 18 * 60


def test_the_route_table_lists_the_stops_in_order(client_for, dispatcher, staff, jobs, day):
    booking, routine, _stray = jobs
    plan = make_plan(staff, jobs, day)
    page = client_for(dispatcher).get(board_url(day, plan)).content.decode()
    table = page.split('class="responsive compact route-table"')[1]
    assert table.index(f'data-job="{booking.pk}"') < table.index(f'data-job="{routine.pk}"')
    assert "10:00–10:30" in table and "10:00–12:00" in table


# --- Optimise and follow the run ------------------------------------------------------------------


def test_optimising_a_day_makes_a_plan_and_shows_its_progress(
    client_for, dispatcher, staff, jobs, day, django_capture_on_commit_callbacks
):
    client = client_for(dispatcher)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:dispatch_optimise"), {"day": day, "scope": "day", "seconds": 1}
        )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("console:dispatch_plan", args=[plan.pk])
    assert (plan.first_day, plan.last_day, plan.seconds) == (day, day, 1)
    assert plan.state == Plan.State.READY  # background work runs at once in tests
    page = client.get(response["Location"]).content.decode()
    assert "View on the board" in page or "在排班板上查看" in page
    assert 'hx-trigger="every 1s"' not in page
    assert f'data-plan-state="{plan.state}"' in page


def test_optimising_the_week_plans_monday_to_sunday(client_for, dispatcher, day):
    wednesday = day + datetime.timedelta(days=2)
    response = client_for(dispatcher).post(
        reverse("console:dispatch_optimise"), {"day": wednesday, "scope": "week", "seconds": 1}
    )
    plan = Plan.objects.get()
    assert response.status_code == 302
    assert (plan.first_day, plan.last_day) == (day, day + datetime.timedelta(days=6))


def test_optimising_with_bad_seconds_changes_nothing(client_for, dispatcher, day):
    response = client_for(dispatcher).post(
        reverse("console:dispatch_optimise"),
        {"day": day, "scope": "day", "seconds": 0},
        **HTMX,
    )
    assert response.status_code == 422
    assert 'data-error-code="invalid"' in response.content.decode()
    assert not Plan.objects.exists()


def test_a_running_plan_is_polled_every_second(client_for, dispatcher, day):
    plan = Plan.objects.create(
        first_day=day, last_day=day, state=Plan.State.RUNNING, progress=40, message="区域 1/2"
    )
    response = client_for(dispatcher).get(reverse("console:dispatch_plan", args=[plan.pk]), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert 'hx-trigger="every 1s"' in page
    assert 'aria-valuenow="40"' in page
    assert "区域 1/2" in page
    assert "<html" not in page  # the partial only


def test_a_finished_plan_shows_its_figures_and_a_board_link(
    client_for, dispatcher, staff, jobs, day
):
    plan = make_plan(staff, jobs, day)
    page = client_for(dispatcher).get(reverse("console:dispatch_plan", args=[plan.pk])).content
    page = page.decode()
    assert 'data-stat="placed"' in page
    assert f"?day={day.isoformat()}&amp;plan={plan.pk}" in page
    assert reverse("console:dispatch_publish", args=[plan.pk]) in page


# --- Publish -------------------------------------------------------------------------------------


def test_publishing_makes_the_plan_the_working_plan(client_for, dispatcher, staff, jobs, day):
    booking, routine, _stray = jobs
    plan = make_plan(staff, jobs, day)
    response = client_for(dispatcher).post(
        reverse("console:dispatch_publish", args=[plan.pk]), {"day": day}
    )
    assert response.status_code == 302
    assert response["Location"] == board_url(day, plan)
    plan.refresh_from_db()
    booking.refresh_from_db()
    assert plan.state == Plan.State.PUBLISHED
    assert (booking.state, booking.assignee_id, booking.planned_day) == (
        JobState.PLANNED,
        staff.pk,
        day,
    )


def test_publishing_a_plan_twice_is_refused_with_a_clear_message(
    client_for, dispatcher, staff, jobs, day
):
    plan = make_plan(staff, jobs, day, state=Plan.State.SUPERSEDED)
    before = snapshot(plan)
    response = client_for(dispatcher).post(
        reverse("console:dispatch_publish", args=[plan.pk]), {"day": day}, **HTMX
    )
    assert response.status_code == 409
    assert 'data-error-code="conflict"' in response.content.decode()
    assert snapshot(plan) == before


def test_an_older_plan_cannot_replace_a_newer_published_one(
    client_for, dispatcher, staff, jobs, day
):
    older = make_plan(staff, jobs, day)
    newer = make_plan(staff, jobs, day)
    client = client_for(dispatcher)
    assert client.post(reverse("console:dispatch_publish", args=[newer.pk])).status_code == 302
    response = client.post(reverse("console:dispatch_publish", args=[older.pk]), follow=True)
    older.refresh_from_db()
    assert older.state == Plan.State.READY
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]]  # the refusal, on the board


# --- Move a job by hand ---------------------------------------------------------------------------


def test_moving_into_a_full_day_shows_why_and_changes_nothing(
    client_for, dispatcher, grid, jobs, day
):
    # A staff member who may make two visits a day already has two: a third does not fit.
    staff = field_staff(grids=[grid], username="fs-full", max_visits=2).user
    plan = make_plan(staff, jobs, day)
    _booking, _routine, stray = jobs
    before = snapshot(plan)
    response = client_for(dispatcher).post(
        reverse("console:dispatch_move", args=[plan.pk]),
        {"job": stray.pk, "staff": staff.pk, "position": 3, "day": day},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-error-code="invalid"' in page
    assert 'id="board-move"' in page  # the form comes back in place, with the reason
    assert snapshot(plan) == before


def test_a_job_not_of_the_day_cannot_be_chosen(client_for, dispatcher, staff, jobs, day):
    plan = make_plan(staff, jobs, day)
    other = BookingFactory(window_start=at(day + datetime.timedelta(days=1), 10))
    before = snapshot(plan)
    response = client_for(dispatcher).post(
        reverse("console:dispatch_move", args=[plan.pk]),
        {"job": other.pk, "staff": staff.pk, "position": 1, "day": day},
        **HTMX,
    )
    assert response.status_code == 422
    assert snapshot(plan) == before


def test_taking_a_stop_off_the_plan_moves_it_to_the_unplaced_list(
    client_for, dispatcher, staff, jobs, day
):
    _booking, routine, _stray = jobs
    plan = make_plan(staff, jobs, day)
    response = client_for(dispatcher).post(
        reverse("console:dispatch_move", args=[plan.pk]),
        {"job": routine.pk, "staff": "", "position": 1, "day": day},
        **HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == board_url(day, plan)
    assert not Stop.objects.filter(route__plan=plan, job=routine).exists()
    assert Unplaced.objects.filter(plan=plan, job=routine).exists()


# --- Routine visits ------------------------------------------------------------------------------


def test_generating_routine_visits_shows_the_counts(client_for, dispatcher, shop, day):
    response = client_for(dispatcher).post(
        reverse("console:dispatch_routine"), {"first_day": day, "weeks": 2, "day": day}, **HTMX
    )
    assert response.status_code == 200
    created = Job.objects.filter(kind=JobKind.ROUTINE).count()
    assert f'data-routine-created="{created}"' in response.content.decode()


def test_routine_visits_need_a_number_of_weeks(client_for, dispatcher, day):
    response = client_for(dispatcher).post(
        reverse("console:dispatch_routine"), {"first_day": day, "weeks": 40}, **HTMX
    )
    assert response.status_code == 422
    assert not Job.objects.exists()


# --- Urgent insertion ----------------------------------------------------------------------------


@pytest.fixture
def service_request(shop_owner, shop):
    from servicedesk.tests.factories import make_request

    return make_request(shop_owner, shop, title="送货少了两条")


def test_the_urgent_page_offers_to_raise_a_visit_for_the_request(
    client_for, dispatcher, service_request
):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    page = client_for(dispatcher).get(url).content.decode()
    assert "送货少了两条" in page
    assert 'id="urgent-form"' in page


def test_the_request_page_links_dispatchers_to_an_urgent_visit(
    client_for, dispatcher, account_manager, service_request
):
    link = reverse("console:dispatch_urgent", args=[service_request.pk])
    detail = reverse("console:request_detail", args=[service_request.pk])
    assert link in client_for(dispatcher).get(detail).content.decode()
    assert link not in client_for(account_manager).get(detail).content.decode()


def test_the_urgent_page_is_for_dispatchers_only(client_for, account_manager, service_request):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    assert client_for(account_manager).get(url).status_code == 403
    assert client_for(account_manager).post(url).status_code == 403
    assert not Job.objects.exists()


@pytest.fixture
def monday_morning():
    """The clock at 09:00 next Monday (urgent visits are inserted into today's routes)."""
    moment = at(next_monday(), 9)
    with time_machine.travel(moment, tick=False):
        yield moment


def test_raising_an_urgent_visit_makes_a_job_and_a_proposal(
    monday_morning, client_for, dispatcher, staff, service_request
):
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    client = client_for(dispatcher)
    response = client.post(url, {"note": "补送"})
    job = Job.objects.get(kind=JobKind.URGENT)
    proposal = Plan.objects.get(kind=Plan.Kind.REPLAN)
    assert (job.request_id, job.note) == (service_request.pk, "补送")
    assert proposal.urgent_job_id == job.pk
    assert response.status_code == 302
    assert response["Location"] == f"{url}?plan={proposal.pk}"
    page = client.get(response["Location"]).content.decode()
    assert f'data-plan="{proposal.pk}"' in page
    assert f'data-job="{job.pk}"' in page  # the request's urgent visit is listed


def test_an_urgent_visit_in_the_past_is_refused_and_nothing_is_made(
    monday_morning, client_for, dispatcher, staff, service_request
):
    yesterday = (monday_morning - datetime.timedelta(days=1)).date()
    response = client_for(dispatcher).post(
        reverse("console:dispatch_urgent", args=[service_request.pk]),
        {"day": yesterday.isoformat(), "start_time": "10:00", "end_time": "12:00"},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-error-code="invalid"' in page and 'id="urgent-form"' in page
    assert 'name="day"' in page and 'name="start_time"' in page  # the form keeps its fields
    assert not Job.objects.filter(kind=JobKind.URGENT).exists()
    assert not Plan.objects.exists()


def test_a_proposal_shows_each_changed_route_before_and_after(
    client_for, dispatcher, staff, jobs, day, service_request
):
    booking, routine, _stray = jobs
    urgent = Job.objects.create(
        shop=service_request.shop,
        kind=JobKind.URGENT,
        service_item=item(),
        duration_min=30,
        window_start=at(day, 9),
        window_end=at(day, 17),
        request=service_request,
    )
    proposal = Plan.objects.create(
        kind=Plan.Kind.REPLAN,
        state=Plan.State.READY,
        first_day=day,
        last_day=day,
        urgent_job=urgent,
        changes=[
            {
                "staff_id": staff.pk,
                "staff": "张三",
                "before": [booking.pk, routine.pk],
                "after": [booking.pk, urgent.pk, routine.pk],
                "added": [urgent.pk],
                "removed": [],
                "retimed": 1,
                "extra_travel_s": 600,
            }
        ],
    )
    url = reverse("console:dispatch_urgent", args=[service_request.pk])
    page = client_for(dispatcher).get(url).content.decode()
    assert f'data-plan="{proposal.pk}"' in page  # the latest proposal for the request's job
    assert "张三" in page
    after = page.split("change-list-stops")[2]
    assert "data-added" in after and service_request.shop.name in after
    assert "东城烟酒店" in after and "西湖便利店" in after
    assert reverse("console:dispatch_publish", args=[proposal.pk]) in page
    row = next(iter(client_for(dispatcher).get(url).context["proposal_rows"]))
    assert (row["retimed"], row["extra_travel_min"]) == (1, 10)


def test_the_board_costs_the_same_queries_however_many_routes(
    client_for, dispatcher, grid, staff, jobs, day, django_assert_max_num_queries
):
    plan = make_plan(staff, jobs, day)
    client = client_for(dispatcher)
    client.get(board_url(day, plan))  # warm the per-process caches (work rules, catalogue)
    with django_assert_max_num_queries(QUERIES) as one:
        client.get(board_url(day, plan))
    for n in range(3):
        other = field_staff(grids=[grid], username=f"fs-more-{n}").user
        shop = ShopFactory(grid=grid)
        extra = BookingFactory(shop=shop, window_start=at(day, 13), window_end=at(day, 15))
        route = Route.objects.create(
            plan=plan,
            staff=other,
            day=day,
            shift_start=at(day, 8, 30),
            shift_end=at(day, 17, 30),
        )
        Stop.objects.create(
            route=route, job=extra, seq=0, arrival=at(day, 13), start=at(day, 13), end=at(day, 14)
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(board_url(day, plan))
