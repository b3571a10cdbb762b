"""Selectors of the initiatives and class-moves dashboard (``dashboards/views_initiatives.py``).

- **Initiatives** running in the period (starts on or before its last day, ends on or after its
  first). Each shows its latest funnel survey opened by the end of the period, the funnel survey
  before it (its "previous"), its event funnel and its goals, all from ``quality.funnels``: the
  funnels are wave-based, so only the period applies to them, never the other filters.
- **Class moves**: ``SegmentChange`` rows of the period (local days) as a from → to matrix, read
  with one grouped count over this period and the one before. District, grid, class (the class
  moved *to*) and staff (the shop's account manager) apply; request type and channel do not.

Both parts are read live from the tables (no rollup); both need ``QUALITY_VIEW`` and stay in the
viewer's grids (``selectors.grid_scope``) like the other dashboards.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from customers.models import Segment, SegmentChange
from dashboards import selectors
from dashboards.selectors import DashboardFilters, _local_midnight
from flexserve import policy
from flexserve.policy import Perm
from quality import funnels
from quality.models import Goal, Initiative, InitiativeType

STAGES = ("awareness", "interest", "experience", "perception")
GOAL_STATES = ("met", "on_track", "at_risk", "missed")
DIRECTIONS = ("up", "down", "new")
# A lower rank is a higher class: core > key > potential > ordinary (Segment's own order).
SEGMENT_RANK = {code: rank for rank, code in enumerate(Segment.values)}
TYPE_ORDER = {code: rank for rank, code in enumerate(InitiativeType.values)}

# The staff filter is the shop's account manager here: a class move has no assignee.
_MOVE_FILTERS = {
    "district_id": "shop__grid__district_id",
    "grid_id": "shop__grid_id",
    "segment": "to_segment",
    "assignee_id": "shop__account_manager_id",
}


# --- Initiatives --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyStage:
    """One stage of a funnel survey: count / base (``engines.servqual.funnel.STAGE_RATIOS``)."""

    stage: str
    count: int
    base: int
    share: float | None  # None when the base is 0
    before: float | None  # the same stage in the funnel survey before; None without one

    @property
    def change(self) -> float | None:
        """share − before, a fraction (0.1 = 10 points)."""
        if self.share is None or self.before is None:
            return None
        return self.share - self.before


@dataclass(frozen=True)
class InitiativeRow:
    initiative: Initiative
    wave: Any | None  # the latest funnel survey with figures (quality.models.Wave)
    surveyed: int  # its respondents
    stages: list[SurveyStage]  # empty without a funnel survey that may be shown
    previous_wave: Any | None  # the funnel survey before it (with figures)
    hidden_waves: int  # funnel surveys of the period with fewer than MIN_GROUP respondents
    events: dict[str, Any] | None  # quality.funnels.event_funnel; None without a service item
    goals: list[dict[str, Any]]  # quality.funnels.goal_rows: goal, current, status

    def goal_count(self, status: str) -> int:
        return sum(1 for row in self.goals if row["status"] == status)


@dataclass(frozen=True)
class ClassMoves:
    """Class changes of one period: (from class, "" when first classed; to class) → moves."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    def _sum(self, direction: str) -> int:
        return sum(n for pair, n in self.counts.items() if move_direction(*pair) == direction)

    @property
    def up(self) -> int:
        return self._sum("up")

    @property
    def down(self) -> int:
        return self._sum("down")

    @property
    def new(self) -> int:
        return self._sum("new")

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class InitiativesDashboard:
    filters: DashboardFilters
    rows: list[InitiativeRow]  # running in the period, by type (seed 001's order) then name
    previous_running: int  # initiatives running in the period before
    goals: dict[str, int]  # status → goals of the rows
    previous_goals: dict[str, int]  # the same for the initiatives of the period before
    moves: ClassMoves
    previous_moves: ClassMoves
    as_of: datetime.datetime  # when the figures were read (they are live)


def _is_running(initiative: Initiative, filters: DashboardFilters) -> bool:
    return initiative.starts_on <= filters.until and initiative.ends_on >= filters.since


def _shown_before(funnel_list: list[dict[str, Any]], end: datetime.datetime) -> list[dict]:
    """Funnel surveys with figures that opened before ``end``, oldest first."""
    return [f for f in funnel_list if not f["suppressed"] and f["wave"].opens_at < end]


def _stages(latest: dict[str, Any] | None, before: dict[str, Any] | None) -> list[SurveyStage]:
    if latest is None:
        return []
    earlier = {s["stage"]: s["share"] for s in before["stages"]} if before else {}
    return [
        SurveyStage(s["stage"], s["count"], s["base"], s["share"], earlier.get(s["stage"]))
        for s in latest["stages"]
    ]


def _goal_tally(rows: list[list[dict[str, Any]]]) -> dict[str, int]:
    tally = dict.fromkeys(GOAL_STATES, 0)
    for goals in rows:
        for row in goals:
            tally[row["status"]] = tally.get(row["status"], 0) + 1
    return tally


