"""Shops from an import file: check every cell as the model would, then upsert them in bulk.

The file (read by ``imports.readers``) has one header row; each column may be named in English or
in Chinese (``SHOP_COLUMNS``), unknown columns are ignored. Two phases:

1. ``shop_rows_check`` parses and validates every row with the validators of ``customers.models``
   and collects every problem as a ``RowError`` (row, column, message). It writes nothing.
2. ``shop_rows_write`` runs only for a file without a single error, inside the caller's
   transaction. Shops are matched by licence number: a new licence creates a shop, an existing
   one UPDATES that shop with the file's values (the file is the master data; a blank optional
   cell clears the manager or the channels but keeps the business type and opening date).
   Each shop is classified under the active rule set in Python (memoised per grade/star/market/
   business key) and written with one INSERT … ON CONFLICT per batch; every new shop and every
   change of class gets a ``SegmentChange`` row, as ``services.shop_create`` would record.

The column helpers (``Column``, ``RowError``, ``resolve_headers``, the cell parsers) are shared
with ``commerce.importers``.
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import STAFF_ROLES, User
from customers import segmentation, services
from customers.models import (
    SHOP_MASTER_FIELDS,
    BusinessType,
    ContactChannel,
    Grid,
    MarketType,
    SegmentChange,
    Shop,
)

BATCH = 2000
Progress = Callable[[int, int], None]  # (rows done, rows in all)


# --- shared helpers -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: its English key and its Chinese header name."""

    key: str
    zh: str
    required: bool = True

    @property
    def label(self) -> str:
        """How errors name the column, whatever language the file's header used."""
        return f"{self.zh}/{self.key}"


@dataclass(frozen=True)
class RowError:
    row: int | None  # the spreadsheet row (the header is row 1); None for the whole file
    column: str  # a Column.label, or "" for the whole row
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class CellError(Exception):
    """One cell's value is not valid; ``message`` is already translated."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _header_key(header: str) -> str:
    return re.sub(r"\s+", "", header).lower()


def resolve_headers(
    headers: Iterable[str], columns: tuple[Column, ...]
) -> tuple[dict[str, str], list[RowError]]:
    """Map each column key to the header the file uses for it; errors for missing or repeated.

    A column is recognised by its English key, its Chinese name or both ("电话/phone").
    """
    names: dict[str, Column] = {}
    for column in columns:
        for name in (column.key, column.zh, column.label):
            names[_header_key(name)] = column
    found: dict[str, str] = {}
    errors = []
    for header in headers:
        column = names.get(_header_key(header)) if header else None
        if column is None:
            continue
        if column.key in found:
            errors.append(
                RowError(1, column.label, _("This column appears more than once in the header."))
            )
            continue
        found[column.key] = header
    for column in columns:
        if column.required and column.key not in found:
            errors.append(RowError(1, column.label, _("This column is missing from the header.")))
    return found, errors


def messages_of(exc: ValidationError) -> str:
    """A ValidationError's messages as one line."""
    return " ".join(exc.messages)


def run_field_validators(model_field: models.Field, value: Any) -> Any:
    """The model field's own validators (length, ranges, formats), as full_clean runs them."""
    try:
        model_field.run_validators(value)
    except ValidationError as exc:
        raise CellError(messages_of(exc)) from None
    return value


def parse_text(model_field: models.Field, raw: str, *, required: bool = True) -> str:
    """Stripped text checked by the field's validators; blank only when not required."""
    if not raw:
        if required:
            raise CellError(str(model_field.error_messages["blank"]))
        return ""
    return run_field_validators(model_field, raw)


def parse_int(model_field: models.Field, raw: str) -> int:
    """A whole number (12 or 12.0) checked by the field's validators (ranges)."""
    try:
        number = Decimal(raw)
        # No whole number we store has more than 18 digits; 1e999999999 must not become an int.
        if not number.is_finite() or number.adjusted() > 18:
            raise InvalidOperation
        if number != number.to_integral_value():
            raise InvalidOperation
        value = int(number)
    except (InvalidOperation, ValueError):
        raise CellError(str(model_field.error_messages["invalid"]) % {"value": raw}) from None
    return run_field_validators(model_field, value)


