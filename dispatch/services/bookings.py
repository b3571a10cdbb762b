"""Bookings (点单): a shop picks a service item and a window; a staff member's day keeps it.

A window is offered open only when some staff member who serves the shop, holds the item's skill
and works that day can still do all their booked visits plus this one (``bridge.fit_day``): an
offered window is a window that can be kept. Booking re-checks under a lock on the staff rows and
reserves the visit on one of them (the shop's account manager first, then the least loaded).
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from customers.models import ServiceItem, Shop
from dispatch import bridge, roster
from dispatch.models import Job, JobEvent, JobKind, JobState, WorkRules
from dispatch.roster import RosterDay
from dispatch.services.availability import booked_jobs
from flexserve import policy
from flexserve.errors import Conflict, Invalid
from flexserve.policy import Perm

PROBE_ID = -1  # the id the engine sees for the visit being booked (never saved)
NOTE_MAX = 300
CHANGEABLE_STATES = (JobState.OPEN, JobState.PLANNED)


class WindowTaken(Conflict):
    code = "window_taken"
    message = gettext_lazy("This window was just taken. Please choose another one.")


class BookingClosed(Conflict):
    code = "booking_closed"
    message = gettext_lazy("This booking is %(state)s and can no longer be changed.")


class CutoffPassed(Conflict):
    code = "cutoff_passed"
    message = gettext_lazy(
        "Changes were possible until %(cutoff)s. Please call your account manager."
    )


@dataclass
class OfferedWindow:
    start: datetime.datetime
    end: datetime.datetime
    open: bool


# --- Reading the rules ------------------------------------------------------------------------


def bookable_range(rules: WorkRules | None = None) -> tuple[datetime.date, datetime.date]:
    """The first and last day a booking may fall on now (lead hours, horizon days)."""
    rules = rules or WorkRules.current()
    now = timezone.localtime()
    first = (now + datetime.timedelta(hours=rules.booking_lead_hours)).date()
    return first, now.date() + datetime.timedelta(days=rules.booking_horizon_days)


def cutoff_of(job: Job, rules: WorkRules | None = None) -> datetime.datetime | None:
    """Until when the shop may reschedule or cancel ``job`` (None for jobs with no window)."""
    if job.window_start is None:
        return None
    rules = rules or WorkRules.current()
    return job.window_start - datetime.timedelta(hours=rules.change_cutoff_hours)


def cutoff_moment(cutoff: datetime.datetime, start: datetime.datetime) -> str:
    """The change cut-off said relative to the visit ("20:30 the day before"), local time."""
    cutoff, start = timezone.localtime(cutoff), timezone.localtime(start)
    time = cutoff.strftime("%H:%M")
    days_before = (start.date() - cutoff.date()).days
    if days_before == 0:
        return _("%(time)s on the day of the visit") % {"time": time}
    if days_before == 1:
        return _("%(time)s the day before") % {"time": time}
    return _("%(date)s %(time)s") % {
        "date": formats.date_format(cutoff.date(), "MONTH_DAY_FORMAT"),
        "time": time,
    }


def can_change(job: Job, rules: WorkRules | None = None) -> bool:
    cutoff = cutoff_of(job, rules)
    return (
        job.kind == JobKind.BOOKING
        and job.state in CHANGEABLE_STATES
        and cutoff is not None
        and timezone.now() < cutoff
    )


def _check_day(rules: WorkRules, day: datetime.date) -> None:
    first, last = bookable_range(rules)
    if day < timezone.localdate():
        raise Invalid(fields={"day": [_("This day is over; please choose a later day.")]})
    if day < first:
        raise Invalid(
            fields={
                "day": [
                    _("Please book at least %(hours)s hours ahead.")
                    % {"hours": rules.booking_lead_hours}
                ]
            }
        )
    if day > last:
        raise Invalid(
            fields={
                "day": [
                    _("Bookings open at most %(days)s days ahead.")
                    % {"days": rules.booking_horizon_days}
                ]
            }
        )


def plan_items(shop: Shop):
    """The service items of the shop's class's service plan (what it may book)."""
    return (
        ServiceItem.objects.filter(serviceplan__segment=shop.segment)
        .select_related("skill")
        .order_by("duration_min", "code")
    )


def _item_for(shop: Shop, service_item_id: int) -> ServiceItem:
    item = plan_items(shop).filter(pk=service_item_id).first()
    if item is None:
        raise Invalid(
            fields={"service_item_id": [_("This service is not part of your shop's plan.")]}
        )
    return item


def _shop_for(actor: User, shop_id: int) -> Shop:
    policy.require(actor, Perm.BOOKING_MAKE)
    return policy.get_visible(actor, Shop, shop_id)


# --- Windows ----------------------------------------------------------------------------------


def _serving(shop: Shop, day: datetime.date) -> list[RosterDay]:
    """Working staff-days of ``day`` that serve the shop (their hours frame the windows)."""
    return [rd for rd in roster.roster(day, day) if roster.serves(rd, shop)]


def _with_skill(days: Sequence[RosterDay], item: ServiceItem) -> list[RosterDay]:
    """The staff-days that may do ``item`` (hold its skill, if it needs one)."""
    skill = item.skill.code if item.skill_id else None
    return [rd for rd in days if skill is None or skill in rd.skills]


def _slots(
    rules: WorkRules, candidates: Sequence[RosterDay]
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Consecutive windows from the earliest start to the latest end of the candidates' days."""
    if not candidates:
        return []
    step = datetime.timedelta(minutes=rules.window_minutes)
    start = min(rd.start for rd in candidates)
    last = max(rd.end for rd in candidates)
    slots = []
    while start + step <= last:
        slots.append((start, start + step))
        start += step
    return slots


