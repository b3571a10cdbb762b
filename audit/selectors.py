"""Read the audit trail: managers only, and within their scope."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit.models import AuditEntry
from flexserve import policy
from flexserve.policy import Perm

ACTION_LABELS = {
    "shop.created": _("Shop registered"),
    "shop.updated": _("Shop data changed"),
    "shop.closed": _("Shop closed"),
    "rule_set.saved": _("Rule set saved"),
    "rule_set.applied": _("Rule set applied"),
    "service_plan.updated": _("Service plan changed"),
    "import.shops": _("Shops imported"),
    "import.orders": _("Orders imported"),
}


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    changes: list[tuple[str, Any, Any]]  # (field label, old, new)
    note: str


def _field_label(model: type[Model], name: str) -> str:
    try:
        return str(model._meta.get_field(name.removesuffix("_id")).verbose_name)
    except FieldDoesNotExist:
        return name


def audit_for(*, user: User, target: Model, limit: int = 50) -> list[AuditRow]:
    """The latest entries about ``target`` (already visible to ``user``), newest first."""
    policy.require(user, Perm.AUDIT_VIEW)
    entries = policy.visible(user, AuditEntry.objects.select_related("actor")).filter(
        target_type=target._meta.label_lower, target_id=target.pk
    )[:limit]
    return [
        AuditRow(
            at=entry.at,
            actor=str(entry.actor) if entry.actor else "",
            action=str(ACTION_LABELS.get(entry.action, entry.action)),
            changes=[
                (_field_label(type(target), name), old, new)
                for name, (old, new) in sorted(entry.changes.items())
            ],
            note=entry.note,
        )
        for entry in entries
    ]
