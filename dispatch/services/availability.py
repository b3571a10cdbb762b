"""Writes for working time: the company's rules, a staff member's usual week, one day's hours.

Staff choose their hours inside ``WorkRules`` (弹性工作制): they set their own days (VISIT_WORK),
dispatchers and managers anyone's (DISPATCH_PLAN). A change that would break a booked visit
already reserved on that person that day is refused, naming the shops, so the dispatcher can move
those visits first. Every change is audited in the same transaction.
"""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import STAFF_ROLES, User
from audit.services import audit_record, diff, snapshot
from dispatch.models import ACTIVE_STATES, Availability, Job, JobKind, StaffProfile, WorkRules
from flexserve import policy
from flexserve.errors import Forbidden, Invalid, NotFound
from flexserve.policy import Perm
from flexserve.validation import full_clean_or_invalid

RULE_FIELDS = (
    "earliest_start",
    "latest_end",
    "min_shift_hours",
    "max_shift_hours",
    "lunch_from",
    "lunch_until",
    "lunch_minutes",
    "default_max_visits",
    "window_minutes",
    "booking_lead_hours",
    "booking_horizon_days",
    "change_cutoff_hours",
    "routine_horizon_weeks",
    "routine_slack_days",
    "plan_seconds",
)
PROFILE_FIELDS = (
    "is_field",
    "home_latitude",
    "home_longitude",
    "home_label",
    "day_start",
    "day_end",
    "work_weekdays",
    "max_visits",
)
DAY_FIELDS = ("kind", "start", "end", "note")
# Booked visits have hard windows promised to a shop; routine visits move with the next plan.
BOOKED_KINDS = (JobKind.BOOKING, JobKind.URGENT)
SHOPS_NAMED = 5  # a refusal names at most this many shops


def _hhmm(value: datetime.time) -> str:
    return time_format(value, "H:i")


def _minutes(value: datetime.time) -> int:
    return value.hour * 60 + value.minute


# --- Rules ----------------------------------------------------------------------------------


def rules_text(rules: WorkRules) -> str:
    """The rules in one sentence, as staff read them next to their hours."""
    return _(
        "You may start from %(start)s and must finish by %(end)s; a working day is "
        "%(min)s–%(max)s hours with a %(lunch)s-minute lunch starting between %(lunch_from)s "
        "and %(lunch_until)s."
    ) % {
        "start": _hhmm(rules.earliest_start),
        "end": _hhmm(rules.latest_end),
        "min": _hours(rules.min_shift_hours),
        "max": _hours(rules.max_shift_hours),
        "lunch": rules.lunch_minutes,
        "lunch_from": _hhmm(rules.lunch_from),
        "lunch_until": _hhmm(rules.lunch_until),
    }


def _hours(value: Decimal | float | int) -> str:
    number = Decimal(str(value)).normalize()
    return f"{number:f}"


def validate_hours(
    rules: WorkRules, start: datetime.time | None, end: datetime.time | None
) -> dict[str, list[str]]:
    """Messages by field ("start", "end") for a working day outside the rules; {} when it fits."""
    errors: dict[str, list[str]] = {}
    if start is None:
        errors["start"] = [_("Enter the time you start.")]
    if end is None:
        errors["end"] = [_("Enter the time you finish.")]
    if errors:
        return errors
    if start < rules.earliest_start:
        errors.setdefault("start", []).append(
            _("You may start at %(time)s at the earliest.") % {"time": _hhmm(rules.earliest_start)}
        )
    if end > rules.latest_end:
        errors.setdefault("end", []).append(
            _("You must finish by %(time)s at the latest.") % {"time": _hhmm(rules.latest_end)}
        )
    if end <= start:
        errors.setdefault("end", []).append(_("The end must be after the start."))
        return errors
    length = Decimal(_minutes(end) - _minutes(start)) / 60
    if length < rules.min_shift_hours or length > rules.max_shift_hours:
        errors.setdefault("end", []).append(
            _("A working day lasts %(min)s to %(max)s hours; %(start)s–%(end)s is %(hours)s hours.")
            % {
                "min": _hours(rules.min_shift_hours),
                "max": _hours(rules.max_shift_hours),
                "start": _hhmm(start),
                "end": _hhmm(end),
                "hours": _hours(round(length, 1)),
            }
        )
    lunch_start = max(_minutes(start), _minutes(rules.lunch_from))
    if lunch_start > _minutes(rules.lunch_until) or lunch_start + rules.lunch_minutes > _minutes(
        end
    ):
        errors.setdefault("__all__", []).append(
            _(
                "The day must leave room for lunch: %(minutes)s minutes starting between "
                "%(lunch_from)s and %(lunch_until)s."
            )
            % {
                "minutes": rules.lunch_minutes,
                "lunch_from": _hhmm(rules.lunch_from),
                "lunch_until": _hhmm(rules.lunch_until),
            }
        )
    return errors


