"""Writes of service initiatives (服务举措): create, change type (kept as history), SMART goals,
and funnel surveys (a wave of the initiative's own four-question instrument)."""

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from customers.models import ContactChannel, ServiceItem
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from quality import shipped
from quality.models import (
    Goal,
    GoalMetric,
    Initiative,
    InitiativeType,
    InitiativeTypeChange,
    Instrument,
    Question,
    Wave,
)
from quality.services import surveys


def _manager(actor: User) -> None:
    policy.require(actor, Perm.QUALITY_MANAGE)


def _staff_owner(
    owner_id: Any, errors: dict[str, list[str]], field: str = "owner_id"
) -> User | None:
    owner = None
    if isinstance(owner_id, int) and not isinstance(owner_id, bool):
        owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None or not policy.has_perm(owner, Perm.CONSOLE_USE):
        errors["owner_id"] = [_("Choose an active staff member as the owner.")]
        return None
    return owner


@transaction.atomic
def initiative_create(
    *,
    actor: User,
    code: str,
    name: str,
    type: str,
    starts_on: date,
    ends_on: date,
    owner_id: int,
    description: str = "",
    target: dict | None = None,
    channels: list[str] | None = None,
    service_item_id: int | None = None,
) -> Initiative:
    _manager(actor)
    errors: dict[str, list[str]] = {}
    code = (code or "").strip()
    name = (name or "").strip()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 40:
        errors["code"] = [_("Use letters, digits and hyphens (at most 40).")]
    elif Initiative.objects.filter(code=code).exists():
        errors["code"] = [_("Another initiative already uses this code.")]
    if not name or len(name) > 100:
        errors["name"] = [_("Give a name of at most 100 characters.")]
    if type not in InitiativeType.values:
        errors["type"] = [_("Choose basic, standard, extended or emotional.")]
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        errors["ends_on"] = [_("Give the start and end dates.")]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("The period ends before it starts.")]
    clean_channels = list(dict.fromkeys(channels or []))
    if any(c not in ContactChannel.values for c in clean_channels):
        errors["channels"] = [_("Choose from the listed values.")]
    service_item = None
    if service_item_id is not None:
        service_item = ServiceItem.objects.filter(pk=service_item_id).first()
        if service_item is None:
            errors["service_item_id"] = [_("This service item does not exist.")]
    owner = _staff_owner(owner_id, errors)
    clean_target = surveys.check_target(target, errors)
    if errors:
        raise Invalid(fields=errors)
    initiative = Initiative.objects.create(
        code=code,
        name=name,
        description=(description or "").strip(),
        type=type,
        target=clean_target,
        channels=clean_channels,
        service_item=service_item,
        starts_on=starts_on,
        ends_on=ends_on,
        owner=owner,
    )
    InitiativeTypeChange.objects.create(
        initiative=initiative, to_type=type, changed_by=actor, changed_at=timezone.now()
    )
    audit_record(actor=actor, action="initiative.create", target=initiative)
    return initiative


@transaction.atomic
def initiative_change_type(
    *, actor: User, initiative_id: int, to_type: str, reason: str = ""
) -> Initiative:
    _manager(actor)
    initiative = policy.get_visible(actor, Initiative, initiative_id, for_update=True)
    if to_type not in InitiativeType.values:
        raise Invalid(fields={"type": [_("Choose basic, standard, extended or emotional.")]})
    if to_type == initiative.type:
        raise Invalid(fields={"type": [_("The initiative already has this type.")]})
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise Invalid(fields={"reason": [_("Say why the type changes (at most 200 characters).")]})
    InitiativeTypeChange.objects.create(
        initiative=initiative,
        from_type=initiative.type,
        to_type=to_type,
        reason=reason,
        changed_by=actor,
        changed_at=timezone.now(),
    )
    initiative.type = to_type
    initiative.save(update_fields=["type"])
    audit_record(actor=actor, action="initiative.change_type", target=initiative)
    return initiative


@transaction.atomic
def goal_set(
    *,
    actor: User,
    initiative_id: int,
    metric: str,
    baseline: float,
    target: float,
    starts_on: date,
    deadline: date,
    owner_id: int,
) -> Goal:
    """A SMART goal: a funnel share (fractions 0–1) from baseline to target by the deadline."""
    _manager(actor)
    initiative = policy.get_visible(actor, Initiative, initiative_id)
    errors: dict[str, list[str]] = {}
    if metric not in GoalMetric.values:
        errors["metric"] = [_("Choose one of the funnel stages.")]
    for field, value in (("baseline", baseline), ("target", target)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not 0.0 <= float(value) <= 1.0
        ):
            errors[field] = [_("Give a share from 0 to 1 (0.6 = 60 %).")]
    if "baseline" not in errors and "target" not in errors and float(baseline) == float(target):
        errors["target"] = [_("The target must differ from the baseline.")]
    if not isinstance(starts_on, date) or not isinstance(deadline, date):
        errors["deadline"] = [_("Give the start date and the deadline.")]
    elif deadline <= starts_on:
        errors["deadline"] = [_("The deadline must come after the start.")]
    owner = _staff_owner(owner_id, errors)
    if errors:
        raise Invalid(fields=errors)
    goal = Goal.objects.create(
        initiative=initiative,
        metric=metric,
        baseline=float(baseline),
        target=float(target),
        starts_on=starts_on,
        deadline=deadline,
        owner=owner,
    )
    audit_record(actor=actor, action="initiative.goal", target=initiative)
    return goal


def funnel_instrument(initiative: Initiative) -> Instrument:
    """The initiative's own funnel questionnaire (created on first use)."""
    code = f"{shipped.FUNNEL_CODE_PREFIX}{initiative.code}"[:40]
    instrument, created = Instrument.objects.get_or_create(
        code=code,
        defaults={
            "name": shipped.FUNNEL_NAME.format(name=initiative.name)[:100],
            "kind": Instrument.Kind.FUNNEL,
        },
    )
    if created:
        for position, (question_code, kind, text, show_if) in enumerate(
            shipped.FUNNEL_QUESTIONS, start=1
        ):
            low, high = shipped.FUNNEL_RATING_LABELS if kind == "csat" else ("", "")
            Question.objects.create(
                instrument=instrument,
                code=question_code,
                position=position,
                kind=kind,
                text=text.format(name=initiative.name)[:300],
                choices=shipped.FUNNEL_YES_NO.get(question_code, []),
                scale_min=1,
                scale_max=5 if kind == "csat" else 7,
                low_label=low,
                high_label=high,
                show_if=show_if,
            )
    return instrument


@transaction.atomic
def funnel_wave_create(
    *,
    actor: User,
    initiative_id: int,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    anonymous: bool = False,
) -> Wave:
    """A funnel survey of the initiative's target group (one response per shop, as any wave)."""
    _manager(actor)
    initiative = policy.get_visible(actor, Initiative, initiative_id)
    instrument = funnel_instrument(initiative)
    wave = surveys.wave_create(
        actor=actor,
        instrument_id=instrument.pk,
        name=name,
        opens_at=opens_at,
        closes_at=closes_at,
        target=initiative.target,
        anonymous=anonymous,
    )
    wave.initiative = initiative
    wave.save(update_fields=["initiative"])
    return wave
