"""Recompute the dashboard rollups from the service requests; run every 15 minutes.

``refresh`` finds the rows whose figures may have changed since the last run — for every request
saved since then (``updated_at``), its grid on its created, first-response and resolved days and
on the day a reopened request had been resolved before; and every grid today — deletes those
rows of every grain and inserts them again, in one transaction. Redoing (day, grid) pairs rather
than whole days keeps a 15-minute refresh small when an old request is finally resolved: that
redoes a dozen requests of its grid that day, not the city's seven thousand.
``refresh(full=True)`` rebuilds everything.

The figures are grouped in SQL: the ORM builds one aggregate query per kind of day (created,
responded, resolved; a conditional ``Count`` per histogram bucket), the three are joined with
``UNION ALL`` and summed per dimension, and the result goes straight into the table with
``INSERT … SELECT`` (no row passes through Python; the same SQL runs on SQLite and PostgreSQL).
The coarser grains are then summed from ``RequestDay`` (or a grain between) the same way.

Not caught between full rebuilds: a change that does not save the request — a shop moved to
another class or grid, a request type renamed — reaches past days' rows only when a later save
touches that request, or at the next full rebuild.
"""

import contextlib
import datetime
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from customers.models import Grid
from dashboards import histogram
from dashboards.models import (
    GRAINS,
    MEASURES,
    REFRESH_INTERVAL,
    RESOLUTION_BUCKETS,
    RESPONSE_BUCKETS,
    CityDay,
    DayFigures,
    DistrictDay,
    RefreshState,
    RequestDay,
    StaffDay,
)
from dashboards.services.servqual_rollup import refresh_servqual
from servicedesk.models import EventKind, RequestEvent, ServiceRequest, Status

# A scheduler firing a few seconds early still refreshes.
DUE_SLACK = datetime.timedelta(seconds=30)
# A request's updated_at is stamped before its transaction commits; looking back this far past
# the last run catches a save that committed after that run had read the table.
OVERLAP = datetime.timedelta(minutes=5)
# Where each kind of figure is dated (see dashboards.models).
CREATED_AT, RESPONDED_AT, RESOLVED_AT = "created_at", "first_response_at", "resolved_at"


@dataclass(frozen=True)
class RefreshResult:
    refreshed_at: datetime.datetime
    days: int  # days recomputed (every day with a row, on a full rebuild)
    full: bool
    duration_s: float


def refresh(now: datetime.datetime | None = None, *, full: bool = False) -> RefreshResult:
    """Recompute the rollup rows touched since the last refresh (all when ``full`` or never
    refreshed); the figures are then as of ``now``."""
    now = now or timezone.now()
    with transaction.atomic():
        return _refresh(_locked_state(), now, full=full)


def refresh_due(now: datetime.datetime | None = None) -> int:
    """Refresh when the figures are 15 minutes old (the schedulers call this); days redone."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _locked_state()
        if state.refreshed_at and now - state.refreshed_at < REFRESH_INTERVAL - DUE_SLACK:
            return 0
        return _refresh(state, now, full=False).days


def _locked_state() -> RefreshState:
    # The row lock makes concurrent refreshes (beat and the embedded loop) run one after the
    # other; on SQLite the write transaction does the same.
    state, _ = RefreshState.objects.select_for_update().get_or_create(pk=1)
    return state


def _refresh(state: RefreshState, now: datetime.datetime, *, full: bool) -> RefreshResult:
    started = time.perf_counter()
    _tune_session()
    full = full or state.refreshed_at is None
    if full:
        scope = None
        _clear_all()
    else:
        scope = touched(since=state.refreshed_at - OVERLAP, now=now)
        for grain in GRAINS:
            grain.objects.filter(scope.rows(grain)).delete()
    with _indexes_built_after(full):
        _insert_request_days(scope)
        for grain, source in COARSE_SOURCES.items():
            _insert_coarse(grain, source, scope)
    # The SERVQUAL dashboard's cells: waves with answers submitted since the last run.
    refresh_servqual(since=None if full else state.refreshed_at - OVERLAP)
    duration = time.perf_counter() - started
    count = RequestDay.objects.dates("day", "day").count() if scope is None else len(scope.days)
    state.refreshed_at = now
    state.duration_s = round(duration, 3)
    state.days_refreshed = count
    if full:
        state.full_rebuild_at = now
    state.save()
    return RefreshResult(refreshed_at=now, days=count, full=full, duration_s=duration)


def _tune_session() -> None:
    """PostgreSQL settings for this transaction's few big aggregations.

    JIT compiling ~140 aggregate expressions costs more than it saves (seconds per query), and
    the grouping is done in memory rather than in sorted runs on disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# A day with more grids touched than this is redone whole (shorter SQL, same work).
