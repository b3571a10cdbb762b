"""Check-in and check-out of a visit (dispatch.services.visits) and the day's route
(dispatch.field_selectors)."""

import datetime
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Role
from accounts.tests.factories import UserFactory
from dispatch import field_selectors
from dispatch.models import (
    Job,
    JobEvent,
    JobState,
    Plan,
    Route,
    Stop,
    VisitOutcome,
    VisitPhoto,
    VisitReport,
)
from dispatch.services import visits
from dispatch.tests.factories import BookingFactory, RoutineJobFactory, at, field_staff
from flexserve.errors import Forbidden, Invalid, NotFound
from servicedesk.models import Comment, RequestEvent
from servicedesk.tests.factories import make_request

SHOP_LAT, SHOP_LNG = 31.82, 117.23  # ShopFactory's position
# Making a service request reverses console URLs; see urls_field_local.


def jpeg(name: str = "shelf.jpg", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def staff(grid):
    return field_staff(grids=[grid], username="field1").user


@pytest.fixture
def colleague(grid):
    return field_staff(grids=[grid], username="field2").user


def routine_job(shop, assignee, *, day=None, state=JobState.PLANNED, start_hour=9, **extra):
    day = day or timezone.localdate()
    return RoutineJobFactory(
        shop=shop,
        assignee=assignee,
        state=state,
        due_on=day,
        planned_day=day,
        planned_start=at(day, start_hour),
        **extra,
    )


@pytest.fixture
def job(shop, staff):
    return routine_job(shop, staff)


def checked_in(job, staff, **position):
    return visits.check_in(
        staff,
        job.pk,
        latitude=position.get("lat", SHOP_LAT),
        longitude=position.get("lng", SHOP_LNG),
    )


def check_out(job, staff, **overrides):
    kwargs = {
        "latitude": None,
        "longitude": None,
        "outcome": VisitOutcome.DONE,
        "work_done": "整理货架，检查价签",
        "coaching": "讲解新品陈列",
        "photos": (),
    } | overrides
    return visits.check_out(staff, job.pk, **kwargs)


def media_files() -> list[str]:
    from django.conf import settings

    found = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(root, f) for f in files]
    return found


# --- check-in -----------------------------------------------------------------------------------


def test_check_in_stamps_time_and_position_and_puts_the_job_on_site(job, staff):
    before = timezone.now()
    report = checked_in(job, staff)
    job.refresh_from_db()
    assert job.state == JobState.IN_PROGRESS
    assert report.staff == staff and report.checked_in_at >= before
    assert (float(report.in_latitude), float(report.in_longitude)) == (SHOP_LAT, SHOP_LNG)
    event = JobEvent.objects.get(job=job, kind=JobEvent.Kind.CHECKED_IN)
    assert event.actor == staff
    assert event.data["far"] is False and event.data["distance_m"] == 0


def test_check_in_without_a_position_is_allowed(job, staff):
    report = visits.check_in(staff, job.pk, latitude=None, longitude=None)
    assert report.in_latitude is None
    assert JobEvent.objects.get(job=job, kind="checked_in").data == {"position": False}


def test_check_in_far_from_the_shop_counts_but_is_flagged(job, staff):
    checked_in(job, staff, lat=SHOP_LAT + 0.05, lng=SHOP_LNG)  # about 5.6 km north
    data = JobEvent.objects.get(job=job, kind="checked_in").data
    assert data["far"] is True and 5000 < data["distance_m"] < 6000
    (stop,) = field_selectors.my_day(staff, timezone.localdate())
    assert stop.far


def test_an_open_job_assigned_to_the_staff_member_can_be_checked_in(shop, staff):
    booking = BookingFactory(
        shop=shop,
        assignee=staff,
        state=JobState.OPEN,
        window_start=at(timezone.localdate(), 10),
        window_end=at(timezone.localdate(), 12),
    )
    visits.check_in(staff, booking.pk, latitude=None, longitude=None)
    booking.refresh_from_db()
    assert booking.state == JobState.IN_PROGRESS


@pytest.mark.parametrize(
    ("lat", "lng", "field"),
    [
        (91, 117, "latitude"),
        (31, -180.5, "longitude"),
        ("north", 117, "latitude"),
        (31, None, "latitude"),
    ],
)
def test_check_in_with_a_bad_position_changes_nothing(job, staff, lat, lng, field):
    with pytest.raises(Invalid) as error:
        visits.check_in(staff, job.pk, latitude=lat, longitude=lng)
    assert field in error.value.fields
    job.refresh_from_db()
    assert job.state == JobState.PLANNED
    assert not VisitReport.objects.exists() and not JobEvent.objects.exists()


