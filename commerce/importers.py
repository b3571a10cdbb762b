"""Orders from an import file: one row per order line; rows with the same number form one order.

Same two phases as ``customers.importers``: ``order_rows_check`` validates every row and writes
nothing; ``order_rows_write`` runs only for a file without errors, inside the caller's
transaction. Orders are mirrors of the ordering platform and never change: a number that is
already stored is an error on each of its rows, not an update. All rows of one order must name
the same shop and date. A blank unit price takes the product's list price.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import transaction
from django.utils.translation import gettext as _

from commerce.errors import OrderExists, UnknownProduct, UnknownShop
from commerce.models import Order, OrderLine, Product
from customers.importers import (
    BATCH,
    CellError,
    Column,
    Progress,
    RowError,
    chunks,
    messages_of,
    parse_date,
    parse_decimal,
    parse_int,
    parse_text,
    resolve_headers,
)
from customers.models import Shop

ORDER_COLUMNS = (
    Column("number", "订单号"),
    Column("licence_no", "许可证号"),
    Column("ordered_on", "订货日期"),
    Column("product_code", "商品编码"),
    Column("quantity", "数量"),
    Column("unit_price", "单价", required=False),
)
COLUMN_BY_KEY = {c.key: c for c in ORDER_COLUMNS}


@dataclass
class _Line:
    """One row's values; a value is None when its cell is blank (price) or was not valid."""

    row: int
    number: str | None = None
    licence_no: str | None = None
    ordered_on: date | None = None
    product_code: str | None = None
    quantity: int | None = None
    unit_price: Decimal | None = None
    valid: bool = True


@dataclass
class OrderCheck:
    """Phase 1's result: lines grouped by order number, and every error found."""

    orders: dict[str, list[_Line]] = field(default_factory=dict)
    shop_ids: dict[str, int] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0


@dataclass(frozen=True)
class OrderWriteResult:
    orders: int
    lines: int


def _label(key: str) -> str:
    return COLUMN_BY_KEY[key].label


def _parsers() -> dict[str, Callable[[str], Any]]:
    order_field, line_field = Order._meta.get_field, OrderLine._meta.get_field
    return {
        "number": lambda v: parse_text(order_field("number"), v),
        "licence_no": lambda v: parse_text(Shop._meta.get_field("licence_no"), v),
        "ordered_on": lambda v: _required_date(order_field("ordered_on"), v),
        "product_code": lambda v: parse_text(Product._meta.get_field("code"), v),
        "quantity": lambda v: _required_int(line_field("quantity"), v),
        "unit_price": lambda v: _optional_price(line_field("unit_price"), v),
    }


def _required_date(model_field, raw: str) -> date:
    if not raw:
        raise CellError(str(model_field.error_messages["blank"]))
    return parse_date(model_field, raw)


def _required_int(model_field, raw: str) -> int:
    if not raw:
        raise CellError(str(model_field.error_messages["blank"]))
    return parse_int(model_field, raw)


def _optional_price(model_field, raw: str) -> Decimal | None:
    if not raw:
        return None
    price = parse_decimal(model_field, raw)
    try:
        MinValueValidator(0)(price)
    except ValidationError as exc:
        raise CellError(messages_of(exc)) from None
    return price