WHOLE_DAY_GRIDS = 200


@dataclass(frozen=True)
class Touched:
    """The rollup rows a refresh redoes: per local day, the grids touched (None: every grid),
    and the districts of those grids."""

    grids: dict[datetime.date, frozenset[int] | None]
    districts: dict[datetime.date, frozenset[int] | None]

    @property
    def days(self) -> list[datetime.date]:
        return sorted(self.grids)

    def rows(self, grain: type[DayFigures]) -> Q:
        """The rows of ``grain`` that are redone."""
        # The days alone first: the index on day finds the rows the pairs are tested on.
        on_days = Q(day__in=self.days)
        if "grid" in grain.DIMENSIONS:
            return on_days & _on(self.grids, "day", "grid_id")
        if "district" in grain.DIMENSIONS:
            return on_days & _on(self.districts, "day", "district_id")
        return on_days


def _on(units_by_day: dict[datetime.date, frozenset[int] | None], day: str, unit: str) -> Q:
    either = Q()
    for on_day, units in sorted(units_by_day.items()):
        if units is None:
            either |= Q(**{day: on_day})
        else:
            either |= Q(**{day: on_day, f"{unit}__in": sorted(units)})
    return either


def touched(*, since: datetime.datetime, now: datetime.datetime) -> Touched:
    """The (day, grid) pairs whose rows may have changed since ``since``; every grid today."""
    zone = _zone()
    grids: dict[datetime.date, set[int]] = {}
    requests = ServiceRequest.objects.filter(updated_at__gte=since)
    facts = requests.values_list("shop__grid_id", CREATED_AT, RESPONDED_AT, RESOLVED_AT)
    for grid, *moments in facts:
        for moment in moments:
            if moment is not None:
                grids.setdefault(moment.astimezone(zone).date(), set()).add(grid)
    # Reopening empties resolved_at: the day the request had been resolved on is found in its
    # timeline, and redone without it.
    resolved_before = RequestEvent.objects.filter(
        request__in=requests.filter(reopen_count__gt=0).values("pk"),
        kind=EventKind.STATUS,
        to_status=Status.RESOLVED,
    ).values_list("request__shop__grid_id", "at")
    for grid, at in resolved_before:
        grids.setdefault(at.astimezone(zone).date(), set()).add(grid)
    whole = {now.astimezone(zone).date()}
    whole |= {day for day, on_day in grids.items() if len(on_day) > WHOLE_DAY_GRIDS}
    district_of = dict(
        Grid.objects.filter(pk__in=set().union(*grids.values())).values_list("pk", "district_id")
    )
    return Touched(
        grids={day: None if day in whole else frozenset(grids[day]) for day in whole | set(grids)},
        districts={
            day: None if day in whole else frozenset(district_of[g] for g in grids[day])
            for day in whole | set(grids)
        },
    )


