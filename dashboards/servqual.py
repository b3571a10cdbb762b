"""Reads of the SERVQUAL dashboard: one survey wave's gaps from the ``ServqualCell`` rollup.

The figures of a wave (per dimension: n, E, P, gap with its 95 % t interval, share below
expectation, importance points; overall: the unweighted and the points-weighted gap, the
perception-only score) are sums of the wave's cells in the viewer's scope and filters, turned
into means and intervals here; they equal ``quality.reports.servqual_report`` on the same
responses. The page never reads answers; only the list of shops below expectation does (one
dimension of one wave, one page at a time).

Scope, as ``quality.selectors.submitted_responses``: company-wide roles see every response;
territorial roles those recorded in their grids or with themselves as account manager.
Filters that apply: district, grid, shop class and staff member (the account manager a
response recorded). Request type and channel do not apply to surveys; the period neither: the
page is per wave, compared with the wave before it of the same questionnaire.

Figures of fewer than ``MIN_GROUP`` respondents are never returned (None, shown "–").
"""

import math
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    Sum,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from customers.models import District, Grid
from dashboards import selectors
from dashboards.models import ServqualCell
from dashboards.selectors import DashboardFilters
from engines.servqual.stats import MeanInterval, mean_interval_from_summary
from flexserve import policy
from flexserve.errors import AppError, NotFound
from flexserve.policy import Perm
from quality import selectors as quality_selectors
from quality.models import MIN_GROUP, Answer, Dimension, Question, Response, Wave

# Each dashboard filter that applies to survey answers and the cell's field holding it.
FILTERS = {
    "district_id": "district_id",
    "grid_id": "grid_id",
    "segment": "segment",
    "assignee_id": "account_manager_id",
}
# Filters of the other dashboards that surveys do not have.
IGNORED_FILTERS = ("request_type_id", "channel")
QUADRANTS = ("keep_up", "concentrate_here", "low_priority", "possible_overkill")
# A sum of squares this close to n·mean² is rounding, not spread (identical values).
_ROUNDING = 1e-12


class AnonymousWave(AppError):
    code, status = "wave_anonymous", 409
    message = _(
        "This wave is anonymous: its answers keep no link to the shops that gave them, so no "
        "shop can be listed."
    )


# --- Waves ---------------------------------------------------------------------------------------


def servqual_waves() -> QuerySet[Wave]:
    """Waves answered by shops whose questionnaire asks expectation–perception pairs (staff
    waves answer "as shops would": the knowledge gap, not a service gap)."""
    asks_pairs = Question.objects.filter(
        instrument=OuterRef("instrument_id"), kind=Question.Kind.EXPECTATION_PERCEPTION
    )
    return Wave.objects.filter(Exists(asks_pairs), audience=Wave.Audience.SHOPS)


def wave_choices(*, user: User) -> list[Wave]:
    """The SERVQUAL waves ``user`` may see that have opened, newest first."""
    policy.require(user, Perm.QUALITY_VIEW)
    return list(
        quality_selectors.wave_list(user=user)
        .filter(pk__in=servqual_waves().values("pk"), opens_at__lte=timezone.now())
        .order_by("-opens_at", "-pk")
    )


def wave_get(*, user: User, wave_id: int) -> Wave:
    """One of ``wave_choices``; NotFound otherwise."""
    wave = next((w for w in wave_choices(user=user) if w.pk == wave_id), None)
    if wave is None:
        raise NotFound()
    return wave


def dimension_get(*, wave: Wave, code: str) -> Dimension:
    dimension = Dimension.objects.filter(instrument_id=wave.instrument_id, code=code).first()
    if dimension is None:
        raise NotFound()
    return dimension


def _used(filters: DashboardFilters | None) -> dict[str, Any]:
    """The filters that apply to survey answers, as lookups on a cell or a response."""
    if filters is None:
        return {}
    return {FILTERS[name]: value for name, value in filters.dimensions().items() if name in FILTERS}


def _scoped_cells(
    user: User, wave_id: int, filters: DashboardFilters | None
) -> QuerySet[ServqualCell]:
    cells = ServqualCell.objects.filter(wave_id=wave_id, **_used(filters))
    # The response's scope rule reads the same field names on a cell (grid, account_manager).
    scope = policy.shop_scope(user)
    return cells if scope is None else cells.filter(scope)