def test_a_colleague_of_the_territory_sees_the_job_but_may_not_check_in(job, colleague):
    with pytest.raises(Forbidden) as error:
        visits.check_in(colleague, job.pk, latitude=None, longitude=None)
    assert (error.value.status, error.value.code) == (403, "visit_not_yours")
    assert not VisitReport.objects.exists()


def test_staff_of_another_territory_gets_not_found(job, other_shop):
    outsider = field_staff(grids=[other_shop.grid], username="far-away").user
    with pytest.raises(NotFound):
        visits.check_in(outsider, job.pk, latitude=None, longitude=None)


def test_a_dispatcher_may_not_check_in(job, dispatcher):
    job.assignee = dispatcher
    job.save()
    with pytest.raises(Forbidden) as error:
        visits.check_in(dispatcher, job.pk, latitude=None, longitude=None)
    assert error.value.code == "forbidden"


def test_check_in_on_another_day_is_refused(shop, staff):
    tomorrow = routine_job(shop, staff, day=timezone.localdate() + datetime.timedelta(days=1))
    with pytest.raises(visits.VisitNotToday) as error:
        visits.check_in(staff, tomorrow.pk, latitude=None, longitude=None)
    assert error.value.status == 409
    tomorrow.refresh_from_db()
    assert tomorrow.state == JobState.PLANNED


def test_a_second_check_in_is_a_conflict(job, staff):
    checked_in(job, staff)
    with pytest.raises(visits.AlreadyCheckedIn) as error:
        checked_in(job, staff)
    assert (error.value.status, error.value.code) == (409, "visit_checked_in")
    assert VisitReport.objects.count() == 1
    assert JobEvent.objects.filter(kind="checked_in").count() == 1


def test_a_cancelled_job_cannot_be_checked_in(shop, staff):
    cancelled = routine_job(shop, staff, state=JobState.CANCELLED)
    with pytest.raises(visits.VisitNotOpen):
        visits.check_in(staff, cancelled.pk, latitude=None, longitude=None)


# --- check-out ----------------------------------------------------------------------------------


def test_check_out_closes_the_job_with_the_report_and_photos(job, staff):
    checked_in(job, staff)
    report = check_out(
        job, staff, photos=[jpeg("a.jpg"), jpeg("b.jpg")], latitude=SHOP_LAT, longitude=SHOP_LNG
    )
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert report.outcome == VisitOutcome.DONE and report.checked_out_at is not None
    assert report.work_done == "整理货架，检查价签" and report.coaching == "讲解新品陈列"
    photos = list(report.photos.all())
    assert [p.content_type for p in photos] == ["image/jpeg", "image/jpeg"]
    assert all(p.file.name.startswith(f"visits/{job.pk}/") for p in photos)
    kinds = list(JobEvent.objects.filter(job=job).values_list("kind", flat=True))
    assert kinds == ["checked_in", "checked_out"]
    assert JobEvent.objects.get(kind="checked_out").data["photos"] == 2


def test_a_visit_that_could_not_be_made_closes_the_job_as_missed(job, staff):
    checked_in(job, staff)
    check_out(job, staff, outcome=VisitOutcome.SHOP_CLOSED, work_done="")
    job.refresh_from_db()
    assert job.state == JobState.MISSED
    kinds = list(JobEvent.objects.filter(job=job).values_list("kind", flat=True))
    assert kinds == ["checked_in", "checked_out", "missed"]


def test_check_out_without_check_in_is_a_conflict(job, staff):
    with pytest.raises(visits.NotCheckedIn) as error:
        check_out(job, staff)
    assert (error.value.status, error.value.code) == (409, "visit_not_checked_in")
    job.refresh_from_db()
    assert job.state == JobState.PLANNED


def test_a_second_check_out_is_a_conflict(job, staff):
    checked_in(job, staff)
    check_out(job, staff)
    with pytest.raises(visits.AlreadyCheckedOut):
        check_out(job, staff, work_done="again")
    assert VisitReport.objects.get().work_done == "整理货架，检查价签"


