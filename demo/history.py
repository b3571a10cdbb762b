"""A year of weekly orders for the demo city, with a delivery and payments for each order.

Shops of a grid order on the grid's weekday; bigger shops order more often, buy more lines and
larger quantities, and lean to dearer brands. The van delivers the next working day along the
grid's route. Most payments are bank deductions; about 2 % bounce and succeed on a retry the next
day. The history runs up to the demo's ``now`` (Asia/Shanghai): this week's orders placed so far,
today's vans on the road, later deliveries still planned.
"""

import datetime
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from commerce.models import Delivery, Order, OrderLine, Payment
from demo import data, draw, sql
from demo.people import Namer

if TYPE_CHECKING:
    from demo.city import ShopLife

FLUSH_LINES = 50_000

_ORDER_FIELDS = (
    "id", "number", "shop_id", "ordered_on", "status", "total_quantity", "total_amount",
    "created_at",
)  # fmt: skip
_LINE_FIELDS = ("id", "order_id", "product_id", "quantity", "unit_price", "amount")
_DELIVERY_FIELDS = (
    "id", "order_id", "shop_id", "status", "planned_at", "delivered_at", "route_code",
    "driver_name",
)  # fmt: skip
_PAYMENT_FIELDS = (
    "id", "order_id", "shop_id", "amount", "method", "status", "paid_at", "failure_reason",
)  # fmt: skip

_SUCCEEDED = Payment.Status.SUCCEEDED.value
_FAILED = Payment.Status.FAILED.value
_PENDING = Payment.Status.PENDING.value
_METHODS = (
    (Payment.Method.BANK_DEDUCTION.value, 0.86),
    (Payment.Method.WECHAT.value, 0.94),
    (Payment.Method.ALIPAY.value, 1.0),
)