def _default_wave(user: User, waves: list[Wave]) -> Wave | None:
    """The newest wave with results in ``user``'s scope (else the newest)."""
    for wave in waves:
        if _scoped_cells(user, wave.pk, None).exists():
            return wave
    return waves[0] if waves else None


def _previous(wave: Wave, waves: list[Wave]) -> Wave | None:
    """The wave before ``wave`` of the same questionnaire (``waves`` newest first)."""
    older = waves[waves.index(wave) + 1 :]
    return next((w for w in older if w.instrument_id == wave.instrument_id), None)


# --- Figures from sums ---------------------------------------------------------------------------


def _zero() -> dict[str, float]:
    return dict.fromkeys(ServqualCell.MEASURES, 0)


def _add(total: dict[str, float], row: dict[str, Any]) -> None:
    for name in ServqualCell.MEASURES:
        total[name] += row[name] or 0


def estimate(n: int, total: float, squares: float) -> MeanInterval | None:
    """Mean, sd and 95 % t interval of ``n`` values known by their sum and sum of squares."""
    if n <= 0:
        return None
    mean = total / n
    if n < 2:
        return mean_interval_from_summary(n, mean, None)
    spread = squares - total * mean
    if spread <= _ROUNDING * squares:
        spread = 0.0
    return mean_interval_from_summary(n, mean, math.sqrt(spread / (n - 1)))


@dataclass(frozen=True)
class DimensionFigures:
    """One dimension's figures; all None (n kept) under MIN_GROUP respondents with a gap."""

    dimension_id: int
    code: str
    name: str
    n: int
    expectation: MeanInterval | None
    perception: MeanInterval | None
    gap: MeanInterval | None
    below_share: float | None  # fraction of respondents whose gap is below zero
    importance: float | None  # mean importance points (of 100); None: no points asked
    quadrant: str | None = None  # importance–performance quadrant (QUADRANTS)

    @property
    def shown(self) -> bool:
        return self.gap is not None


@dataclass(frozen=True)
class OverallFigures:
    n: int  # respondents with a gap in every dimension
    gap: MeanInterval | None  # the mean of a respondent's dimension gaps
    weighted: MeanInterval | None  # … weighted by the respondent's importance points
    perception_only: MeanInterval | None  # a respondent's mean perception (SERVPERF)
    below_share: float | None


@dataclass(frozen=True)
class WaveFigures:
    respondents: int
    suppressed: bool  # fewer than MIN_GROUP respondents: no figure at all
    dimensions: list[DimensionFigures]
    overall: OverallFigures | None
    ipa: dict[str, float] | None  # {"importance_mean", "performance_mean"}

    def dimension(self, code: str) -> DimensionFigures | None:
        return next((d for d in self.dimensions if d.code == code), None)


def _hidden(dimension: Dimension, n: int) -> DimensionFigures:
    return DimensionFigures(dimension.pk, dimension.code, dimension.name, n, *[None] * 5)


def _dimension_figures(dimension: Dimension, s: dict[str, float]) -> DimensionFigures:
    if s["n"] < MIN_GROUP:
        return _hidden(dimension, s["n"])
    return DimensionFigures(
        dimension_id=dimension.pk,
        code=dimension.code,
        name=dimension.name,
        n=s["n"],
        expectation=estimate(s["n_e"], s["sum_e"], s["sum_e2"]),
        perception=estimate(s["n_p"], s["sum_p"], s["sum_p2"]),
        gap=estimate(s["n"], s["sum_gap"], s["sum_gap2"]),
        below_share=s["below"] / s["n"],
        importance=s["points_sum"] / s["points_n"] if s["points_n"] else None,
    )


def _quadrant(importance: float, performance: float, ipa: dict[str, float]) -> str:
    # Martilla and James, as engines.servqual.servqual: against the means of both.
    if importance >= ipa["importance_mean"]:
        return "keep_up" if performance >= ipa["performance_mean"] else "concentrate_here"
    return "possible_overkill" if performance >= ipa["performance_mean"] else "low_priority"


