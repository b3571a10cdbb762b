"""Reads for the booking and roster pages: a shop's bookings, a week of staff hours.

Scoped through ``policy``: a shop owner sees their shop's bookings only; the roster grid is for
roles with DISPATCH_VIEW, "my hours" for the staff member themself.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from dispatch import roster
from dispatch.models import Availability, Job, JobEvent, JobKind, JobState, StaffProfile, WorkRules
from dispatch.services.bookings import can_change, cutoff_of
from flexserve import policy
from flexserve.policy import Perm

PAST_SHOWN = 20
# How a shop reads the state of its booking.
STATE_LABELS = {
    JobState.OPEN: _("Booked"),
    JobState.PLANNED: _("Scheduled"),
    JobState.IN_PROGRESS: _("On site"),
    JobState.DONE: _("Done"),
    JobState.CANCELLED: _("Cancelled"),
    JobState.MISSED: _("Missed"),
}


@dataclass(frozen=True)
class BookingRow:
    job: Job
    state_label: str
    staff_name: str  # "" until someone is assigned
    cutoff_at: datetime.datetime | None
    can_change: bool


@dataclass(frozen=True)
class BookingList:
    upcoming: list[BookingRow]
    past: list[BookingRow]


def _row(job: Job, rules: WorkRules) -> BookingRow:
    return BookingRow(
        job=job,
        state_label=str(STATE_LABELS.get(job.state, job.state)),
        staff_name=str(job.assignee) if job.assignee_id else "",
        cutoff_at=cutoff_of(job, rules),
        can_change=can_change(job, rules),
    )


def _bookings(user: User):
    return policy.visible(
        user,
        Job.objects.filter(kind=JobKind.BOOKING).select_related("shop", "service_item", "assignee"),
    )


def booking_list(user: User, *, shop_id: int | None = None) -> BookingList:
    """The bookings ``user`` sees (of ``shop_id`` if given): upcoming soonest first, then past."""
    policy.require(user, Perm.BOOKING_MAKE)
    rules = WorkRules.current()
    qs = _bookings(user)
    if shop_id is not None:
        qs = qs.filter(shop_id=shop_id)
    now = timezone.now()
    active = Q(state__in=(JobState.OPEN, JobState.PLANNED, JobState.IN_PROGRESS))
    upcoming = qs.filter(active, window_end__gte=now).order_by("window_start", "pk")
    past = qs.exclude(pk__in=upcoming.values("pk")).order_by("-window_start", "-pk")[:PAST_SHOWN]
    return BookingList(
        upcoming=[_row(job, rules) for job in upcoming],
        past=[_row(job, rules) for job in past],
    )


def booking_get(user: User, job_id: int) -> BookingRow:
    """One booking ``user`` sees (404 otherwise)."""
    policy.require(user, Perm.BOOKING_MAKE)
    job = policy.get_visible(user, Job, job_id, qs=_bookings(user))
    return _row(job, WorkRules.current())


def booking_events(job: Job) -> list[JobEvent]:
    return list(job.events.select_related("actor").order_by("at", "pk"))


# --- Rosters ----------------------------------------------------------------------------------


@dataclass
class RosterCell:
    user_id: int
    day: datetime.date
    kind: str  # "work" / "off" / "leave" / "training", or "free" (not a usual working day)
    label: str
    start: datetime.time | None = None
    end: datetime.time | None = None
    source: str = "usual"  # "usual" or "set"
    note: str = ""
    editable: bool = False


@dataclass
class RosterRow:
    user_id: int
    name: str
    cells: list[RosterCell] = field(default_factory=list)


def _cells(
    profiles: list[StaffProfile], days: list[datetime.date], *, editable: bool
) -> list[RosterRow]:
    ids = [p.user_id for p in profiles]
    working = {(rd.user_id, rd.day): rd for rd in roster.roster(days[0], days[-1], user_ids=ids)}
    rows_set = {
        (a.user_id, a.day): a
        for a in Availability.objects.filter(user_id__in=ids, day__range=(days[0], days[-1]))
    }
    today = timezone.localdate()
    kinds = dict(Availability.Kind.choices)
    rows = []
    for profile in profiles:
        row = RosterRow(profile.user_id, str(profile.user))
        for day in days:
            rd = working.get((profile.user_id, day))
            set_row = rows_set.get((profile.user_id, day))
            cell = RosterCell(profile.user_id, day, "free", str(_("Not working")))
            if rd is not None:
                cell.kind, cell.label = "work", str(kinds["work"])
                cell.start = timezone.localtime(rd.start).time()
                cell.end = timezone.localtime(rd.end).time()
                cell.source = rd.source
            elif set_row is not None:
                cell.kind, cell.label, cell.source = set_row.kind, str(kinds[set_row.kind]), "set"
            if set_row is not None:
                cell.note = set_row.note
            cell.editable = editable and day >= today
            row.cells.append(cell)
        rows.append(row)
    return rows


def roster_week(user: User, first: datetime.date, days: int = 7) -> list[RosterRow]:
    """Every field staff member × ``days`` days from ``first`` (DISPATCH_VIEW)."""
    policy.require(user, Perm.DISPATCH_VIEW)
    profiles = list(
        StaffProfile.objects.filter(is_field=True, user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    dates = [first + datetime.timedelta(days=i) for i in range(days)]
    if not profiles:
        return []
    return _cells(profiles, dates, editable=policy.has_perm(user, Perm.DISPATCH_PLAN))


def my_hours(user: User, days: int = 14) -> RosterRow | None:
    """The staff member's own next ``days`` days (None without a field profile)."""
    policy.require(user, Perm.VISIT_WORK)
    profile = StaffProfile.objects.select_related("user").filter(user=user).first()
    if profile is None:
        return None
    today = timezone.localdate()
    dates = [today + datetime.timedelta(days=i) for i in range(days)]
    return _cells([profile], dates, editable=True)[0]


def roster_cell(user: User, staff_id: int, day: datetime.date) -> RosterCell | None:
    """One cell of the grid (after an edit)."""
    if not (policy.has_perm(user, Perm.DISPATCH_VIEW) or user.pk == staff_id):
        policy.require(user, Perm.DISPATCH_VIEW)
    profile = StaffProfile.objects.select_related("user").filter(user_id=staff_id).first()
    if profile is None:
        return None
    editable = policy.has_perm(user, Perm.DISPATCH_PLAN) or (
        user.pk == staff_id and policy.has_perm(user, Perm.VISIT_WORK)
    )
    return _cells([profile], [day], editable=editable)[0].cells[0]


def bookable_days(user: User, shop_id: int) -> list[datetime.date]:
    """The days a shop may book now on which someone who serves it works."""
    from customers.models import Shop
    from dispatch.services.bookings import bookable_range

    policy.require(user, Perm.BOOKING_MAKE)
    shop = policy.get_visible(user, Shop, shop_id)
    first, last = bookable_range()
    return sorted({rd.day for rd in roster.roster(first, last) if roster.serves(rd, shop)})