def _probe(shop: Shop, item: ServiceItem, start: datetime.datetime, end: datetime.datetime) -> Job:
    job = Job(
        shop=shop,
        kind=JobKind.BOOKING,
        service_item=item,
        duration_min=item.duration_min,
        window_start=start,
        window_end=end,
    )
    job.pk = PROBE_ID
    return job


def _fits(rd: RosterDay, jobs: Sequence[Job], probe: Job) -> bool:
    if rd.start > probe.window_end or rd.end <= probe.window_start:
        return False  # the window lies outside this person's day
    return bridge.fit_day(rd, [*jobs, probe]).ok


def _earliest_open(rules: WorkRules) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(hours=rules.booking_lead_hours)


def _windows(
    shop: Shop,
    item: ServiceItem,
    day: datetime.date,
    rules: WorkRules,
    *,
    exclude_job_id: int | None = None,
) -> list[OfferedWindow]:
    serving = _serving(shop, day)
    candidates = _with_skill(serving, item)
    loads = {
        rd.user_id: booked_jobs(rd.user_id, day, exclude_id=exclude_job_id) for rd in candidates
    }
    earliest = _earliest_open(rules)
    windows = []
    # The windows follow the hours of everyone serving the shop; a window nobody with the
    # skill can keep is shown closed rather than left out.
    for start, end in _slots(rules, serving):
        probe = _probe(shop, item, start, end)
        is_open = start >= earliest and any(
            _fits(rd, loads[rd.user_id], probe) for rd in candidates
        )
        windows.append(OfferedWindow(start, end, is_open))
    return windows


def offered_windows(
    actor: User, shop_id: int, service_item_id: int, day: datetime.date
) -> list[OfferedWindow]:
    """The day's windows for the item, open when a staff member's day can still keep them."""
    shop = _shop_for(actor, shop_id)
    item = _item_for(shop, service_item_id)
    rules = WorkRules.current()
    _check_day(rules, day)
    return _windows(shop, item, day, rules)


def reschedule_windows(actor: User, job_id: int, day: datetime.date) -> list[OfferedWindow]:
    """The windows a booking could move to on ``day`` (its own load left out)."""
    policy.require(actor, Perm.BOOKING_MAKE)
    job = policy.get_visible(actor, Job, job_id)
    rules = WorkRules.current()
    _check_day(rules, day)
    return _windows(job.shop, job.service_item, day, rules, exclude_job_id=job.pk)


# --- Reserving ----------------------------------------------------------------------------------


def _reserve(
    shop: Shop,
    item: ServiceItem,
    day: datetime.date,
    start: datetime.datetime,
    rules: WorkRules,
    *,
    exclude_job_id: int | None = None,
    prefer_user_id: int | None = None,
) -> tuple[int, datetime.datetime]:
    """The staff member (id) who keeps the window starting at ``start``, and the window's end.

    Locks the candidates' user rows first, in id order (no deadlock between two bookings), then
    re-reads their days: two shops cannot both take the last room of the same day. ``set_day``
    takes the same lock, so hours cannot shrink underneath a booking either.
    """
    if start < _earliest_open(rules):
        raise Invalid(
            fields={
                "window_start": [
                    _("Please book at least %(hours)s hours ahead.")
                    % {"hours": rules.booking_lead_hours}
                ]
            }
        )
    serving = _serving(shop, day)
    slot = next((s for s in _slots(rules, serving) if s[0] == start), None)
    if slot is None:
        raise Invalid(fields={"window_start": [_("Please choose one of the offered windows.")]})
    ids = sorted(rd.user_id for rd in _with_skill(serving, item))
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
    # Re-read under the lock: hours or bookings may have changed since the page was shown.
    candidates = [rd for rd in _with_skill(_serving(shop, day), item) if rd.user_id in ids]
    loads = {
        rd.user_id: booked_jobs(rd.user_id, day, exclude_id=exclude_job_id) for rd in candidates
    }

    def preference(rd: RosterDay) -> tuple:
        minutes = sum(job.duration_min for job in loads[rd.user_id])
        return (
            rd.user_id != prefer_user_id,
            rd.user_id != shop.account_manager_id,
            len(loads[rd.user_id]),
            minutes,
            rd.user_id,
        )

    probe = _probe(shop, item, *slot)
    for rd in sorted(candidates, key=preference):
        if _fits(rd, loads[rd.user_id], probe):
            return rd.user_id, slot[1]
    raise WindowTaken()


