"""Reads for the shop's chat: its conversation, the entries its turns use, starter questions."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from flexserve import policy
from knowledge.models import Conversation, Entry, Turn

CONTINUE_WITHIN = timedelta(hours=2)
STARTERS = 6
TOPIC_LABEL_MAX = 8  # a tag longer than this reads as a sentence, not a topic


@dataclass
class TurnView:
    turn: Turn
    entry: Entry | None
    suggestions: list[Entry]
    # clarify: (entry, short topic label) of the two near-twins the shop chooses between.
    choices: list[tuple[Entry, str]] = field(default_factory=list)


def topic_labels(entries: list[Entry]) -> list[str]:
    """Short names to tell entries apart in a question back: each entry's first tag when it is
    short, else its question; the questions for all when the tags would not tell them apart
    (许可证延续 and its materials both carry the tag 延续)."""
    tags = [
        entry.tags[0] if entry.tags and len(entry.tags[0]) <= TOPIC_LABEL_MAX else entry.question
        for entry in entries
    ]
    if len(set(tags)) == len(tags):
        return tags
    return [entry.question for entry in entries]


def current_conversation(user: User, conversation_id: int | None = None) -> Conversation | None:
    """The conversation to show: the one asked for, else the shop's latest if it is recent and
    was not handed over (a shop coming back after lunch starts afresh)."""
    qs = policy.visible(user, Conversation.objects.all())
    if conversation_id:
        return qs.filter(pk=conversation_id).first()
    latest = qs.filter(user=user).order_by("-started_at", "-id").first()
    if latest is None or latest.handover_request_id is not None:
        return None
    last_turn = latest.turns.order_by("-asked_at").values_list("asked_at", flat=True).first()
    if (last_turn or latest.started_at) < timezone.now() - CONTINUE_WITHIN:
        return None
    return latest


def turn_views(turns: list[Turn]) -> list[TurnView]:
    """Turns with the entries they answered or offered, in two queries for any number."""
    wanted = {pk for t in turns for pk in t.suggestions} | {t.entry_id for t in turns if t.entry_id}
    entries = Entry.objects.in_bulk(wanted)
    views = []
    for t in turns:
        suggestions = [entries[pk] for pk in t.suggestions if pk in entries]
        choices = []
        if t.decision == Turn.Decision.CLARIFY and suggestions:
            choices = list(zip(suggestions, topic_labels(suggestions), strict=True))
        views.append(
            TurnView(
                turn=t,
                entry=entries.get(t.entry_id) if t.entry_id else None,
                suggestions=suggestions,
                choices=choices,
            )
        )
    return views


def conversation_turns(user: User, conversation: Conversation) -> list[TurnView]:
    turns = policy.visible(user, Turn.objects.filter(conversation=conversation))
    return turn_views(list(turns.order_by("asked_at", "id")))


def starter_questions() -> list[Entry]:
    """What shops asked most in the last 30 days and found answered; the seed order before that."""
    since = timezone.now() - timedelta(days=30)
    popular = (
        Turn.objects.filter(asked_at__gte=since, decision=Turn.Decision.ANSWER, entry__isnull=False)
        .exclude(feedback=Turn.Feedback.NOT_HELPFUL)
        .values("entry")
        .annotate(n=Count("pk"))
        .order_by("-n")[:STARTERS]
    )
    pks = [row["entry"] for row in popular]
    today = timezone.localdate()
    entries = [e for e in Entry.objects.in_bulk(pks).values() if e.is_live_on(today)]
    entries.sort(key=lambda e: pks.index(e.pk))
    if len(entries) < STARTERS:
        # One per category, so a new shop sees the range of what can be asked.
        seen = {e.category for e in entries}
        for entry in Entry.objects.filter(status=Entry.Status.PUBLISHED).order_by("code"):
            if entry.category not in seen and entry.is_live_on(today):
                entries.append(entry)
                seen.add(entry.category)
            if len(entries) >= STARTERS:
                break
    return entries