def _validate_rules(rules: WorkRules) -> None:
    full_clean_or_invalid(rules)
    errors: dict[str, list[str]] = {}
    if rules.latest_end <= rules.earliest_start:
        errors["latest_end"] = [_("The latest end must be after the earliest start.")]
    if rules.max_shift_hours < rules.min_shift_hours:
        errors["max_shift_hours"] = [_("The longest day cannot be shorter than the shortest.")]
    span = Decimal(_minutes(rules.latest_end) - _minutes(rules.earliest_start)) / 60
    if "latest_end" not in errors and rules.min_shift_hours > span:
        errors["min_shift_hours"] = [
            _("The shortest day does not fit between the earliest start and the latest end.")
        ]
    if rules.lunch_until < rules.lunch_from:
        errors["lunch_until"] = [_("Lunch must be allowed to start after it may start.")]
    elif rules.lunch_from < rules.earliest_start or (
        _minutes(rules.lunch_until) + rules.lunch_minutes > _minutes(rules.latest_end)
    ):
        errors["lunch_from"] = [_("The lunch window must lie inside the working day.")]
    if errors:
        raise Invalid(fields=errors)


@transaction.atomic
def update_rules(actor: User, **fields: Any) -> WorkRules:
    """Change the company's working-time and booking rules (WORK_RULES_EDIT)."""
    policy.require(actor, Perm.WORK_RULES_EDIT)
    unknown = sorted(set(fields) - set(RULE_FIELDS))
    if unknown:
        raise Invalid(fields={name: [_("This field cannot be changed.")] for name in unknown})
    WorkRules.current()
    rules = WorkRules.objects.select_for_update().get(pk=1)
    before = snapshot(rules, RULE_FIELDS)
    for name, value in fields.items():
        setattr(rules, name, value)
    _validate_rules(rules)
    rules.save()
    rules.refresh_from_db()  # typed values (decimals, times) for the audit and the caller
    changes = diff(before, snapshot(rules, RULE_FIELDS))
    if changes:
        audit_record(actor=actor, action="work_rules.updated", target=rules, changes=changes)
    return rules


# --- Profiles -------------------------------------------------------------------------------


def _coordinate(value: Any, field: str, limit: int, errors: dict[str, list[str]]) -> Any:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, TypeError, ValueError):
        errors[field] = [_("Enter a number.")]
        return value
    if not -limit <= number <= limit:
        errors[field] = [_("Enter a value between -%(limit)s and %(limit)s.") % {"limit": limit}]
    return number


def _weekdays(value: Any, errors: dict[str, list[str]]) -> list[int]:
    try:
        days = sorted({int(v) for v in (value or [])})
    except (TypeError, ValueError):
        errors["work_weekdays"] = [_("Weekdays are numbers from 0 (Monday) to 6 (Sunday).")]
        return []
    if any(d < 0 or d > 6 for d in days):
        errors["work_weekdays"] = [_("Weekdays are numbers from 0 (Monday) to 6 (Sunday).")]
    return days


