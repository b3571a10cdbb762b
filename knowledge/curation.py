"""Reads for the curation of the self-service Q&A: the open questions grouped into clusters, and
the deflection figures (how much the Q&A settles without a person).

A turn is open for curation when the engine only offered suggestions (or asked which of two
near-twins was meant), handed it over, or the shop marked its answer not helpful (the chat sets
``curation="open"``); a question outside the company's service (off-topic) never is.
Near-duplicate questions are grouped by ``engines.qa.cluster`` so a knowledge manager handles one
cluster with one click.

Clustering and the search for each cluster's closest entry take seconds on a city's questions
(more with the dense engine), so they run in the background (``knowledge.tasks``, on a beat
schedule and on the page's refresh button) and are stored as a ``CurationSnapshot``: which
distinct question belongs to which cluster. The page reads the open turns as they are now and
groups them by the latest snapshot; questions asked since are grouped among themselves.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cached_property
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
from knowledge.models import Category, Conversation, CurationSnapshot, Entry, Turn

WEEK_CHOICES = (4, 8, 12, 26)
DEFAULT_WEEKS = 8
QUESTIONS_SHOWN = 10  # distinct questions listed per cluster; the rest is "and N more"
REASONS = ("handover", "suggest", "not_helpful")
REASON_LABELS = {
    "handover": gettext_lazy("Handed over"),
    "suggest": gettext_lazy("Suggestions only"),
    "not_helpful": gettext_lazy("Not helpful"),
}
# The snapshot covers the longest window the page offers.
SNAPSHOT_WEEKS = max(WEEK_CHOICES)
# Older than this, opening the page asks for a fresh snapshot (beat refreshes it as often).
SNAPSHOT_MAX_AGE = datetime.timedelta(minutes=10)
# A computation that started longer ago died with its worker: another may start.
SNAPSHOT_GIVE_UP = datetime.timedelta(minutes=15)
# Shops' picks propose an entry only when most of the cluster's questions picked it: two picks
# among 36 asks say little about the other 34.
PICKED_SHARE = 0.5
DEFLECTION_WEEKS = 12
MAX_DEFLECTION_DAYS = 731


# Asking which of two near-twins is meant is an offer of entries too: curated like suggestions.
_OFFERED = (Turn.Decision.SUGGEST, Turn.Decision.CLARIFY)


def reason_of(decision: str, feedback: str, handed_over: bool = False) -> str:
    """Why a turn waits for curation: handed over (by the engine, or the shop asked for a person
    in that conversation), else a not-helpful answer, else suggestions only (clarify included)."""
    if decision == Turn.Decision.HANDOVER or handed_over:
        return "handover"
    if feedback == Turn.Feedback.NOT_HELPFUL:
        return "not_helpful"
    return "suggest" if decision in _OFFERED else decision


_HANDED_OVER = Q(decision=Turn.Decision.HANDOVER) | Q(conversation__handover_request__isnull=False)
_REASON_FILTERS = {
    "handover": _HANDED_OVER,
    "not_helpful": Q(feedback=Turn.Feedback.NOT_HELPFUL) & ~_HANDED_OVER,
    "suggest": Q(decision__in=_OFFERED) & ~Q(feedback=Turn.Feedback.NOT_HELPFUL) & ~_HANDED_OVER,
}
# Open for curation. Off-topic questions (weather, chit-chat) are never opened by the chat; the
# exclusion keeps them out even if a turn was opened otherwise: the knowledge base has no entry
# to add for them, and proposing them as phrasings would teach the engine to answer them.
_CURABLE = Q(curation=Turn.Curation.OPEN) & ~Q(reason=Turn.Reason.OFF_TOPIC)


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

    @cached_property  # the card reads it three times
    def weekly_bars(self) -> list[dict[str, Any]]:
        """The weekly trend as bar heights in percent of the busiest week (CSS sparkline)."""
        top = max(self.weekly, default=0) or 1
        return [
            {"week": monday, "label": monday.strftime("%m-%d"), "n": n, "pct": round(100 * n / top)}
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
    snapshot: CurationSnapshot | None = None  # the clustering shown; None: not computed yet
    refreshing: bool = False  # a newer snapshot is being computed

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
    label: str | None = None,
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
        label=label or _label(texts, group, by_text),
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
        # What most shops chose among the suggestions says best where these questions belong.
        entry_id, times = picked.most_common(1)[0]
        if times >= PICKED_SHARE * len(turns):
            cluster.candidate, cluster.candidate_source = entry_id, "picked"
    return cluster


def search_candidate(label: str) -> tuple[int | None, float]:
    """The entry the engine would answer ``label`` with, when it is confident, and the confidence.

    Confident means the engine's own answer threshold (``engines.qa.params`` T_ANSWER of the mode
    answering, fitted on the dev KB): the point where the chat answers a shop with that entry
    unasked. Below it the top hit is a guess, and a curator offered it as "add as similar
    question" would file the questions under an unrelated entry: a new entry is proposed instead.
    """
    result = index.search(label, k=1)
    if result.hits and result.decision == "answer":
        return int(result.hits[0].entry_id), result.confidence
    return None, result.confidence


def _load_candidates(clusters: list[Cluster]) -> None:
    """Replace the candidates' ids by their entries and settle each cluster's category guess."""
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


def _attach_candidates(clusters: list[Cluster]) -> None:
    """Each cluster's candidate: what most shops picked, else a confident search hit."""
    for cluster in clusters:
        if cluster.candidate is None:
            cluster.candidate, _confidence = search_candidate(cluster.label)
            cluster.candidate_source = "search" if cluster.candidate is not None else ""
    _load_candidates(clusters)