def parse_decimal(model_field: models.DecimalField, raw: str, *, round_to_field=False) -> Decimal:
    """A decimal checked by the field's validators; optionally rounded to its places."""
    try:
        value = Decimal(raw)
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise CellError(str(model_field.error_messages["invalid"]) % {"value": raw}) from None
    if round_to_field and value.adjusted() < model_field.max_digits:
        value = value.quantize(Decimal(1).scaleb(-model_field.decimal_places), ROUND_HALF_UP)
    return run_field_validators(model_field, value)


_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$|^(\d{4})(\d{2})(\d{2})$")


def parse_date(model_field: models.Field, raw: str) -> date:
    """2024-03-01, 2024/3/1, 2024.3.1, 20240301 or 2024年3月1日."""
    match = _DATE_RE.match(raw)
    if match is None:
        raise CellError(str(model_field.error_messages["invalid"]) % {"value": raw})
    parts = [int(p) for p in match.groups() if p is not None]
    try:
        return date(*parts)
    except ValueError:
        raise CellError(str(model_field.error_messages["invalid_date"]) % {"value": raw}) from None


def choice_names(choices: type[models.TextChoices], zh_names: dict[str, tuple[str, ...]]):
    """Every accepted spelling of each choice: the code, the Chinese names, the labels."""
    names = {}
    for code, label in choices.choices:
        names[code.lower()] = code
        for name in zh_names.get(code, ()):
            names[name] = code
        for language in ("en", "zh-hans"):
            with translation.override(language):
                names[str(label).strip().lower()] = code
    return names


def parse_choice(model_field: models.Field, raw: str, names: dict[str, str]) -> str:
    """The choice code for any accepted spelling (see choice_names)."""
    code = names.get(raw.lower())
    if code is None:
        raise CellError(str(model_field.error_messages["invalid_choice"]) % {"value": raw})
    return code


def chunks(items: list, size: int = BATCH) -> Iterator[list]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- shops ----------------------------------------------------------------------------------

SHOP_COLUMNS = (
    Column("licence_no", "许可证号"),
    Column("name", "店名"),
    Column("owner_name", "负责人"),
    Column("phone", "电话"),
    Column("address", "地址"),
    Column("latitude", "纬度"),
    Column("longitude", "经度"),
    Column("grid_code", "网格编码"),
    Column("business_type", "业态", required=False),
    Column("market_type", "市场类型"),
    Column("grade", "档级"),
    Column("star", "星级"),
    Column("account_manager", "客户经理", required=False),
    Column("contact_channels", "联系方式", required=False),
    Column("opened_on", "开业日期", required=False),
)
COLUMN_BY_KEY = {c.key: c for c in SHOP_COLUMNS}

# The names these codes go by in the trade's own spreadsheets (the first is what exports write).
BUSINESS_TYPE_NAMES = {
    BusinessType.CONVENIENCE: ("便利店",),
    BusinessType.SUPERMARKET: ("超市", "商场"),
    BusinessType.TOBACCO_LIQUOR: ("烟酒店", "烟酒商店"),
    BusinessType.GROCERY: ("食杂店", "小卖部"),
    BusinessType.KIOSK: ("亭棚", "报刊亭"),
    BusinessType.CATERING: ("餐饮店", "餐饮"),
    BusinessType.ENTERTAINMENT: ("娱乐场所", "娱乐服务类"),
    BusinessType.OTHER: ("其他",),
}
MARKET_TYPE_NAMES = {MarketType.URBAN: ("城镇", "城市"), MarketType.RURAL: ("乡村", "农村")}

_CHANNEL_SPLIT = re.compile(r"[,，、;；\s]+")


def _field(name: str) -> models.Field:
    return Shop._meta.get_field(name)


@dataclass
class ShopCheck:
    """Phase 1's result: the cleaned rows (model field values) and every error found."""

    columns: set[str] = field(default_factory=set)  # the column keys the file has
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0


@dataclass(frozen=True)
class ShopWriteResult:
    created: int
    updated: int
    classified_moves: int


