"""/api/commerce: orders, deliveries and payments mirrored from the ordering platform."""

from datetime import date, datetime
from decimal import Decimal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from commerce import selectors, services
from flexserve.schemas import Id, PageNumberPagination

router = Router()


class OrderFiltersIn(Schema):
    shop_id: Id | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""


class OrderListOut(Schema):
    id: int
    number: str
    shop_id: int
    shop_name: str = Field(..., alias="shop.name")
    ordered_on: date
    status: str
    total_quantity: int
    total_amount: Decimal


class OrderLineOut(Schema):
    product_code: str = Field(..., alias="product.code")
    brand: str = Field(..., alias="product.brand")
    product_name: str = Field(..., alias="product.name")
    quantity: int
    unit_price: Decimal
    amount: Decimal


class OrderOut(OrderListOut):
    lines: list[OrderLineOut]

    @staticmethod
    def resolve_lines(obj) -> list:
        return list(obj.lines.all())


class OrderLineIn(Schema):
    product_code: str = Field(..., min_length=1, max_length=20)
    quantity: int = Field(..., ge=1, le=10000)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)


class OrderIn(Schema):
    number: str = Field(..., min_length=1, max_length=24)
    licence_no: str = Field(..., min_length=12, max_length=12)
    ordered_on: date
    status: str = "confirmed"
    lines: list[OrderLineIn] = Field(..., min_length=1, max_length=200)


class DeliveryOut(Schema):
    id: int
    order_id: int
    order_number: str = Field(..., alias="order.number")
    shop_id: int
    status: str
    planned_at: datetime
    delivered_at: datetime | None
    route_code: str
    driver_name: str


class DeliveryIn(Schema):
    order_number: str = Field(..., min_length=1, max_length=24)
    status: str
    planned_at: datetime
    delivered_at: datetime | None = None
    route_code: str = Field("", max_length=20)
    driver_name: str = Field("", max_length=40)


class PaymentOut(Schema):
    id: int
    order_id: int
    order_number: str = Field(..., alias="order.number")
    shop_id: int
    amount: Decimal
    method: str
    status: str
    paid_at: datetime | None
    failure_reason: str


class PaymentIn(Schema):
    order_number: str = Field(..., min_length=1, max_length=24)
    amount: Decimal = Field(..., gt=0, max_digits=12, decimal_places=2)
    method: str
    status: str
    paid_at: datetime | None = None
    failure_reason: str = Field("", max_length=120)


class ProductOut(Schema):
    id: int
    code: str
    brand: str
    name: str
    unit_price: Decimal


@router.get("/orders", response=list[OrderListOut], summary="Orders in your scope, newest first")
@paginate(PageNumberPagination, page_size=50)
def list_orders(request, filters: Query[OrderFiltersIn]):
    return selectors.order_list(user=request.user, filters=selectors.OrderFilters(**filters.dict()))


@router.get("/orders/{order_id}", response=OrderOut)
def get_order(request, order_id: int):
    return selectors.order_get(user=request.user, order_id=order_id)


@router.post("/orders", response={201: OrderOut}, summary="Mirror an order (ordering platform)")
def create_order(request, payload: OrderIn):
    data = payload.dict()
    order = services.order_create(actor=request.user, **data)
    return Status(201, selectors.order_get(user=request.user, order_id=order.pk))


@router.get("/deliveries", response=list[DeliveryOut])
@paginate(PageNumberPagination, page_size=50)
def list_deliveries(request, shop_id: Id | None = None):
    return selectors.delivery_list(user=request.user, shop_id=shop_id)


@router.get("/deliveries/{delivery_id}", response=DeliveryOut)
def get_delivery(request, delivery_id: int):
    return selectors.delivery_get(user=request.user, delivery_id=delivery_id)


@router.post("/deliveries", response=DeliveryOut, summary="Report a delivery's status (upsert)")
def upsert_delivery(request, payload: DeliveryIn):
    delivery = services.delivery_upsert(actor=request.user, **payload.dict())
    return selectors.delivery_get(user=request.user, delivery_id=delivery.pk)


@router.get("/payments", response=list[PaymentOut])
@paginate(PageNumberPagination, page_size=50)
def list_payments(request, shop_id: Id | None = None):
    return selectors.payment_list(user=request.user, shop_id=shop_id)


@router.get("/payments/{payment_id}", response=PaymentOut)
def get_payment(request, payment_id: int):
    return selectors.payment_get(user=request.user, payment_id=payment_id)


@router.post(
    "/payments", response={201: PaymentOut}, summary="Record a payment or deduction attempt"
)
def record_payment(request, payload: PaymentIn):
    payment = services.payment_record(actor=request.user, **payload.dict())
    return Status(201, selectors.payment_get(user=request.user, payment_id=payment.pk))


@router.get("/products", response=list[ProductOut])
def list_products(request):
    return list(selectors.product_list(user=request.user))
