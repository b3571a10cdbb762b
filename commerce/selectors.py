"""Reads for orders, deliveries and payments; every one scoped by policy."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from commerce.models import Delivery, Order, OrderLine, Payment, Product
from flexserve import policy
from flexserve.policy import Perm


@dataclass(frozen=True)
class OrderFilters:
    shop_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""


def order_list(*, user: User, filters: OrderFilters | None = None) -> QuerySet[Order]:
    policy.require(user, Perm.ORDER_VIEW)
    qs = policy.visible(user, Order.objects.select_related("shop"))
    f = filters or OrderFilters()
    conditions = {
        "shop_id": f.shop_id,
        "ordered_on__gte": f.date_from,
        "ordered_on__lte": f.date_to,
        "status": f.status,
    }
    return qs.filter(**{k: v for k, v in conditions.items() if v not in (None, "")})


def order_get(*, user: User, order_id: int) -> Order:
    """One order with its lines, delivery and payments (API and order page): three queries."""
    policy.require(user, Perm.ORDER_VIEW)
    lines = OrderLine.objects.select_related("product").order_by("id")
    payments = Payment.objects.order_by("-id")
    return policy.get_visible(
        user,
        Order,
        order_id,
        qs=Order.objects.select_related("shop", "delivery").prefetch_related(
            Prefetch("lines", queryset=lines), Prefetch("payments", queryset=payments)
        ),
    )


def delivery_list(*, user: User, shop_id: int | None = None) -> QuerySet[Delivery]:
    policy.require(user, Perm.ORDER_VIEW)
    qs = policy.visible(user, Delivery.objects.select_related("order", "shop"))
    return qs.filter(shop_id=shop_id) if shop_id else qs


def delivery_get(*, user: User, delivery_id: int) -> Delivery:
    return policy.get_visible(user, Delivery, delivery_id, qs=delivery_list(user=user))


def payment_list(*, user: User, shop_id: int | None = None) -> QuerySet[Payment]:
    policy.require(user, Perm.ORDER_VIEW)
    qs = policy.visible(user, Payment.objects.select_related("order", "shop"))
    return qs.filter(shop_id=shop_id) if shop_id else qs


def payment_get(*, user: User, payment_id: int) -> Payment:
    return policy.get_visible(user, Payment, payment_id, qs=payment_list(user=user))


def product_list(*, user: User) -> QuerySet[Product]:
    return policy.visible(user, Product.objects.filter(is_active=True))


def recent_activity(*, user: User, shop_id: int, limit: int = 5) -> dict[str, list]:
    """A shop's latest orders, deliveries and payments (the portal home and shop detail)."""
    return {
        "orders": list(order_list(user=user, filters=OrderFilters(shop_id=shop_id))[:limit]),
        "deliveries": list(delivery_list(user=user, shop_id=shop_id)[:limit]),
        "payments": list(payment_list(user=user, shop_id=shop_id)[:limit]),
    }