def initiatives_dashboard(*, user: User, filters: DashboardFilters) -> InitiativesDashboard:
    """The initiatives running in the period with their funnels and goals, against those running
    in the period before; and the class moves of both periods."""
    policy.require(user, Perm.QUALITY_VIEW)
    before = filters.previous()
    goals = Prefetch("goals", queryset=Goal.objects.order_by("deadline", "pk"))
    # One read for both periods: the period before ends the day before this one starts.
    initiatives = list(
        funnels.initiative_list(user=user)
        .filter(starts_on__lte=filters.until, ends_on__gte=before.since)
        .prefetch_related(goals)
    )
    end = _local_midnight(filters.until + datetime.timedelta(days=1))
    end_before = _local_midnight(before.until + datetime.timedelta(days=1))
    rows, goals_before = [], []
    for initiative in initiatives:
        # Every funnel survey read once, whichever period needs it (initiatives are few).
        funnel_list = funnels.survey_funnels(user, initiative, with_shops=False)
        goal_list = list(initiative.goals.all())
        if _is_running(initiative, before):
            shown = _shown_before(funnel_list, end_before)
            goals_before.append(funnels.goal_rows(goal_list, shown[-1] if shown else None))
        if not _is_running(initiative, filters):
            continue
        shown = _shown_before(funnel_list, end)
        latest = shown[-1] if shown else None
        previous = shown[-2] if len(shown) >= 2 else None
        rows.append(
            InitiativeRow(
                initiative=initiative,
                wave=latest["wave"] if latest else None,
                surveyed=latest["counts"]["surveyed"] if latest else 0,
                stages=_stages(latest, previous),
                previous_wave=previous["wave"] if previous else None,
                hidden_waves=sum(
                    1 for f in funnel_list if f["suppressed"] and f["wave"].opens_at < end
                ),
                events=funnels.event_funnel(user, initiative),
                goals=funnels.goal_rows(goal_list, latest),
            )
        )
    rows.sort(key=lambda r: (TYPE_ORDER.get(r.initiative.type, 99), r.initiative.name))
    moves, previous_moves = class_moves_of(user=user, filters=filters)
    return InitiativesDashboard(
        filters=filters,
        rows=rows,
        previous_running=len(goals_before),
        goals=_goal_tally([row.goals for row in rows]),
        previous_goals=_goal_tally(goals_before),
        moves=moves,
        previous_moves=previous_moves,
        as_of=timezone.now(),
    )


# --- Class moves --------------------------------------------------------------------------------


def move_direction(from_segment: str, to_segment: str) -> str:
    """The way a move goes: new (first classed), up (to a higher class), down, or "" (same)."""
    if not from_segment:
        return "new"
    before, after = SEGMENT_RANK.get(from_segment), SEGMENT_RANK.get(to_segment)
    if before is None or after is None or before == after:
        return ""
    return "up" if after < before else "down"


def _direction_q(direction: str) -> Q:
    if direction == "new":
        return Q(from_segment="")
    pairs = Q(pk__in=[])
    for a in Segment.values:
        for b in Segment.values:
            if move_direction(a, b) == direction:
                pairs |= Q(from_segment=a, to_segment=b)
    return pairs


def _moves_in_scope(user: User, filters: DashboardFilters) -> QuerySet[SegmentChange]:
    scope = selectors.grid_scope(user)  # requires QUALITY_VIEW
    moves = policy.visible(user, SegmentChange.objects.all())
    if scope is not None:
        moves = moves.filter(shop__grid_id__in=scope)
    wanted = {
        _MOVE_FILTERS[name]: value
        for name, value in filters.dimensions().items()
        if name in _MOVE_FILTERS
    }
    return moves.filter(**wanted)


def class_moves_of(*, user: User, filters: DashboardFilters) -> tuple[ClassMoves, ClassMoves]:
    """The period's class moves and the period before's, counted in one grouped query."""
    start = _local_midnight(filters.since)
    rows = (
        _moves_in_scope(user, filters)
        .filter(
            changed_at__gte=_local_midnight(filters.previous().since),
            changed_at__lt=_local_midnight(filters.until + datetime.timedelta(days=1)),
        )
        .values("from_segment", "to_segment")
        .annotate(
            now=Count("pk", filter=Q(changed_at__gte=start)),
            before=Count("pk", filter=Q(changed_at__lt=start)),
        )
        .order_by()
    )
    now: dict[tuple[str, str], int] = {}
    earlier: dict[tuple[str, str], int] = {}
    for row in rows:
        pair = (row["from_segment"], row["to_segment"])
        if row["now"]:
            now[pair] = row["now"]
        if row["before"]:
            earlier[pair] = row["before"]
    return ClassMoves(now), ClassMoves(earlier)


def class_move_list(
    *,
    user: User,
    filters: DashboardFilters,
    from_segment: str = "",
    to_segment: str = "",
    direction: str = "",
) -> QuerySet[SegmentChange]:
    """The class moves of the period behind a matrix cell or a tile, newest first. Blank
    arguments mean any; a class or direction that does not exist raises ValueError."""
    if from_segment and from_segment not in Segment.values:
        raise ValueError(f"unknown class {from_segment!r}")
    if to_segment and to_segment not in Segment.values:
        raise ValueError(f"unknown class {to_segment!r}")
    if direction and direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    moves = _moves_in_scope(user, filters).filter(
        changed_at__gte=_local_midnight(filters.since),
        changed_at__lt=_local_midnight(filters.until + datetime.timedelta(days=1)),
    )
    if from_segment:
        moves = moves.filter(from_segment=from_segment)
    if to_segment:
        moves = moves.filter(to_segment=to_segment)
    if direction:
        moves = moves.filter(_direction_q(direction))
    return moves.select_related("shop__grid__district", "shop__account_manager").order_by(
        "-changed_at", "-pk"
    )
