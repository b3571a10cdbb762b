"""Reads for shops, territories, segmentation and service plans; every one scoped by policy."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from customers import segmentation
from customers.models import (
    District,
    Grid,
    Segment,
    SegmentChange,
    SegmentRuleSet,
    ServiceItem,
    ServicePlan,
    Shop,
    SlaTarget,
)
from customers.services import parse_rules
from flexserve import policy
from flexserve.policy import Perm


@dataclass(frozen=True)
class ShopFilters:
    q: str = ""  # name, licence number or owner name
    segment: str = ""
    district_id: int | None = None
    grid_id: int | None = None
    grade_min: int | None = None
    grade_max: int | None = None
    star: int | None = None
    account_manager_id: int | None = None
    market_type: str = ""
    status: str = ""

    @classmethod
    def from_mapping(cls, data: Any) -> "ShopFilters":
        """Build from a query dict, ignoring blanks and values that are not numbers."""

        def number(key: str) -> int | None:
            value = (data.get(key) or "").strip()
            return int(value) if value.isdigit() else None

        return cls(
            q=(data.get("q") or "").strip()[:60],
            segment=data.get("segment") or "",
            district_id=number("district_id"),
            grid_id=number("grid_id"),
            grade_min=number("grade_min"),
            grade_max=number("grade_max"),
            star=number("star"),
            account_manager_id=number("account_manager_id"),
            market_type=data.get("market_type") or "",
            status=data.get("status") or "",
        )


def shop_list(*, user: User, filters: ShopFilters | None = None) -> QuerySet[Shop]:
    qs = policy.visible(user, Shop.objects.select_related("grid__district", "account_manager"))
    f = filters or ShopFilters()
    if f.q:
        qs = qs.filter(
            Q(name__icontains=f.q) | Q(licence_no__startswith=f.q) | Q(owner_name__icontains=f.q)
        )
    exact = {
        "segment": f.segment,
        "grid__district_id": f.district_id,
        "grid_id": f.grid_id,
        "grade__gte": f.grade_min,
        "grade__lte": f.grade_max,
        "star": f.star,
        "account_manager_id": f.account_manager_id,
        "market_type": f.market_type,
        "status": f.status,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v not in (None, "")})
    return qs.order_by("licence_no")


def shop_get(*, user: User, shop_id: int) -> Shop:
    return policy.get_visible(
        user, Shop, shop_id, qs=Shop.objects.select_related("grid__district", "account_manager")
    )


def shop_of_owner(*, user: User) -> Shop | None:
    """The shop a shop owner runs (None for staff)."""
    shop_id = policy.owned_shop_id(user) if user.is_authenticated and user.is_shop_owner else None
    return shop_get(user=user, shop_id=shop_id) if shop_id else None


def segment_history(*, user: User, shop_id: int) -> QuerySet[SegmentChange]:
    shop = shop_get(user=user, shop_id=shop_id)
    return policy.visible(user, SegmentChange.objects.filter(shop=shop)).select_related("rule_set")


def district_list(*, user: User) -> QuerySet[District]:
    policy.require(user, Perm.CONSOLE_USE)
    return District.objects.all()


def grid_list(*, user: User) -> QuerySet[Grid]:
    policy.require(user, Perm.CONSOLE_USE)
    return Grid.objects.select_related("district").prefetch_related("staff")


def account_manager_list(*, user: User) -> QuerySet[User]:
    policy.require(user, Perm.CONSOLE_USE)
    return User.objects.filter(
        role__in=["account_manager", "service_staff"], is_active=True
    ).order_by("username")


def rule_set_list(*, user: User) -> QuerySet[SegmentRuleSet]:
    policy.require(user, Perm.SEGMENT_VIEW)
    return policy.visible(
        user, SegmentRuleSet.objects.prefetch_related("rules").select_related("created_by")
    )


def rule_set_get(*, user: User, rule_set_id: int) -> SegmentRuleSet:
    policy.require(user, Perm.SEGMENT_VIEW)
    return policy.get_visible(
        user, SegmentRuleSet, rule_set_id, qs=SegmentRuleSet.objects.prefetch_related("rules")
    )


def _all_shop_facts() -> list[segmentation.ShopFacts]:
    rows = Shop.objects.values_list(
        "pk", "grade", "star", "market_type", "business_type", "segment"
    )
    return [segmentation.ShopFacts(*row) for row in rows.iterator(chunk_size=5000)]


def segment_preview(
    *, user: User, rules: list[dict[str, Any]], default_segment: str = Segment.ORDINARY
) -> dict[str, Any]:
    """How many shops would move between classes under ``rules`` (nothing is written).

    Covers every shop of the company: rules are company-wide, so the preview is too.
    """
    policy.require(user, Perm.SEGMENT_EDIT)
    parsed = parse_rules(rules)
    counts = segmentation.transition_counts(parsed, default_segment, _all_shop_facts())
    segments = list(Segment.values)
    before = {s: sum(n for (a, _), n in counts.items() if a == s) for s in segments}
    after = {s: sum(n for (_, b), n in counts.items() if b == s) for s in segments}
    return {
        "segments": segments,
        "before": before,
        "after": after,
        "moved": sum(n for (a, b), n in counts.items() if a != b),
        "total": sum(counts.values()),
        "transitions": [
            {"from_segment": a, "to_segment": b, "shops": n}
            for (a, b), n in sorted(counts.items())
            if a != b
        ],
    }


def segment_distribution(*, user: User) -> dict[str, Any]:
    """Shops per class, overall and per district, within what ``user`` may see (chart data)."""
    policy.require(user, Perm.SEGMENT_VIEW)
    shops = shop_list(user=user).filter(status=Shop.Status.ACTIVE)
    by_segment = dict(shops.values_list("segment").annotate(n=Count("pk")).order_by())
    rows = shops.values_list("grid__district__name", "segment").annotate(n=Count("pk")).order_by()
    districts = sorted({name for name, _, _ in rows})
    by_district = {s: [0] * len(districts) for s in Segment.values}
    for name, segment, n in rows:
        by_district[segment][districts.index(name)] = n
    return {
        "segments": [{"code": s, "label": str(label)} for s, label in Segment.choices],
        "by_segment": {s: by_segment.get(s, 0) for s in Segment.values},
        "districts": districts,
        "by_district": by_district,
    }


def service_plan_list(*, user: User) -> QuerySet[ServicePlan]:
    return policy.visible(
        user,
        ServicePlan.objects.prefetch_related(
            "service_items",
            Prefetch("sla_targets", queryset=SlaTarget.objects.order_by("category")),
        ),
    )


def service_plan_get(*, user: User, plan_id: int) -> ServicePlan:
    return policy.get_visible(user, ServicePlan, plan_id, qs=service_plan_list(user=user))


def service_plan_for_shop(*, user: User, shop: Shop) -> ServicePlan | None:
    """The plan of a visible shop's class: shop owners read their own plan this way."""
    return (
        ServicePlan.objects.prefetch_related("service_items", "sla_targets")
        .filter(segment=shop.segment)
        .first()
    )


def rule_set_active(*, user: User) -> SegmentRuleSet | None:
    """The rule set in force, with its rules (None before the first one is applied)."""
    return rule_set_list(user=user).filter(status=SegmentRuleSet.Status.ACTIVE).first()


def service_item_list(*, user: User) -> list[ServiceItem]:
    """Every service item a plan may offer (the plan editor's choices)."""
    return list(policy.visible(user, ServiceItem.objects.order_by("code")))
