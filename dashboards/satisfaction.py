"""Reads of the satisfaction dashboard: CSAT after contacts and NPS from surveys, live.

Unlike the service figures these are read from the tables themselves (no rollup): a handful of
grouped aggregates, each over one period pair or one period's weeks, never rows in Python.

- CSAT counts the ratings *invited* in the period (``CsatRating.invited_at``): CSAT is the share
  of 4–5 among those rated, the response rate rated / invited, low ratings the 1–3s.
- NPS counts the 0–10 answers to NPS questions of responses *submitted* in the period, in waves
  answered by shops (a staff wave answers "as shops would": not a shop's recommendation); its
  response rate is answered / invited among the invitations of the period to waves that ask one.
- Any CSAT or NPS of fewer than ``MIN_GROUP`` answers is not shown (None), in every cell.

Scope: ratings through ``policy.visible`` and the viewer's grids (``selectors.grid_scope``), like
the other dashboards; survey responses by the groups each one recorded, as
``quality.selectors.submitted_responses`` does (anonymous answers count too).
"""

import datetime
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts.models import User
from customers.models import Segment
from dashboards import selectors
from dashboards.selectors import DashboardFilters, _local_midnight
from engines.servqual.satisfaction import CSAT_SATISFIED_FROM, DETRACTOR_TO, PROMOTER_FROM
from engines.servqual.stats import wilson_interval
from flexserve import policy
from quality.models import MIN_GROUP, Answer, CsatRating, Invitation, Question, Response, Wave

RATING_LISTS = ("rated", "low", "unrated", "comments")
LATEST_COMMENTS = 10
LOW_TO = CSAT_SATISFIED_FROM - 1  # 1–3 is a low rating

# Each dashboard filter and its lookup on a rating, on a survey response, on an invitation.
# Request type and channel belong to requests: they narrow the ratings after requests only.
_RATING_LOOKUPS = {
    "district_id": "shop__grid__district_id",
    "grid_id": "shop__grid_id",
    "segment": "shop__segment",
    "assignee_id": "staff_id",
    "request_type_id": "request__request_type_id",
    "channel": "request__channel",
}
_RESPONSE_LOOKUPS = {
    "district_id": "district_id",
    "grid_id": "grid_id",
    "segment": "segment",
    "assignee_id": "account_manager_id",
}
_INVITATION_LOOKUPS = {
    "district_id": "shop__grid__district_id",
    "grid_id": "shop__grid_id",
    "segment": "shop__segment",
    "assignee_id": "shop__account_manager_id",
}

_LIST_CONDITIONS = {
    "rated": Q(score__isnull=False),
    "low": Q(score__lte=LOW_TO),
    "unrated": Q(score__isnull=True),
    "comments": Q(score__lte=LOW_TO) & ~Q(comment=""),
}


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _bounds(filters: DashboardFilters) -> tuple[datetime.datetime, datetime.datetime]:
    """The period as [start, end): local midnights."""
    return _local_midnight(filters.since), _local_midnight(filters.until + datetime.timedelta(1))


# --- Figures -----------------------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class CsatFigures:
    """Counts of ratings invited in a period (or a week, a group); the figures derive from them."""

    invited: int = 0
    rated: int = 0
    satisfied: int = 0  # rated 4–5
    low: int = 0  # rated 1–3

    @property
    def shown(self) -> bool:
        return self.rated >= MIN_GROUP

    @property
    def csat(self) -> float | None:
        """Share of 4–5 among the rated (a fraction); None under MIN_GROUP ratings."""
        return self.satisfied / self.rated if self.shown else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """Wilson 95 % interval of ``csat`` (fractions); None when it is not shown."""
        return wilson_interval(self.satisfied, self.rated) if self.shown else None

    @property
    def response_rate(self) -> float | None:
        """Rated / invited (a fraction); None when nobody was invited."""
        return _share(self.rated, self.invited)

    def __add__(self, other: "CsatFigures") -> "CsatFigures":
        return CsatFigures(
            self.invited + other.invited,
            self.rated + other.rated,
            self.satisfied + other.satisfied,
            self.low + other.low,
        )


