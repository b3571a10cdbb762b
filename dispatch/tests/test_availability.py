"""Working time: rules, who may set whose day, days off refused while visits are booked."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from audit.models import AuditEntry
from dispatch.models import Availability, StaffProfile, WorkRules
from dispatch.services import availability
from dispatch.tests.factories import BookingFactory, at, field_staff
from flexserve.errors import Forbidden, Invalid

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
TODAY = NOW.date()
TOMORROW = TODAY + datetime.timedelta(days=1)
T = datetime.time


pytestmark = pytest.mark.usefixtures("stopped_clock")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (T(7, 0), T(15, 0), "start"),  # before 07:30
        (T(11, 0), T(19, 30), "end"),  # after 19:00
        (T(9, 0), T(14, 0), "end"),  # five hours: too short
        (T(7, 30), T(18, 30), "end"),  # eleven hours: too long
        (T(12, 0), T(8, 0), "end"),  # backwards
    ],
)
def test_hours_outside_the_rules_are_refused_with_the_field(staff, start, end, field):
    with pytest.raises(Invalid) as exc:
        availability.set_day(staff, staff.pk, TOMORROW, kind="work", start=start, end=end)
    assert field in exc.value.fields
    assert not Availability.objects.exists()


def test_a_day_without_room_for_lunch_is_refused(staff):
    WorkRules.objects.update_or_create(pk=1, defaults={"min_shift_hours": Decimal(4)})
    with pytest.raises(Invalid) as exc:
        availability.set_day(staff, staff.pk, TOMORROW, kind="work", start=T(13, 30), end=T(19))
    assert "lunch" in exc.value.fields["__all__"][0] or "午" in exc.value.fields["__all__"][0]


def test_staff_set_their_own_hours_and_the_change_is_audited(staff):
    row = availability.set_day(
        staff, staff.pk, TOMORROW, kind="work", start=T(7, 30), end=T(16), note="早班"
    )
    assert (row.kind, row.start, row.end, row.set_by) == ("work", T(7, 30), T(16), staff)
    entry = AuditEntry.objects.get(action="availability.set")
    assert entry.changes["start"] == [None, "07:30:00"]


def test_staff_cannot_set_someone_elses_day(staff, grid):
    colleague = field_staff(grids=[grid]).user
    with pytest.raises(Forbidden):
        availability.set_day(staff, colleague.pk, TOMORROW, kind="off")
    assert not Availability.objects.exists()


def test_a_dispatcher_sets_anyones_day(dispatcher, staff):
    row = availability.set_day(dispatcher, staff.pk, TOMORROW, kind="leave", note="年假")
    assert (row.kind, row.start, row.set_by) == ("leave", None, dispatcher)


def test_a_shop_owner_cannot_set_hours(shop_owner, staff):
    with pytest.raises(Forbidden):
        availability.set_day(shop_owner, staff.pk, TOMORROW, kind="off")


def test_staff_change_today_only_before_they_start(staff):
    # 09:00 now; the usual day started 08:30.
    with pytest.raises(Invalid) as exc:
        availability.set_day(staff, staff.pk, TODAY, kind="off")
    assert "day" in exc.value.fields
    with time_machine.travel(NOW.replace(hour=7), tick=False):
        assert availability.set_day(staff, staff.pk, TODAY, kind="off").kind == "off"


def test_a_past_day_is_refused_even_for_a_dispatcher(dispatcher, staff):
    with pytest.raises(Invalid):
        availability.set_day(dispatcher, staff.pk, TODAY - datetime.timedelta(days=1), kind="off")


def test_a_day_off_is_refused_while_visits_are_booked_on_that_day(dispatcher, staff, shop):
    BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW)
    BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW, window_start=at(TOMORROW, 14))
    with pytest.raises(Invalid) as exc:
        availability.set_day(dispatcher, staff.pk, TOMORROW, kind="off")
    message = exc.value.fields["kind"][0]
    assert "2" in message and shop.name in message
    assert not Availability.objects.exists()


def test_shorter_hours_that_break_a_booked_visit_are_refused(staff, shop):
    BookingFactory(shop=shop, assignee=staff, planned_day=TOMORROW, window_start=at(TOMORROW, 16))
    with pytest.raises(Invalid):
        availability.set_day(staff, staff.pk, TOMORROW, kind="work", start=T(7, 30), end=T(14))
    assert not Availability.objects.exists()
    # Hours that still hold the visit are fine.
    availability.set_day(staff, staff.pk, TOMORROW, kind="work", start=T(9), end=T(18, 30))


def test_clearing_a_day_goes_back_to_the_usual_week(staff):
    availability.set_day(staff, staff.pk, TOMORROW, kind="off")
    availability.clear_day(staff, staff.pk, TOMORROW)
    assert not Availability.objects.exists()
    assert AuditEntry.objects.filter(action="availability.cleared").count() == 1


def test_rules_are_edited_by_managers_and_audited(service_manager, dispatcher):
    with pytest.raises(Forbidden):
        availability.update_rules(dispatcher, window_minutes=90)
    rules = availability.update_rules(service_manager, window_minutes=90, earliest_start=T(7))
    assert (rules.window_minutes, rules.earliest_start) == (90, T(7))
    entry = AuditEntry.objects.get(action="work_rules.updated")
    assert entry.changes["window_minutes"] == [120, 90]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"earliest_start": T(20)}, "latest_end"),
        ({"min_shift_hours": Decimal(11)}, "max_shift_hours"),
        ({"lunch_from": T(7)}, "lunch_from"),
        ({"lunch_until": T(11)}, "lunch_until"),
        ({"window_minutes": 10}, "window_minutes"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_refused_and_nothing_changes(service_manager, fields, bad):
    with pytest.raises(Invalid) as exc:
        availability.update_rules(service_manager, **fields)
    assert bad in exc.value.fields
    assert WorkRules.current().earliest_start == T(7, 30)
    assert not AuditEntry.objects.exists()


def test_a_dispatcher_saves_a_profile(dispatcher, account_manager):
    profile = availability.save_profile(
        dispatcher,
        account_manager.pk,
        home_latitude="31.86",
        home_longitude="117.28",
        work_weekdays=[4, 0, 1],
        max_visits=8,
    )
    assert (profile.work_weekdays, profile.max_visits) == ([0, 1, 4], 8)
    assert AuditEntry.objects.filter(action="staff_profile.saved").exists()


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"home_latitude": "95", "home_longitude": "117"}, "home_latitude"),
        ({"home_latitude": "31", "home_longitude": "east"}, "home_longitude"),
        ({"home_latitude": "31", "home_longitude": "117", "work_weekdays": [7]}, "work_weekdays"),
        ({"home_latitude": "31", "home_longitude": "117", "max_visits": 0}, "max_visits"),
        ({"work_weekdays": [1]}, "home_latitude"),
    ],
)
def test_bad_profiles_are_refused(dispatcher, account_manager, fields, bad):
    with pytest.raises(Invalid) as exc:
        availability.save_profile(dispatcher, account_manager.pk, **fields)
    assert bad in exc.value.fields
    assert not StaffProfile.objects.exists()


def test_field_staff_cannot_edit_profiles(staff):
    with pytest.raises(Forbidden):
        availability.save_profile(staff, staff.pk, max_visits=20)
