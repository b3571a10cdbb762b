"""Writes for shops, segmentation rules and service plans: one function per use case."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record, diff, snapshot
from customers import segmentation
from customers.errors import (
    NoActiveRuleSet,
    RuleSetEmpty,
    RuleSetNotDraft,
    ShopAlreadyClosed,
    ShopNotClosed,
)
from customers.models import (
    SHOP_MASTER_FIELDS,
    ContactChannel,
    Segment,
    SegmentChange,
    SegmentRule,
    SegmentRuleSet,
    ServiceItem,
    ServicePlan,
    Shop,
    SlaTarget,
)
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from flexserve.validation import full_clean_or_invalid

# Foreign keys are set by id in the API and the pages.
SHOP_EDITABLE_FIELDS = tuple(
    f"{name}_id" if name in {"grid", "account_manager"} else name for name in SHOP_MASTER_FIELDS
)


def _validate_channels(channels: Iterable[str], field: str = "contact_channels") -> list[str]:
    channels = list(channels)
    unknown = [c for c in channels if c not in ContactChannel.values]
    if unknown:
        raise Invalid(
            fields={field: [_("Unknown contact channel: %(channel)s") % {"channel": unknown[0]}]}
        )
    return list(dict.fromkeys(channels))  # keep order, drop repeats


def active_rule_set() -> SegmentRuleSet | None:
    return SegmentRuleSet.objects.filter(status=SegmentRuleSet.Status.ACTIVE).first()


def rules_of(rule_set: SegmentRuleSet) -> tuple[segmentation.Rule, ...]:
    return tuple(
        segmentation.Rule(
            segment=r.segment,
            grade_min=r.grade_min,
            grade_max=r.grade_max,
            star_min=r.star_min,
            star_max=r.star_max,
            market_type=r.market_type,
            business_type=r.business_type,
        )
        for r in rule_set.rules.order_by("position")
    )


@transaction.atomic
def shop_create(*, actor: User, data: dict[str, Any]) -> Shop:
    """Register a shop; its class comes from the active rule set and is recorded in its history."""
    policy.require(actor, Perm.SHOP_EDIT)
    fields = {
        k: v for k, v in data.items() if k in (*SHOP_EDITABLE_FIELDS, "licence_no", "opened_on")
    }
    fields["contact_channels"] = _validate_channels(fields.get("contact_channels", []))
    shop = Shop(**fields)
    if shop.opened_on is None:
        shop.opened_on = timezone.localdate()
    full_clean_or_invalid(shop)
    rule_set = active_rule_set()
    if rule_set is not None:
        shop.segment = segmentation.classify(
            rules_of(rule_set),
            rule_set.default_segment,
            shop.grade,
            shop.star,
            shop.market_type,
            shop.business_type,
        )
    shop.save()
    if rule_set is not None:
        SegmentChange.objects.create(
            shop=shop,
            from_segment="",
            to_segment=shop.segment,
            rule_set=rule_set,
            changed_at=timezone.now(),
            changed_by=actor,
        )
    audit_record(
        actor=actor,
        action="shop.created",
        target=shop,
        shop_id=shop.pk,
        changes=diff({}, snapshot(shop, ("licence_no", *SHOP_EDITABLE_FIELDS))),
    )
    return shop


@transaction.atomic
def shop_update(*, actor: User, shop_id: int, data: dict[str, Any]) -> Shop:
    """Change a shop's master data; a new grade or star rating re-classifies it at once."""
    shop = policy.get_visible(actor, Shop, shop_id, for_update=True)
    policy.require(actor, Perm.SHOP_EDIT, shop)
    before = snapshot(shop, SHOP_EDITABLE_FIELDS)
    for key, value in data.items():
        if key not in SHOP_EDITABLE_FIELDS:
            raise Invalid(fields={key: [_("This field cannot be changed here.")]})
        if key == "contact_channels":
            value = _validate_channels(value)
            if set(value) == set(shop.contact_channels):
                value = shop.contact_channels  # the same channels ticked again: not a change
        setattr(shop, key, value)
    full_clean_or_invalid(shop)
    shop.save()
    changes = diff(before, snapshot(shop, SHOP_EDITABLE_FIELDS))
    if changes:
        audit_record(
            actor=actor, action="shop.updated", target=shop, shop_id=shop.pk, changes=changes
        )
    rule_set = active_rule_set()
    if rule_set is not None and {"grade", "star", "market_type", "business_type"} & data.keys():
        _reclassify(rule_set, Shop.objects.filter(pk=shop.pk), actor=actor)
        shop.refresh_from_db()
    return shop