@dataclass(frozen=True)
class NpsFigures:
    """NPS answers of a period (or a week) and the invitations to NPS waves of that period."""

    answers: int = 0
    promoters: int = 0  # 9–10
    detractors: int = 0  # 0–6
    invited: int = 0
    answered: int = 0

    @property
    def nps(self) -> float | None:
        """% promoters − % detractors, in points (−100 … 100); None under MIN_GROUP answers."""
        if self.answers < MIN_GROUP:
            return None
        return 100 * (self.promoters - self.detractors) / self.answers

    @property
    def response_rate(self) -> float | None:
        """Invitations answered / invited (a fraction); None without invitations."""
        return _share(self.answered, self.invited)


@dataclass(frozen=True)
class SatisfactionFigures:
    csat: CsatFigures
    nps: NpsFigures


@dataclass(frozen=True)
class WeekPoint:
    """One week (Monday to Sunday) overlapping the period, counted within the period only."""

    monday: datetime.date
    first_day: datetime.date  # the Monday, or the period's first day when later
    last_day: datetime.date  # the Sunday, or the period's last day when earlier
    csat: CsatFigures
    nps: NpsFigures

    @property
    def response_rate(self) -> float | None:
        """The week's CSAT response rate; None under MIN_GROUP invitations (too noisy)."""
        return self.csat.response_rate if self.csat.invited >= MIN_GROUP else None


@dataclass(frozen=True)
class GroupRow:
    key: str  # a Segment or a CsatRating.Source value
    current: CsatFigures
    previous: CsatFigures


@dataclass(frozen=True)
class SatisfactionDashboard:
    filters: DashboardFilters
    current: SatisfactionFigures
    previous: SatisfactionFigures
    weeks: list[WeekPoint]
    by_segment: list[GroupRow]
    by_source: list[GroupRow]
    comments: list[CsatRating]  # the latest low ratings with a comment, newest invited first
    as_of: datetime.datetime  # read live: the moment of reading

    @property
    def request_filters_used(self) -> bool:
        """Request type or channel is set: visit ratings and NPS are not narrowed by them."""
        return bool(self.filters.request_type_id or self.filters.channel)


# --- Scoped rows -------------------------------------------------------------------------------


def _ratings_in_scope(user: User, filters: DashboardFilters) -> QuerySet[CsatRating]:
    scope = selectors.grid_scope(user)  # refuses anyone without QUALITY_VIEW
    ratings = policy.visible(user, CsatRating.objects.all())
    if scope is not None:
        ratings = ratings.filter(shop__grid_id__in=scope)
    used = filters.dimensions()
    return ratings.filter(**{_RATING_LOOKUPS[name]: value for name, value in used.items()})


def _response_lookups(filters: DashboardFilters, prefix: str = "") -> dict[str, Any]:
    used = filters.dimensions()
    return {
        f"{prefix}{_RESPONSE_LOOKUPS[name]}": value
        for name, value in used.items()
        if name in _RESPONSE_LOOKUPS
    }


def _nps_waves() -> QuerySet[Wave]:
    """The shop waves whose questionnaire asks an NPS question (a handful): naming them first
    lets the reads walk those waves' responses only, not every SERVQUAL answer of the period."""
    nps_instruments = Question.objects.filter(kind=Question.Kind.NPS).values("instrument_id")
    return Wave.objects.filter(
        audience=Wave.Audience.SHOPS, instrument_id__in=nps_instruments
    ).values("pk")


def _nps_answers_in_scope(user: User, filters: DashboardFilters) -> QuerySet[Answer]:
    """Answers to NPS questions of submitted shop responses the viewer may count."""
    selectors.grid_scope(user)  # refuses anyone without QUALITY_VIEW
    # A Q over the response's recorded grid / account manager (submitted_responses' rule).
    scope = policy.shop_scope(user, "response")
    answers = Answer.objects.filter(
        response__wave_id__in=_nps_waves(),
        response__state=Response.State.SUBMITTED,
        question__kind=Question.Kind.NPS,
        value__isnull=False,
    )
    if scope is not None:
        answers = answers.filter(scope)
    return answers.filter(**_response_lookups(filters, "response__"))


