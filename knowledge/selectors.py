"""Reads for the knowledge base pages: the entry list with its filters, one entry and its
version history with what each version changed."""

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import STAFF_ROLES, User
from flexserve import policy
from flexserve.policy import Perm
from knowledge.models import VERSIONED_FIELDS, Category, Entry, EntryVersion

VALIDITY_CHOICES = ("now", "expired", "future")
SEARCH_MAX = 100


@dataclass(frozen=True)
class EntryFilters:
    q: str = ""
    category: str = ""
    status: str = ""
    tag: str = ""
    validity: str = ""  # "now" | "expired" | "future"

    @classmethod
    def from_mapping(cls, params: Any) -> "EntryFilters":
        """The list's filters from a query string; unknown values are ignored."""
        category = (params.get("category") or "").strip()
        status = (params.get("status") or "").strip()
        validity = (params.get("validity") or "").strip()
        return cls(
            q=(params.get("q") or "").strip()[:SEARCH_MAX],
            category=category if category in Category.values else "",
            status=status if status in Entry.Status.values else "",
            tag=(params.get("tag") or "").strip()[:40],
            validity=validity if validity in VALIDITY_CHOICES else "",
        )


def _json_text_contains(field: str, text: str) -> Q:
    # A JSON column is searched as its text. SQLite keeps it as json.dumps wrote it, non-ASCII
    # characters escaped (\u8ba2); PostgreSQL's jsonb text shows them as they are: match both.
    escaped = json.dumps(text)[1:-1]
    plain = json.dumps(text, ensure_ascii=False)[1:-1]
    return Q(**{f"{field}__icontains": escaped}) | Q(**{f"{field}__icontains": plain})


def _json_list_has(field: str, item: str) -> Q:
    """The JSON list ``field`` has ``item`` as a whole element (quotes included)."""
    return Q(**{f"{field}__icontains": json.dumps(item)}) | Q(
        **{f"{field}__icontains": json.dumps(item, ensure_ascii=False)}
    )


def _filtered(qs: QuerySet[Entry], filters: EntryFilters, *, category: bool) -> QuerySet[Entry]:
    if filters.q:
        qs = qs.filter(
            Q(question__icontains=filters.q)
            | Q(answer__icontains=filters.q)
            | Q(code__icontains=filters.q)
            | _json_text_contains("phrasings", filters.q)
        )
    if category and filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.tag:
        qs = qs.filter(_json_list_has("tags", filters.tag))
    today = timezone.localdate()
    if filters.validity == "now":
        qs = qs.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )
    elif filters.validity == "expired":
        qs = qs.filter(valid_until__lt=today)
    elif filters.validity == "future":
        qs = qs.filter(valid_from__gt=today)
    return qs


def entry_list(*, user: User, filters: EntryFilters) -> QuerySet[Entry]:
    """The entries matching ``filters``, by category and code, with their owners."""
    qs = policy.visible(user, Entry.objects.select_related("owner"))
    return _filtered(qs, filters, category=True).order_by("category", "code")


def entry_category_counts(*, user: User, filters: EntryFilters) -> list[dict[str, Any]]:
    """Per category, in the categories' order: how many entries match the other filters."""
    qs = _filtered(policy.visible(user, Entry.objects.all()), filters, category=False)
    counts = dict(qs.order_by().values_list("category").annotate(n=Count("pk")))
    return [
        {"code": code, "label": label, "count": counts.get(code, 0)}
        for code, label in Category.choices
    ]


def tag_list(*, user: User) -> list[str]:
    """Every tag in use, sorted (a few hundred entries: read in one query)."""
    rows = policy.visible(user, Entry.objects.all()).values_list("tags", flat=True)
    return sorted({tag for tags in rows for tag in tags or []})


def entry_get(*, user: User, entry_id: int) -> Entry:
    policy.require(user, Perm.KNOWLEDGE_VIEW)
    return policy.get_visible(user, Entry, entry_id, qs=Entry.objects.select_related("owner"))


def entries_by_pk(*, user: User, pks: list[int]) -> dict[int, Entry]:
    return {e.pk: e for e in policy.visible(user, Entry.objects.filter(pk__in=pks))}


def owner_choices(*, user: User) -> QuerySet[User]:
    """Staff who may own an entry: every active staff member."""
    policy.require(user, Perm.KNOWLEDGE_VIEW)
    return User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("username")


# --- version history ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class VersionChange:
    """What one version changed against the one before it (all empty for the first)."""

    fields: list[FieldChange]
    phrasings_added: list[str]
    phrasings_removed: list[str]
    tags_added: list[str]
    tags_removed: list[str]
    answer_before: str | None  # the previous answer when it changed, else None

    @property
    def is_empty(self) -> bool:
        return not (
            self.fields
            or self.phrasings_added
            or self.phrasings_removed
            or self.tags_added
            or self.tags_removed
            or self.answer_before is not None
        )


def _shown(field: str, value: Any) -> Any:
    """A snapshot value as a person reads it (choice labels instead of codes)."""
    if field == "category" and value in Category.values:
        return Category(value).label
    if field == "status" and value in Entry.Status.values:
        return Entry.Status(value).label
    return value


def version_change(before: dict[str, Any] | None, after: dict[str, Any]) -> VersionChange:
    """The difference between two snapshots; ``before`` None for a first version."""
    if before is None:
        return VersionChange([], [], [], [], [], None)
    fields = []
    for name in VERSIONED_FIELDS:
        if name in ("phrasings", "tags", "answer") or before.get(name) == after.get(name):
            continue
        fields.append(
            FieldChange(
                name,
                str(Entry._meta.get_field(name).verbose_name),
                _shown(name, before.get(name)),
                _shown(name, after.get(name)),
            )
        )
    old_phrasings, new_phrasings = before.get("phrasings") or [], after.get("phrasings") or []
    old_tags, new_tags = before.get("tags") or [], after.get("tags") or []
    answer_changed = before.get("answer") != after.get("answer")
    return VersionChange(
        fields=fields,
        phrasings_added=[p for p in new_phrasings if p not in old_phrasings],
        phrasings_removed=[p for p in old_phrasings if p not in new_phrasings],
        tags_added=[t for t in new_tags if t not in old_tags],
        tags_removed=[t for t in old_tags if t not in new_tags],
        answer_before=(before.get("answer") or "") if answer_changed else None,
    )


def entry_history(*, user: User, entry: Entry) -> list[tuple[EntryVersion, VersionChange]]:
    """Every version of ``entry``, newest first, each with what it changed."""
    policy.require(user, Perm.KNOWLEDGE_VIEW)
    versions = list(
        EntryVersion.objects.filter(entry=entry).select_related("changed_by").order_by("version")
    )
    history = []
    previous = None
    for version in versions:
        history.append((version, version_change(previous, version.snapshot)))
        previous = version.snapshot
    history.reverse()
    return history
