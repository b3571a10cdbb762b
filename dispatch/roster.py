"""Who works when: the field staff-days of a period, from profiles, availability and work rules.

    days = roster(first, last)                 # working field staff-days, by day then staff
    serves(days[0], shop)                      # may this staff member visit this shop?

A staff member works a weekday of their usual week (``StaffProfile.work_weekdays``) at their
usual hours, unless an ``Availability`` row for that day says otherwise: ``work`` with other hours
(also on a day outside the usual week), or ``off`` / ``leave`` / ``training`` (no visits).
Lunch and the most visits come from ``WorkRules`` (a profile may set its own most visits).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from dispatch.models import Availability, StaffProfile, WorkRules


@dataclass(frozen=True)
class RosterDay:
    """One working field staff-day; datetimes are aware (the default time zone)."""

    user_id: int
    name: str
    day: datetime.date
    start: datetime.datetime
    end: datetime.datetime
    lunch_from: datetime.datetime  # lunch may start from …
    lunch_until: datetime.datetime  # … and must start by
    lunch_minutes: int
    home: tuple[float, float]  # (lat, lng) where the day starts and ends
    skills: frozenset[str]  # skill codes
    grid_ids: frozenset[int]  # the grids this staff member serves
    max_visits: int
    source: str  # "usual" (the profile's week) or "set" (an Availability row)


def local_dt(day: datetime.date, at: datetime.time) -> datetime.datetime:
    """``day`` at ``at`` as an aware datetime in the default time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, at), timezone.get_default_timezone())


def roster(
    first: datetime.date, last: datetime.date, *, user_ids: Iterable[int] | None = None
) -> list[RosterDay]:
    """Working field staff-days from ``first`` to ``last`` (inclusive), by day then user id."""
    if last < first:
        return []
    rules = WorkRules.current()
    profiles = StaffProfile.objects.filter(is_field=True, user__is_active=True).select_related(
        "user"
    )
    if user_ids is not None:
        profiles = profiles.filter(user_id__in=list(user_ids))
    profiles = list(profiles.prefetch_related("user__skills", "user__grids"))
    if not profiles:
        return []
    set_days = {
        (a.user_id, a.day): a
        for a in Availability.objects.filter(
            user_id__in=[p.user_id for p in profiles], day__range=(first, last)
        )
    }
    out: list[RosterDay] = []
    day = first
    while day <= last:
        for profile in sorted(profiles, key=lambda p: p.user_id):
            row = set_days.get((profile.user_id, day))
            if row is not None:
                if row.kind != Availability.Kind.WORK:
                    continue
                start, end, source = row.start, row.end, "set"
            elif day.weekday() in (profile.work_weekdays or []):
                start, end, source = profile.day_start, profile.day_end, "usual"
            else:
                continue
            if start is None or end is None or end <= start:
                continue
            user = profile.user
            out.append(
                RosterDay(
                    user_id=user.pk,
                    name=user.full_name or user.username,
                    day=day,
                    start=local_dt(day, start),
                    end=local_dt(day, end),
                    lunch_from=local_dt(day, rules.lunch_from),
                    lunch_until=local_dt(day, rules.lunch_until),
                    lunch_minutes=rules.lunch_minutes,
                    home=(float(profile.home_latitude), float(profile.home_longitude)),
                    skills=frozenset(s.code for s in user.skills.all()),
                    grid_ids=frozenset(g.pk for g in user.grids.all()),
                    max_visits=profile.max_visits or rules.default_max_visits,
                    source=source,
                )
            )
        day += datetime.timedelta(days=1)
    return out


def serves(day: RosterDay, shop) -> bool:
    """The staff member serves the shop's grid, or is the shop's own account manager."""
    return shop.grid_id in day.grid_ids or shop.account_manager_id == day.user_id
