"""Curation of the open questions: one click per cluster turns its questions into a new entry,
into similar phrasings of an entry, or dismisses them.

Each action locks the cluster's turns, works only on those still open (two managers clicking the
same cluster: the second gets NothingToCurate), and writes the entry change, the turn states and
the audit entry in one transaction. The search index sees the change once it commits (the entry
services call ``knowledge.index.changed``).
"""

import time
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from flexserve import background, policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from knowledge import curation, tasks
from knowledge.errors import NothingToCurate
from knowledge.models import CurationSnapshot, Entry, Turn
from knowledge.services.entries import clean_entry, entry_add_phrasings, entry_create

MAX_TURNS = 2000  # one cluster; a form carrying more was not drawn by the curation page


def parse_turn_ids(raw: Any) -> list[int]:
    """Turn ids from a form value ("3,7,9" or a list); Invalid when there are none or junk."""
    items: Iterable[Any] = raw.replace(" ", "").split(",") if isinstance(raw, str) else raw or []
    ids = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit():
            raise Invalid(fields={"turns": [_("The questions of this cluster are not valid.")]})
        ids.append(int(text))
    if not ids:
        raise Invalid(fields={"turns": [_("Choose at least one question.")]})
    if len(ids) > MAX_TURNS:
        raise Invalid(
            fields={"turns": [_("At most %(n)s questions at a time.") % {"n": MAX_TURNS}]}
        )
    return sorted(set(ids))


def _claim_open(actor: User, turn_ids: Iterable[int]) -> list[Turn]:
    """Lock the turns the actor may see that are still open; NothingToCurate if none is."""
    ids = parse_turn_ids(list(turn_ids))
    turns = list(
        policy.visible(actor, Turn.objects.all())
        .select_for_update(of=("self",))
        .filter(pk__in=ids, curation=Turn.Curation.OPEN)
        .order_by("pk")
    )
    if not turns:
        raise NothingToCurate()
    return turns


def _close(turns: list[Turn], state: str) -> None:
    Turn.objects.filter(pk__in=[t.pk for t in turns]).update(curation=state)


def _distinct_questions(turns: list[Turn]) -> list[str]:
    """The turns' questions, each once, the most asked first."""
    counts: dict[str, int] = {}
    for turn in turns:
        text = turn.question.strip()
        counts[text] = counts.get(text, 0) + 1
    return sorted(counts, key=lambda text: -counts[text])


def _changes(turns: list[Turn], state: str) -> dict[str, list[Any]]:
    return {"curation": [Turn.Curation.OPEN.value, state], "turns": [None, [t.pk for t in turns]]}


@transaction.atomic
def curation_add_entry(
    *, actor: User, turn_ids: Iterable[int], data: dict[str, Any], code: str = ""
) -> Entry:
    """A new entry from a cluster (``data`` as for ``entry_create``); its turns become added."""
    policy.require(actor, Perm.KNOWLEDGE_EDIT)
    ids = parse_turn_ids(list(turn_ids))
    clean_entry(data)  # bad input is reported before anything is locked
    turns = _claim_open(actor, ids)
    entry = entry_create(
        actor=actor,
        data=data,
        code=code,
        note=_("Created from %(n)s open questions") % {"n": len(turns)},
    )
    _close(turns, Turn.Curation.ADDED)
    audit_record(
        actor=actor,
        action="knowledge.curation_add_entry",
        target=entry,
        changes=_changes(turns, Turn.Curation.ADDED),
        note=entry.question,
    )
    return entry


def _entry_by_code(actor: User, code: str) -> Entry:
    code = (code or "").strip().lower()
    if not code:
        raise Invalid(fields={"entry_code": [_("Enter the code of an entry.")]})
    entry = policy.visible(actor, Entry.objects.all()).filter(code=code).first()
    if entry is None:
        message = _("No entry has the code %(code)s.") % {"code": code}
        raise Invalid(fields={"entry_code": [message]})
    if entry.status == Entry.Status.ARCHIVED:
        message = _("Entry %(code)s is archived; choose another.") % {"code": code}
        raise Invalid(fields={"entry_code": [message]})
    return entry


@transaction.atomic
def curation_add_phrasings(*, actor: User, turn_ids: Iterable[int], entry_code: str) -> Entry:
    """Add a cluster's distinct questions to the entry ``entry_code`` as similar phrasings."""
    policy.require(actor, Perm.KNOWLEDGE_EDIT)
    ids = parse_turn_ids(list(turn_ids))
    entry = _entry_by_code(actor, entry_code)
    turns = _claim_open(actor, ids)
    entry = entry_add_phrasings(
        actor=actor,
        entry_id=entry.pk,
        phrasings=_distinct_questions(turns),
        note=_("Phrasings added from %(n)s open questions") % {"n": len(turns)},
    )
    _close(turns, Turn.Curation.ADDED)
    audit_record(
        actor=actor,
        action="knowledge.curation_add_phrasings",
        target=entry,
        changes=_changes(turns, Turn.Curation.ADDED),
        note=entry.question,
    )
    return entry


@transaction.atomic
def curation_dismiss(*, actor: User, turn_ids: Iterable[int]) -> int:
    """Dismiss a cluster (nothing to add to the knowledge base); returns the turns dismissed."""
    policy.require(actor, Perm.KNOWLEDGE_EDIT)
    turns = _claim_open(actor, parse_turn_ids(list(turn_ids)))
    _close(turns, Turn.Curation.DISMISSED)
    audit_record(
        actor=actor,
        action="knowledge.curation_dismiss",
        target=turns[0],
        changes=_changes(turns, Turn.Curation.DISMISSED),
        note=turns[0].question,
    )
    return len(turns)


# --- The clustering snapshot --------------------------------------------------------------------


def curation_snapshot_request(*, actor: User | None = None) -> CurationSnapshot | None:
    """Ask for a fresh clustering snapshot, computed in the background after commit; None when
    one is already waiting or computing. ``actor`` None: the system (beat, the page's first view).
    """
    if actor is not None:
        policy.require(actor, Perm.KNOWLEDGE_EDIT)
    with transaction.atomic():
        if curation.snapshot_in_progress():
            return None
        snapshot = CurationSnapshot.objects.create()
        background.enqueue(tasks.curation_snapshot_task, snapshot.pk)
    return snapshot


def curation_snapshot_run(snapshot_id: int) -> bool:
    """Compute the requested snapshot; False when another worker claimed it first."""
    now = timezone.now()
    # The conditional update claims the row: a task delivered twice computes once.
    claimed = CurationSnapshot.objects.filter(
        pk=snapshot_id, status=CurationSnapshot.Status.PENDING
    ).update(status=CurationSnapshot.Status.RUNNING, started_at=now)
    if not claimed:
        return False
    started = time.perf_counter()
    groups, open_turns = curation.snapshot_compute()
    with transaction.atomic():
        CurationSnapshot.objects.filter(pk=snapshot_id).update(
            status=CurationSnapshot.Status.DONE,
            computed_at=timezone.now(),
            duration_ms=round(1000 * (time.perf_counter() - started)),
            open_turns=open_turns,
            groups={"groups": groups},
        )
        # Only the newest snapshot is read; older ones and given-up computations go.
        CurationSnapshot.objects.exclude(pk=snapshot_id).filter(
            Q(status=CurationSnapshot.Status.DONE)
            | Q(requested_at__lt=now - curation.SNAPSHOT_GIVE_UP)
        ).delete()
    return True
