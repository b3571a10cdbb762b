"""Reads of the managers' dashboards: figures from the rollups, scoped like every other read.

Every figure comes from the rollup tables (``dashboards.models``, refreshed every 15 minutes);
only "untouched for 5 days" and the lists behind the tiles read the requests themselves (open
requests, or one page of a list).

Scope: company-wide roles see the whole city; territorial roles (account managers, service
staff) the grids of their territory (``policy.territory_grid_ids``). The rollups know grids, not
shops, so a shop assigned to a manager outside their grids is not in their figures; the lists
behind the tiles are narrowed to the same grids, so a list holds what its tile counts.
"""

import datetime
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from dashboards import histogram
from dashboards.models import (
    GRAINS,
    MEASURES,
    REFRESH_INTERVAL,
    RESOLUTION_BUCKETS,
    RESPONSE_BUCKETS,
    DayFigures,
    RefreshState,
)
from flexserve import policy
from flexserve.policy import Perm
from quality import selectors as quality_selectors
from servicedesk.models import OPEN_STATUSES, RequestEvent, ServiceRequest

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: the longest period a page may ask for
UNTOUCHED_AFTER = datetime.timedelta(days=5)
STAFF_SORTS = ("resolved", "median", "sla", "csat")

# Each filter, the rollup dimension it needs and its lookup on a rollup row / on a request.
_FILTERS = {
    "district_id": ("district", "shop__grid__district_id"),
    "grid_id": ("grid", "shop__grid_id"),
    "segment": ("segment", "shop__segment"),
    "request_type_id": ("request_type", "request_type_id"),
    "channel": ("channel", "channel"),
    "assignee_id": ("assignee", "assignee_id"),
}


@dataclass(frozen=True)
class DashboardFilters:
    """A period (local days, both included) and optional dimensions; blank means all."""

    since: datetime.date
    until: datetime.date
    district_id: int | None = None
    grid_id: int | None = None
    segment: str = ""
    request_type_id: int | None = None
    channel: str = ""
    assignee_id: int | None = None

    def __post_init__(self) -> None:
        if self.since > self.until:
            raise ValueError("the period ends before it starts")
        if self.days > MAX_DAYS:
            raise ValueError(f"the period is longer than {MAX_DAYS} days")

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> "DashboardFilters":
        """The same filters over the period of equal length just before."""
        length = datetime.timedelta(days=self.days)
        return replace(self, since=self.since - length, until=self.since - datetime.timedelta(1))

    def dimensions(self) -> dict[str, Any]:
        """The filters in use: attribute name → value."""
        return {name: getattr(self, name) for name in _FILTERS if getattr(self, name)}


def default_period(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=DEFAULT_DAYS - 1), today


def grid_scope(user: User) -> list[int] | None:
    """The grids whose figures ``user`` may see; None for the whole city."""
    policy.require(user, Perm.QUALITY_VIEW)
    if policy.shop_scope(user) is None:
        return None
    return policy.territory_grid_ids(user)


def refresh_state() -> RefreshState | None:
    return RefreshState.objects.filter(refreshed_at__isnull=False).first()


def is_stale(refreshed_at: datetime.datetime | None, now: datetime.datetime | None = None) -> bool:
    """The figures missed a refresh (older than two intervals) or were never computed."""
    if refreshed_at is None:
        return True
    return (now or timezone.now()) - refreshed_at > 2 * REFRESH_INTERVAL


# --- Reading the rollups --------------------------------------------------------------------


def grain_for(needed: set[str]) -> type[DayFigures]:
    """The smallest rollup that has every dimension in ``needed``."""
    return next(grain for grain in GRAINS if needed <= set(grain.DIMENSIONS))


def _rollup_rows(
    user: User, filters: DashboardFilters, *, group_by: tuple[str, ...] = ()
) -> QuerySet[DayFigures]:
    scope = grid_scope(user)
    used = filters.dimensions()
    needed = {_FILTERS[name][0] for name in used} | set(group_by)
    if scope is not None:
        needed.add("grid")
    grain = grain_for(needed)
    rows = grain.objects.filter(day__gte=filters.since, day__lte=filters.until, **used)
    return rows if scope is None else rows.filter(grid_id__in=scope)


def _sums(names=MEASURES) -> dict[str, Sum]:
    return {name: Sum(name) for name in names}


@dataclass(frozen=True)
class ServiceFigures:
    """One period's figures. Rates are fractions (None without a denominator); times in hours."""

    created: int
    resolved: int
    responded: int
    response_median_h: float | None
    response_p90_h: float | None
    resolution_median_h: float | None
    resolution_p90_h: float | None
    response_sla: float | None  # answered within target / answered
    resolution_sla: float | None  # resolved within target / resolved
    first_contact_rate: float | None  # resolved without hand-over or reopening / resolved
    reopen_rate: float | None  # resolved that had been reopened / resolved
    reassign_rate: float | None  # resolved that had been handed over / resolved

    @property
    def backlog_growth(self) -> int:
        """Created − resolved: how much the pile of open requests grew."""
        return self.created - self.resolved


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


