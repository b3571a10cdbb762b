"""Read the audit trail: managers only, and within their scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Field, Model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from audit.models import AuditEntry
from flexserve import policy
from flexserve.policy import Perm

if TYPE_CHECKING:  # audit and accounts are independent layers; the user is only a type here
    from accounts.models import User

ACTION_LABELS = {
    "shop.created": _("Shop registered"),
    "shop.updated": _("Shop data changed"),
    "shop.closed": _("Shop closed"),
    "shop.reopened": _("Shop reopened"),
    "rule_set.saved": _("Rule set saved"),
    "rule_set.applied": _("Rule set applied"),
    "service_plan.updated": _("Service plan changed"),
    "import.shops": _("Shops imported"),
    "import.orders": _("Orders imported"),
    "request.assigned": _("Assigned"),
    "request.priority": _("Priority changed"),
    "request.escalated": _("Escalated"),
    "request.support_requested": _("Support requested"),
    "request.photos": _("Photos added"),
    "request.start": _("Start work"),
    "request.ask_shop": _("Ask the shop"),
    "request.resume": _("Resume"),
    "request.resolve": _("Resolve"),
    "request.close": _("Confirm and close"),
    "request.reopen": pgettext_lazy("request action", "Reopen"),
    "support.start": _("Support task started"),
    "support.done": _("Support task done"),
    "support.cancel": _("Support task cancelled"),
    "work_rules.updated": _("Work rules changed"),
    "staff_profile.saved": _("Field staff profile changed"),
    "availability.set": _("Working hours set"),
    "availability.cleared": _("Back to the usual hours"),
}


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    actor: str
    action: str
    changes: list[tuple[str, Any, Any]]  # (field label, old, new)
    note: str


def _field(model: type[Model], name: str) -> Field | None:
    try:
        return model._meta.get_field(name.removesuffix("_id"))
    except FieldDoesNotExist:
        return None


def _field_label(model: type[Model], name: str) -> str:
    field = _field(model, name)
    return str(field.verbose_name) if field is not None else name


def _readable(model: type[Model], name: str, value: Any, names: dict) -> Any:
    """A value as people read it: choice labels, related objects by name, lists joined."""
    field = _field(model, name)
    if value is None or field is None:
        return value
    own = getattr(model, "audit_display", None)  # a model may say how its values read
    if own is not None and (shown := own(name, value)) is not None:
        return shown
    if field.is_relation and field.related_model is not None:
        key = (field.related_model, value)
        if key not in names:
            names[key] = str(field.related_model._default_manager.filter(pk=value).first() or value)
        return names[key]
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def audit_for(*, user: User, target: Model, limit: int = 50) -> list[AuditRow]:
    """The latest entries about ``target`` (already visible to ``user``), newest first."""
    policy.require(user, Perm.AUDIT_VIEW)
    entries = policy.visible(user, AuditEntry.objects.select_related("actor")).filter(
        target_type=target._meta.label_lower, target_id=target.pk
    )[:limit]
    model, names = type(target), {}
    return [
        AuditRow(
            at=entry.at,
            actor=str(entry.actor) if entry.actor else "",
            action=str(ACTION_LABELS.get(entry.action, entry.action)),
            changes=[
                (
                    _field_label(model, name),
                    _readable(model, name, old, names),
                    _readable(model, name, new, names),
                )
                for name, (old, new) in sorted(entry.changes.items())
            ],
            note=entry.note,
        )
        for entry in entries
    ]