@transaction.atomic
def shop_close(*, actor: User, shop_id: int, closed_on: date | None = None) -> Shop:
    """Mark a shop closed (licence cancelled or business given up) from ``closed_on``."""
    shop = policy.get_visible(actor, Shop, shop_id, for_update=True)
    policy.require(actor, Perm.SHOP_EDIT, shop)
    if shop.status == Shop.Status.CLOSED:
        raise ShopAlreadyClosed(name=shop.name)
    closed_on = closed_on or timezone.localdate()
    if closed_on < shop.opened_on or closed_on > timezone.localdate():
        raise Invalid(
            fields={"closed_on": [_("The closing date lies between the opening date and today.")]}
        )
    shop.status, shop.closed_on = Shop.Status.CLOSED, closed_on
    full_clean_or_invalid(shop)
    shop.save(update_fields=["status", "closed_on", "updated_at"])
    audit_record(
        actor=actor,
        action="shop.closed",
        target=shop,
        shop_id=shop.pk,
        changes={
            "status": [Shop.Status.ACTIVE, Shop.Status.CLOSED],
            "closed_on": [None, str(closed_on)],
        },
    )
    return shop


@transaction.atomic
def shop_reopen(*, actor: User, shop_id: int) -> Shop:
    """Make a closed shop active again (for example after its licence was renewed)."""
    shop = policy.get_visible(actor, Shop, shop_id, for_update=True)
    policy.require(actor, Perm.SHOP_EDIT, shop)
    if shop.status == Shop.Status.ACTIVE:
        raise ShopNotClosed(name=shop.name)
    closed_on = shop.closed_on
    shop.status, shop.closed_on = Shop.Status.ACTIVE, None
    shop.save(update_fields=["status", "closed_on", "updated_at"])
    audit_record(
        actor=actor,
        action="shop.reopened",
        target=shop,
        shop_id=shop.pk,
        changes={
            "status": [Shop.Status.CLOSED, Shop.Status.ACTIVE],
            "closed_on": [str(closed_on), None],
        },
    )
    return shop


def parse_rules(rules: list[dict[str, Any]]) -> tuple[segmentation.Rule, ...]:
    if not rules:
        raise RuleSetEmpty()
    parsed, fields = [], {}
    messages = {
        "unknown_segment": _("Choose one of core, key, potential, ordinary."),
        "grade_range": _("Grades run from 1 to 30 and the lowest may not exceed the highest."),
        "star_range": _("Star ratings run from 1 to 5 and the lowest may not exceed the highest."),
    }
    for index, raw in enumerate(rules, start=1):
        try:
            rule = segmentation.Rule(**raw)
        except TypeError:
            fields[f"rules[{index}]"] = [_("Unknown field in rule.")]
            continue
        for field, key in segmentation.validate_rule(rule):
            fields.setdefault(f"rules[{index}].{field}", []).append(messages[key])
        parsed.append(rule)
    if fields:
        raise Invalid(fields=fields)
    return tuple(parsed)


@transaction.atomic
def rule_set_create(
    *,
    actor: User,
    rules: list[dict[str, Any]],
    default_segment: str = Segment.ORDINARY,
    note: str = "",
) -> SegmentRuleSet:
    """Save a new draft version of the segmentation rules (nothing is re-classified yet)."""
    policy.require(actor, Perm.SEGMENT_EDIT)
    parsed = parse_rules(rules)
    if default_segment not in Segment.values:
        raise Invalid(
            fields={"default_segment": [_("Choose one of core, key, potential, ordinary.")]}
        )
    # Versions are allocated under a lock so two managers saving at once get distinct numbers.
    last = SegmentRuleSet.objects.select_for_update().order_by("-version").first()
    rule_set = SegmentRuleSet.objects.create(
        version=(last.version + 1) if last else 1,
        default_segment=default_segment,
        note=note[:200],
        created_by=actor,
    )
    SegmentRule.objects.bulk_create(
        SegmentRule(rule_set=rule_set, position=i, **vars(rule)) for i, rule in enumerate(parsed, 1)
    )
    audit_record(
        actor=actor,
        action="rule_set.saved",
        target=rule_set,
        changes={"rules": [None, [vars(rule) for rule in parsed]]},
        note=rule_set.note,
    )
    return rule_set


@dataclass(frozen=True)
class RecomputeResult:
    rule_set_version: int
    shops_checked: int
    shops_moved: int
    moved_to: dict[str, int]