def figures_of(totals: dict[str, int | None]) -> ServiceFigures:
    """The figures of summed rollup rows (``MEASURES`` → sum, None read as 0)."""
    t = {name: totals.get(name) or 0 for name in MEASURES}
    response = [t[name] for name in RESPONSE_BUCKETS]
    resolution = [t[name] for name in RESOLUTION_BUCKETS]
    resolved = t["resolved"]
    return ServiceFigures(
        created=t["created"],
        resolved=resolved,
        responded=t["responded"],
        response_median_h=_hours(histogram.percentile(response, 0.5)),
        response_p90_h=_hours(histogram.percentile(response, 0.9)),
        resolution_median_h=_hours(histogram.percentile(resolution, 0.5)),
        resolution_p90_h=_hours(histogram.percentile(resolution, 0.9)),
        response_sla=_share(t["responded_in_sla"], t["responded"]),
        resolution_sla=_share(t["resolved_in_sla"], resolved),
        first_contact_rate=_share(t["first_contact_resolved"], resolved),
        reopen_rate=_share(t["reopened"], resolved),
        reassign_rate=_share(t["reassigned"], resolved),
    )


@dataclass(frozen=True)
class DayPoint:
    day: datetime.date
    created: int
    resolved: int


@dataclass(frozen=True)
class ServiceDashboard:
    filters: DashboardFilters
    current: ServiceFigures
    previous: ServiceFigures
    series: list[DayPoint]  # every day of the period, in order
    untouched: int  # open requests with nothing happening for 5 days (now, not the period)
    refreshed_at: datetime.datetime | None
    grain: str = field(default="")  # the rollup read (for the benchmark and the curious)


def service_dashboard(
    *, user: User, filters: DashboardFilters, now: datetime.datetime | None = None
) -> ServiceDashboard:
    """The service figures of the period and of the period before, per day, and the open
    requests left untouched for 5 days; all within ``user``'s grids."""
    rows = _rollup_rows(user, filters)
    # One read gives the period's totals and its days: the series sums two of the figures.
    by_day = list(rows.values("day").annotate(**_sums()).order_by("day"))
    totals = {name: sum(row[name] or 0 for row in by_day) for name in MEASURES}
    before = _rollup_rows(user, filters.previous()).aggregate(**_sums())
    per_day = {row["day"]: row for row in by_day}
    series = []
    for offset in range(filters.days):
        day = filters.since + datetime.timedelta(days=offset)
        row = per_day.get(day, {})
        series.append(DayPoint(day, row.get("created") or 0, row.get("resolved") or 0))
    state = refresh_state()
    return ServiceDashboard(
        filters=filters,
        current=figures_of(totals),
        previous=figures_of(before),
        series=series,
        untouched=untouched_requests(user=user, filters=filters, now=now).count(),
        refreshed_at=state.refreshed_at if state else None,
        grain=rows.model.__name__,
    )


# --- Staff ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    assignee_id: int
    name: str
    resolved: int
    resolution_median_h: float | None
    resolution_sla: float | None
    csat: dict[str, Any] | None  # quality's CSAT row (suppressed under 5 ratings); None: no one
    rank: int = 0

    @property
    def csat_shown(self) -> float | None:
        if self.csat is None or self.csat["suppressed"]:
            return None
        return self.csat["csat"]


@dataclass(frozen=True)
class StaffDashboard:
    filters: DashboardFilters
    rows: list[StaffRow]
    sort: str
    refreshed_at: datetime.datetime | None


def _local_midnight(day: datetime.date) -> datetime.datetime:
    """The start of a local day, in the zone the rollups date their rows in."""
    return datetime.datetime.combine(day, datetime.time.min, ZoneInfo(settings.TIME_ZONE))


def staff_dashboard(
    *, user: User, filters: DashboardFilters, sort: str = "resolved"
) -> StaffDashboard:
    """Per assignee in the period: requests resolved, median resolution time, resolution SLA
    attainment, and CSAT (``quality.selectors.csat_summary``; hidden under 5 ratings), ranked
    by ``sort``. CSAT counts the ratings invited in the period within the viewer's scope; the
    other filters do not narrow it."""
    if sort not in STAFF_SORTS:
        raise ValueError(f"sort must be one of {STAFF_SORTS}")
    wanted = ("resolved", "resolved_in_sla", *RESOLUTION_BUCKETS)
    rows = list(
        _rollup_rows(user, filters, group_by=("assignee",))
        .filter(assignee_id__isnull=False)
        .values("assignee_id")
        .annotate(**_sums(wanted))
        .order_by()
    )
    csat = quality_selectors.csat_summary(
        user=user,
        since=_local_midnight(filters.since),
        until=_local_midnight(filters.until + datetime.timedelta(days=1)),
        group_by="staff",
    )["groups"]
    ids = [row["assignee_id"] for row in rows]
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids)}
    staff = []
    for row in rows:
        resolution = [row[name] or 0 for name in RESOLUTION_BUCKETS]
        median = histogram.percentile(resolution, 0.5)
        staff.append(
            StaffRow(
                assignee_id=row["assignee_id"],
                name=names.get(row["assignee_id"], "–"),
                resolved=row["resolved"] or 0,
                resolution_median_h=_hours(median),
                resolution_sla=_share(row["resolved_in_sla"] or 0, row["resolved"] or 0),
                csat=csat.get(row["assignee_id"]),
            )
        )
    staff.sort(key=_STAFF_ORDER[sort])
    state = refresh_state()
    return StaffDashboard(
        filters=filters,
        rows=[replace(row, rank=rank) for rank, row in enumerate(staff, start=1)],
        sort=sort,
        refreshed_at=state.refreshed_at if state else None,
    )