def _nps_invitations_in_scope(user: User, filters: DashboardFilters) -> QuerySet[Invitation]:
    """Invitations of shops to the waves that ask an NPS question."""
    selectors.grid_scope(user)  # refuses anyone without QUALITY_VIEW
    invitations = policy.visible(user, Invitation.objects.filter(wave_id__in=_nps_waves()))
    used = filters.dimensions()
    lookups = _INVITATION_LOOKUPS
    return invitations.filter(
        **{lookups[name]: value for name, value in used.items() if name in lookups}
    )


# --- Aggregates --------------------------------------------------------------------------------


def _csat_counts(when: Q = Q(), prefix: str = "") -> dict[str, Count]:
    return {
        f"{prefix}invited": Count("pk", filter=when),
        f"{prefix}rated": Count("pk", filter=when & Q(score__isnull=False)),
        f"{prefix}satisfied": Count("pk", filter=when & Q(score__gte=CSAT_SATISFIED_FROM)),
        f"{prefix}low": Count("pk", filter=when & Q(score__lte=LOW_TO)),
    }


def _csat_of(row: dict[str, Any], prefix: str = "") -> CsatFigures:
    return CsatFigures(
        row[f"{prefix}invited"] or 0,
        row[f"{prefix}rated"] or 0,
        row[f"{prefix}satisfied"] or 0,
        row[f"{prefix}low"] or 0,
    )


def _nps_counts(when: Q = Q(), prefix: str = "") -> dict[str, Count]:
    return {
        f"{prefix}answers": Count("pk", filter=when),
        f"{prefix}promoters": Count("pk", filter=when & Q(value__gte=PROMOTER_FROM)),
        f"{prefix}detractors": Count("pk", filter=when & Q(value__lte=DETRACTOR_TO)),
    }


def _csat_groups(
    ratings: QuerySet[CsatRating],
    start: datetime.datetime,
    before_start: datetime.datetime,
    end: datetime.datetime,
) -> dict[tuple[str, str], tuple[CsatFigures, CsatFigures]]:
    """(class, source) → (this period, previous period): one grouped read for both periods;
    the tiles and both breakdowns are sums of its few rows."""
    rows = (
        ratings.filter(invited_at__gte=before_start, invited_at__lt=end)
        .values("shop__segment", "source")
        .annotate(
            **_csat_counts(Q(invited_at__gte=start)),
            **_csat_counts(Q(invited_at__lt=start), "before_"),
        )
        .order_by()
    )
    return {
        (row["shop__segment"], row["source"]): (_csat_of(row), _csat_of(row, "before_"))
        for row in rows
    }


def _group_rows(
    groups: dict[tuple[str, str], tuple[CsatFigures, CsatFigures]], position: int, order: list[str]
) -> list[GroupRow]:
    summed: dict[str, tuple[CsatFigures, CsatFigures]] = {}
    for key, (now, before) in groups.items():
        was_now, was_before = summed.get(key[position], (CsatFigures(), CsatFigures()))
        summed[key[position]] = (was_now + now, was_before + before)
    rank = {value: index for index, value in enumerate(order)}
    return [
        GroupRow(key, now, before)
        for key, (now, before) in sorted(summed.items(), key=lambda kv: rank.get(kv[0], len(rank)))
    ]


def _week_of(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment, _zone()).date()


def _weeks(
    filters: DashboardFilters,
    ratings: QuerySet[CsatRating],
    answers: QuerySet[Answer],
    start: datetime.datetime,
    end: datetime.datetime,
) -> list[WeekPoint]:
    """Every week overlapping the period (two grouped reads: ratings and NPS answers)."""
    zone = _zone()
    csat_rows = (
        ratings.filter(invited_at__gte=start, invited_at__lt=end)
        .annotate(week=TruncWeek("invited_at", tzinfo=zone))
        .values("week")
        .annotate(**_csat_counts())
        .order_by("week")
    )
    csat = {_week_of(row["week"]): _csat_of(row) for row in csat_rows}
    nps_rows = (
        answers.filter(response__submitted_at__gte=start, response__submitted_at__lt=end)
        .annotate(week=TruncWeek("response__submitted_at", tzinfo=zone))
        .values("week")
        .annotate(**_nps_counts())
        .order_by("week")
    )
    nps = {
        _week_of(row["week"]): NpsFigures(row["answers"], row["promoters"], row["detractors"])
        for row in nps_rows
    }
    monday = filters.since - datetime.timedelta(days=filters.since.weekday())
    weeks = []
    while monday <= filters.until:
        sunday = monday + datetime.timedelta(days=6)
        weeks.append(
            WeekPoint(
                monday=monday,
                first_day=max(monday, filters.since),
                last_day=min(sunday, filters.until),
                csat=csat.get(monday, CsatFigures()),
                nps=nps.get(monday, NpsFigures()),
            )
        )
        monday += datetime.timedelta(days=7)
    return weeks


