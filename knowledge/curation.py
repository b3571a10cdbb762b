"""Reads for the curation of the self-service Q&A: the open questions grouped into clusters, and
the deflection figures (how much the Q&A settles without a person).

A turn is open for curation when the engine only offered suggestions, handed it over, or the
shop marked its answer not helpful (the chat sets ``curation="open"``). Near-duplicate questions
are grouped by ``engines.qa.cluster`` so a knowledge manager handles one cluster with one click.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from engines.qa.cluster import cluster_questions, representative
from flexserve import policy
from flexserve.policy import Perm
from knowledge import index
from knowledge.models import Category, Conversation, Entry, Turn

WEEK_CHOICES = (4, 8, 12, 26)
DEFAULT_WEEKS = 8
QUESTIONS_SHOWN = 10  # distinct questions listed per cluster; the rest is "and N more"
REASONS = ("handover", "suggest", "not_helpful")
REASON_LABELS = {
    "handover": gettext_lazy("Handed over"),
    "suggest": gettext_lazy("Suggestions only"),
    "not_helpful": gettext_lazy("Not helpful"),
}
DEFLECTION_WEEKS = 12
MAX_DEFLECTION_DAYS = 731


def reason_of(decision: str, feedback: str, handed_over: bool = False) -> str:
    """Why a turn waits for curation: handed over (by the engine, or the shop asked for a person
    in that conversation), else a not-helpful answer, else suggestions only."""
    if decision == Turn.Decision.HANDOVER or handed_over:
        return "handover"
    return "not_helpful" if feedback == Turn.Feedback.NOT_HELPFUL else decision


_HANDED_OVER = Q(decision=Turn.Decision.HANDOVER) | Q(conversation__handover_request__isnull=False)
_REASON_FILTERS = {
    "handover": _HANDED_OVER,
    "not_helpful": Q(feedback=Turn.Feedback.NOT_HELPFUL) & ~_HANDED_OVER,
    "suggest": Q(decision=Turn.Decision.SUGGEST)
    & ~Q(feedback=Turn.Feedback.NOT_HELPFUL)
    & ~_HANDED_OVER,
}


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- Clusters of open questions -----------------------------------------------------------------


@dataclass
class Cluster:
    key: int  # the smallest turn id: stable while the cluster's turns stay open
    label: str  # the most central question
    count: int  # questions asked (turns), repeats included
    questions: list[tuple[str, int]]  # distinct questions with how often, most asked first
    turn_ids: list[int]
    weekly: list[int]  # turns per week of the window, oldest first
    mondays: list[datetime.date]  # the weeks of ``weekly``
    first_asked: datetime.datetime
    last_asked: datetime.datetime
    reasons: dict[str, int]  # handover / suggest / not_helpful → turns
    category: str  # best guess: the candidate's category, else the turns' most common one
    candidate: Entry | None = None
    candidate_source: str = ""  # "picked": shops chose it among suggestions; "search": top hit

    @property
    def shown(self) -> list[tuple[str, int]]:
        return self.questions[:QUESTIONS_SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.questions) - QUESTIONS_SHOWN)

    @property
    def phrasings(self) -> list[str]:
        """The distinct questions other than the label: the new entry's similar phrasings."""
        return [text for text, _n in self.questions if text != self.label]

    @property
    def weekly_bars(self) -> list[dict[str, Any]]:
        """The weekly trend as bar heights in percent of the busiest week (CSS sparkline)."""
        top = max(self.weekly, default=0) or 1
        return [
            {"week": monday, "n": n, "pct": round(100 * n / top)}
            for monday, n in zip(self.mondays, self.weekly, strict=True)
        ]

    @property
    def reason_rows(self) -> list[tuple[str, str, int]]:
        """(code, label, turns) of the reasons present."""
        return [(code, str(REASON_LABELS[code]), n) for code, n in self.reasons.items() if n]

    @property
    def category_label(self) -> str:
        return str(Category(self.category).label) if self.category in Category.values else ""

    @property
    def turns_value(self) -> str:
        return ",".join(str(pk) for pk in self.turn_ids)