# --- The snapshot -------------------------------------------------------------------------------


def snapshot_compute(today: datetime.date | None = None) -> tuple[list[dict[str, Any]], int]:
    """Cluster every open question of the last ``SNAPSHOT_WEEKS`` weeks (all shops) and find
    each cluster's confident candidate: (groups as ``CurationSnapshot.groups["groups"]``, turns)."""
    mondays = window_mondays(SNAPSHOT_WEEKS, today)
    rows = _turn_rows(Turn.objects.filter(_CURABLE, asked_at__gte=_start_of(mondays[0])))
    texts, by_text = _by_text(rows)
    groups = []
    for group in cluster_questions(texts) if texts else []:
        label = _label(texts, group, by_text)
        candidate, confidence = search_candidate(label)
        groups.append(
            {
                "label": label,
                "texts": [texts[i] for i in group],
                "candidate": candidate,
                "confidence": round(confidence, 4),
            }
        )
    return groups, len(rows)


def snapshot_latest() -> CurationSnapshot | None:
    """The newest computed snapshot, or None before the first one is ready."""
    return (
        CurationSnapshot.objects.filter(status=CurationSnapshot.Status.DONE)
        .order_by("-computed_at", "-pk")
        .first()
    )


def snapshot_in_progress(now: datetime.datetime | None = None) -> bool:
    """A snapshot is waiting or computing (and has not been given up)."""
    now = now or timezone.now()
    return CurationSnapshot.objects.filter(
        status__in=(CurationSnapshot.Status.PENDING, CurationSnapshot.Status.RUNNING),
        requested_at__gte=now - SNAPSHOT_GIVE_UP,
    ).exists()


def snapshot_is_stale(
    snapshot: CurationSnapshot | None, now: datetime.datetime | None = None
) -> bool:
    """No snapshot yet, or one older than ``SNAPSHOT_MAX_AGE``."""
    return snapshot is None or (now or timezone.now()) - snapshot.computed_at > SNAPSHOT_MAX_AGE