def _clear_all() -> None:
    tables = [grain._meta.db_table for grain in GRAINS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE leaves no dead rows behind (DELETE of millions would). It is rolled back
            # with the transaction, but it locks the tables: pages wait for a full rebuild to
            # commit (minutes at city scale), so rebuild out of hours.
            cursor.execute("TRUNCATE " + ", ".join(map(connection.ops.quote_name, tables)))
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@contextlib.contextmanager
def _indexes_built_after(full: bool) -> Iterator[None]:
    """On a full rebuild on PostgreSQL, drop the rollups' indexes while the rows go in and
    build them once at the end: several times faster than keeping them up to date row by row.
    (The tables are locked by the TRUNCATE already.)"""
    if not full or connection.vendor != "postgresql":
        yield
        return
    with connection.schema_editor() as editor:
        for grain in GRAINS:
            for index in grain._meta.indexes:
                editor.remove_index(grain, index)
    yield
    with connection.schema_editor() as editor:
        for grain in GRAINS:
            for index in grain._meta.indexes:
                editor.add_index(grain, index)


# --- RequestDay from the requests ---------------------------------------------------------------

# Each dimension of RequestDay and where a request holds it.
_SOURCE_DIMENSIONS = {
    "district": F("shop__grid__district_id"),
    "grid": F("shop__grid_id"),
    "segment": F("shop__segment"),
    "request_type": F("request_type_id"),
    "channel": F("channel"),
    "assignee": F("assignee_id"),
}
_ZERO = Value(0, output_field=IntegerField())


def _bucket_q(moment: str, index: int) -> Q:
    """``moment`` − created_at falls in histogram bucket ``index``; the first and the last
    bucket are open, so every request lands in exactly one."""
    lower, upper = histogram.bucket_bounds(index)
    since_created = Q()
    if index > 0:
        since_created &= Q(**{f"{moment}__gte": F(CREATED_AT) + datetime.timedelta(minutes=lower)})
    if upper is not None:
        since_created &= Q(**{f"{moment}__lt": F(CREATED_AT) + datetime.timedelta(minutes=upper)})
    return since_created


def _measures(moment: str) -> dict[str, Cast | Value]:
    """The figures dated by ``moment``; every other figure is 0 in that part."""
    counted: dict[str, Count] = {}
    if moment == CREATED_AT:
        counted["created"] = Count("pk")
    elif moment == RESPONDED_AT:
        counted["responded"] = Count("pk")
        counted["responded_in_sla"] = Count("pk", filter=Q(response_breached=False))
        for index, name in enumerate(RESPONSE_BUCKETS):
            counted[name] = Count("pk", filter=_bucket_q(RESPONDED_AT, index))
    else:
        first_contact = Q(handover_count=0, reopen_count=0)
        counted["resolved"] = Count("pk")
        counted["resolved_in_sla"] = Count("pk", filter=Q(resolution_breached=False))
        counted["first_contact_resolved"] = Count("pk", filter=first_contact)
        counted["reopened"] = Count("pk", filter=Q(reopen_count__gt=0))
        counted["reassigned"] = Count("pk", filter=Q(handover_count__gt=0))
        for index, name in enumerate(RESOLUTION_BUCKETS):
            counted[name] = Count("pk", filter=_bucket_q(RESOLVED_AT, index))
    # As integers: PostgreSQL sums bigint counts as numeric, ten times slower than integers.
    return {
        f"m_{name}": Cast(counted[name], IntegerField()) if name in counted else _ZERO
        for name in MEASURES
    }


def _local_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, _zone())


def _part(moment: str, scope: Touched | None) -> QuerySet:
    """One aggregate query: the figures dated by ``moment``, per day and dimension; only the
    touched rows (all when None)."""
    dimensions = {"r_day": TruncDate(moment, tzinfo=_zone())}
    dimensions |= {f"r_{name}": expression for name, expression in _SOURCE_DIMENSIONS.items()}
    rows = ServiceRequest.objects.filter(**{f"{moment}__isnull": False})
    if scope is not None:
        # The span from the first to the last day lets an index narrow the scan (created_at
        # has one).
        rows = rows.filter(**_between(moment, scope.days[0], scope.days[-1]))
    rows = rows.annotate(**dimensions)
    if scope is not None:
        # The local day, computed once per row and looked up in the set, drops the rows of
        # other days; only those left test the (day, grids) pairs, by plain time ranges.
        rows = rows.filter(Q(r_day__in=scope.days) & _pairs(moment, scope))
    return rows.values(*dimensions).annotate(**_measures(moment)).order_by()


