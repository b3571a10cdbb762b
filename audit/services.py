"""Record audit entries; called by other apps' services inside their transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from audit.models import AuditEntry

if TYPE_CHECKING:  # audit and accounts are independent layers; the actor is only a type here
    from accounts.models import User


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value (decimals and dates as text, related objects by id)."""
    if value is None or isinstance(value, (bool, int, str, list, dict)):
        return value
    if isinstance(value, Model):
        return value.pk
    return str(value)


def snapshot(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    """The current values of ``fields`` (attribute names, e.g. ``grid_id``) of ``obj``."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value differs."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: Model,
    changes: dict[str, list[Any]] | None = None,
    shop_id: int | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry; call inside the transaction that makes the change."""
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        shop_id=shop_id,
        changes=changes or {},
        note=note[:200],
    )