def _snapshot_clusters(
    snapshot: CurationSnapshot, rows: list[tuple], weeks: list[datetime.date]
) -> list[Cluster]:
    """The open turn rows grouped as the snapshot grouped their questions; questions asked
    since the snapshot are clustered among themselves (they get a candidate at the next one)."""
    texts, by_text = _by_text(rows)
    groups = snapshot.groups.get("groups", [])
    group_of = {text: n for n, group in enumerate(groups) for text in group["texts"]}
    members: dict[int, list[int]] = defaultdict(list)
    new: list[int] = []
    for i, text in enumerate(texts):
        if text in group_of:
            members[group_of[text]].append(i)
        else:
            new.append(i)
    clusters = []
    for n, group in members.items():
        label = groups[n]["label"]
        cluster = _cluster_of(texts, group, by_text, weeks, label if label in by_text else None)
        if cluster.candidate is None and groups[n].get("candidate"):
            cluster.candidate, cluster.candidate_source = groups[n]["candidate"], "search"
        clusters.append(cluster)
    if new:
        for group in cluster_questions([texts[i] for i in new]):
            clusters.append(_cluster_of(texts, [new[j] for j in group], by_text, weeks))
    _load_candidates(clusters)
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
    """The open questions of the last ``weeks`` weeks, grouped by the latest snapshot, the
    biggest cluster first (no clusters while no snapshot exists yet).

    ``reason`` keeps only turns open for that reason (handover / suggest / not_helpful);
    ``category`` keeps the clusters whose best-guess category it is.
    """
    policy.require(user, Perm.KNOWLEDGE_EDIT)
    mondays = window_mondays(weeks, today)
    qs = policy.visible(user, Turn.objects.all()).filter(
        _CURABLE, asked_at__gte=_start_of(mondays[0])
    )
    if reason in _REASON_FILTERS:
        qs = qs.filter(_REASON_FILTERS[reason])
    rows = _turn_rows(qs)
    snapshot = snapshot_latest()
    clusters = _snapshot_clusters(snapshot, rows, mondays) if snapshot is not None else []
    reasons = Counter(reason_of(row[3], row[4], row[7] is not None) for row in rows)
    if category:
        clusters = [c for c in clusters if c.category == category]
    return CurationQueue(
        since=mondays[0],
        weeks=mondays,
        clusters=clusters,
        open_turns=len(rows),
        reasons={r: reasons.get(r, 0) for r in REASONS},
        snapshot=snapshot,
        refreshing=snapshot_in_progress(),
    )


def curation_cluster(
    *, user: User, turn_ids: list[int], weeks: int = DEFAULT_WEEKS
) -> Cluster | None:
    """The given turns still open, as one cluster (the create form's prefill); None when none
    is left."""
    policy.require(user, Perm.KNOWLEDGE_EDIT)
    qs = policy.visible(user, Turn.objects.all()).filter(_CURABLE, pk__in=turn_ids)
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
    "suggested": Count("pk", filter=Q(decision__in=_OFFERED) & ~Q(kind=Turn.Kind.LIVE)),
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


OWN_RECORDS, NO_MATCH = "own_records", "no_match"


def _category_rows(turns) -> list[dict[str, Any]]:
    """Turn figures per category of the entry answered or suggested first, the biggest first.

    Questions without one are two different things, so two rows: answers from the shop's own
    records (``OWN_RECORDS``: answered by definition, never counted as handed over, so their
    hand-over share is None) and questions no entry matched (``NO_MATCH``: handed over).
    """
    labels = dict(Category.choices) | {
        OWN_RECORDS: _("Own records"),
        NO_MATCH: _("No matching entry"),
    }
    merged: dict[str, dict[str, int]] = {}
    for row in turns.values("kind", "category").annotate(**_TURN_FIGURES).order_by():
        kind, code = row.pop("kind"), row.pop("category")
        key = OWN_RECORDS if kind == Turn.Kind.LIVE else (code or NO_MATCH)
        into = merged.setdefault(key, dict.fromkeys(_TURN_FIGURES, 0))
        for name, value in row.items():
            into[name] += value
    rows = []
    for key, figures in sorted(merged.items(), key=lambda item: (-item[1]["questions"], item[0])):
        rates = _turn_rates(figures)
        rates["handover_turns_pct"] = (
            None if key == OWN_RECORDS else _pct(rates["handover_turns"], rates["questions"])
        )
        rows.append({"category": key, "label": str(labels.get(key, key)), **rates})
    return rows


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

    categories = _category_rows(turns)

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