def test_only_the_person_who_checked_in_checks_out(job, staff, colleague):
    checked_in(job, staff)
    with pytest.raises(Forbidden):
        check_out(job, colleague)
    job.refresh_from_db()
    assert job.state == JobState.IN_PROGRESS


def test_work_done_is_required_when_the_outcome_is_done(job, staff):
    checked_in(job, staff)
    with pytest.raises(Invalid) as error:
        check_out(job, staff, work_done="   ")
    assert list(error.value.fields) == ["work_done"]
    job.refresh_from_db()
    assert job.state == JobState.IN_PROGRESS
    assert VisitReport.objects.get().checked_out_at is None


def test_an_unknown_outcome_is_refused(job, staff):
    checked_in(job, staff)
    with pytest.raises(Invalid) as error:
        check_out(job, staff, outcome="partly")
    assert "outcome" in error.value.fields


def test_a_text_file_named_jpg_is_refused_and_nothing_is_saved(job, staff):
    checked_in(job, staff)
    fake = SimpleUploadedFile("shelf.jpg", b"just some text\n" * 10, content_type="image/jpeg")
    with pytest.raises(Invalid) as error:
        check_out(job, staff, photos=[jpeg("good.jpg"), fake])
    assert "photos" in error.value.fields
    job.refresh_from_db()
    assert job.state == JobState.IN_PROGRESS
    assert not VisitPhoto.objects.exists()
    assert VisitReport.objects.get().checked_out_at is None
    assert media_files() == []
    assert not JobEvent.objects.filter(kind="checked_out").exists()


def test_seven_photos_are_refused(job, staff):
    checked_in(job, staff)
    with pytest.raises(Invalid) as error:
        check_out(job, staff, photos=[jpeg(f"{n}.jpg") for n in range(7)])
    assert "photos" in error.value.fields
    assert not VisitPhoto.objects.exists() and media_files() == []


def test_six_photos_are_accepted(job, staff):
    checked_in(job, staff)
    report = check_out(job, staff, photos=[jpeg(f"{n}.jpg") for n in range(6)])
    assert report.photos.count() == 6


def test_a_photo_over_5_mb_is_refused(job, staff):
    checked_in(job, staff)
    big = jpeg("big.jpg")
    big.size = 5 * 1024 * 1024 + 1
    with pytest.raises(Invalid):
        check_out(job, staff, photos=[big])
    assert not VisitPhoto.objects.exists()


def test_closing_a_job_raised_from_a_service_request_notes_the_visit_on_the_request(
    job, staff, shop, shop_owner
):
    request = make_request(shop_owner, shop)
    job.request = request
    job.save()
    events_before = RequestEvent.objects.filter(request=request).count()
    checked_in(job, staff)
    check_out(job, staff)
    comment = Comment.objects.get(request=request)
    assert comment.author == staff and comment.internal
    assert "整理货架，检查价签" in comment.body and "讲解新品陈列" in comment.body
    assert RequestEvent.objects.filter(request=request).count() == events_before + 1


def test_a_refused_check_out_adds_no_request_comment(job, staff, shop, shop_owner):
    job.request = make_request(shop_owner, shop)
    job.save()
    checked_in(job, staff)
    with pytest.raises(Invalid):
        check_out(job, staff, work_done="")
    assert not Comment.objects.exists()


# --- my day -------------------------------------------------------------------------------------


def publish_route(staff, day, jobs, *, state=Plan.State.PUBLISHED, published_at=None):
    plan = Plan.objects.create(
        first_day=day,
        last_day=day,
        state=state,
        published_at=published_at or timezone.now(),
    )
    route = Route.objects.create(
        plan=plan, staff=staff, day=day, shift_start=at(day, 8, 30), shift_end=at(day, 17, 30)
    )
    for seq, (job, hour) in enumerate(jobs, start=1):
        Stop.objects.create(
            route=route,
            job=job,
            seq=seq,
            arrival=at(day, hour),
            start=at(day, hour),
            end=at(day, hour, 30),
        )
    return plan


