"""Rollups of service requests per local day, read by the dashboards instead of the raw tables.

Each row holds the figures of one day (Asia/Shanghai, ``settings.TIME_ZONE``) for one combination
of dimensions. A request counts on the day each thing happened to it:

- ``created`` on the day it was created;
- ``responded``, ``responded_in_sla`` and the first-response histogram on the day of its first
  response (so a period's response figures cover what was answered in it, resolved or not);
- ``resolved``, ``resolved_in_sla``, ``first_contact_resolved``, ``reopened``, ``reassigned`` and
  the resolution histogram on the day it was (last) resolved. ``reopened`` and ``reassigned``
  count resolved requests that were reopened / handed over at least once before.

Times are wall-clock minutes from creation (what the shop waits); the SLA figures use the
request's own breach flags, which the SLA clock sets in business time. The dimensions are the
request's values when the row was computed (its current assignee, its shop's current class).

Four grains of the same figures: ``RequestDay`` has every dimension; the others are sums of it
over fewer dimensions, so that a city-wide or district view reads a few thousand rows, not one
per request (at city scale a grid sees a handful of requests a day, and the full grain has
about as many rows as there are requests). ``dashboards.selectors`` picks the smallest grain
that has the dimensions a view filters or groups by.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dashboards import histogram

COUNTS = (
    "created",
    "resolved",
    "resolved_in_sla",
    "responded",
    "responded_in_sla",
    "first_contact_resolved",
    "reopened",
    "reassigned",
)
RESPONSE_BUCKETS = tuple(f"response_h{i:02d}" for i in range(histogram.BUCKETS))
RESOLUTION_BUCKETS = tuple(f"resolution_h{i:02d}" for i in range(histogram.BUCKETS))
MEASURES = COUNTS + RESPONSE_BUCKETS + RESOLUTION_BUCKETS


def _count() -> models.IntegerField:
    # Not PositiveIntegerField: its CHECK on each of ~140 columns would slow every insert, and
    # the counts are sums of counts by construction.
    return models.IntegerField(default=0)


class DayFigures(models.Model):
    """The figures every rollup row carries: counts and the two histograms (one column a
    bucket, so that SQL adds them up on SQLite and PostgreSQL alike)."""

    day = models.DateField(_("day"))
    created = _count()
    resolved = _count()
    resolved_in_sla = _count()
    responded = _count()
    responded_in_sla = _count()
    first_contact_resolved = _count()
    reopened = _count()
    reassigned = _count()

    # The dimensions of the grain, in the order its rows are grouped (see dashboards.selectors).
    DIMENSIONS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def response_histogram(self) -> list[int]:
        return [getattr(self, name) for name in RESPONSE_BUCKETS]

    def resolution_histogram(self) -> list[int]:
        return [getattr(self, name) for name in RESOLUTION_BUCKETS]


for _bucket in RESPONSE_BUCKETS + RESOLUTION_BUCKETS:
    DayFigures.add_to_class(_bucket, _count())


def _dimension(model: str, *, null: bool = False) -> models.ForeignKey:
    # No database constraint: rows are rebuilt from the requests, and a constraint would only
    # make each refresh check every inserted row against its parents again.
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", null=null
    )


def _segment() -> models.CharField:
    return models.CharField(max_length=10)


def _channel() -> models.CharField:
    return models.CharField(max_length=10)


class RequestDay(DayFigures):
    """One row per (day, grid, shop class, request type, channel, assignee); assignee empty for
    unassigned requests. The district is the grid's, kept here to filter without a join."""

    DIMENSIONS = ("district", "grid", "segment", "request_type", "channel", "assignee")

    district = _dimension("customers.District")
    grid = _dimension("customers.Grid")
    segment = _segment()
    request_type = _dimension("servicedesk.RequestType")
    channel = _channel()
    assignee = _dimension(settings.AUTH_USER_MODEL, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="dash_reqday_day"),
            models.Index(fields=["grid", "day"], name="dash_reqday_grid_day"),
            models.Index(fields=["assignee", "day"], name="dash_reqday_assignee_day"),
            models.Index(fields=["district", "day"], name="dash_reqday_district_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} grid {self.grid_id} {self.segment} type {self.request_type_id}"


class DistrictDay(DayFigures):
    """Sums of ``RequestDay`` per (day, district, shop class, request type, channel)."""

    DIMENSIONS = ("district", "segment", "request_type", "channel")

    district = _dimension("customers.District")
    segment = _segment()
    request_type = _dimension("servicedesk.RequestType")
    channel = _channel()

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="dash_distday_day"),
            models.Index(fields=["district", "day"], name="dash_distday_district_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} district {self.district_id} {self.segment}"


class CityDay(DayFigures):
    """Sums of ``RequestDay`` per (day, shop class, request type, channel): the whole city."""

    DIMENSIONS = ("segment", "request_type", "channel")

    segment = _segment()
    request_type = _dimension("servicedesk.RequestType")
    channel = _channel()

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_cityday_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.segment} type {self.request_type_id} {self.channel}"


