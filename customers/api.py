"""/api/customers: shops, territories, segmentation rules and service plans."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from customers import selectors, services
from customers.models import Shop
from flexserve import policy
from flexserve.schemas import Id, PageNumberPagination

router = Router()


class ShopFiltersIn(Schema):
    q: str = Field("", max_length=60, description="name, licence number prefix or owner name")
    segment: str = ""
    district_id: Id | None = None
    grid_id: Id | None = None
    grade_min: int | None = Field(None, ge=1, le=30)
    grade_max: int | None = Field(None, ge=1, le=30)
    star: int | None = Field(None, ge=1, le=5)
    account_manager_id: Id | None = None
    market_type: str = ""
    status: str = ""


class ShopListOut(Schema):
    id: int
    licence_no: str
    name: str
    owner_name: str
    phone_masked: str = Field(..., alias="masked_phone")
    address: str
    district: str = Field(..., alias="grid.district.name")
    grid: str = Field(..., alias="grid.name")
    business_type: str
    market_type: str
    grade: int
    star: int
    segment: str
    account_manager_id: int | None
    status: str


class ShopOut(ShopListOut):
    phone: str
    latitude: Decimal
    longitude: Decimal
    grid_id: int
    contact_channels: list[str]
    opened_on: date
    closed_on: date | None

    @staticmethod
    def resolve_phone(obj: Shop, context) -> str:
        # Full number only to roles that serve the shop; everyone else gets the masked form.
        return (
            obj.phone if policy.can_see_contact(context["request"].user, obj) else obj.masked_phone
        )


class ShopIn(Schema):
    licence_no: str = Field(..., min_length=12, max_length=12)
    name: str = Field(..., min_length=1, max_length=100)
    owner_name: str = Field(..., min_length=1, max_length=40)
    phone: str = Field(..., max_length=20)
    address: str = Field(..., min_length=1, max_length=200)
    latitude: Decimal
    longitude: Decimal
    grid_id: int
    business_type: str
    market_type: str
    grade: int = Field(..., ge=1, le=30)
    star: int = Field(..., ge=1, le=5)
    account_manager_id: int | None = None
    contact_channels: list[str] = []
    opened_on: date | None = None


class ShopPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    owner_name: str | None = Field(None, min_length=1, max_length=40)
    phone: str | None = Field(None, max_length=20)
    address: str | None = Field(None, min_length=1, max_length=200)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    grid_id: int | None = None
    business_type: str | None = None
    market_type: str | None = None
    grade: int | None = Field(None, ge=1, le=30)
    star: int | None = Field(None, ge=1, le=5)
    account_manager_id: int | None = None
    contact_channels: list[str] | None = None


class SegmentChangeOut(Schema):
    from_segment: str
    to_segment: str
    rule_set_version: int = Field(..., alias="rule_set.version")
    changed_at: datetime


class DistrictOut(Schema):
    id: int
    code: str
    name: str
    market_type: str


class GridOut(Schema):
    id: int
    code: str
    name: str
    district_id: int
    staff_ids: list[int]

    @staticmethod
    def resolve_staff_ids(obj) -> list[int]:
        return [u.pk for u in obj.staff.all()]


class RuleIn(Schema):
    segment: str
    grade_min: int = 1
    grade_max: int = 30
    star_min: int = 1
    star_max: int = 5
    market_type: str = ""
    business_type: str = ""


class RuleOut(RuleIn):
    position: int


class RuleSetIn(Schema):
    rules: list[RuleIn] = Field(..., min_length=1, max_length=50)
    default_segment: str = "ordinary"
    note: str = Field("", max_length=200)


class RuleSetOut(Schema):
    id: int
    version: int
    status: str
    default_segment: str
    note: str
    created_at: datetime
    activated_at: datetime | None
    rules: list[RuleOut]

    @staticmethod
    def resolve_rules(obj) -> list:
        return list(obj.rules.all())


class TransitionOut(Schema):
    from_segment: str
    to_segment: str
    shops: int


class PreviewOut(Schema):
    before: dict[str, int]
    after: dict[str, int]
    moved: int
    total: int
    transitions: list[TransitionOut]


class RecomputeOut(Schema):
    rule_set_version: int
    shops_checked: int
    shops_moved: int
    moved_to: dict[str, int]


class DistributionOut(Schema):
    by_segment: dict[str, int]
    districts: list[str]
    by_district: dict[str, list[int]]


class SlaTargetIO(Schema):
    category: str
    first_response_min: int = Field(..., ge=1)
    resolution_min: int = Field(..., ge=1)


class ServiceItemOut(Schema):
    id: int
    code: str
    name: str
    duration_min: int


class ServicePlanOut(Schema):
    id: int
    segment: str
    visits_per_month: Decimal
    contact_channels: list[str]
    description: str
    service_items: list[ServiceItemOut]
    sla_targets: list[SlaTargetIO]

    @staticmethod
    def resolve_service_items(obj) -> list:
        return list(obj.service_items.all())

    @staticmethod
    def resolve_sla_targets(obj) -> list:
        return list(obj.sla_targets.all())


class ServicePlanPatch(Schema):
    visits_per_month: Decimal | None = Field(None, ge=0, le=31)
    contact_channels: list[str] | None = None
    description: str | None = None
    service_item_ids: list[int] | None = None
    sla_targets: list[SlaTargetIO] | None = None


@router.get("/shops", response=list[ShopListOut], summary="List shops in your scope")
@paginate(PageNumberPagination, page_size=50)
def list_shops(request, filters: Query[ShopFiltersIn]):
    return selectors.shop_list(user=request.user, filters=selectors.ShopFilters(**filters.dict()))


@router.get(
    "/shops/{shop_id}", response=ShopOut, summary="One shop (full phone to roles that serve it)"
)
def get_shop(request, shop_id: int):
    return selectors.shop_get(user=request.user, shop_id=shop_id)


@router.post("/shops", response={201: ShopOut}, summary="Register a shop")
def create_shop(request, payload: ShopIn):
    shop = services.shop_create(actor=request.user, data=payload.dict())
    return Status(201, selectors.shop_get(user=request.user, shop_id=shop.pk))


@router.patch("/shops/{shop_id}", response=ShopOut, summary="Change a shop's master data")
def update_shop(request, shop_id: int, payload: ShopPatch):
    services.shop_update(actor=request.user, shop_id=shop_id, data=payload.dict(exclude_unset=True))
    return selectors.shop_get(user=request.user, shop_id=shop_id)


class ShopCloseIn(Schema):
    closed_on: date | None = Field(None, description="default: today")


@router.post("/shops/{shop_id}/close", response=ShopOut, summary="Mark a shop closed")
def close_shop(request, shop_id: int, payload: ShopCloseIn):
    services.shop_close(actor=request.user, shop_id=shop_id, closed_on=payload.closed_on)
    return selectors.shop_get(user=request.user, shop_id=shop_id)


@router.post("/shops/{shop_id}/reopen", response=ShopOut, summary="Make a closed shop active again")
def reopen_shop(request, shop_id: int):
    services.shop_reopen(actor=request.user, shop_id=shop_id)
    return selectors.shop_get(user=request.user, shop_id=shop_id)


@router.get("/shops/{shop_id}/segment-history", response=list[SegmentChangeOut])
def shop_segment_history(request, shop_id: int):
    return list(selectors.segment_history(user=request.user, shop_id=shop_id)[:200])


@router.get("/districts", response=list[DistrictOut])
def list_districts(request):
    return list(selectors.district_list(user=request.user))


@router.get("/grids", response=list[GridOut])
def list_grids(request):
    return list(selectors.grid_list(user=request.user))


@router.get("/segment-rule-sets", response=list[RuleSetOut], summary="Segmentation rule versions")
@paginate(PageNumberPagination, page_size=20)
def list_rule_sets(request):
    return selectors.rule_set_list(user=request.user)


@router.get("/segment-rule-sets/{rule_set_id}", response=RuleSetOut)
def get_rule_set(request, rule_set_id: int):
    return selectors.rule_set_get(user=request.user, rule_set_id=rule_set_id)


@router.post("/segment-rule-sets", response={201: RuleSetOut}, summary="Save a draft rule set")
def create_rule_set(request, payload: RuleSetIn):
    rule_set = services.rule_set_create(
        actor=request.user,
        rules=[r.dict() for r in payload.rules],
        default_segment=payload.default_segment,
        note=payload.note,
    )
    return Status(201, selectors.rule_set_get(user=request.user, rule_set_id=rule_set.pk))


@router.post(
    "/segment-preview", response=PreviewOut, summary="How many shops would move (no write)"
)
def preview_rules(request, payload: RuleSetIn):
    return selectors.segment_preview(
        user=request.user,
        rules=[r.dict() for r in payload.rules],
        default_segment=payload.default_segment,
    )


@router.post(
    "/segment-rule-sets/{rule_set_id}/activate",
    response=RecomputeOut,
    summary="Apply a draft: re-classify every shop and record each move",
)
def activate_rule_set(request, rule_set_id: int):
    selectors.rule_set_get(user=request.user, rule_set_id=rule_set_id)  # 404 before 409
    return services.rule_set_activate(actor=request.user, rule_set_id=rule_set_id)


@router.get(
    "/segment-distribution", response=DistributionOut, summary="Shops per class and district"
)
def segment_distribution(request):
    return selectors.segment_distribution(user=request.user)


@router.get("/service-plans", response=list[ServicePlanOut])
def list_service_plans(request):
    return list(selectors.service_plan_list(user=request.user))


@router.get("/service-plans/{plan_id}", response=ServicePlanOut)
def get_service_plan(request, plan_id: int):
    return selectors.service_plan_get(user=request.user, plan_id=plan_id)


@router.patch("/service-plans/{plan_id}", response=ServicePlanOut)
def update_service_plan(request, plan_id: int, payload: ServicePlanPatch):
    data = payload.dict(exclude_unset=True)
    services.service_plan_update(actor=request.user, plan_id=plan_id, data=data)
    return selectors.service_plan_get(user=request.user, plan_id=plan_id)