class _ShopRowParser:
    """Turns one row of text into model field values, raising CellError per bad cell."""

    def __init__(self) -> None:
        self.grids = dict(Grid.objects.values_list("code", "pk"))
        self.managers = dict(
            User.objects.filter(role__in=STAFF_ROLES, is_active=True).values_list("username", "pk")
        )
        self.business_types = choice_names(BusinessType, BUSINESS_TYPE_NAMES)
        self.market_types = choice_names(MarketType, MARKET_TYPE_NAMES)
        self.channels = frozenset(ContactChannel.values)
        self.fields = {
            name: _field(name) for name in ("licence_no", *SHOP_MASTER_FIELDS, "opened_on")
        }

    def cell(self, key: str, raw: str) -> tuple[str, Any]:
        """(model field, value) for column ``key``; value None means "blank, keep or default"."""
        f = self.fields
        if key in ("licence_no", "phone"):
            return key, parse_text(f[key], re.sub(r"\s+", "", raw))
        if key in ("name", "owner_name", "address"):
            return key, parse_text(f[key], raw)
        if key in ("latitude", "longitude"):
            if not raw:
                raise CellError(str(f[key].error_messages["blank"]))
            return key, parse_decimal(f[key], raw, round_to_field=True)
        if key in ("grade", "star"):
            if not raw:
                raise CellError(str(f[key].error_messages["blank"]))
            return key, parse_int(f[key], raw)
        if key == "grid_code":
            if not raw:
                raise CellError(str(f["grid"].error_messages["blank"]))
            if raw not in self.grids:
                raise CellError(_("No grid has the code %(code)s.") % {"code": raw})
            return "grid_id", self.grids[raw]
        if key == "market_type":
            if not raw:
                raise CellError(str(f[key].error_messages["blank"]))
            return key, parse_choice(f[key], raw, self.market_types)
        if key == "business_type":
            return key, parse_choice(f[key], raw, self.business_types) if raw else None
        if key == "account_manager":
            if raw and raw not in self.managers:
                raise CellError(
                    _("No active staff member has the user name %(username)s.") % {"username": raw}
                )
            return "account_manager_id", self.managers[raw] if raw else None
        if key == "contact_channels":
            channels = [c.lower() for c in _CHANNEL_SPLIT.split(raw) if c]
            for channel in channels:
                if channel not in self.channels:
                    raise CellError(
                        _("Unknown contact channel: %(channel)s") % {"channel": channel}
                    )
            return key, list(dict.fromkeys(channels))
        if key == "opened_on":
            return key, parse_date(f[key], raw) if raw else None
        raise KeyError(key)


def shop_rows_check(
    headers: list[str],
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    progress: Progress | None = None,
    total_hint: int = 0,
) -> ShopCheck:
    """Phase 1: validate every row of a shop file; nothing is written."""
    header_of, header_errors = resolve_headers(headers, SHOP_COLUMNS)
    check = ShopCheck(columns=set(header_of), errors=header_errors)
    if header_errors:
        return check
    parser = _ShopRowParser()
    first_row_of: dict[str, int] = {}
    keys = [c.key for c in SHOP_COLUMNS if c.key in header_of]
    for count, (number, raw) in enumerate(rows, start=1):
        values: dict[str, Any] = {}
        row_ok = True
        for key in keys:
            try:
                name, value = parser.cell(key, raw.get(header_of[key], ""))
            except CellError as exc:
                check.errors.append(RowError(number, COLUMN_BY_KEY[key].label, exc.message))
                row_ok = False
                continue
            values[name] = value
        licence = values.get("licence_no")
        if licence:
            if licence in first_row_of:
                message = _("Licence number %(licence_no)s also appears in row %(row)s.") % {
                    "licence_no": licence,
                    "row": first_row_of[licence],
                }
                check.errors.append(RowError(number, COLUMN_BY_KEY["licence_no"].label, message))
                row_ok = False
            else:
                first_row_of[licence] = number
        if row_ok:
            check.rows.append((number, values))
        check.row_count = count
        if progress is not None and count % 1000 == 0:
            progress(count, max(total_hint, count))
    if progress is not None:
        progress(check.row_count, check.row_count)
    return check