@dataclass(frozen=True)
class ProductPlan:
    id: int
    price_cents: int  # per carton (条)
    popularity: float


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def build(
    *,
    seed: int,
    now: datetime.datetime,
    weeks: int,
    shops: "list[ShopLife]",
    products: list[ProductPlan],
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write ``weeks`` weeks of orders before the Monday of ``now``, and that week's up to ``now``.

    Returns the rows written per table.
    """
    rng = random.Random(f"{seed}:orders")
    drivers = Namer(random.Random(f"{seed}:drivers"))
    ts = sql.timestamp_adapter()
    now = timezone.localtime(now).replace(tzinfo=None)  # the wall clock, as the rows are built
    today = now.date()
    one_day, one_minute = datetime.timedelta(days=1), datetime.timedelta(minutes=1)
    midnight = datetime.time()
    # Grade g leans to dearer products as g grows: weight = popularity × (price / 200)^lean.
    product_cum = [None] + [
        draw.cumulative(
            p.popularity * (p.price_cents / 20000) ** (1.4 * (g - 1) / 29 - 0.7) for p in products
        )
        for g in range(1, 31)
    ]
    order_chance = [0.0] + [0.78 + 0.2 * g / 30 for g in range(1, 31)]
    unit_prices = [_money(p.price_cents) for p in products]
    amounts: dict[tuple[int, int], Decimal] = {}
    routes: dict[int, tuple[str, str]] = {}
    for shop in shops:
        if shop.grid.id not in routes:
            routes[shop.grid.id] = (f"PS-{shop.grid.code}", drivers.full_name())

    ids = {model: sql.next_id(model) for model in (Order, OrderLine, Delivery, Payment)}
    counts = Counter()
    orders, lines, deliveries, payments = [], [], [], []

    def flush() -> None:
        counts["orders"] += sql.insert(Order, _ORDER_FIELDS, orders)
        counts["order lines"] += sql.insert(OrderLine, _LINE_FIELDS, lines)
        counts["deliveries"] += sql.insert(Delivery, _DELIVERY_FIELDS, deliveries)
        counts["payments"] += sql.insert(Payment, _PAYMENT_FIELDS, payments)
        for rows in (orders, lines, deliveries, payments):
            rows.clear()

    order_id, line_id = ids[Order], ids[OrderLine]
    delivery_id, payment_id = ids[Delivery], ids[Payment]
    first_monday = today - datetime.timedelta(days=today.weekday(), weeks=weeks)
    choices, rand = rng.choices, rng.random
    # The last round is the demo's week: only the orders placed before ``now``.
    for week in range(weeks + 1):
        monday = first_monday + datetime.timedelta(weeks=week)
        days = [monday + datetime.timedelta(days=d) for d in range(5)]
        prefixes = [f"DD{day:%Y%m%d}" for day in days]
        next_number = [1] * 5
        for shop in shops:
            weekday = shop.grid.weekday
            day = days[weekday]
            if day > today:
                continue
            if day < shop.opened_on or (shop.closed_on is not None and day >= shop.closed_on):
                continue
            grade = shop.grade
            if rand() >= order_chance[grade]:
                continue
            created = datetime.datetime.combine(day, midnight) + one_minute * (
                480 + int(rand() * 600)
            )
            if created >= now:
                continue
            number = f"{prefixes[weekday]}{next_number[weekday]:06d}"
            next_number[weekday] += 1
            wanted = min(6, 2 + int(rand() * (2.5 + grade / 6)))
            picked: list[int] = []
            while len(picked) < wanted:
                for index in choices(range(len(products)), cum_weights=product_cum[grade], k=3):
                    if index not in picked and len(picked) < wanted:
                        picked.append(index)
            total_qty = total_cents = 0
            for index in picked:
                quantity = 1 + int(rand() * (1 + grade * 0.4))
                amount = amounts.get((index, quantity))
                if amount is None:
                    amount = amounts[index, quantity] = _money(
                        products[index].price_cents * quantity
                    )
                lines.append(
                    (line_id, order_id, products[index].id, quantity, unit_prices[index], amount)
                )
                line_id += 1
                total_qty += quantity
                total_cents += products[index].price_cents * quantity
            total = _money(total_cents)

            # The van comes the next working day (Friday's orders on Monday).
            planned = (
                datetime.datetime.combine(day + one_day * (3 if weekday == 4 else 1), midnight)
                + one_minute * shop.slot_min
            )
            delivered = None
            if planned.date() > today:
                status = Delivery.Status.PLANNED.value
            else:
                outcome = rand()
                if outcome < 0.006:
                    status = Delivery.Status.FAILED.value
                else:
                    late = outcome < 0.036
                    delay = 45 + int(rand() * 135) if late else int(rng.gauss(0, 8))
                    arrival = planned + one_minute * max(-25, delay)
                    if arrival > now:
                        status = Delivery.Status.IN_TRANSIT.value
                    else:
                        status, delivered = Delivery.Status.DELIVERED.value, ts(arrival)
            route, driver = routes[shop.grid.id]
            deliveries.append(
                (delivery_id, order_id, shop.id, status, ts(planned), delivered, route, driver)
            )
            delivery_id += 1
            order_status = (
                Order.Status.DELIVERED.value
                if delivered is not None
                else Order.Status.CONFIRMED.value
            )
            orders.append(
                (order_id, number, shop.id, day, order_status, total_qty, total, ts(created))
            )

            chance = rand()
            method = next(m for m, edge in _METHODS if chance < edge)
            paid = created + one_minute * (5 + int(rand() * 85))
            if rand() < 0.02:
                reason = rng.choice(data.PAYMENT_FAILURE_REASONS)
                payments.append(
                    (payment_id, order_id, shop.id, total, method, _FAILED, None, reason)
                )
                payment_id += 1
                retry = paid + one_day + one_minute * int(rand() * 120)
                if retry > now:
                    payments.append(
                        (payment_id, order_id, shop.id, total, method, _PENDING, None, "")
                    )
                else:
                    payments.append(
                        (payment_id, order_id, shop.id, total, method, _SUCCEEDED, ts(retry), "")
                    )
            elif paid > now:
                payments.append((payment_id, order_id, shop.id, total, method, _PENDING, None, ""))
            else:
                payments.append(
                    (payment_id, order_id, shop.id, total, method, _SUCCEEDED, ts(paid), "")
                )
            payment_id += 1
            order_id += 1
        if len(lines) >= FLUSH_LINES:
            flush()
        if progress and (week + 1) % 13 == 0 and week + 1 < weeks:
            progress(f"orders, weeks 1-{week + 1}", order_id - ids[Order])
    flush()
    return dict(counts)