@dataclass
class CurationQueue:
    since: datetime.date
    weeks: list[datetime.date]  # Mondays of the window, oldest first
    clusters: list[Cluster]
    open_turns: int  # in the window, after the reason filter, before the category filter
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def reason_rows(self) -> list[tuple[str, str, int]]:
        return [(code, str(REASON_LABELS[code]), n) for code, n in self.reasons.items()]


def _turn_rows(qs) -> list[tuple]:
    return list(
        qs.order_by("asked_at", "pk").values_list(
            "pk",
            "question",
            "asked_at",
            "decision",
            "feedback",
            "category",
            "picked_entry_id",
            "conversation__handover_request_id",
        )
    )


def _by_text(rows: list[tuple]) -> tuple[list[str], dict[str, list[tuple]]]:
    """The distinct questions (first asked first: a stable order) and the turns of each."""
    by_text: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_text[row[1].strip()].append(row)
    return list(by_text), by_text


def _label(texts: list[str], group: list[int], by_text: dict[str, list[tuple]]) -> str:
    """The most central question, each distinct question weighing as often as it was asked."""
    asked = [texts[i] for i in group for _row in by_text[texts[i]]]
    return asked[representative(asked, list(range(len(asked))))]


def _cluster_of(
    texts: list[str],
    group: list[int],
    by_text: dict[str, list[tuple]],
    weeks: list[datetime.date],
) -> Cluster:
    turns = [row for i in group for row in by_text[texts[i]]]
    counted = sorted(
        ((texts[i], len(by_text[texts[i]])) for i in group),
        key=lambda item: (-item[1], by_text[item[0]][0][2]),
    )
    week_index = {monday: i for i, monday in enumerate(weeks)}
    weekly = [0] * len(weeks)
    for row in turns:
        slot = week_index.get(week_start(timezone.localtime(row[2]).date()))
        if slot is not None:
            weekly[slot] += 1
    reasons = Counter(reason_of(row[3], row[4], row[7] is not None) for row in turns)
    categories = Counter(row[5] for row in turns if row[5])
    picked = Counter(row[6] for row in turns if row[6])
    asked = [row[2] for row in turns]
    cluster = Cluster(
        key=min(row[0] for row in turns),
        label=_label(texts, group, by_text),
        count=len(turns),
        questions=counted,
        turn_ids=sorted(row[0] for row in turns),
        weekly=weekly,
        mondays=weeks,
        first_asked=min(asked),
        last_asked=max(asked),
        reasons={reason: reasons.get(reason, 0) for reason in REASONS},
        category=categories.most_common(1)[0][0] if categories else "",
    )
    if picked:
        # What shops chose among the suggestions says best where these questions belong.
        cluster.candidate, cluster.candidate_source = picked.most_common(1)[0][0], "picked"
    return cluster


def _attach_candidates(clusters: list[Cluster]) -> None:
    """Load each cluster's candidate entry (the top search hit when no suggestion was picked)
    and settle its category guess."""
    for cluster in clusters:
        if cluster.candidate is None:
            hits = index.search(cluster.label, k=1).hits
            if hits:
                cluster.candidate, cluster.candidate_source = int(hits[0].entry_id), "search"
    entries = Entry.objects.only("pk", "code", "question", "category", "status").in_bulk(
        {c.candidate for c in clusters if c.candidate is not None}
    )
    for cluster in clusters:
        if cluster.candidate is not None:
            cluster.candidate = entries.get(cluster.candidate)
        if cluster.candidate is None:
            cluster.candidate_source = ""
        else:
            cluster.category = cluster.candidate.category
        cluster.category = cluster.category or Category.OTHER