@transaction.atomic
def rule_set_activate(*, actor: User | None, rule_set_id: int) -> RecomputeResult:
    """Make a draft the active rules and re-classify every shop, recording each move."""
    if actor is not None:
        policy.require(actor, Perm.SEGMENT_EDIT)
    rule_set = SegmentRuleSet.objects.select_for_update().get(pk=rule_set_id)
    if rule_set.status != SegmentRuleSet.Status.DRAFT:
        raise RuleSetNotDraft(version=rule_set.version)
    SegmentRuleSet.objects.filter(status=SegmentRuleSet.Status.ACTIVE).update(
        status=SegmentRuleSet.Status.RETIRED
    )
    rule_set.status = SegmentRuleSet.Status.ACTIVE
    rule_set.activated_at = timezone.now()
    rule_set.save(update_fields=["status", "activated_at"])
    result = _reclassify(rule_set, Shop.objects.all(), actor=actor)
    audit_record(
        actor=actor,
        action="rule_set.applied",
        target=rule_set,
        changes={"status": [SegmentRuleSet.Status.DRAFT, SegmentRuleSet.Status.ACTIVE]},
        note=f"{result.shops_moved}/{result.shops_checked}",
    )
    return result


@transaction.atomic
def segments_recompute(*, actor: User | None) -> RecomputeResult:
    """Re-classify every shop under the active rules (after grades or stars were imported)."""
    if actor is not None:
        policy.require(actor, Perm.SEGMENT_EDIT)
    rule_set = active_rule_set()
    if rule_set is None:
        raise NoActiveRuleSet()
    return _reclassify(rule_set, Shop.objects.all(), actor=actor)


_CHUNK = 2000


def _reclassify(rule_set: SegmentRuleSet, shops, *, actor: User | None) -> RecomputeResult:
    # Set-based: read the four facts of every shop, decide in Python (memoised per key), then one
    # UPDATE per (class, chunk) and a bulk insert of the history rows.
    facts = [
        segmentation.ShopFacts(*row)
        for row in shops.select_for_update()
        .values_list("pk", "grade", "star", "market_type", "business_type", "segment")
        .iterator(chunk_size=_CHUNK)
    ]
    current = {f.shop_id: f.segment for f in facts}
    moves = segmentation.plan_changes(rules_of(rule_set), rule_set.default_segment, facts)
    now = timezone.now()
    history = []
    for segment, shop_ids in moves.items():
        for start in range(0, len(shop_ids), _CHUNK):
            chunk = shop_ids[start : start + _CHUNK]
            Shop.objects.filter(pk__in=chunk).update(segment=segment, updated_at=now)
        history.extend(
            SegmentChange(
                shop_id=shop_id,
                from_segment=current[shop_id],
                to_segment=segment,
                rule_set=rule_set,
                changed_at=now,
                changed_by=actor,
            )
            for shop_id in shop_ids
        )
    SegmentChange.objects.bulk_create(history, batch_size=_CHUNK)
    return RecomputeResult(
        rule_set_version=rule_set.version,
        shops_checked=len(facts),
        shops_moved=len(history),
        moved_to={segment: len(ids) for segment, ids in moves.items()},
    )


@transaction.atomic
def service_plan_update(*, actor: User, plan_id: int, data: dict[str, Any]) -> ServicePlan:
    """Edit a class's service plan: visits, items, channels, SLA targets per request category."""
    policy.require(actor, Perm.SERVICE_PLAN_EDIT)
    plan = policy.get_visible(actor, ServicePlan, plan_id, for_update=True)
    before = _plan_snapshot(plan)
    for key in ("visits_per_month", "description"):
        if key in data and data[key] is not None:
            setattr(plan, key, data[key])
    if data.get("contact_channels") is not None:
        plan.contact_channels = _validate_channels(data["contact_channels"])
    full_clean_or_invalid(plan)
    plan.save()
    if data.get("service_item_ids") is not None:
        wanted = set(data["service_item_ids"])
        known = set(ServiceItem.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if wanted - known:
            raise Invalid(
                fields={
                    "service_item_ids": [
                        _("Unknown service item: %(id)s") % {"id": min(wanted - known)}
                    ]
                }
            )
        plan.service_items.set(sorted(wanted))
    for target in data.get("sla_targets") or []:
        obj = SlaTarget(plan=plan, **target)
        full_clean_or_invalid(obj, exclude=["plan"])
        SlaTarget.objects.update_or_create(
            plan=plan,
            category=obj.category,
            defaults={
                "first_response_min": obj.first_response_min,
                "resolution_min": obj.resolution_min,
            },
        )
    changes = diff(before, _plan_snapshot(plan))
    if changes:
        audit_record(actor=actor, action="service_plan.updated", target=plan, changes=changes)
    return plan


def _plan_snapshot(plan: ServicePlan) -> dict[str, Any]:
    values = snapshot(plan, ("visits_per_month", "contact_channels", "description"))
    values["service_items"] = sorted(plan.service_items.values_list("code", flat=True))
    values["sla_targets"] = {
        category: [first, resolve]
        for category, first, resolve in plan.sla_targets.values_list(
            "category", "first_response_min", "resolution_min"
        )
    }
    return values
