"""Initiative funnels read from the records (``engines.servqual.funnel`` does the arithmetic).

Two sources, never mixed in one ratio:

- **survey**: a funnel wave's submitted answers: surveyed = respondents, aware / interested /
  tried = answered "yes", good = tried and rated 4–5. Stages: awareness = aware / surveyed,
  interest = interested / aware, experience = tried / aware, perception = good / tried.
- **events**, for an initiative with a service item, in its period: shops of the target group
  that booked it, had it done (a completed visit) and rated that visit. Stages: interest =
  booked / targeted, experience = done / booked, perception = rated 4–5 / rated. Awareness
  comes from the messages that made the initiative known, when an app above this one registers
  a source (``register_awareness``: outreach counts the shops that read or clicked a campaign
  linked to the initiative); without one it stays empty.

Before/after compares the latest funnel wave with the one before: a two-proportion z test per
stage on all respondents, and exact McNemar on the shops that answered both (named waves only).
Goal status (met / missed / on track / at risk) reads the goal's metric from the latest wave.
"""

from collections.abc import Callable
from datetime import datetime, time
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from dispatch.models import Job, JobKind, JobState
from engines.servqual import funnel as engine
from flexserve import policy
from quality.models import (
    MIN_GROUP,
    Answer,
    CsatRating,
    Goal,
    Initiative,
    Wave,
)
from quality.selectors import submitted_responses, target_shops

YES = 0  # choice index of "yes" in the funnel questions
GOOD_FROM = 4

# (initiative, the target shops in scope, start, end) → shops made aware, or None for no data.
AwarenessSource = Callable[[Initiative, QuerySet, datetime, datetime], int | None]
_awareness_sources: list[AwarenessSource] = []


def register_awareness(source: AwarenessSource) -> None:
    """Let a higher app (outreach) count the shops an initiative's messages reached and read."""
    if source not in _awareness_sources:
        _awareness_sources.append(source)


def _aware(initiative: Initiative, shops: QuerySet, start: datetime, end: datetime) -> int | None:
    counts = [
        n
        for source in _awareness_sources
        if (n := source(initiative, shops, start, end)) is not None
    ]
    return max(counts) if counts else None


def initiative_list(*, user: User) -> QuerySet[Initiative]:
    return policy.visible(user, Initiative.objects.select_related("owner", "service_item"))


def initiative_get(*, user: User, initiative_id: int) -> Initiative:
    return policy.get_visible(
        user, Initiative, initiative_id, qs=Initiative.objects.select_related("owner")
    )


def _survey_flags(user: User, wave: Wave) -> dict[int, dict[str, Any]]:
    """Per response: its shop (None when anonymous) and the four answers."""
    responses = submitted_responses(user, wave)
    flags = {
        pk: {"shop": shop, "aware": False, "interested": False, "tried": False, "good": False}
        for pk, shop in responses.values_list("pk", "invitation__shop_id")
    }
    answers = Answer.objects.filter(response__in=responses).values_list(
        "response_id", "question__code", "value"
    )
    for response_id, code, value in answers:
        row = flags[response_id]
        if code in ("aware", "interested", "tried"):
            row[code] = value == YES
        elif code == "rating":
            row["good"] = value is not None and value >= GOOD_FROM
    for row in flags.values():  # answers hidden by the conditions count as "no"
        row["interested"] &= row["aware"]
        row["tried"] &= row["aware"]
        row["good"] &= row["tried"]
    return flags


def _counts(flags: dict[int, dict[str, Any]]) -> engine.FunnelCounts:
    rows = flags.values()
    return engine.FunnelCounts(
        surveyed=len(flags),
        aware=sum(r["aware"] for r in rows),
        interested=sum(r["interested"] for r in rows),
        tried=sum(r["tried"] for r in rows),
        good=sum(r["good"] for r in rows),
    )


def _stages(counts: engine.FunnelCounts) -> list[dict[str, Any]]:
    return [stage._asdict() for stage in engine.funnel(counts)]


def _said(code: str, answered: Q) -> Max:
    """1 when the response holds that answer, else 0 (per response, over its answers)."""
    said = Q(answers__question__code=code) & answered
    return Max(Case(When(said, then=1), default=0, output_field=IntegerField()))


def _survey_counts(user: User, wave: Wave) -> engine.FunnelCounts:
    """The same counts as ``_counts(_survey_flags(…))``, counted by the database in one pass
    over the wave's answers (grouped by response, then summed) instead of read into Python."""
    yes = Q(answers__value=YES)
    per_response = submitted_responses(user, wave).annotate(
        said_aware=_said("aware", yes),
        said_interested=_said("interested", yes),
        said_tried=_said("tried", yes),
        rated_well=_said("rating", Q(answers__value__gte=GOOD_FROM)),
    )
    aware, tried = F("said_aware"), F("said_aware") * F("said_tried")
    totals = per_response.aggregate(
        surveyed=Count("pk"),
        aware=Coalesce(Sum(aware), 0),
        interested=Coalesce(Sum(aware * F("said_interested")), 0),
        tried=Coalesce(Sum(tried), 0),
        good=Coalesce(Sum(tried * F("rated_well")), 0),
    )
    return engine.FunnelCounts(**totals)


