"""Recompute the dashboard rollups from the service requests; run every 15 minutes.

``refresh`` finds the days whose figures may have changed since the last run — the created,
first-response and resolved days of every request saved since then (``updated_at``), the day a
reopened request had been resolved before, and today — deletes those days' rows of every grain
and inserts them again, in one transaction. ``refresh(full=True)`` rebuilds everything.

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
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

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
    """Recompute the rollup rows of the days touched since the last refresh (all when ``full``
    or never refreshed); the figures are then as of ``now``."""
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
        days = None
        _clear_all()
    else:
        days = touched_days(since=state.refreshed_at - OVERLAP, now=now)
        for grain in GRAINS:
            grain.objects.filter(day__in=days).delete()
    with _indexes_built_after(full):
        _insert_request_days(days)
        for grain, source in COARSE_SOURCES.items():
            _insert_coarse(grain, source, days)
    duration = time.perf_counter() - started
    count = RequestDay.objects.dates("day", "day").count() if days is None else len(days)
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


def touched_days(*, since: datetime.datetime, now: datetime.datetime) -> set[datetime.date]:
    """The local days whose rows may have changed since ``since``, and today."""
    zone = _zone()
    days = {now.astimezone(zone).date()}
    touched = ServiceRequest.objects.filter(updated_at__gte=since)
    for moments in touched.values_list(CREATED_AT, RESPONDED_AT, RESOLVED_AT):
        days.update(m.astimezone(zone).date() for m in moments if m is not None)
    # Reopening empties resolved_at: the day the request had been resolved on is found in its
    # timeline, and redone without it.
    resolved_before = RequestEvent.objects.filter(
        request__in=touched.filter(reopen_count__gt=0).values("pk"),
        kind=EventKind.STATUS,
        to_status=Status.RESOLVED,
    ).values_list("at", flat=True)
    days.update(at.astimezone(zone).date() for at in resolved_before)
    return days


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


def _part(moment: str, days: set[datetime.date] | None) -> QuerySet:
    """One aggregate query: the figures dated by ``moment``, per day and dimension; only the
    given local days (all when None)."""
    dimensions = {"r_day": TruncDate(moment, tzinfo=_zone())}
    dimensions |= {f"r_{name}": expression for name, expression in _SOURCE_DIMENSIONS.items()}
    rows = ServiceRequest.objects.filter(**{f"{moment}__isnull": False})
    if days is not None:
        # The span from the first to the last day lets an index narrow the scan (created_at
        # has one); the set of days, tested once per row, picks the days inside it.
        span = {
            f"{moment}__gte": _local_start(min(days)),
            f"{moment}__lt": _local_start(max(days) + datetime.timedelta(days=1)),
        }
        rows = rows.filter(**span)
    rows = rows.annotate(**dimensions)
    if days is not None:
        rows = rows.filter(r_day__in=sorted(days))
    return rows.values(*dimensions).annotate(**_measures(moment)).order_by()


def _insert_request_days(days: set[datetime.date] | None) -> None:
    parts = [_part(moment, days) for moment in (CREATED_AT, RESPONDED_AT, RESOLVED_AT)]
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
    grain: type[DayFigures], source: type[DayFigures], days: set[datetime.date] | None
) -> None:
    rows = source.objects.all() if days is None else source.objects.filter(day__in=days)
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
