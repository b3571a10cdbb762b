"""Reads for the booking and roster pages: a shop's bookings and visits, a week of staff hours.

Scoped through ``policy``: a shop owner sees their shop's bookings and visits only; the roster
grid is for roles with DISPATCH_VIEW, "my hours" for the staff member themself. What a shop reads
of a visit is shaped here: never the staff's internal notes, coaching or outcome codes.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import Shop
from dispatch import roster
from dispatch.models import (
    ACTIVE_STATES,
    OPEN_STATES,
    Availability,
    Job,
    JobEvent,
    JobKind,
    JobState,
    StaffProfile,
    WorkRules,
)
from dispatch.services.bookings import can_change, cutoff_moment, cutoff_of
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


# How a shop reads what kind of visit it is.
SHOP_KIND_LABELS = {
    JobKind.BOOKING: _("Booked by you"),
    JobKind.ROUTINE: _("Routine visit"),
    JobKind.URGENT: _("Visit for your request"),
}
# A past visit without a text for the shop shows only this: never the internal outcome code.
NEUTRAL_OUTCOMES = {
    JobState.DONE: _("Done"),
    JobState.MISSED: _("Missed"),
    JobState.CANCELLED: _("Cancelled"),
}


@dataclass(frozen=True)
class BookingRow:
    job: Job
    state_label: str
    staff_name: str  # "" until someone is assigned
    cutoff_at: datetime.datetime | None
    can_change: bool

    @property
    def cutoff_label(self) -> str:
        """The cut-off relative to the visit, e.g. "20:30 the day before" ("" without one)."""
        if self.cutoff_at is None or self.job.window_start is None:
            return ""
        return cutoff_moment(self.cutoff_at, self.job.window_start)


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


# --- A shop's visits (portal) ------------------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    """One visit as its shop reads it: no internal notes, coaching or outcome codes."""

    job: Job
    kind_label: str
    day: datetime.date | None  # the day it falls on; None for a routine visit not on a route
    window_start: datetime.datetime | None  # bookings and urgent visits: the arrival window
    window_end: datetime.datetime | None
    around: datetime.datetime | None  # a routine visit on a published route: its planned start
    due_on: datetime.date | None  # a routine visit not yet on a route: the day it is due
    staff_name: str  # upcoming: who is assigned (once published); past: who came
    state_label: str
    outcome: str = ""  # past: the text for the shop, or a neutral label
    outcome_from_staff: bool = False  # True when ``outcome`` is the staff member's text
    booking: BookingRow | None = None  # bookings: change cut-off and buttons


@dataclass(frozen=True)
class VisitList:
    upcoming: list[VisitRow]
    past: list[VisitRow]


def _to_half_hour(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A planned start told to the shop: routes shift by minutes as the day is re-planned, so
    "around 11:19" promises a precision the plan does not have; the nearest half hour does not."""
    if moment is None:
        return None
    floor = moment.replace(minute=0, second=0, microsecond=0)
    steps = round((moment - floor).total_seconds() / 1800)
    return floor + datetime.timedelta(minutes=30 * steps)


def _upcoming_row(job: Job, rules: WorkRules) -> VisitRow:
    booking = _row(job, rules) if job.kind == JobKind.BOOKING else None
    if job.kind == JobKind.ROUTINE:
        on_route = job.state in (JobState.PLANNED, JobState.IN_PROGRESS)
        state_label = str(STATE_LABELS[job.state]) if on_route else str(_("To be scheduled"))
        staff = str(job.assignee) if on_route and job.assignee_id else ""
        return VisitRow(
            job=job,
            kind_label=str(SHOP_KIND_LABELS[job.kind]),
            day=job.planned_day if on_route else None,
            window_start=None,
            window_end=None,
            around=_to_half_hour(job.planned_start) if on_route else None,
            due_on=None if on_route else job.due_on,
            staff_name=staff,
            state_label=state_label,
        )
    return VisitRow(
        job=job,
        kind_label=str(SHOP_KIND_LABELS.get(job.kind, job.kind)),
        day=job.day,
        window_start=job.window_start,
        window_end=job.window_end,
        around=None,
        due_on=None,
        staff_name=str(job.assignee) if job.assignee_id else "",
        state_label=str(STATE_LABELS.get(job.state, job.state)),
        booking=booking,
    )


def _past_row(job: Job, rules: WorkRules) -> VisitRow:
    report = getattr(job, "report", None)
    summary = report.shop_summary.strip() if report is not None else ""
    # A booking whose window passed with no check-in has no outcome to tell.
    neutral = str(NEUTRAL_OUTCOMES.get(job.state, _("No visit recorded")))
    day = timezone.localtime(report.checked_in_at).date() if report is not None else job.day
    return VisitRow(
        job=job,
        kind_label=str(SHOP_KIND_LABELS.get(job.kind, job.kind)),
        day=day or job.due_on,
        window_start=job.window_start,
        window_end=job.window_end,
        around=None,
        due_on=None,
        staff_name=str(report.staff) if report is not None else "",
        state_label=neutral,
        outcome=summary or neutral,
        outcome_from_staff=bool(summary),
        booking=_row(job, rules) if job.kind == JobKind.BOOKING else None,
    )


def _sort_moment(row: VisitRow) -> datetime.datetime:
    if row.window_start or row.around:
        return row.window_start or row.around
    day = row.day or row.due_on or datetime.date.max
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def shop_visit_list(
    user: User, *, shop_id: int, upcoming_limit: int | None = None, past_limit: int = PAST_SHOWN
) -> VisitList:
    """A shop's visits as the shop reads them: coming ones soonest first (its bookings, routine
    visits of its service plan, visits for its requests), then past ones newest first.

    404 when ``user`` does not see the shop; every row comes through ``policy.visible``.
    """
    shop = policy.get_visible(user, Shop, shop_id)
    rules = WorkRules.current()
    now, today = timezone.now(), timezone.localdate()
    jobs = policy.visible(user, Job.objects.filter(shop=shop)).select_related(
        "service_item", "assignee"
    )
    upcoming_qs = jobs.filter(state__in=ACTIVE_STATES).filter(
        Q(state=JobState.IN_PROGRESS)
        | Q(window_end__gte=now)
        | Q(kind=JobKind.ROUTINE, planned_day__gte=today)
        | Q(kind=JobKind.ROUTINE, planned_day__isnull=True, latest_on__gte=today)
    )
    upcoming = sorted(
        (_upcoming_row(job, rules) for job in upcoming_qs),
        key=lambda row: (_sort_moment(row), row.job.pk),
    )
    past_qs = (
        jobs.filter(
            Q(state__in=(JobState.DONE, JobState.MISSED))
            | Q(kind=JobKind.BOOKING, state=JobState.CANCELLED)
            | Q(kind=JobKind.BOOKING, state__in=OPEN_STATES, window_end__lt=now)
        )
        .select_related("report", "report__staff")
        .annotate(
            at=Coalesce("report__checked_in_at", "window_start", "planned_start", "created_at")
        )
        .order_by("-at", "-pk")
    )
    return VisitList(
        upcoming=upcoming[:upcoming_limit] if upcoming_limit is not None else upcoming,
        past=[_past_row(job, rules) for job in past_qs[:past_limit]],
    )


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
