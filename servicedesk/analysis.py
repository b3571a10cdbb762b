"""Process analysis (ECRS): where the business time of finished requests goes, by type and stage.

Reads ``RequestTiming`` (one row per resolved or closed request, see ``servicedesk.timing``) and
never writes. The stages, in the order a request meets them:

- dispatch: waiting in the queue for an owner (waiting only);
- handling: waiting in the owner's stack, then being worked (waiting, processing);
- support: other departments called in, waiting then working (waiting, processing);
- shop: on hold, waiting for the shop (the shop's time, kept apart from the staff's);
- confirmation: resolved, waiting for the shop to confirm (closed requests only: a request that
  is still only resolved has not finished this stage yet).

Percentiles are computed here in Python on plain rows, so SQLite and PostgreSQL agree: linear
interpolation between the closest ranks, as PostgreSQL's ``percentile_cont`` and numpy's default.
Times are business hours of the company's working calendar.

The slowest stage of a type is the one with the longest bar of the stage chart: its **median
waiting plus its median processing** (``StageStats.bar_s``), ties broken by the p90 of waiting +
processing. The verdict names both medians, so the page says what it ranks by. Confirmation is left
out of the verdict, and so out of the chart, because it comes after the fix and the shop's silence
ends in an automatic close after a few working days; the stage table still shows it.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from flexserve import policy
from flexserve.policy import Perm
from servicedesk.models import RequestTiming, RequestType, Status

StrOrPromise = str | Promise
HOUR = 3600
DEFAULT_WEEKS = 12
MAX_DAYS = 731  # two years: the page stays quick however the dates are typed
# Fewer finished requests than this and a type's percentiles say little: no verdict for it.
MIN_FOR_VERDICT = 5


@dataclass(frozen=True)
class Stage:
    code: str
    label: StrOrPromise
    wait_field: str
    work_field: str | None = None
    in_verdict: bool = True


STAGES: tuple[Stage, ...] = (
    Stage("dispatch", _("Dispatch"), "dispatch_wait_s"),
    # "Handling" has a context: in Chinese the stage (负责人处理) and its processing part (处理)
    # would otherwise read the same ("处理（处理）").
    Stage(
        "handling",
        pgettext_lazy("analysis stage", "Handling"),
        "handling_wait_s",
        "handling_work_s",
    ),
    Stage("support", _("Support"), "support_wait_s", "support_work_s"),
    Stage("shop", _("Waiting on the shop"), "shop_wait_s"),
    Stage("confirmation", _("Confirmation"), "confirm_wait_s", in_verdict=False),
)

PRINCIPLES = {
    "eliminate": _("Eliminate"),
    "combine": _("Combine"),
    "rearrange": _("Rearrange"),
    "simplify": _("Simplify"),
}
# What to try when a stage is the slowest: (ECRS principle, hint), by stage or stage + part.
ECRS_HINTS: dict[str, tuple[str, StrOrPromise]] = {
    "dispatch": ("combine", _("route more of this type automatically, straight to an owner.")),
    "handling.waiting": ("rearrange", _("rebalance the load between owners.")),
    "handling.processing": (
        "simplify",
        _("standard steps, checklists and canned replies for this type."),
    ),
    "support": (
        "simplify",
        _("give the owner authority to decide, and standard hand-offs to other departments."),
    ),
    "shop": ("eliminate", _("ask for everything needed at the first contact.")),
}

# "Where the time goes": summed business time of all requests in the selection.
TIME_PARTS: tuple[tuple[str, StrOrPromise, tuple[str, ...]], ...] = (
    ("staff_waiting", _("Staff: waiting"), ("dispatch_wait_s", "handling_wait_s")),
    ("staff_working", _("Staff: working"), ("handling_work_s",)),
    ("support", _("Support from other departments"), ("support_wait_s", "support_work_s")),
    ("shop_waiting", _("Waiting on the shop"), ("shop_wait_s",)),
    ("confirmation", _("Waiting for confirmation"), ("confirm_wait_s",)),
)

_COLUMNS = (
    "request_type_id",
    "created_at",
    "dispatch_wait_s",
    "handling_wait_s",
    "handling_work_s",
    "support_wait_s",
    "support_work_s",
    "shop_wait_s",
    "confirm_wait_s",
    "first_response_s",
    "resolution_s",
    "handovers",
    "first_contact_resolution",
    "request__status",
    "request__response_breached",
    "request__resolution_breached",
)
_TYPE, _CREATED = _COLUMNS.index("request_type_id"), _COLUMNS.index("created_at")


# --- Percentiles --------------------------------------------------------------------------------


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0…1) of already sorted values; None for no values.

    Linear interpolation between the closest ranks: PostgreSQL's ``percentile_cont``, numpy's
    default and ``statistics.quantiles(method="inclusive")`` give the same numbers.
    """
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(seconds: float | None) -> float | None:
    # One decimal (six minutes) is as fine as anyone reads a process chart.
    return None if seconds is None else round(seconds / HOUR, 1)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile of some durations, kept in seconds, shown in hours."""

    median_s: float | None = None
    p90_s: float | None = None

    @classmethod
    def of(cls, values: Iterable[float | None]) -> "Spread":
        """Of ``values``; None values (a time not recorded) are left out."""
        ordered = sorted(v for v in values if v is not None)
        return cls.of_sorted(ordered)

    @classmethod
    def of_counts(cls, values: Iterable[float]) -> "Spread":
        """Of ``values`` that are never None (the stage columns): no filtering pass."""
        return cls.of_sorted(sorted(values))

    @classmethod
    def of_sorted(cls, ordered: Sequence[float]) -> "Spread":
        return cls(percentile(ordered, 0.5), percentile(ordered, 0.9))

    @property
    def median(self) -> float | None:
        return _hours(self.median_s)

    @property
    def p90(self) -> float | None:
        return _hours(self.p90_s)

    def as_dict(self) -> dict[str, float | None]:
        return {"median": self.median, "p90": self.p90}


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageStats:
    code: str
    label: str
    wait: Spread
    work: Spread | None  # None: the stage has no processing part (dispatch, shop, confirmation)
    total: Spread
    counted: int  # requests counted (confirmation: the closed ones)
    share_pct: float | None  # of those, how many spent any time in the stage
    ranked: bool = True  # compared for the slowest stage (confirmation is not)
    slowest: bool = False

    @property
    def bar_s(self) -> float:
        """Median waiting + median processing, in seconds: the stage chart's bar and the rank."""
        return (self.wait.median_s or 0) + ((self.work.median_s or 0) if self.work else 0)