def _with_quadrants(
    dimensions: list[DimensionFigures],
) -> tuple[list[DimensionFigures], dict[str, float] | None]:
    placed = [d for d in dimensions if d.importance is not None and d.perception is not None]
    if not placed:
        return dimensions, None
    ipa = {
        "importance_mean": sum(d.importance for d in placed) / len(placed),
        "performance_mean": sum(d.perception.mean for d in placed) / len(placed),
    }
    placed_codes = {d.code for d in placed}
    return [
        replace(d, quadrant=_quadrant(d.importance, d.perception.mean, ipa))
        if d.code in placed_codes
        else d
        for d in dimensions
    ], ipa


def wave_figures(
    sums: dict[int | None, dict[str, float]], dimensions: list[Dimension]
) -> WaveFigures:
    """A wave's figures from its cells summed per dimension (None: the overall rows)."""
    overall_sums = sums.get(None) or _zero()
    respondents = int(overall_sums["respondents"])
    if respondents < MIN_GROUP:
        hidden = [_hidden(d, 0) for d in dimensions]
        return WaveFigures(respondents, True, hidden, None, None)
    shown, ipa = _with_quadrants(
        [_dimension_figures(d, sums.get(d.pk) or _zero()) for d in dimensions]
    )
    o = overall_sums
    overall = OverallFigures(
        n=o["n"], gap=None, weighted=None, perception_only=None, below_share=None
    )
    if o["n"] >= MIN_GROUP:
        overall = OverallFigures(
            n=o["n"],
            gap=estimate(o["n"], o["sum_gap"], o["sum_gap2"]),
            weighted=estimate(o["weighted_n"], o["weighted_sum"], o["weighted_sum2"]),
            perception_only=estimate(o["n_p"], o["sum_p"], o["sum_p2"]),
            below_share=o["below"] / o["n"],
        )
    return WaveFigures(respondents, False, shown, overall, ipa)


# --- The dashboard -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupRow:
    key: int | None
    label: str
    respondents: int
    gaps: list[float | None]  # one per dimension, in the dashboard's order; None under 5
    overall: float | None


@dataclass(frozen=True)
class GroupTable:
    by: str  # "district" or "grid"
    rows: list[GroupRow]


@dataclass(frozen=True)
class ServqualDashboard:
    filters: DashboardFilters
    waves: list[Wave]  # the waves to choose from, newest first
    wave: Wave | None  # None: no SERVQUAL wave has opened (in the viewer's sight)
    previous_wave: Wave | None
    dimensions: list[Dimension]
    current: WaveFigures | None
    before: WaveFigures | None
    groups: GroupTable | None
    ignored_filters: tuple[str, ...]  # filters chosen that surveys do not have
    refreshed_at: Any


def _sum_rows(rows: list[dict[str, Any]]) -> dict[int | None, dict[str, float]]:
    by_dimension: dict[int | None, dict[str, float]] = {}
    for row in rows:
        _add(by_dimension.setdefault(row["dimension_id"], _zero()), row)
    return by_dimension


def _group_labels(by: str, keys: set[int | None]) -> dict[int | None, str]:
    model = District if by == "district" else Grid
    names = dict(model.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
    return {k: names.get(k) or str(_("Not recorded")) for k in keys}


def _group_gap(s: dict[str, float] | None) -> float | None:
    """A group's mean gap; None under MIN_GROUP respondents with a gap."""
    if s is None or s["n"] < MIN_GROUP:
        return None
    return s["sum_gap"] / s["n"]


def _group_table(by: str, rows: list[dict[str, Any]], dimensions: list[Dimension]) -> GroupTable:
    column = f"{by}_id"
    grouped: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[column], []).append(row)
    labels = _group_labels(by, set(grouped))
    table = []
    for key, group_rows in grouped.items():
        sums = _sum_rows(group_rows)
        respondents = int((sums.get(None) or _zero())["respondents"])
        shown = respondents >= MIN_GROUP
        table.append(
            GroupRow(
                key=key,
                label=labels[key],
                respondents=respondents,
                gaps=[_group_gap(sums.get(d.pk)) if shown else None for d in dimensions],
                overall=_group_gap(sums.get(None)) if shown else None,
            )
        )
    table.sort(key=lambda r: (r.key is None, r.label))
    return GroupTable(by=by, rows=table)


