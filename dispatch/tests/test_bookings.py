"""Bookings: offered windows can be kept, a booking reserves a staff member, cut-off rules."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from accounts.models import Role
from accounts.tests.factories import UserFactory
from customers.tests.factories import ShopFactory
from dispatch.models import Job, JobEvent, JobKind, JobState, WorkRules
from dispatch.services import bookings
from dispatch.tests.factories import BookingFactory, at, field_staff, item
from flexserve.errors import Invalid, NotFound

# Monday 2 March 2026, 09:00 in Hefei: tomorrow is a Tuesday.
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = NOW.date()
TOMORROW = TODAY + datetime.timedelta(days=1)
ALL_WEEK = list(range(7))


pytestmark = pytest.mark.usefixtures("stopped_clock")


def starts(windows):
    return [timezone_hhmm(w.start) for w in windows]


def timezone_hhmm(moment):
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%H:%M")


def opens(windows):
    return [w.open for w in windows]


def test_windows_run_from_the_earliest_start_in_steps_and_all_open_on_a_free_day(
    shop_owner, shop, staff
):
    windows = bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, TOMORROW)
    assert starts(windows) == ["08:30", "10:30", "12:30", "14:30"]
    assert opens(windows) == [True, True, True, True]


def test_a_window_the_staff_members_bookings_make_impossible_is_closed(
    shop_owner, shop, grid, staff
):
    far = ShopFactory(grid=grid, latitude=Decimal("31.900000"), longitude=Decimal("117.300000"))
    # A three-hour visit starting by 09:10, half an hour's drive away, fills the morning.
    BookingFactory(
        shop=far,
        duration_min=180,
        window_start=at(TOMORROW, 8, 30),
        window_end=at(TOMORROW, 9, 10),
        assignee=staff,
        planned_day=TOMORROW,
    )
    windows = bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, TOMORROW)
    assert opens(windows) == [False, False, True, True]


def test_a_full_day_closes_every_window(shop_owner, shop, grid):
    user = field_staff(grids=[grid], work_weekdays=ALL_WEEK, max_visits=1).user
    BookingFactory(shop=shop, assignee=user, planned_day=TOMORROW, window_start=at(TOMORROW, 15))
    windows = bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, TOMORROW)
    assert windows and not any(opens(windows))


def test_a_window_needing_a_skill_nobody_here_holds_is_closed(shop_owner, shop, staff):
    shop.segment = "core"
    shop.save(update_fields=["segment"])
    windows = bookings.offered_windows(shop_owner, shop.pk, item("display_coaching").pk, TOMORROW)
    assert windows and not any(opens(windows))


def test_a_staff_member_with_the_skill_opens_the_windows(shop_owner, shop, grid, staff):
    shop.segment = "core"
    shop.save(update_fields=["segment"])
    field_staff(grids=[grid], skills=["display"], work_weekdays=ALL_WEEK)
    windows = bookings.offered_windows(shop_owner, shop.pk, item("display_coaching").pk, TOMORROW)
    assert all(opens(windows))


def test_windows_starting_before_the_lead_time_are_closed(shop_owner, shop, staff):
    windows = bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, TODAY)
    # 09:00 now, two hours' lead: 08:30 and 10:30 are too soon.
    assert opens(windows) == [False, False, True, True]


@pytest.mark.parametrize(
    ("day", "lead"),
    [
        (TODAY - datetime.timedelta(days=1), 2),  # over
        (TOMORROW, 48),  # too soon
        (TODAY + datetime.timedelta(days=15), 2),  # too far (14 days)
    ],
)
def test_days_outside_the_booking_range_are_refused(shop_owner, shop, staff, day, lead):
    WorkRules.objects.update_or_create(pk=1, defaults={"booking_lead_hours": lead})
    with pytest.raises(Invalid) as exc:
        bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, day)
    assert "day" in exc.value.fields


def test_an_item_outside_the_shops_plan_is_refused(shop_owner, shop, staff):
    # An ordinary shop's plan has no display coaching.
    with pytest.raises(Invalid) as exc:
        bookings.offered_windows(shop_owner, shop.pk, item("display_coaching").pk, TOMORROW)
    assert "service_item_id" in exc.value.fields
    with pytest.raises(Invalid):
        bookings.book(
            shop_owner,
            shop_id=shop.pk,
            service_item_id=item("display_coaching").pk,
            window_start=at(TOMORROW, 8, 30),
        )
    assert not Job.objects.exists()


def test_booking_reserves_the_window_on_the_shops_account_manager(shop_owner, shop, grid, staff):
    manager = field_staff(grids=[grid], work_weekdays=ALL_WEEK, username="wang").user
    shop.account_manager = manager
    shop.save(update_fields=["account_manager"])
    job = bookings.book(
        shop_owner,
        shop_id=shop.pk,
        service_item_id=item("policy_briefing").pk,
        window_start=at(TOMORROW, 10, 30),
        note="请带新品资料",
    )
    assert (job.kind, job.state, job.assignee, job.planned_day) == (
        JobKind.BOOKING,
        JobState.OPEN,
        manager,
        TOMORROW,
    )
    assert (job.window_start, job.window_end) == (at(TOMORROW, 10, 30), at(TOMORROW, 12, 30))
    assert job.duration_min == 15
    event = job.events.get()
    assert (event.kind, event.actor, event.data["assignee"]) == (
        JobEvent.Kind.CREATED,
        shop_owner,
        manager.pk,
    )


def test_booking_goes_to_the_least_loaded_staff_member(shop_owner, shop, grid, staff):
    other = field_staff(grids=[grid], work_weekdays=ALL_WEEK).user
    BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW, window_start=at(TOMORROW, 15))
    job = bookings.book(
        shop_owner,
        shop_id=shop.pk,
        service_item_id=item("policy_briefing").pk,
        window_start=at(TOMORROW, 8, 30),
    )
    assert job.assignee == other


def test_the_last_capacity_cannot_be_booked_twice(shop_owner, shop, grid):
    field_staff(grids=[grid], work_weekdays=ALL_WEEK, max_visits=1)
    neighbour = ShopFactory(grid=grid)
    owner = UserFactory(role=Role.SHOP_OWNER)
    neighbour.owner_account = owner
    neighbour.save(update_fields=["owner_account"])
    args = {"service_item_id": item("policy_briefing").pk, "window_start": at(TOMORROW, 8, 30)}
    bookings.book(shop_owner, shop_id=shop.pk, **args)
    with pytest.raises(bookings.WindowTaken) as exc:
        bookings.book(owner, shop_id=neighbour.pk, **args)
    assert exc.value.status == 409
    assert Job.objects.count() == 1


def test_a_window_that_is_not_offered_is_refused(shop_owner, shop, staff):
    with pytest.raises(Invalid) as exc:
        bookings.book(
            shop_owner,
            shop_id=shop.pk,
            service_item_id=item("policy_briefing").pk,
            window_start=at(TOMORROW, 9, 0),
        )
    assert "window_start" in exc.value.fields
    assert not Job.objects.exists()


def test_nobody_working_means_no_windows_and_no_booking(shop_owner, shop):
    assert bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, TOMORROW) == []
    with pytest.raises(Invalid):
        bookings.book(
            shop_owner,
            shop_id=shop.pk,
            service_item_id=item("policy_briefing").pk,
            window_start=at(TOMORROW, 8, 30),
        )


def _booked(shop, owner, staff, hour=10, minute=30, day=TOMORROW):
    return bookings.book(
        owner,
        shop_id=shop.pk,
        service_item_id=item("policy_briefing").pk,
        window_start=at(day, hour, minute),
    )


def test_reschedule_moves_the_window_and_keeps_the_staff_member(shop_owner, shop, staff):
    job = _booked(shop, shop_owner, staff)
    Job.objects.filter(pk=job.pk).update(state=JobState.PLANNED)
    moved = bookings.reschedule(shop_owner, job.pk, window_start=at(TOMORROW, 14, 30))
    assert (moved.window_start, moved.window_end) == (at(TOMORROW, 14, 30), at(TOMORROW, 16, 30))
    assert (moved.state, moved.assignee) == (JobState.OPEN, staff)
    event = moved.events.get(kind=JobEvent.Kind.RESCHEDULED)
    assert event.data["from"][0] == at(TOMORROW, 10, 30).isoformat()
    assert event.data["to"][0] == at(TOMORROW, 14, 30).isoformat()


def test_reschedule_does_not_count_the_booking_against_itself(shop_owner, shop, grid):
    user = field_staff(grids=[grid], work_weekdays=ALL_WEEK, max_visits=1).user
    job = _booked(shop, shop_owner, user)
    moved = bookings.reschedule(shop_owner, job.pk, window_start=at(TOMORROW, 8, 30))
    assert moved.assignee == user


@pytest.fixture
def todays_booking(shop, staff):
    """A booking at 12:30 today: with the default cut-off (4 h before) changes ended at 08:30."""
    return BookingFactory(
        shop=shop,
        assignee=staff,
        planned_day=TODAY,
        window_start=at(TODAY, 12, 30),
        window_end=at(TODAY, 14, 30),
    )


def test_reschedule_and_cancel_inside_the_cutoff_are_refused(shop_owner, todays_booking):
    job = todays_booking
    with pytest.raises(bookings.CutoffPassed):
        bookings.reschedule(shop_owner, job.pk, window_start=at(TOMORROW, 14, 30))
    with pytest.raises(bookings.CutoffPassed):
        bookings.cancel(shop_owner, job.pk, reason="有事")
    job.refresh_from_db()
    assert (job.state, job.window_start, job.version) == (JobState.OPEN, at(TODAY, 12, 30), 1)
    assert not job.events.exists()


def test_cancel_records_the_reason(shop_owner, shop, staff):
    job = _booked(shop, shop_owner, staff)
    cancelled = bookings.cancel(shop_owner, job.pk, reason="店里装修")
    assert cancelled.state == JobState.CANCELLED
    assert cancelled.events.get(kind=JobEvent.Kind.CANCELLED).data == {"reason": "店里装修"}
    # Its room is free again.
    windows = bookings.offered_windows(shop_owner, shop.pk, item("policy_briefing").pk, TOMORROW)
    assert all(opens(windows))


@pytest.mark.parametrize("state", [JobState.CANCELLED, JobState.DONE])
def test_a_closed_booking_cannot_be_rescheduled(shop_owner, shop, staff, state):
    job = _booked(shop, shop_owner, staff)
    Job.objects.filter(pk=job.pk).update(state=state)
    with pytest.raises(bookings.BookingClosed) as exc:
        bookings.reschedule(shop_owner, job.pk, window_start=at(TOMORROW, 14, 30))
    assert exc.value.status == 409
    with pytest.raises(bookings.BookingClosed):
        bookings.cancel(shop_owner, job.pk)


def test_another_shops_owner_gets_not_found(shop_owner, other_shop_owner, shop, staff):
    job = _booked(shop, shop_owner, staff)
    with pytest.raises(NotFound):
        bookings.offered_windows(other_shop_owner, shop.pk, item("policy_briefing").pk, TOMORROW)
    with pytest.raises(NotFound):
        _booked(shop, other_shop_owner, staff, hour=14)
    with pytest.raises(NotFound):
        bookings.reschedule(other_shop_owner, job.pk, window_start=at(TOMORROW, 14, 30))
    with pytest.raises(NotFound):
        bookings.cancel(other_shop_owner, job.pk)
    job.refresh_from_db()
    assert job.state == JobState.OPEN


def test_staff_book_for_shops_they_see_only(account_manager, shop, other_shop, staff):
    job = _booked(shop, account_manager, staff)
    assert job.created_by == account_manager
    with pytest.raises(NotFound):
        bookings.offered_windows(
            account_manager, other_shop.pk, item("policy_briefing").pk, TOMORROW
        )


@pytest.mark.parametrize(
    ("hours", "said", "said_zh"),
    [
        (4, "until 08:30 on the day of the visit.", "修改截止时间为 上门当天 08:30，"),
        (16, "until 20:30 the day before.", "修改截止时间为 前一天 20:30，"),
        (40, "until February 28 20:30.", "修改截止时间为 02月28日 20:30，"),
    ],
)
def test_the_cutoff_refusal_says_the_deadline_relative_to_the_visit(
    shop_owner, todays_booking, hours, said, said_zh
):
    WorkRules.objects.update_or_create(pk=1, defaults={"change_cutoff_hours": hours})
    job = todays_booking
    with pytest.raises(bookings.CutoffPassed) as refused:
        bookings.cancel(shop_owner, job.pk, reason="有事")
    assert said in refused.value.render_message()
    with translation.override("zh-hans"), pytest.raises(bookings.CutoffPassed) as refused:
        bookings.reschedule(shop_owner, job.pk, window_start=at(TOMORROW, 14, 30))
    assert said_zh in str(refused.value)  # rendered when raised, in the language then active