def _missing_last(value: float | None, *, descending: bool) -> tuple[bool, float]:
    if value is None:
        return (True, 0.0)
    return (False, -value if descending else value)


_STAFF_ORDER = {
    "resolved": lambda r: (-r.resolved, r.name),
    "median": lambda r: (*_missing_last(r.resolution_median_h, descending=False), r.name),
    "sla": lambda r: (*_missing_last(r.resolution_sla, descending=True), -r.resolved, r.name),
    "csat": lambda r: (*_missing_last(r.csat_shown, descending=True), -r.resolved, r.name),
}


# --- The requests behind a figure ---------------------------------------------------------------

# Each tile's list: which moment of the request falls in the period, and what else holds.
LIST_METRICS: dict[str, tuple[str | None, Q]] = {
    "created": ("created_at", Q()),
    "open_created": ("created_at", Q(status__in=OPEN_STATUSES)),
    "resolved": ("resolved_at", Q()),
    "resolved_late": ("resolved_at", Q(resolution_breached=True)),
    "responded": ("first_response_at", Q()),
    "responded_late": ("first_response_at", Q(response_breached=True)),
    "first_contact": ("resolved_at", Q(handover_count=0, reopen_count=0)),
    "reopened": ("resolved_at", Q(reopen_count__gt=0)),
    "reassigned": ("resolved_at", Q(handover_count__gt=0)),
    "untouched": (None, Q()),
}


def _requests_in_scope(user: User, filters: DashboardFilters) -> QuerySet[ServiceRequest]:
    policy.require(user, Perm.REQUEST_VIEW)
    scope = grid_scope(user)
    qs = policy.visible(
        user, ServiceRequest.objects.select_related("shop", "request_type", "assignee")
    )
    if scope is not None:
        qs = qs.filter(shop__grid_id__in=scope)
    return qs.filter(**{_FILTERS[name][1]: value for name, value in filters.dimensions().items()})


def untouched_requests(
    *, user: User, filters: DashboardFilters, now: datetime.datetime | None = None
) -> QuerySet[ServiceRequest]:
    """Open requests (any age) whose last event is more than 5 days old, oldest first.

    Open requests only: the status index finds them, and the timeline index (request, at)
    gives each one's last event. The period does not apply; the other filters do."""
    cutoff = (now or timezone.now()) - UNTOUCHED_AFTER
    # A scalar subquery, not NOT EXISTS: PostgreSQL may turn an anti-join into a hash of every
    # recent event (millions) when it misjudges how many requests are open; this stays one
    # index probe per open request.
    last_event = RequestEvent.objects.filter(request=OuterRef("pk")).order_by("-at").values("at")
    return (
        _requests_in_scope(user, filters)
        .filter(status__in=OPEN_STATUSES, created_at__lt=cutoff)
        .alias(last_touched_at=Coalesce(Subquery(last_event[:1]), F("created_at")))
        .filter(last_touched_at__lt=cutoff)
        .order_by("created_at")
    )


# Lists behind a time figure show the slowest first; the others the newest first.
_SLOWEST_FIRST = ("responded", "resolved")


def request_list(
    *, user: User, filters: DashboardFilters, metric: str, now: datetime.datetime | None = None
) -> QuerySet[ServiceRequest]:
    """The requests a tile counts (``LIST_METRICS``)."""
    if metric not in LIST_METRICS:
        raise ValueError(f"unknown list {metric!r}")
    if metric == "untouched":
        return untouched_requests(user=user, filters=filters, now=now)
    moment, condition = LIST_METRICS[metric]
    start = _local_midnight(filters.since)
    end = _local_midnight(filters.until + datetime.timedelta(days=1))
    in_period = Q(**{f"{moment}__gte": start, f"{moment}__lt": end})
    requests = _requests_in_scope(user, filters).filter(in_period & condition)
    if metric in _SLOWEST_FIRST:
        waited = ExpressionWrapper(F(moment) - F("created_at"), output_field=DurationField())
        return requests.order_by(waited.desc(), "-pk")
    return requests.order_by(f"-{moment}", "-pk")