def survey_funnels(
    user: User, initiative: Initiative, *, with_shops: bool = True
) -> list[dict[str, Any]]:
    """One funnel per funnel wave, oldest first; a wave under MIN_GROUP respondents shows none.

    ``with_shops`` keeps each respondent's answers (``_flags``) for the paired before/after
    test; without it (the dashboards) only the counts are read."""
    funnels = []
    for wave in initiative.waves.order_by("opens_at", "pk"):
        flags = _survey_flags(user, wave) if with_shops else None
        counts = _counts(flags) if flags is not None else _survey_counts(user, wave)
        suppressed = counts.surveyed < MIN_GROUP
        funnels.append(
            {
                "wave": wave,
                "counts": None if suppressed else counts._asdict(),
                "stages": [] if suppressed else _stages(counts),
                "suppressed": suppressed,
                "_flags": flags,
            }
        )
    return funnels


def _comparison(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    changes = engine.compare(
        engine.FunnelCounts(**before["counts"]), engine.FunnelCounts(**after["counts"])
    )
    paired = {}
    if not before["wave"].anonymous and not after["wave"].anonymous:
        then = {r["shop"]: r for r in before["_flags"].values() if r["shop"]}
        now = {r["shop"]: r for r in after["_flags"].values() if r["shop"]}
        shared = sorted(set(then) & set(now))
        if len(shared) >= MIN_GROUP:
            # awareness is asked of everyone: the one stage with the same base in both waves
            pairs = [(then[s]["aware"], now[s]["aware"]) for s in shared]
            paired["awareness"] = engine.compare_paired(pairs, "awareness")._asdict()
    return {
        "before": before["wave"],
        "after": after["wave"],
        "stages": [c._asdict() for c in changes],
        "paired": paired,
    }


def event_funnel(user: User, initiative: Initiative) -> dict[str, Any] | None:
    """Bookings, visits done and ratings for the initiative's service item in its period."""
    if initiative.service_item_id is None:
        return None
    tz = timezone.get_current_timezone()
    start = datetime.combine(initiative.starts_on, time.min, tz)
    end = datetime.combine(initiative.ends_on, time.max, tz)
    shops = policy.visible(user, target_shops(initiative.target))
    jobs = Job.objects.filter(
        shop__in=shops, service_item_id=initiative.service_item_id, created_at__range=(start, end)
    )
    targeted = shops.count()
    booked = jobs.filter(kind=JobKind.BOOKING).values("shop").distinct().count()
    done = jobs.filter(kind=JobKind.BOOKING, state=JobState.DONE).values("shop").distinct().count()
    ratings = CsatRating.objects.filter(
        job__in=jobs.filter(kind=JobKind.BOOKING), score__isnull=False
    )
    rated = ratings.values("shop").distinct().count()
    good = ratings.filter(score__gte=GOOD_FROM).values("shop").distinct().count()
    aware = _aware(initiative, shops, start, end)
    stages = []
    for stage, count, base, source in (
        (
            "awareness",
            aware,
            None if aware is None else targeted,
            None if aware is None else "messages",
        ),
        ("interest", booked, targeted, "bookings"),
        ("experience", done, booked, "visits"),
        ("perception", good, rated, "ratings"),
    ):
        share = None if not base or count is None else count / base
        stages.append(
            {"stage": stage, "count": count, "base": base, "share": share, "source": source}
        )
    return {"targeted": targeted, "stages": stages, "suppressed": targeted < MIN_GROUP}


def goal_rows(goals: list[Goal], latest: dict[str, Any] | None) -> list[dict[str, Any]]:
    shares = {}
    if latest and not latest["suppressed"]:
        shares = {s["stage"]: s["share"] for s in latest["stages"]}
    tz = timezone.get_current_timezone()
    now = timezone.now()
    rows = []
    for goal in goals:
        current = shares.get(goal.metric)
        status = engine.goal_status(
            baseline=goal.baseline,
            target=goal.target,
            current=current,
            start=datetime.combine(goal.starts_on, time.min, tz),
            deadline=datetime.combine(goal.deadline, time.max, tz),
            now=now,
        )
        rows.append({"goal": goal, "current": current, "status": status})
    return rows


def initiative_report(*, user: User, initiative_id: int) -> dict[str, Any]:
    """Everything the initiative page shows: funnels by source, before/after, goals, history."""
    initiative = initiative_get(user=user, initiative_id=initiative_id)
    funnels = survey_funnels(user, initiative)
    shown = [f for f in funnels if not f["suppressed"]]
    latest = shown[-1] if shown else None
    comparison = _comparison(shown[-2], shown[-1]) if len(shown) >= 2 else None
    for item in funnels:
        item.pop("_flags")
    goals = list(initiative.goals.select_related("owner"))
    return {
        "initiative": initiative,
        "funnels": funnels,
        "latest": latest,
        "comparison": comparison,
        "events": event_funnel(user, initiative),
        "goals": goal_rows(goals, latest),
        "history": list(initiative.type_history.select_related("changed_by")),
    }