def _iso(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).isoformat()


def _aware(moment: datetime.datetime) -> datetime.datetime:
    if moment is None:
        raise Invalid(fields={"window_start": [_("Please choose a window.")]})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _clean_note(note: str, field: str = "note") -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(fields={field: [_("At most %(n)s characters.") % {"n": NOTE_MAX}]})
    return note


@transaction.atomic
def book(
    actor: User,
    *,
    shop_id: int,
    service_item_id: int,
    window_start: datetime.datetime,
    note: str = "",
) -> Job:
    """Book a visit: re-checks the window under a lock and reserves it on one staff member."""
    shop = _shop_for(actor, shop_id)
    item = _item_for(shop, service_item_id)
    note = _clean_note(note)
    start = _aware(window_start)
    day = timezone.localdate(start)
    rules = WorkRules.current()
    _check_day(rules, day)
    staff_id, end = _reserve(shop, item, day, start, rules)
    job = Job.objects.create(
        shop=shop,
        kind=JobKind.BOOKING,
        state=JobState.OPEN,
        service_item=item,
        duration_min=item.duration_min,
        window_start=start,
        window_end=end,
        note=note,
        assignee_id=staff_id,
        planned_day=day,
        created_by=actor,
    )
    JobEvent.objects.create(
        job=job,
        kind=JobEvent.Kind.CREATED,
        actor=actor,
        data={
            "window": [_iso(start), _iso(end)],
            "service_item": item.code,
            "assignee": staff_id,
        },
    )
    return job


def _changeable(actor: User, job_id: int, rules: WorkRules) -> Job:
    policy.require(actor, Perm.BOOKING_MAKE)
    job = policy.get_visible(actor, Job, job_id, for_update=True)
    if job.kind != JobKind.BOOKING:
        raise Invalid(_("Only booked visits can be changed here."))
    if job.state not in CHANGEABLE_STATES:
        raise BookingClosed(state=JobState(job.state).label)
    cutoff = cutoff_of(job, rules)
    if timezone.now() >= cutoff:
        raise CutoffPassed(cutoff=cutoff_moment(cutoff, job.window_start))
    return job


@transaction.atomic
def reschedule(actor: User, job_id: int, *, window_start: datetime.datetime) -> Job:
    """Move a booking to another open window before the cut-off; it waits for the next plan."""
    rules = WorkRules.current()
    job = _changeable(actor, job_id, rules)
    start = _aware(window_start)
    if start == job.window_start:
        raise Invalid(fields={"window_start": [_("This is the booking's current window.")]})
    day = timezone.localdate(start)
    _check_day(rules, day)
    before = [_iso(job.window_start), _iso(job.window_end)]
    old_assignee = job.assignee_id
    staff_id, end = _reserve(
        job.shop,
        job.service_item,
        day,
        start,
        rules,
        exclude_job_id=job.pk,
        prefer_user_id=job.assignee_id,
    )
    job.window_start, job.window_end = start, end
    job.assignee_id, job.planned_day, job.planned_start = staff_id, day, None
    job.state = JobState.OPEN  # the next plan places it in the new window
    job.version += 1
    job.save(
        update_fields=[
            "window_start",
            "window_end",
            "assignee",
            "planned_day",
            "planned_start",
            "state",
            "version",
            "updated_at",
        ]
    )
    JobEvent.objects.create(
        job=job,
        kind=JobEvent.Kind.RESCHEDULED,
        actor=actor,
        data={
            "from": before,
            "to": [_iso(start), _iso(end)],
            "assignee": [old_assignee, staff_id],
        },
    )
    return job


@transaction.atomic
def cancel(actor: User, job_id: int, *, reason: str = "") -> Job:
    """Cancel a booking before the cut-off, with the shop's reason."""
    rules = WorkRules.current()
    job = _changeable(actor, job_id, rules)
    reason = _clean_note(reason, "reason")
    job.state = JobState.CANCELLED
    job.version += 1
    job.save(update_fields=["state", "version", "updated_at"])
    JobEvent.objects.create(
        job=job, kind=JobEvent.Kind.CANCELLED, actor=actor, data={"reason": reason}
    )
    return job
