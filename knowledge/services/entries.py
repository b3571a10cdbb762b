"""Knowledge entries: create, edit, restore. Every save is a new version with a snapshot, an
audit entry, and a refresh of the search index once the transaction commits."""

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record, diff
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from knowledge import index, placeholders
from knowledge.errors import EntryChanged
from knowledge.models import VERSIONED_FIELDS, Category, Entry, EntryVersion

MAX_PHRASINGS = 50
MAX_TAGS = 10
QUESTION_MAX = Entry._meta.get_field("question").max_length
ANSWER_MAX = 5000
TAG_MAX = 20
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")


def _text_list(raw: Any) -> list[str]:
    """A list from a list or from text with one item per line (forms, spreadsheet cells)."""
    if raw is None:
        return []
    items = raw.splitlines() if isinstance(raw, str) else list(raw)
    return [str(item).strip() for item in items if str(item).strip()]


def _date(raw: Any, field: str, errors: dict[str, list[str]]) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip().replace("/", "-"))
    except ValueError:
        errors[field] = [_("Enter a date as YYYY-MM-DD.")]
        return None


def clean_entry(data: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise the versioned fields of an entry; Invalid lists every problem.

    Phrasings are de-duplicated and never repeat the standard question; tags likewise.
    """
    errors: dict[str, list[str]] = {}
    question = str(data.get("question") or "").strip()
    if not question:
        errors["question"] = [_("Enter the standard question.")]
    elif len(question) > QUESTION_MAX:
        errors["question"] = [_("At most %(n)s characters.") % {"n": QUESTION_MAX}]
    answer = str(data.get("answer") or "").strip()
    if not answer:
        errors["answer"] = [_("Enter the answer.")]
    elif len(answer) > ANSWER_MAX:
        errors["answer"] = [_("At most %(n)s characters.") % {"n": ANSWER_MAX}]
    elif unknown := placeholders.unknown(answer):
        errors["answer"] = [
            _(
                "Unknown placeholder %(names)s. Use {company}, {hotline}, {service_hours} "
                "or a page link such as {link:requests}."
            )
            % {"names": "、".join(unknown)}
        ]
    category = str(data.get("category") or "").strip()
    if category not in Category.values:
        errors["category"] = [_("Choose a valid category.")]
    phrasings: list[str] = []
    for phrasing in _text_list(data.get("phrasings")):
        if len(phrasing) > QUESTION_MAX:
            errors["phrasings"] = [
                _("Each phrasing has at most %(n)s characters.") % {"n": QUESTION_MAX}
            ]
        elif phrasing != question and phrasing not in phrasings:
            phrasings.append(phrasing)
    if len(phrasings) > MAX_PHRASINGS:
        errors["phrasings"] = [_("At most %(n)s phrasings.") % {"n": MAX_PHRASINGS}]
    tags: list[str] = []
    for tag in _text_list(
        re.split(r"[,，、;；\n]", data["tags"])
        if isinstance(data.get("tags"), str)
        else data.get("tags")
    ):
        if len(tag) > TAG_MAX:
            errors["tags"] = [_("Each tag has at most %(n)s characters.") % {"n": TAG_MAX}]
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        errors["tags"] = [_("At most %(n)s tags.") % {"n": MAX_TAGS}]
    valid_from = _date(data.get("valid_from"), "valid_from", errors)
    valid_until = _date(data.get("valid_until"), "valid_until", errors)
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = [_("The end of validity comes before its start.")]
    status = str(data.get("status") or Entry.Status.PUBLISHED)
    if status not in Entry.Status.values:
        errors["status"] = [_("Choose a valid status.")]
    if errors:
        raise Invalid(fields=errors)
    return {
        "category": category,
        "question": question,
        "phrasings": phrasings,
        "answer": answer,
        "tags": tags,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "status": status,
    }


def snapshot_of(entry: Entry) -> dict[str, Any]:
    values = {field: getattr(entry, field) for field in VERSIONED_FIELDS}
    for field in ("valid_from", "valid_until"):
        values[field] = values[field].isoformat() if values[field] else None
    return values


def _next_code(category: str) -> str:
    prefix = f"kb-{category.replace('_', '-')}-"
    taken = set(Entry.objects.filter(code__startswith=prefix).values_list("code", flat=True))
    number = len(taken) + 1
    while f"{prefix}{number:03d}" in taken:
        number += 1
    return f"{prefix}{number:03d}"


def _keep_version(entry: Entry, actor: User | None, note: str) -> None:
    EntryVersion.objects.create(
        entry=entry,
        version=entry.version,
        snapshot=snapshot_of(entry),
        note=note[:200],
        changed_by=actor if actor is not None and actor.pk else None,
    )
    transaction.on_commit(index.changed)


@transaction.atomic
def entry_create(
    *,
    actor: User | None,
    data: dict[str, Any],
    code: str = "",
    owner: User | None = None,
    note: str = "",
) -> Entry:
    """A new entry at version 1. ``actor`` None: trusted callers (imports run by manage.py)."""
    if actor is not None:
        policy.require(actor, Perm.KNOWLEDGE_EDIT)
    fields = clean_entry(data)
    code = code.strip().lower() or _next_code(fields["category"])
    if not CODE_PATTERN.match(code):
        raise Invalid(fields={"code": [_("Use 2–40 lower-case letters, digits, - or _.")]})
    if Entry.objects.filter(code=code).exists():
        raise Invalid(fields={"code": [_("Another entry already uses this code.")]})
    try:
        with transaction.atomic():
            entry = Entry.objects.create(code=code, owner=owner or actor, version=1, **fields)
    except IntegrityError:  # a concurrent create took the code
        raise Invalid(fields={"code": [_("Another entry already uses this code.")]}) from None
    _keep_version(entry, actor, note or _("Created"))
    audit_record(actor=actor, action="knowledge.entry_create", target=entry, note=entry.question)
    return entry


@transaction.atomic
def entry_update(
    *,
    actor: User | None,
    entry_id: int,
    data: dict[str, Any],
    expected_version: int | None = None,
    owner: User | None = None,
    note: str = "",
) -> Entry:
    """Save new content as the next version; unchanged content saves nothing.

    ``expected_version``: the version the editor opened. A save over someone else's newer
    version is refused (EntryChanged) instead of silently undoing their work.
    """
    if actor is not None:
        policy.require(actor, Perm.KNOWLEDGE_EDIT)
        entry = policy.get_visible(actor, Entry, entry_id, for_update=True)
    else:
        entry = Entry.objects.select_for_update().get(pk=entry_id)
    if expected_version is not None and expected_version != entry.version:
        raise EntryChanged(version=entry.version)
    fields = clean_entry(data)
    before = snapshot_of(entry)
    for name, value in fields.items():
        setattr(entry, name, value)
    owner_changed = owner is not None and owner.pk != entry.owner_id
    if owner_changed:
        entry.owner = owner
    changes = diff(before, snapshot_of(entry))
    if not changes and not owner_changed:
        return entry
    entry.version += 1
    entry.save()
    _keep_version(entry, actor, note or _("Edited"))
    audit_record(
        actor=actor, action="knowledge.entry_update", target=entry, changes=changes, note=note
    )
    return entry


def entry_restore(*, actor: User, entry_id: int, version: int) -> Entry:
    """Bring back the content of an earlier version, as a new version."""
    policy.require(actor, Perm.KNOWLEDGE_EDIT)
    entry = policy.get_visible(actor, Entry, entry_id)
    old = EntryVersion.objects.filter(entry=entry, version=version).first()
    if old is None:
        raise Invalid(fields={"version": [_("This entry has no such version.")]})
    return entry_update(
        actor=actor,
        entry_id=entry.pk,
        data=old.snapshot,
        note=_("Restored version %(version)s") % {"version": version},
    )


def entry_add_phrasings(
    *, actor: User, entry_id: int, phrasings: list[str], note: str = ""
) -> Entry:
    """Append ways of asking to an entry (curation); phrasings it already has are skipped."""
    policy.require(actor, Perm.KNOWLEDGE_EDIT)
    entry = policy.get_visible(actor, Entry, entry_id)
    data = snapshot_of(entry) | {"phrasings": [*entry.phrasings, *_text_list(phrasings)]}
    return entry_update(
        actor=actor, entry_id=entry.pk, data=data, note=note or _("Phrasings added")
    )