def _pairs(moment: str, scope: Touched) -> Q:
    """``moment`` falls on a touched day in one of that day's touched grids."""
    whole_days = [day for day, grids in scope.grids.items() if grids is None]
    either = Q()
    for first, last in _day_spans(whole_days):
        either |= Q(**_between(moment, first, last))
    for day, grids in sorted(scope.grids.items()):
        if grids is not None:
            either |= Q(**_between(moment, day, day), shop__grid_id__in=sorted(grids))
    return either


def _between(moment: str, first: datetime.date, last: datetime.date) -> dict[str, Any]:
    """Lookups: ``moment`` falls on a local day from ``first`` to ``last``."""
    end = _local_start(last + datetime.timedelta(days=1))
    return {f"{moment}__gte": _local_start(first), f"{moment}__lt": end}


def _day_spans(days: list[datetime.date]) -> list[tuple[datetime.date, datetime.date]]:
    """Consecutive days joined: [(first, last), …]."""
    spans: list[tuple[datetime.date, datetime.date]] = []
    for day in sorted(days):
        if spans and day == spans[-1][1] + datetime.timedelta(days=1):
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def _insert_request_days(scope: Touched | None) -> None:
    parts = [_part(moment, scope) for moment in (CREATED_AT, RESPONDED_AT, RESOLVED_AT)]
    union = parts[0].union(*parts[1:], all=True)
    grouped = ["r_day"] + [f"r_{name}" for name in RequestDay.DIMENSIONS]
    columns = ["day"] + [_column(RequestDay, name) for name in RequestDay.DIMENSIONS]
    _insert_select(
        RequestDay,
        columns=columns + list(MEASURES),
        selected=grouped + [f"SUM(m_{name})" for name in MEASURES],
        source=union,
        group_by=grouped,
    )


# --- Coarser grains from RequestDay -------------------------------------------------------------


# Each coarser grain is summed from the smallest finer one (in this order).
COARSE_SOURCES: dict[type[DayFigures], type[DayFigures]] = {
    DistrictDay: RequestDay,
    CityDay: DistrictDay,
    StaffDay: RequestDay,
}


def _insert_coarse(
    grain: type[DayFigures], source: type[DayFigures], scope: Touched | None
) -> None:
    rows = source.objects.all() if scope is None else source.objects.filter(scope.rows(grain))
    dimensions = {"g_day": F("day")}
    dimensions |= {f"g_{name}": F(_column(source, name)) for name in grain.DIMENSIONS}
    summed = (
        rows.annotate(**dimensions)
        .values(*dimensions)
        .annotate(**{f"s_{name}": Sum(name) for name in MEASURES})
        .order_by()
    )
    _insert_select(
        grain,
        columns=["day"] + [_column(grain, name) for name in grain.DIMENSIONS] + list(MEASURES),
        selected=list(dimensions) + [f"s_{name}" for name in MEASURES],
        source=summed,
    )


def _column(model: type[DayFigures], name: str) -> str:
    return model._meta.get_field(name).column


def _insert_select(
    model: type[DayFigures],
    *,
    columns: list[str],
    selected: list[str],
    source: QuerySet,
    group_by: list[str] | None = None,
) -> None:
    """INSERT INTO model's table (columns) SELECT selected FROM (source) [GROUP BY group_by].

    ``selected`` names the source's columns by their aliases (or sums of them), so the order
    the ORM gives its select list does not matter."""
    source_sql, params = source.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    sql = "INSERT INTO {table} ({columns}) SELECT {selected} FROM ({source}) source".format(
        table=quote(model._meta.db_table),
        columns=", ".join(map(quote, columns)),
        selected=", ".join(selected),
        source=source_sql,
    )
    if group_by:
        sql += " GROUP BY " + ", ".join(group_by)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