@transaction.atomic
def save_profile(actor: User, user_id: int, **fields: Any) -> StaffProfile:
    """Create or change a field staff member's usual week and start place (DISPATCH_PLAN)."""
    policy.require(actor, Perm.DISPATCH_PLAN)
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise Invalid(fields={name: [_("This field cannot be changed.")] for name in unknown})
    user = _staff_user(user_id)
    profile = StaffProfile.objects.select_for_update().filter(user=user).first()
    created = profile is None
    if created:
        profile = StaffProfile(user=user)
    before = {} if created else snapshot(profile, PROFILE_FIELDS)
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name == "home_latitude":
            value = _coordinate(value, name, 90, errors)
        elif name == "home_longitude":
            value = _coordinate(value, name, 180, errors)
        elif name == "work_weekdays":
            value = _weekdays(value, errors)
        elif name == "max_visits" and value is not None and int(value) < 1:
            errors[name] = [_("At least one visit a day.")]
        elif name == "home_label":
            value = (value or "").strip()
        setattr(profile, name, value)
    for name in ("home_latitude", "home_longitude"):
        if getattr(profile, name) is None and name not in errors:
            errors[name] = [_("Where does this person's day start? Enter the coordinates.")]
    rules = WorkRules.current()
    hours = validate_hours(rules, profile.day_start, profile.day_end)
    for key, messages in hours.items():
        errors.setdefault({"start": "day_start", "end": "day_end"}.get(key, key), []).extend(
            messages
        )
    if errors:
        raise Invalid(fields=errors)
    full_clean_or_invalid(profile, exclude=["user"])
    profile.save()
    # The usual week may no longer hold visits booked on it: check the days that have some.
    _check_booked_days(user, _booked_days(user.pk))
    after = snapshot(profile, PROFILE_FIELDS)
    changes = diff(before, after)
    if changes:
        audit_record(actor=actor, action="staff_profile.saved", target=profile, changes=changes)
    return profile


def _staff_user(user_id: int) -> User:
    user = User.objects.select_for_update().filter(pk=user_id, role__in=STAFF_ROLES).first()
    if user is None:
        raise NotFound()
    return user


# --- One day --------------------------------------------------------------------------------


def _target(actor: User, user_id: int) -> User:
    """The staff member whose day ``actor`` may set, locked (a booking takes the same lock)."""
    if policy.has_perm(actor, Perm.DISPATCH_PLAN):
        pass
    else:
        policy.require(actor, Perm.VISIT_WORK)
        if actor.pk != user_id:
            raise Forbidden(_("You may set only your own working hours."))
    user = _staff_user(user_id)
    if not StaffProfile.objects.filter(user=user).exists():
        raise Invalid(
            _("%(name)s has no field profile yet; a dispatcher sets it up first.") % {"name": user}
        )
    return user


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )
    return start, end


def booked_jobs(user_id: int, day: datetime.date, *, exclude_id: int | None = None) -> list[Job]:
    """Active booked and urgent visits reserved on ``user_id`` for ``day`` (hard windows)."""
    start, end = _day_bounds(day)
    qs = (
        Job.objects.filter(assignee_id=user_id, kind__in=BOOKED_KINDS, state__in=ACTIVE_STATES)
        .filter(Q(window_start__gte=start, window_start__lt=end) | Q(planned_day=day))
        .select_related("shop", "service_item__skill")
        .order_by("window_start", "pk")
    )
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return list(qs)


def _booked_days(user_id: int) -> list[datetime.date]:
    today = timezone.localdate()
    start, _end = _day_bounds(today)
    days = set()
    jobs = Job.objects.filter(
        assignee_id=user_id, kind__in=BOOKED_KINDS, state__in=ACTIVE_STATES
    ).filter(Q(window_start__gte=start) | Q(planned_day__gte=today))
    for window_start, planned_day in jobs.values_list("window_start", "planned_day"):
        days.add(timezone.localdate(window_start) if window_start else planned_day)
    return sorted(d for d in days if d is not None and d >= today)


def _shops_named(jobs: Sequence[Job]) -> str:
    names = list(dict.fromkeys(job.shop.name for job in jobs))
    shown = "、".join(names[:SHOPS_NAMED])
    return shown + ("…" if len(names) > SHOPS_NAMED else "")


