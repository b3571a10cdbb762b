"""Recompute the SERVQUAL dashboard's rollup (``ServqualCell``) from the survey answers.

A wave is rebuilt whole: its submitted answers are loaded by ``quality.reports.load_wave``
(respondents × items, reverse-scored items turned round), each respondent's dimension means,
gaps and overall gaps are computed by the SERVQUAL engine's own per-respondent steps (so the
dashboard and the wave's analysis cannot drift apart), and their sums are taken per group of
respondents with numpy (``bincount`` over a group index). Then the wave's cells are deleted
and inserted again in one transaction.

Run by the 15-minute refresh (``dashboards.services.rollups``) for the waves with a response
submitted since the previous run, and for every wave on a full rebuild.

The points-weighted gap weighs a respondent who gave no points by the wave's mean points, as
the engine does; the rollup takes that mean over the whole wave, so a territorial viewer's
weighted gap may differ a little from the wave analysis (which takes it in their scope) when
some respondents skipped the points question.
"""

import datetime
import warnings
from typing import Any

import numpy as np
from django.db import connection, transaction

from dashboards import servqual
from dashboards.models import ServqualCell
from engines.servqual import servqual as engine
from quality.models import Response, Wave
from quality.reports import load_wave

# The groups a response recorded, in the cell's fields (load_wave's names on the right).
KEY = (
    ("grid_id", "grid_id"),
    ("district_id", "district_id"),
    ("segment", "segment"),
    ("account_manager_id", "account_manager_id"),
    ("market_type", "market_type"),
)
BATCH = 5000


def refresh_servqual(*, since: datetime.datetime | None) -> int:
    """Rebuild the cells of every SERVQUAL wave with a response submitted since ``since``
    (every wave when None, dropping the cells of waves no longer SERVQUAL); waves rebuilt."""
    waves = servqual.servqual_waves().select_related("instrument")
    if since is None:
        waves = list(waves.order_by("pk"))
        ServqualCell.objects.exclude(wave_id__in=[w.pk for w in waves]).delete()
    else:
        submitted = Response.objects.filter(
            state=Response.State.SUBMITTED, submitted_at__gte=since
        ).values("wave_id")
        waves = list(waves.filter(pk__in=submitted).order_by("pk"))
    for wave in waves:
        rebuild_wave(wave)
    return len(waves)


@transaction.atomic
def rebuild_wave(wave: Wave) -> int:
    """Replace ``wave``'s cells by those of its submitted answers now; cells written."""
    responses = Response.objects.filter(wave=wave, state=Response.State.SUBMITTED)
    answers, meta = load_wave(wave, responses)
    dimension_ids = dict(wave.instrument.dimensions.values_list("code", "pk"))
    rows = wave_rows(wave.pk, answers, meta, [dimension_ids[c] for c in answers.dimensions])
    ServqualCell.objects.filter(wave=wave).delete()
    _insert(rows)
    return len(rows)


def _group_index(meta: list[dict[str, Any]]) -> tuple[np.ndarray, list[tuple]]:
    """Each respondent's group number, and each group's key (the cell's fields in KEY)."""
    numbers: dict[tuple, int] = {}
    index = np.fromiter(
        (numbers.setdefault(tuple(m[source] for _, source in KEY), len(numbers)) for m in meta),
        dtype=np.int64,
        count=len(meta),
    )
    return index, list(numbers)


class _Sums:
    """Per-group sums of respondent values (NaN: no value), by ``np.bincount``."""

    def __init__(self, group: np.ndarray, groups: int) -> None:
        self.group, self.groups = group, groups

    def count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.group, weights=mask, minlength=self.groups).astype(np.int64)

    def total(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(
            self.group, weights=np.where(np.isnan(values), 0.0, values), minlength=self.groups
        )

    def moments(self, values: np.ndarray) -> list[np.ndarray]:
        """Count of values, their sum and sum of squares, per group."""
        return [self.count(~np.isnan(values)), self.total(values), self.total(values * values)]


def wave_rows(
    wave_id: int,
    answers: engine.WaveAnswers,
    meta: list[dict[str, Any]],
    dimension_ids: list[int],
) -> list[tuple]:
    """The cells of one wave's answers (``load_wave``'s arrays and respondent groups), as
    tuples in the order of ``COLUMNS``."""
    if not meta:
        return []
    group, keys = _group_index(meta)
    sums = _Sums(group, len(keys))
    # The engine's own per-respondent steps: dimension means over answered items, the overall
    # gap of the respondents who answered every dimension, and its points-weighted twin.
    expectation = engine._dimension_means(answers, answers.expectation)
    perception = engine._dimension_means(answers, answers.perception)
    gaps = perception - expectation
    unweighted, weighted = engine._respondent_overall(answers, gaps)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a respondent with no answer at all
        expectation_only = np.nanmean(expectation, axis=1)
        perception_only = np.nanmean(perception, axis=1)
    respondents = np.bincount(group, minlength=len(keys)).astype(np.int64)
    no_values = np.full(answers.respondents, np.nan)
    points = answers.points if answers.points is not None else np.full(gaps.shape, np.nan)
    has_points = ~np.isnan(points).any(axis=1)
    points_n = sums.count(has_points)
    keys = [
        (grid, district, segment or "", manager, market or "")
        for grid, district, segment, manager, market in keys
    ]

    def rows(dimension_id: int | None, e, p, gap, given, weighted_values) -> list[tuple]:
        with np.errstate(invalid="ignore"):
            below = sums.count(gap < 0)
        n_e, *sum_e = sums.moments(e)
        n_p, *sum_p = sums.moments(p)
        n, *sum_gap = sums.moments(gap)
        measures = [respondents, n, n_e, n_p, *sum_e, *sum_p, *sum_gap, below, points_n]
        measures += [sums.total(np.where(has_points, given, np.nan))]
        measures += sums.moments(weighted_values)
        kept = range(len(keys))
        if dimension_id is not None:  # nothing to add up: the overall row holds the respondents
            kept = np.flatnonzero(n_e + n_p + points_n).tolist()
        columns = [m[kept].tolist() for m in measures]  # numpy → int and float, column-wise
        return [
            (wave_id, dimension_id, *keys[g], *values)
            for g, values in zip(kept, zip(*columns, strict=True), strict=True)
        ]

    made = rows(None, expectation_only, perception_only, unweighted, points.sum(axis=1), weighted)
    for index, dimension_id in enumerate(dimension_ids):
        made += rows(
            dimension_id,
            expectation[:, index],
            perception[:, index],
            gaps[:, index],
            points[:, index],
            no_values,
        )
    return made


COLUMNS = (
    "wave_id",
    "dimension_id",
    *(field for field, _ in KEY),
    *ServqualCell.MEASURES,
)


def _insert(rows: list[tuple]) -> None:
    """Insert cell rows (``COLUMNS``): by COPY on PostgreSQL — a wave can have a hundred
    thousand cells, and COPY takes a tenth of the time of the ORM's INSERTs — else in batches."""
    quote = connection.ops.quote_name
    table = quote(ServqualCell._meta.db_table)
    columns = ", ".join(quote(ServqualCell._meta.get_field(c).column) for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])