def satisfaction_dashboard(
    *, user: User, filters: DashboardFilters, now: datetime.datetime | None = None
) -> SatisfactionDashboard:
    """CSAT and NPS of the period and of the period before, per week, CSAT by class and by
    source, and the latest low ratings' comments; all within ``user``'s scope, read live."""
    start, end = _bounds(filters)
    before_start = _local_midnight(filters.previous().since)  # the previous period ends at start

    ratings = _ratings_in_scope(user, filters)
    groups = _csat_groups(ratings, start, before_start, end)
    csat_current = sum((current for current, _ in groups.values()), CsatFigures())
    csat_previous = sum((previous for _, previous in groups.values()), CsatFigures())

    # Both periods in one read each: the answers, then the invitations to NPS waves.
    answers = _nps_answers_in_scope(user, filters)
    nps = answers.filter(
        response__submitted_at__gte=before_start, response__submitted_at__lt=end
    ).aggregate(
        **_nps_counts(Q(response__submitted_at__gte=start)),
        **_nps_counts(Q(response__submitted_at__lt=start), "before_"),
    )
    invited_now, invited_before = Q(invited_at__gte=start), Q(invited_at__lt=start)
    answered = Q(responded_at__isnull=False)
    invitations = (
        _nps_invitations_in_scope(user, filters)
        .filter(invited_at__gte=before_start, invited_at__lt=end)
        .aggregate(
            invited=Count("pk", filter=invited_now),
            answered=Count("pk", filter=invited_now & answered),
            before_invited=Count("pk", filter=invited_before),
            before_answered=Count("pk", filter=invited_before & answered),
        )
    )

    def nps_of(prefix: str) -> NpsFigures:
        return NpsFigures(
            nps[f"{prefix}answers"] or 0,
            nps[f"{prefix}promoters"] or 0,
            nps[f"{prefix}detractors"] or 0,
            invitations[f"{prefix}invited"] or 0,
            invitations[f"{prefix}answered"] or 0,
        )

    comments = list(rating_list(user=user, filters=filters, which="comments")[:LATEST_COMMENTS])
    return SatisfactionDashboard(
        filters=filters,
        current=SatisfactionFigures(csat_current, nps_of("")),
        previous=SatisfactionFigures(csat_previous, nps_of("before_")),
        weeks=_weeks(filters, ratings, answers, start, end),
        by_segment=_group_rows(groups, 0, list(Segment.values)),
        by_source=_group_rows(groups, 1, list(CsatRating.Source.values)),
        comments=comments,
        as_of=now or timezone.now(),
    )


# --- The ratings behind a tile ----------------------------------------------------------------


def rating_list(*, user: User, filters: DashboardFilters, which: str) -> QuerySet[CsatRating]:
    """The ratings invited in the period that a tile counts (``RATING_LISTS``), newest invited
    first: rated, low (1–3), not rated, low with a comment."""
    if which not in RATING_LISTS:
        raise ValueError(f"unknown list {which!r}")
    start, end = _bounds(filters)
    ratings = (
        _ratings_in_scope(user, filters)
        .filter(_LIST_CONDITIONS[which], invited_at__gte=start, invited_at__lt=end)
        .select_related("shop", "staff", "request", "job")
    )
    # By invitation, not by rating time: the period is read on the invited_at index, and
    # walking rated_at backwards would pass every rating given after the period first.
    return ratings.order_by("-invited_at", "-pk")