def _sums() -> dict[str, Sum]:
    return {name: Sum(name) for name in ServqualCell.MEASURES}


def servqual_dashboard(
    *, user: User, filters: DashboardFilters, wave_id: int | None = None
) -> ServqualDashboard:
    """The gaps of wave ``wave_id`` (default: the newest with results) in ``user``'s scope and
    ``filters``, the same for the wave before it, and the gaps by district (by grid once a
    district or a grid is chosen). Three grouped reads of the rollup."""
    policy.require(user, Perm.QUALITY_VIEW)
    waves = wave_choices(user=user)
    wave = _default_wave(user, waves) if wave_id is None else wave_get(user=user, wave_id=wave_id)
    ignored = tuple(name for name in IGNORED_FILTERS if getattr(filters, name))
    state = selectors.refresh_state()
    refreshed_at = state.refreshed_at if state else None
    if wave is None:
        return ServqualDashboard(
            filters, waves, None, None, [], None, None, None, ignored, refreshed_at
        )
    dimensions = list(
        Dimension.objects.filter(instrument_id=wave.instrument_id).order_by("position")
    )
    by = "grid" if filters.district_id or filters.grid_id else "district"
    rows = list(
        _scoped_cells(user, wave.pk, filters)
        .values("dimension_id", f"{by}_id")
        .annotate(**_sums())
        .order_by()
    )
    current = wave_figures(_sum_rows(rows), dimensions)
    previous_wave = _previous(wave, waves)
    before = None
    if previous_wave is not None:
        earlier = (
            _scoped_cells(user, previous_wave.pk, filters)
            .values("dimension_id")
            .annotate(**_sums())
            .order_by()
        )
        before = wave_figures(_sum_rows(list(earlier)), dimensions)
    return ServqualDashboard(
        filters=filters,
        waves=waves,
        wave=wave,
        previous_wave=previous_wave,
        dimensions=dimensions,
        current=current,
        before=before,
        groups=_group_table(by, rows, dimensions) if rows else None,
        ignored_filters=ignored,
        refreshed_at=refreshed_at,
    )


# --- Shops below expectation ----------------------------------------------------------------------


def _scored(side: str) -> Case:
    """An answer's ``side`` (expectation or perception), reverse-scored items turned round."""
    value = Cast(F(side), FloatField())
    turned = Cast(F("question__scale_min") + F("question__scale_max") - F(side), FloatField())
    return Case(When(question__reverse=True, then=turned), default=value)


def shops_below(
    *, user: User, wave_id: int, dimension_code: str, filters: DashboardFilters
) -> QuerySet[dict[str, Any]]:
    """The respondents of a named wave whose gap in one dimension is below zero, worst first:
    ``{"response_id", "expectation", "perception", "gap"}`` (the respondent's dimension means,
    as the rollup has them), in ``user``'s scope and ``filters``. ``responses_of`` gives the
    shops of a page of them."""
    wave = wave_get(user=user, wave_id=wave_id)
    if wave.anonymous:
        raise AnonymousWave()
    dimension = dimension_get(wave=wave, code=dimension_code)
    responses = quality_selectors.submitted_responses(user, wave).filter(**_used(filters))
    # Grouped by response alone, over this dimension's answers only: the shops, grids and
    # names are read afterwards for one page, not carried through the grouping of thousands.
    return (
        Answer.objects.filter(
            response__in=responses.values("pk"),
            question__dimension=dimension,
            question__kind=Question.Kind.EXPECTATION_PERCEPTION,
        )
        .values("response_id")
        .annotate(expectation=Avg(_scored("expectation")), perception=Avg(_scored("perception")))
        .annotate(gap=F("perception") - F("expectation"))
        .filter(gap__lt=0)
        .order_by("gap", "response_id")
    )


def responses_of(rows: list[dict[str, Any]]) -> dict[int, Response]:
    """The responses (with their shop, grid and account manager) of rows of ``shops_below``."""
    ids = [row["response_id"] for row in rows]
    related = Response.objects.select_related("invitation__shop", "grid", "account_manager")
    return related.in_bulk(ids)