def _build_clusters(rows: list[tuple], weeks: list[datetime.date]) -> list[Cluster]:
    """Group turn rows (``_turn_rows``) by near-duplicate question; the biggest first."""
    texts, by_text = _by_text(rows)
    if not texts:
        return []
    clusters = [_cluster_of(texts, group, by_text, weeks) for group in cluster_questions(texts)]
    _attach_candidates(clusters)
    clusters.sort(key=lambda c: (-c.count, -c.last_asked.timestamp(), c.key))
    return clusters


def window_mondays(weeks: int, today: datetime.date | None = None) -> list[datetime.date]:
    """The Mondays of the last ``weeks`` weeks, this one included, oldest first."""
    monday = week_start(today or timezone.localdate())
    return [monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def curation_queue(
    *,
    user: User,
    weeks: int = DEFAULT_WEEKS,
    reason: str = "",
    category: str = "",
    today: datetime.date | None = None,
) -> CurationQueue:
    """The open questions of the last ``weeks`` weeks, clustered, the biggest cluster first.

    ``reason`` keeps only turns open for that reason (handover / suggest / not_helpful);
    ``category`` keeps the clusters whose best-guess category it is.
    """
    policy.require(user, Perm.KNOWLEDGE_EDIT)
    mondays = window_mondays(weeks, today)
    qs = policy.visible(user, Turn.objects.all()).filter(
        curation=Turn.Curation.OPEN, asked_at__gte=_start_of(mondays[0])
    )
    if reason in _REASON_FILTERS:
        qs = qs.filter(_REASON_FILTERS[reason])
    rows = _turn_rows(qs)
    clusters = _build_clusters(rows, mondays)
    reasons = Counter(reason_of(row[3], row[4], row[7] is not None) for row in rows)
    if category:
        clusters = [c for c in clusters if c.category == category]
    return CurationQueue(
        since=mondays[0],
        weeks=mondays,
        clusters=clusters,
        open_turns=len(rows),
        reasons={r: reasons.get(r, 0) for r in REASONS},
    )


def curation_cluster(
    *, user: User, turn_ids: list[int], weeks: int = DEFAULT_WEEKS
) -> Cluster | None:
    """The given turns still open, as one cluster (the create form's prefill); None when none
    is left."""
    policy.require(user, Perm.KNOWLEDGE_EDIT)
    qs = policy.visible(user, Turn.objects.all()).filter(
        pk__in=turn_ids, curation=Turn.Curation.OPEN
    )
    texts, by_text = _by_text(_turn_rows(qs))
    if not texts:
        return None
    # One group, whatever the clustering would say now: these turns were one cluster on the page.
    cluster = _cluster_of(texts, list(range(len(texts))), by_text, window_mondays(weeks))
    _attach_candidates([cluster])
    return cluster


# --- Deflection ---------------------------------------------------------------------------------


def deflection_default_range(
    today: datetime.date | None = None,
) -> tuple[datetime.date, datetime.date]:
    """The last ``DEFLECTION_WEEKS`` ISO weeks, this one included."""
    today = today or timezone.localdate()
    return week_start(today) - datetime.timedelta(weeks=DEFLECTION_WEEKS - 1), today


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


_ANSWERED = Q(decision=Turn.Decision.ANSWER) | Q(kind=Turn.Kind.LIVE)
_TURN_FIGURES = {
    "questions": Count("pk"),
    "answered": Count("pk", filter=_ANSWERED),
    "live": Count("pk", filter=Q(kind=Turn.Kind.LIVE)),
    "suggested": Count("pk", filter=Q(decision=Turn.Decision.SUGGEST) & ~Q(kind=Turn.Kind.LIVE)),
    # Questions that ended with a person: no answer found, or the conversation was passed on.
    "handover_turns": Count("pk", filter=_HANDED_OVER & ~Q(kind=Turn.Kind.LIVE)),
    "helpful": Count("pk", filter=Q(feedback=Turn.Feedback.HELPFUL)),
    "not_helpful": Count("pk", filter=Q(feedback=Turn.Feedback.NOT_HELPFUL)),
}


def _turn_rates(row: dict[str, int]) -> dict[str, Any]:
    rated = row["helpful"] + row["not_helpful"]
    return {
        "questions": row["questions"],
        "answered": row["answered"],
        "live": row["live"],
        "suggested": row["suggested"],
        "handover_turns": row["handover_turns"],
        "rated": rated,
        "helpful": row["helpful"],
        "answered_pct": _pct(row["answered"], row["questions"]),
        "live_pct": _pct(row["live"], row["questions"]),
        "helpful_pct": _pct(row["helpful"], rated),
    }


def _conversation_rates(conversations: int, handed_over: int) -> dict[str, Any]:
    return {
        "conversations": conversations,
        "handed_over": handed_over,
        "self_service_pct": _pct(conversations - handed_over, conversations),
        "handover_pct": _pct(handed_over, conversations),
    }


def deflection_stats(*, user: User, since: datetime.date, until: datetime.date) -> dict[str, Any]:
    """Deflection figures of the conversations started and questions asked from ``since`` to
    ``until`` (local days, both included), in total, per ISO week and per category.

    self_service_pct: conversations without a hand-over request; handover_pct: with one;
    answered_pct: questions answered (decision answer, or a live answer from the own records);
    helpful_pct: helpful among the rated answers; live_pct: questions about the own records.
    Percentages are None where nothing was counted. Plain values only (for json_script).
    """
    if not (
        policy.has_perm(user, Perm.KNOWLEDGE_EDIT) or policy.has_perm(user, Perm.REQUEST_ANALYSIS)
    ):
        policy.require(user, Perm.KNOWLEDGE_EDIT)  # raises the right error
    start, end = _start_of(since), _start_of(until + datetime.timedelta(days=1))
    tz = timezone.get_current_timezone()
    turns = policy.visible(user, Turn.objects.all()).filter(asked_at__gte=start, asked_at__lt=end)
    conversations = policy.visible(user, Conversation.objects.all()).filter(
        started_at__gte=start, started_at__lt=end
    )
    conv_figures = {
        "n": Count("pk"),
        "handed_over": Count("pk", filter=Q(handover_request__isnull=False)),
    }

    turn_weeks = {
        timezone.localtime(row.pop("week"), tz).date(): row
        for row in turns.annotate(week=TruncWeek("asked_at", tzinfo=tz))
        .values("week")
        .annotate(**_TURN_FIGURES)
        .order_by("week")
    }
    conv_weeks = {
        timezone.localtime(row["week"], tz).date(): row
        for row in conversations.annotate(week=TruncWeek("started_at", tzinfo=tz))
        .values("week")
        .annotate(**conv_figures)
        .order_by("week")
    }
    empty_turns = dict.fromkeys(_TURN_FIGURES, 0)
    weeks = []
    monday = week_start(since)
    while monday <= until:
        iso = monday.isocalendar()
        conv = conv_weeks.get(monday, {"n": 0, "handed_over": 0})
        weeks.append(
            {
                "week": f"{iso.year}-W{iso.week:02d}",
                "start": monday.isoformat(),
                **_conversation_rates(conv["n"], conv["handed_over"]),
                **_turn_rates(turn_weeks.get(monday, empty_turns)),
            }
        )
        monday += datetime.timedelta(weeks=1)

    labels = dict(Category.choices)
    categories = []
    for row in (
        turns.values("category").annotate(**_TURN_FIGURES).order_by("-questions", "category")
    ):
        code = row.pop("category")
        rates = _turn_rates(row)
        rates["handover_turns_pct"] = _pct(rates["handover_turns"], rates["questions"])
        categories.append(
            {
                "category": code,
                "label": str(labels.get(code, _("Own records or no match"))),
                **rates,
            }
        )

    total_conv = conversations.aggregate(**conv_figures)
    total_turns = turns.aggregate(**_TURN_FIGURES)
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "totals": {
            **_conversation_rates(total_conv["n"], total_conv["handed_over"]),
            **_turn_rates(total_turns),
        },
        "weeks": weeks,
        "categories": categories,
    }