@transaction.atomic
def shop_rows_write(
    check: ShopCheck, *, actor: User | None, progress: Progress | None = None
) -> ShopWriteResult:
    """Phase 2: upsert the checked rows by licence number and classify them (one transaction)."""
    if check.errors:
        raise ValueError("Refusing to write a shop file that has errors.")
    rule_set = services.active_rule_set()
    rules = services.rules_of(rule_set) if rule_set is not None else ()
    memo: dict[tuple[int, int, str, str], str] = {}
    today = timezone.localdate()
    now = timezone.now()
    update_fields = [
        name
        for name in (*SHOP_MASTER_FIELDS, "opened_on")
        if (name if name != "grid" else "grid_code") in check.columns
    ] + ["segment", "updated_at"]
    total = len(check.rows)
    created = updated = 0
    history: list[SegmentChange] = []
    for batch in chunks(check.rows):
        # Read the existing shops inside the transaction, so the counts and the history are right
        # even if a shop was registered while the file was being checked.
        existing = {
            licence: (pk, segment, business_type, opened_on)
            for licence, pk, segment, business_type, opened_on in Shop.objects.filter(
                licence_no__in=[values["licence_no"] for _, values in batch]
            ).values_list("licence_no", "pk", "segment", "business_type", "opened_on")
        }
        shops, before = [], []
        for _row, values in batch:
            known = existing.get(values["licence_no"])
            shop = Shop(**{k: v for k, v in values.items() if v is not None})
            if values.get("business_type") is None:
                shop.business_type = known[2] if known else BusinessType.GROCERY
            if values.get("opened_on") is None:
                shop.opened_on = known[3] if known else today
            if rule_set is not None:
                key = (shop.grade, shop.star, shop.market_type, shop.business_type)
                segment = memo.get(key)
                if segment is None:
                    segment = memo[key] = segmentation.classify(
                        rules, rule_set.default_segment, *key
                    )
                shop.segment = segment
            elif known:
                shop.segment = known[1]
            shops.append(shop)
            before.append(known[1] if known else "")
        Shop.objects.bulk_create(
            shops,
            update_conflicts=True,
            unique_fields=["licence_no"],
            update_fields=update_fields,
        )
        _fill_missing_pks(shops)
        for shop, old_segment in zip(shops, before, strict=True):
            if rule_set is not None and shop.segment != old_segment:
                history.append(
                    SegmentChange(
                        shop_id=shop.pk,
                        from_segment=old_segment,
                        to_segment=shop.segment,
                        rule_set=rule_set,
                        changed_at=now,
                        changed_by=actor,
                    )
                )
        known_count = sum(1 for old in before if old)
        updated += known_count
        created += len(shops) - known_count
        if progress is not None:
            progress(created + updated, total)
    SegmentChange.objects.bulk_create(history, batch_size=BATCH)
    return ShopWriteResult(created=created, updated=updated, classified_moves=len(history))


def _fill_missing_pks(shops: list[Shop]) -> None:
    # PostgreSQL and SQLite ≥ 3.35 return the ids of upserted rows; other databases may not.
    missing = [s for s in shops if s.pk is None]
    if missing:
        ids = dict(
            Shop.objects.filter(licence_no__in=[s.licence_no for s in missing]).values_list(
                "licence_no", "pk"
            )
        )
        for shop in missing:
            shop.pk = ids[shop.licence_no]


# --- export ---------------------------------------------------------------------------------


def shop_export_headers(language: str) -> list[str]:
    """The header row of an export: the import file's own column names, so it re-imports."""
    if language.startswith("zh"):
        return [c.zh for c in SHOP_COLUMNS]
    return [c.key for c in SHOP_COLUMNS]


def shop_export_values(shop: Shop, *, phone: str, language: str) -> list[Any]:
    """One shop as a row of SHOP_COLUMNS (``phone`` already masked or not by the caller)."""
    chinese = language.startswith("zh")
    business_type = (
        BUSINESS_TYPE_NAMES[shop.business_type][0]
        if chinese and shop.business_type in BUSINESS_TYPE_NAMES
        else shop.business_type
    )
    market_type = (
        MARKET_TYPE_NAMES[shop.market_type][0]
        if chinese and shop.market_type in MARKET_TYPE_NAMES
        else shop.market_type
    )
    return [
        shop.licence_no,
        shop.name,
        shop.owner_name,
        phone,
        shop.address,
        shop.latitude,
        shop.longitude,
        shop.grid.code,
        business_type,
        market_type,
        shop.grade,
        shop.star,
        shop.account_manager.username if shop.account_manager_id else "",
        ",".join(shop.contact_channels or []),
        shop.opened_on,
    ]
