"""Writes from the ordering platform: orders with lines, delivery and payment status."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from commerce.errors import OrderExists, UnknownOrder, UnknownProduct, UnknownShop
from commerce.models import Delivery, Order, OrderLine, Payment, Product
from customers.models import Shop
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from flexserve.validation import full_clean_or_invalid


@transaction.atomic
def order_create(
    *,
    actor: User,
    number: str,
    licence_no: str,
    ordered_on: date,
    lines: list[dict[str, Any]],
    status: str = Order.Status.CONFIRMED,
) -> Order:
    """Mirror one order from the ordering platform (lines: product_code, quantity, unit_price)."""
    policy.require(actor, Perm.COMMERCE_WRITE)
    if Order.objects.filter(number=number).exists():
        raise OrderExists(number=number)
    shop = Shop.objects.filter(licence_no=licence_no).first()
    if shop is None:
        raise UnknownShop(licence_no=licence_no)
    if not lines:
        raise Invalid(fields={"lines": [_("An order needs at least one line.")]})
    products = Product.objects.in_bulk([line["product_code"] for line in lines], field_name="code")
    order = Order(number=number, shop=shop, ordered_on=ordered_on, status=status)
    full_clean_or_invalid(order)
    built = []
    for line in lines:
        product = products.get(line["product_code"])
        if product is None:
            raise UnknownProduct(code=line["product_code"])
        unit_price = Decimal(line.get("unit_price") or product.unit_price)
        built.append(
            OrderLine(
                product=product,
                quantity=line["quantity"],
                unit_price=unit_price,
                amount=unit_price * line["quantity"],
            )
        )
    order.total_quantity = sum(line.quantity for line in built)
    order.total_amount = sum((line.amount for line in built), Decimal("0"))
    order.save()
    for line in built:
        line.order = order
    OrderLine.objects.bulk_create(built)
    return order


def _order_by_number(number: str) -> Order:
    order = Order.objects.select_for_update().filter(number=number).first()
    if order is None:
        raise UnknownOrder(number=number)
    return order


@transaction.atomic
def delivery_upsert(
    *,
    actor: User,
    order_number: str,
    status: str,
    planned_at: datetime,
    delivered_at: datetime | None = None,
    route_code: str = "",
    driver_name: str = "",
) -> Delivery:
    """Create or update the delivery of an order (the platform reports each status change)."""
    policy.require(actor, Perm.COMMERCE_WRITE)
    order = _order_by_number(order_number)
    delivery = Delivery.objects.filter(order=order).first() or Delivery(
        order=order, shop=order.shop
    )
    delivery.status, delivery.planned_at, delivery.delivered_at = status, planned_at, delivered_at
    delivery.route_code, delivery.driver_name = route_code, driver_name
    full_clean_or_invalid(delivery)
    delivery.save()
    if status == Delivery.Status.DELIVERED and order.status == Order.Status.CONFIRMED:
        order.status = Order.Status.DELIVERED
        order.save(update_fields=["status"])
    return delivery


@transaction.atomic
def payment_record(
    *,
    actor: User,
    order_number: str,
    amount: Decimal,
    method: str,
    status: str,
    paid_at: datetime | None = None,
    failure_reason: str = "",
) -> Payment:
    """Record a payment attempt for an order (a failed deduction is a payment too)."""
    policy.require(actor, Perm.COMMERCE_WRITE)
    order = _order_by_number(order_number)
    payment = Payment(
        order=order,
        shop=order.shop,
        amount=amount,
        method=method,
        status=status,
        paid_at=paid_at,
        failure_reason=failure_reason,
    )
    full_clean_or_invalid(payment)
    payment.save()
    return payment