@dataclass(frozen=True)
class Verdict:
    """The slowest stage of a type and what the ECRS method suggests for it."""

    stage: str
    stage_label: str
    part: str  # "waiting" or "processing": the larger median of the stage
    part_label: str
    measure: str  # what it is ranked by, with the numbers: "median waiting 3.0 h + …"
    principle_code: str  # eliminate, combine, rearrange or simplify
    principle: str
    hint: str


@dataclass(frozen=True)
class TypeSummary:
    code: str  # "" for all types together
    label: str
    count: int
    stages: tuple[StageStats, ...]
    first_response: Spread
    resolution: Spread
    handovers_per_request: float | None
    fcr_pct: float | None
    response_late_pct: float | None
    resolution_late_pct: float | None
    slowest: Verdict | None
    few: bool  # too few requests for a verdict

    def stage(self, code: str) -> StageStats:
        return next(s for s in self.stages if s.code == code)


@dataclass(frozen=True)
class StageSummary:
    overall: TypeSummary
    types: list[TypeSummary]  # slowest median resolution first; types with few requests last


@dataclass(frozen=True)
class WeekBucket:
    start: datetime.date  # the Monday
    label: str  # ISO week, e.g. "2025-W48"
    count: int
    resolution: Spread
    stages: dict[str, StageStats]  # by stage code: waiting, processing, total


@dataclass(frozen=True)
class TimePart:
    code: str
    label: str
    hours: float
    pct: float | None


@dataclass(frozen=True)
class Analysis:
    since: datetime.date
    until: datetime.date
    summary: StageSummary
    weeks: list[WeekBucket]
    time_split: list[TimePart]

    @property
    def empty(self) -> bool:
        return self.summary.overall.count == 0


# --- Reading the rows ---------------------------------------------------------------------------