class StaffDay(DayFigures):
    """Sums of ``RequestDay`` per (day, district, assignee): the staff ranking's grain."""

    DIMENSIONS = ("district", "assignee")

    district = _dimension("customers.District")
    assignee = _dimension(settings.AUTH_USER_MODEL, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["day"], name="dash_staffday_day"),
            models.Index(fields=["assignee", "day"], name="dash_staffday_assignee_day"),
            models.Index(fields=["district", "day"], name="dash_staffday_district_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} staff {self.assignee_id}"


# Smallest first: the selectors take the first grain that has the dimensions they need.
GRAINS: tuple[type[DayFigures], ...] = (CityDay, StaffDay, DistrictDay, RequestDay)


# How often the rollups are refreshed (the schedulers' period; pages say so).
REFRESH_INTERVAL = datetime.timedelta(minutes=15)


class RefreshState(models.Model):
    """The one row saying how fresh the rollups are: every page shows ``refreshed_at``."""

    refreshed_at = models.DateTimeField(_("figures as of"), null=True, blank=True)
    duration_s = models.FloatField(_("last refresh took (seconds)"), default=0)
    days_refreshed = models.PositiveIntegerField(default=0)
    full_rebuild_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard refresh state")

    def __str__(self) -> str:
        return f"{self.refreshed_at}"


class ServqualCell(models.Model):
    """Sufficient statistics of one SERVQUAL wave's answers per group of respondents and
    dimension, read by the SERVQUAL dashboard instead of the answers.

    A group is a combination of the groups each response recorded when it was given (grid,
    district, shop class, account manager, market type); ``dimension`` empty holds the
    respondents' overall figures. Each respondent contributes their dimension MEAN over the
    items they answered (reverse-scored items turned round), as ``quality.reports`` computes
    them, so sums of rows give any filter's exact n, mean, sd, t interval and share below
    expectation. Rebuilt per wave by ``dashboards.services.servqual_rollup``.

    Overall rows: ``n``/``sum_gap*``/``below`` are of the unweighted overall gap (respondents
    with every dimension), ``n_e``/``sum_e*`` and ``n_p``/``sum_p*`` of each respondent's mean
    over the dimensions they answered (the perception-only score), ``weighted_*`` of the
    points-weighted overall gap, ``points_sum`` 100 per respondent who gave points.
    """

    wave = models.ForeignKey(
        "quality.Wave", on_delete=models.CASCADE, db_constraint=False, related_name="+"
    )
    dimension = _dimension("quality.Dimension", null=True)
    grid = _dimension("customers.Grid", null=True)
    district = _dimension("customers.District", null=True)
    segment = models.CharField(max_length=10, blank=True)
    account_manager = _dimension(settings.AUTH_USER_MODEL, null=True)
    market_type = models.CharField(max_length=10, blank=True)

    respondents = _count()  # submitted responses in the group (the same on each of its rows)
    n = _count()  # respondents with this dimension's gap
    n_e = _count()  # … with an expectation mean (differs from n only for half-answered pairs)
    n_p = _count()  # … with a perception mean
    sum_e = models.FloatField(default=0)
    sum_e2 = models.FloatField(default=0)
    sum_p = models.FloatField(default=0)
    sum_p2 = models.FloatField(default=0)
    sum_gap = models.FloatField(default=0)
    sum_gap2 = models.FloatField(default=0)
    below = _count()  # respondents whose gap is below zero
    points_n = _count()  # respondents who spread importance points
    points_sum = models.FloatField(default=0)
    weighted_n = _count()
    weighted_sum = models.FloatField(default=0)
    weighted_sum2 = models.FloatField(default=0)

    MEASURES = (
        "respondents",
        "n",
        "n_e",
        "n_p",
        "sum_e",
        "sum_e2",
        "sum_p",
        "sum_p2",
        "sum_gap",
        "sum_gap2",
        "below",
        "points_n",
        "points_sum",
        "weighted_n",
        "weighted_sum",
        "weighted_sum2",
    )

    class Meta:
        indexes = [models.Index(fields=["wave", "dimension"], name="dash_sqcell_wave_dim")]

    def __str__(self) -> str:
        return f"wave {self.wave_id} dimension {self.dimension_id or 'overall'} grid {self.grid_id}"