def _check_booked_days(user: User, days: Iterable[datetime.date]) -> None:
    """Raise Invalid unless every booked visit of ``user`` on ``days`` still fits their day.

    Called after the change is written (inside the transaction): the roster then reads the new
    hours, and raising rolls the change back.
    """
    from dispatch import bridge, roster

    for day in days:
        jobs = booked_jobs(user.pk, day)
        if not jobs:
            continue
        staff_days = roster.roster(day, day, user_ids=[user.pk])
        if staff_days and bridge.fit_day(staff_days[0], jobs).ok:
            continue
        count = len(jobs)
        message = ngettext(
            "%(name)s has %(count)s booked visit on %(day)s (%(shops)s) that would no longer "
            "fit; move it to someone else first.",
            "%(name)s has %(count)s booked visits on %(day)s (%(shops)s) that would no longer "
            "fit; move them to someone else first.",
            count,
        ) % {"name": user, "count": count, "day": day.isoformat(), "shops": _shops_named(jobs)}
        raise Invalid(message, fields={"kind": [message]})


def _check_when(actor: User, user: User, day: datetime.date) -> None:
    today = timezone.localdate()
    if day < today:
        raise Invalid(fields={"day": [_("This day is over; it can no longer be changed.")]})
    if policy.has_perm(actor, Perm.DISPATCH_PLAN) or day > today:
        return
    # Staff change today only before their day starts: the plan is already running after.
    from dispatch import roster

    current = roster.roster(day, day, user_ids=[user.pk])
    if current:
        start = current[0].start
    else:
        profile = user.field_profile
        start = timezone.make_aware(datetime.datetime.combine(day, profile.day_start))
    if timezone.now() >= start:
        raise Invalid(
            fields={"day": [_("Your day has started; ask the dispatcher to change today's hours.")]}
        )


def _day_snapshot(row: Availability | None) -> dict[str, Any]:
    return snapshot(row, DAY_FIELDS) if row is not None else {}


@transaction.atomic
def set_day(
    actor: User,
    user_id: int,
    day: datetime.date,
    *,
    kind: str,
    start: datetime.time | None = None,
    end: datetime.time | None = None,
    note: str = "",
) -> Availability:
    """Set one day's hours or a day off for ``user_id``: their own (VISIT_WORK) or anyone's
    (DISPATCH_PLAN); refused when a visit already booked on them that day would break."""
    user = _target(actor, user_id)
    if kind not in Availability.Kind.values:
        raise Invalid(fields={"kind": [_("Choose working, day off, leave or training.")]})
    _check_when(actor, user, day)
    note = (note or "").strip()
    if len(note) > 200:
        raise Invalid(fields={"note": [_("At most 200 characters.")]})
    if kind == Availability.Kind.WORK:
        errors = validate_hours(WorkRules.current(), start, end)
        if errors:
            raise Invalid(fields=errors)
        if day == timezone.localdate() and not policy.has_perm(actor, Perm.DISPATCH_PLAN):
            now = timezone.localtime().time()
            if start <= now:
                raise Invalid(fields={"start": [_("Choose a start later than now.")]})
    else:
        start = end = None
    row = Availability.objects.select_for_update().filter(user=user, day=day).first()
    before = _day_snapshot(row)
    if row is None:
        row = Availability(user=user, day=day)
    row.kind, row.start, row.end, row.note, row.set_by = kind, start, end, note, actor
    full_clean_or_invalid(row, exclude=["user", "set_by"])
    row.save()
    _check_booked_days(user, [day])
    changes = diff(before, _day_snapshot(row))
    if changes:
        audit_record(
            actor=actor, action="availability.set", target=row, changes=changes, note=str(day)
        )
    return row


@transaction.atomic
def clear_day(actor: User, user_id: int, day: datetime.date) -> None:
    """Go back to the usual week for ``day``; refused when booked visits would break."""
    user = _target(actor, user_id)
    _check_when(actor, user, day)
    row = Availability.objects.select_for_update().filter(user=user, day=day).first()
    if row is None:
        return
    before = _day_snapshot(row)
    target = Availability(pk=row.pk)
    row.delete()
    _check_booked_days(user, [day])
    audit_record(
        actor=actor,
        action="availability.cleared",
        target=target,
        changes={k: [v, None] for k, v in before.items()},
        note=str(day),
    )