def order_rows_check(
    headers: list[str],
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    progress: Progress | None = None,
    total_hint: int = 0,
) -> OrderCheck:
    """Phase 1: validate every row of an order file against the shops and products stored."""
    header_of, header_errors = resolve_headers(headers, ORDER_COLUMNS)
    check = OrderCheck(errors=header_errors)
    if header_errors:
        return check
    parsers = _parsers()
    lines: list[_Line] = []
    for count, (number, raw) in enumerate(rows, start=1):
        line = _Line(row=number)
        for key, parse in parsers.items():
            try:
                setattr(line, key, parse(raw.get(header_of[key], "") if key in header_of else ""))
            except CellError as exc:
                check.errors.append(RowError(number, _label(key), exc.message))
                line.valid = False
        lines.append(line)
        check.row_count = count
        if progress is not None and count % 1000 == 0:
            # Parsing is the first half of the check; the look-ups below are the second.
            progress(count // 2, max(total_hint, count))
    check.shop_ids = _shop_ids({line.licence_no for line in lines if line.licence_no})
    check.products = Product.objects.in_bulk(
        list({line.product_code for line in lines if line.product_code}), field_name="code"
    )
    stored = _stored_numbers({line.number for line in lines if line.number})
    first_of: dict[str, _Line] = {}
    for line in lines:
        errors = _line_errors(line, check, stored, first_of)
        check.errors.extend(errors)
        if line.valid and not errors:
            check.orders.setdefault(line.number, []).append(line)
    if check.errors:
        check.orders = {}
    position = {c.label: i for i, c in enumerate(ORDER_COLUMNS)}
    check.errors.sort(key=lambda e: (e.row or 0, position.get(e.column, 0)))
    if progress is not None:
        progress(check.row_count, check.row_count)
    return check


def _line_errors(
    line: _Line, check: OrderCheck, stored: set[str], first_of: dict[str, _Line]
) -> list[RowError]:
    """Errors that need the database or other rows: stored numbers, shops, products, agreement."""
    errors = []
    first = first_of.setdefault(line.number, line) if line.number else line
    if line.number in stored:
        message = OrderExists(number=line.number).render_message()
        errors.append(RowError(line.row, _label("number"), message))
    if line.licence_no is not None:
        if first is not line and first.licence_no and first.licence_no != line.licence_no:
            message = _("Order %(number)s has licence number %(licence_no)s in row %(row)s.") % {
                "number": line.number,
                "licence_no": first.licence_no,
                "row": first.row,
            }
            errors.append(RowError(line.row, _label("licence_no"), message))
        elif line.licence_no not in check.shop_ids:
            message = UnknownShop(licence_no=line.licence_no).render_message()
            errors.append(RowError(line.row, _label("licence_no"), message))
    if (
        line.ordered_on is not None
        and first is not line
        and first.ordered_on
        and first.ordered_on != line.ordered_on
    ):
        message = _("Order %(number)s has the order date %(date)s in row %(row)s.") % {
            "number": line.number,
            "date": first.ordered_on.isoformat(),
            "row": first.row,
        }
        errors.append(RowError(line.row, _label("ordered_on"), message))
    if line.product_code is not None and line.product_code not in check.products:
        message = UnknownProduct(code=line.product_code).render_message()
        errors.append(RowError(line.row, _label("product_code"), message))
    return errors


def _shop_ids(licences: set[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in chunks(sorted(licences)):
        ids.update(Shop.objects.filter(licence_no__in=chunk).values_list("licence_no", "pk"))
    return ids


def _stored_numbers(numbers: set[str]) -> set[str]:
    stored: set[str] = set()
    for chunk in chunks(sorted(numbers)):
        stored.update(Order.objects.filter(number__in=chunk).values_list("number", flat=True))
    return stored


@transaction.atomic
def order_rows_write(check: OrderCheck, *, progress: Progress | None = None) -> OrderWriteResult:
    """Phase 2: create the checked orders with their lines and totals (one transaction)."""
    if check.errors:
        raise ValueError("Refusing to write an order file that has errors.")
    total = sum(len(lines) for lines in check.orders.values())
    done = line_count = 0
    for numbers in chunks(list(check.orders)):
        orders, lines = [], []
        for number in numbers:
            first = check.orders[number][0]
            order = Order(
                number=number,
                shop_id=check.shop_ids[first.licence_no],
                ordered_on=first.ordered_on,
                status=Order.Status.CONFIRMED,
                total_quantity=0,
                total_amount=Decimal("0"),
            )
            for line in check.orders[number]:
                product = check.products[line.product_code]
                unit_price = line.unit_price if line.unit_price is not None else product.unit_price
                lines.append(
                    OrderLine(
                        order=order,
                        product=product,
                        quantity=line.quantity,
                        unit_price=unit_price,
                        amount=unit_price * line.quantity,
                    )
                )
                order.total_quantity += line.quantity
                order.total_amount += unit_price * line.quantity
            orders.append(order)
        Order.objects.bulk_create(orders, batch_size=BATCH)
        # Each line's order_id is taken from its (now saved) order by bulk_create itself.
        OrderLine.objects.bulk_create(lines, batch_size=BATCH)
        line_count += len(lines)
        done += len(lines)
        if progress is not None:
            progress(done, total)
    return OrderWriteResult(orders=len(check.orders), lines=line_count)