def default_range(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last ``DEFAULT_WEEKS`` ISO weeks, this one included."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    return monday - datetime.timedelta(weeks=DEFAULT_WEEKS - 1), today


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def timing_rows(
    user: User,
    *,
    since: datetime.date,
    until: datetime.date,
    request_type: str | None = None,
    segment: str | None = None,
    district_id: int | None = None,
) -> QuerySet:
    """Timing of the finished requests created from ``since`` to ``until`` (both days included)
    that ``user`` may see, as tuples of ``_COLUMNS``."""
    policy.require(user, Perm.REQUEST_ANALYSIS)
    qs = policy.visible(user, RequestTiming.objects.all()).filter(
        created_at__gte=_start_of(since),
        created_at__lt=_start_of(until + datetime.timedelta(days=1)),
        # A reopened request keeps its row but is open again: it is not finished.
        request__status__in=(Status.RESOLVED, Status.CLOSED),
    )
    if request_type:
        qs = qs.filter(request_type__code=request_type)
    if segment:
        qs = qs.filter(request__shop__segment=segment)
    if district_id:
        qs = qs.filter(request__shop__grid__district_id=district_id)
    return qs.values_list(*_COLUMNS)


def _type_labels(type_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id → (code, name in the page's language)."""
    english = (translation.get_language() or "").startswith("en")
    rows = RequestType.objects.filter(pk__in=set(type_ids)).values_list(
        "pk", "code", "name", "name_en"
    )
    return {pk: (code, (name_en or name) if english else name) for pk, code, name, name_en in rows}


# --- Aggregation --------------------------------------------------------------------------------


def _columns(rows: Sequence[tuple]) -> dict[str, tuple]:
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in _COLUMNS]
    return dict(zip(_COLUMNS, transposed, strict=True))


def _stage_stats(stage: Stage, cols: dict[str, tuple]) -> StageStats:
    wait = cols[stage.wait_field]
    work = cols[stage.work_field] if stage.work_field else None
    if stage.code == "confirmation":
        closed = [s == Status.CLOSED for s in cols["request__status"]]
        wait = tuple(w for w, keep in zip(wait, closed, strict=True) if keep)
    totals = wait if work is None else tuple(a + b for a, b in zip(wait, work, strict=True))
    return StageStats(
        code=stage.code,
        label=str(stage.label),
        wait=Spread.of_counts(wait),
        work=None if work is None else Spread.of_counts(work),
        total=Spread.of_counts(totals),
        counted=len(totals),
        share_pct=_pct(sum(1 for t in totals if t > 0), len(totals)),
        ranked=stage.in_verdict,
    )


def _measure(stage: StageStats) -> str:
    """The medians a stage is ranked by, in words and hours."""
    if stage.work is None:
        return gettext("median waiting %(wait)s h") % {"wait": stage.wait.median or 0}
    return gettext("median waiting %(wait)s h + median processing %(work)s h") % {
        "wait": stage.wait.median or 0,
        "work": stage.work.median or 0,
    }


def _verdict(stages: Sequence[StageStats]) -> Verdict | None:
    """The slowest ranked stage: the longest chart bar, median waiting + median processing (the
    p90 of waiting + processing breaks ties); None when all are zero."""
    candidates = [s for s in stages if s.ranked]
    best = max(candidates, key=lambda s: (s.bar_s, s.total.p90_s or 0))
    if not (best.bar_s or best.total.p90_s):
        return None
    part = "waiting"
    if best.work is not None and (best.work.median_s or 0) > (best.wait.median_s or 0):
        part = "processing"
    principle, hint = ECRS_HINTS.get(f"{best.code}.{part}") or ECRS_HINTS[best.code]
    return Verdict(
        stage=best.code,
        stage_label=best.label,
        part=part,
        part_label=str(_("waiting") if part == "waiting" else _("processing")),
        measure=_measure(best),
        principle_code=principle,
        principle=str(PRINCIPLES[principle]),
        hint=str(hint),
    )


def _summarise(code: str, label: str, rows: Sequence[tuple]) -> TypeSummary:
    cols = _columns(rows)
    count = len(rows)
    stages = [_stage_stats(stage, cols) for stage in STAGES]
    few = count < MIN_FOR_VERDICT
    verdict = None if few else _verdict(stages)
    if verdict:
        stages = [replace(s, slowest=True) if s.code == verdict.stage else s for s in stages]
    return TypeSummary(
        code=code,
        label=label,
        count=count,
        stages=tuple(stages),
        first_response=Spread.of(cols["first_response_s"]),
        resolution=Spread.of(cols["resolution_s"]),
        handovers_per_request=round(sum(cols["handovers"]) / count, 2) if count else None,
        fcr_pct=_pct(sum(cols["first_contact_resolution"]), count),
        response_late_pct=_pct(sum(cols["request__response_breached"]), count),
        resolution_late_pct=_pct(sum(cols["request__resolution_breached"]), count),
        slowest=verdict,
        few=few,
    )


def _stage_summary(rows: Sequence[tuple]) -> StageSummary:
    by_type: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_type[row[_TYPE]].append(row)
    labels = _type_labels(by_type)
    types = [
        _summarise(*labels.get(type_id, (str(type_id), str(type_id))), type_rows)
        for type_id, type_rows in by_type.items()
    ]
    types.sort(key=lambda t: (t.few, -(t.resolution.median_s or 0), -t.count, t.label))
    return StageSummary(overall=_summarise("", str(_("All types")), rows), types=types)


def _weeks(rows: Sequence[tuple], since: datetime.date, until: datetime.date) -> list[WeekBucket]:
    first = since - datetime.timedelta(days=since.weekday())
    by_week: dict[datetime.date, list[tuple]] = defaultdict(list)
    tz = timezone.get_current_timezone()  # once: per row it costs a context-local lookup
    for row in rows:
        day = row[_CREATED].astimezone(tz).date()
        by_week[day - datetime.timedelta(days=day.weekday())].append(row)
    buckets = []
    monday = first
    while monday <= until:
        week_rows = by_week.get(monday, [])
        cols = _columns(week_rows)
        year, week, _weekday = monday.isocalendar()
        buckets.append(
            WeekBucket(
                start=monday,
                label=f"{year}-W{week:02d}",
                count=len(week_rows),
                resolution=Spread.of(cols["resolution_s"]),
                stages={s.code: _stage_stats(s, cols) for s in STAGES},
            )
        )
        monday += datetime.timedelta(weeks=1)
    return buckets


def _time_split(rows: Sequence[tuple]) -> list[TimePart]:
    cols = _columns(rows)
    seconds = [sum(sum(cols[f]) for f in fields) for _code, _label, fields in TIME_PARTS]
    whole = sum(seconds)
    return [
        TimePart(code, str(label), round(s / HOUR, 1), _pct(s, whole))
        for (code, label, _fields), s in zip(TIME_PARTS, seconds, strict=True)
    ]


# --- Public reads -------------------------------------------------------------------------------


def _rows(user: User, **filters: Any) -> list:
    """The timing rows of the filters ``timing_rows`` takes (since, until, request_type, segment,
    district_id)."""
    return list(timing_rows(user, **filters))


def stage_summary(user: User, **filters: Any) -> StageSummary:
    """Per request type (and for all together): volume, each stage's waiting and processing
    median and p90, first response and resolution, hand-overs, first-contact resolution, late
    shares and the slowest stage with its ECRS hint."""
    return _stage_summary(_rows(user, **filters))


def weekly_trend(user: User, **filters: Any) -> list[WeekBucket]:
    """Per ISO week of creation (weeks without requests included): volume, resolution and each
    stage's waiting and processing, median and p90."""
    return _weeks(_rows(user, **filters), filters["since"], filters["until"])


def time_split(user: User, **filters: Any) -> list[TimePart]:
    """Where the time goes: staff waiting, staff working, support, the shop, confirmation."""
    return _time_split(_rows(user, **filters))


def process_analysis(
    user: User,
    *,
    since: datetime.date,
    until: datetime.date,
    request_type: str | None = None,
    segment: str | None = None,
    district_id: int | None = None,
) -> Analysis:
    """Everything the analysis page shows, from one read of the rows."""
    rows = list(
        timing_rows(
            user,
            since=since,
            until=until,
            request_type=request_type,
            segment=segment,
            district_id=district_id,
        )
    )
    return Analysis(
        since=since,
        until=until,
        summary=_stage_summary(rows),
        weeks=_weeks(rows, since, until),
        time_split=_time_split(rows),
    )