def test_my_day_follows_the_published_routes_order(grid, staff):
    from customers.tests.factories import ShopFactory

    day = timezone.localdate()
    shops = [ShopFactory(grid=grid, name=f"店{n}") for n in range(3)]
    # planned_start would order them 0, 1, 2; the route says 2, 0, 1.
    jobs = [routine_job(s, staff, start_hour=8 + n) for n, s in enumerate(shops)]
    publish_route(staff, day, [(jobs[2], 9), (jobs[0], 10), (jobs[1], 11)])
    # A draft plan with another order is not the working plan.
    publish_route(staff, day, [(jobs[1], 9), (jobs[0], 10)], state=Plan.State.READY)
    stops = field_selectors.my_day(staff, day)
    assert [s.job.pk for s in stops] == [jobs[2].pk, jobs[0].pk, jobs[1].pk]
    assert [s.seq for s in stops] == [1, 2, 3]
    first = stops[0]
    assert first.shop_name == "店2" and first.planned_start == at(day, 9)
    assert first.masked_phone == shops[2].masked_phone and "*" in first.masked_phone
    assert (first.lat, first.lng) == (SHOP_LAT, SHOP_LNG)


def test_my_day_takes_the_latest_published_plan_and_adds_later_bookings(grid, shop, staff):
    day = timezone.localdate()
    a = routine_job(shop, staff, start_hour=9)
    b = routine_job(shop, staff, start_hour=10)
    publish_route(
        staff, day, [(a, 9), (b, 10)], published_at=timezone.now() - datetime.timedelta(hours=2)
    )
    publish_route(staff, day, [(b, 9), (a, 10)])
    late = BookingFactory(
        shop=shop,
        assignee=staff,
        planned_day=day,
        window_start=at(day, 15),
        window_end=at(day, 17),
    )
    assert [s.job.pk for s in field_selectors.my_day(staff, day)] == [b.pk, a.pk, late.pk]


def test_without_a_published_plan_my_day_lists_assigned_jobs_by_planned_start(
    shop, staff, colleague
):
    day = timezone.localdate()
    later = routine_job(shop, staff, start_hour=14)
    sooner = routine_job(shop, staff, start_hour=9)
    routine_job(shop, colleague, start_hour=8)  # someone else's
    routine_job(shop, staff, start_hour=8, state=JobState.CANCELLED)
    routine_job(shop, staff, day=day + datetime.timedelta(days=1))
    stops = field_selectors.my_day(staff, day)
    assert [s.job.pk for s in stops] == [sooner.pk, later.pk]
    summary = field_selectors.day_summary(stops)
    assert (summary.visits, summary.done, summary.next_stop.job.pk) == (2, 0, sooner.pk)


def test_my_day_is_for_field_staff(dispatcher):
    with pytest.raises(Forbidden):
        field_selectors.my_day(dispatcher, timezone.localdate())


def test_my_day_reads_a_fixed_number_of_queries(grid, staff, django_assert_num_queries):
    from customers.tests.factories import ShopFactory

    day = timezone.localdate()
    jobs = [routine_job(ShopFactory(grid=grid), staff, start_hour=8 + n) for n in range(5)]
    publish_route(staff, day, [(j, 8 + n) for n, j in enumerate(jobs)])
    staff = type(staff).objects.get(pk=staff.pk)  # no cached territory
    with django_assert_num_queries(5):
        assert len(field_selectors.my_day(staff, day)) == 5


# --- shop visits --------------------------------------------------------------------------------


def test_shop_visits_lists_reports_newest_first_with_photos(shop, staff):
    first = routine_job(shop, staff, start_hour=9)
    second = routine_job(shop, staff, start_hour=11)
    checked_in(first, staff)
    check_out(first, staff, photos=[jpeg()])
    checked_in(second, staff)
    VisitReport.objects.filter(job=first).update(
        checked_in_at=timezone.now() - datetime.timedelta(hours=3)
    )
    visits_seen = field_selectors.shop_visits(staff, shop.pk)
    assert [v.job_id for v in visits_seen] == [second.pk, first.pk]
    assert visits_seen[1].photos.count() == 1 and visits_seen[1].far is False


def test_shop_visits_of_a_shop_out_of_scope_is_not_found(shop, other_shop_owner):
    with pytest.raises(NotFound):
        field_selectors.shop_visits(other_shop_owner, shop.pk)


def test_shop_visits_for_an_account_manager_of_another_territory_is_not_found(shop, other_shop):
    outsider = UserFactory(username="am-other", role=Role.ACCOUNT_MANAGER)
    other_shop.grid.staff.add(outsider)
    with pytest.raises(NotFound):
        field_selectors.shop_visits(outsider, shop.pk)
    assert Job.objects.count() == 0
