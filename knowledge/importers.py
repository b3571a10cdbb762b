"""Knowledge entries from a spreadsheet and back: all rows checked first, then all written or none.

The file (read by ``imports.readers.open_table``) has one header row; each column may be named in
English or Chinese (``ENTRY_COLUMNS``). Only the standard question, the answer and the category
are required columns; a column the file leaves out keeps what an existing entry has.

1. ``entries_check`` checks every row with ``clean_entry`` (the rules of the edit form) and
   returns the rows ready to write and every problem as a ``RowError`` (row, column, message).
2. ``entries_write`` runs only for a file without a single error, in one transaction. A row whose
   code exists updates that entry (a new version only if its content changed); a row with a new
   code, or none, creates an entry.

An export (``export_headers`` / ``export_values``) re-imports as it is: nothing changes.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import STAFF_ROLES, User
from customers.importers import (
    CellError,
    Column,
    RowError,
    choice_names,
    chunks,
    parse_choice,
    parse_date,
    resolve_headers,
)
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from imports.readers import Table
from knowledge.models import Category, Entry
from knowledge.services.entries import (
    CODE_PATTERN,
    clean_entry,
    entry_create,
    entry_update,
    snapshot_of,
)

MAX_ROWS = 5000

ENTRY_COLUMNS = (
    Column("code", "编码", required=False),
    Column("category", "分类"),
    Column("question", "标准问"),
    Column("phrasings", "相似问", required=False),
    Column("answer", "答案"),
    Column("tags", "标签", required=False),
    Column("valid_from", "生效日期", required=False),
    Column("valid_until", "失效日期", required=False),
    Column("status", "状态", required=False),
    Column("owner", "负责人", required=False),
    Column("version", "版本", required=False),
)
COLUMN_BY_KEY = {c.key: c for c in ENTRY_COLUMNS}

# The names the knowledge managers use (the first is what a Chinese export writes). The
# translated labels are accepted too (``choice_names``).
CATEGORY_NAMES = {
    Category.ORDERING: ("订货",),
    Category.DELIVERY: ("配送", "送货"),
    Category.PAYMENT: ("结算扣款", "结算", "扣款", "付款"),
    Category.LICENCE: ("许可证", "证照"),
    Category.DISPLAY: ("陈列促销", "陈列", "促销"),
    Category.PRODUCT: ("商品", "品规"),
    Category.COMPLAINT: ("投诉",),
    Category.ACCOUNT_MANAGER: ("客户经理",),
    Category.SYSTEM: ("系统使用", "系统"),
    Category.OTHER: ("其他",),
}
STATUS_NAMES = {
    Entry.Status.DRAFT: ("草稿",),
    Entry.Status.PUBLISHED: ("已发布", "发布"),
    Entry.Status.ARCHIVED: ("已归档", "归档"),
}
PHRASING_SEPARATOR = "\n"
TAG_SEPARATOR = "、"


@dataclass
class EntryRow:
    """One checked row: the entry's content as ``clean_entry`` returned it."""

    row: int
    code: str  # "" → a code is made from the category
    data: dict[str, Any]
    entry_id: int | None = None  # the entry this row updates
    version: int | None = None  # the entry's version the row was checked against
    owner: User | None = None
    unchanged: bool = False


def _label(key: str) -> str:
    return COLUMN_BY_KEY[key].label


class _Parser:
    def __init__(self) -> None:
        self.categories = choice_names(Category, CATEGORY_NAMES)
        self.statuses = choice_names(Entry.Status, STATUS_NAMES)
        self.owners = {
            u.username: u for u in User.objects.filter(role__in=STAFF_ROLES, is_active=True)
        }
        self.date_field = Entry._meta.get_field("valid_from")
        self.category_field = Entry._meta.get_field("category")
        self.status_field = Entry._meta.get_field("status")

    def content(self, key: str, raw: str) -> Any:
        """The value of column ``key`` as clean_entry takes it; CellError when unreadable."""
        if key == "category":
            if not raw:
                raise CellError(_("Choose a valid category."))
            return parse_choice(self.category_field, raw, self.categories)
        if key == "status":
            return parse_choice(self.status_field, raw, self.statuses) if raw else None
        if key in ("valid_from", "valid_until"):
            return parse_date(self.date_field, raw) if raw else None
        return raw  # question, answer, phrasings (one per line), tags (split by clean_entry)

    def owner(self, raw: str) -> User | None:
        if not raw:
            return None
        if raw not in self.owners:
            raise CellError(
                _("No active staff member has the user name %(username)s.") % {"username": raw}
            )
        return self.owners[raw]


def _version(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise CellError(_("Enter a whole number."))
    return int(raw)


def _existing(codes: list[str]) -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for batch in chunks(sorted(set(codes)), 500):
        found |= {e.code: e for e in Entry.objects.filter(code__in=batch)}
    return found


def entries_check(table: Table) -> tuple[list[EntryRow], list[RowError]]:
    """Phase 1: check every row of a knowledge file; nothing is written."""
    header_of, errors = resolve_headers(table.headers, ENTRY_COLUMNS)
    if errors:
        return [], errors
    raw_rows: list[tuple[int, dict[str, str]]] = []
    for number, raw in table.rows:
        if len(raw_rows) == MAX_ROWS:
            message = _("The file has more than %(limit)s rows; split it into smaller files.")
            return [], [RowError(None, "", message % {"limit": f"{MAX_ROWS:,}"})]
        raw_rows.append((number, {key: raw.get(header, "") for key, header in header_of.items()}))
    if not raw_rows:
        return [], [RowError(None, "", _("The file has no rows below its header."))]
    parser = _Parser()
    existing = _existing([r.get("code", "").strip().lower() for _n, r in raw_rows])
    rows: list[EntryRow] = []
    first_row_of: dict[str, int] = {}
    for number, raw in raw_rows:
        row_errors: list[RowError] = []
        code = raw.get("code", "").strip().lower()
        entry = existing.get(code) if code else None
        if code:
            if code in first_row_of:
                message = _("Code %(code)s also appears in row %(row)s.") % {
                    "code": code,
                    "row": first_row_of[code],
                }
                row_errors.append(RowError(number, _label("code"), message))
            else:
                first_row_of[code] = number
            if entry is None and not CODE_PATTERN.match(code):
                message = _("Use 2–40 lower-case letters, digits, - or _.")
                row_errors.append(RowError(number, _label("code"), message))
        # Columns the file leaves out keep the entry's content (a new entry: empty).
        data: dict[str, Any] = snapshot_of(entry) if entry is not None else {}
        for key in ("category", "question", "phrasings", "answer", "tags"):
            if key in raw:
                try:
                    data[key] = parser.content(key, raw[key])
                except CellError as exc:
                    row_errors.append(RowError(number, _label(key), exc.message))
        for key in ("valid_from", "valid_until", "status"):
            if key in raw:
                try:
                    value = parser.content(key, raw[key])
                except CellError as exc:
                    row_errors.append(RowError(number, _label(key), exc.message))
                    continue
                if value is not None or key != "status":
                    data[key] = value
        owner = version = None
        try:
            owner = parser.owner(raw.get("owner", ""))
        except CellError as exc:
            row_errors.append(RowError(number, _label("owner"), exc.message))
        try:
            version = _version(raw.get("version", ""))
        except CellError as exc:
            row_errors.append(RowError(number, _label("version"), exc.message))
        if entry is not None and version is not None and version != entry.version:
            message = _(
                "This entry was changed after the file was made (now version %(version)s); "
                "export it again and apply your change to the new file."
            ) % {"version": entry.version}
            row_errors.append(RowError(number, _label("version"), message))
        cleaned = _clean(number, data, row_errors)
        if row_errors:
            errors.extend(row_errors)
            continue
        row = EntryRow(row=number, code=code, data=cleaned, owner=owner)
        if entry is not None:
            row.entry_id, row.version = entry.pk, entry.version
            same_owner = owner is None or owner.pk == entry.owner_id
            row.unchanged = same_owner and _as_snapshot(cleaned) == snapshot_of(entry)
        rows.append(row)
    return rows, errors


def _clean(number: int, data: dict[str, Any], row_errors: list[RowError]) -> dict[str, Any]:
    # Cells already refused are not reported twice by clean_entry.
    refused = {e.column for e in row_errors}
    try:
        return clean_entry(data)
    except Invalid as exc:
        for field, messages in exc.fields.items():
            label = _label(field) if field in COLUMN_BY_KEY else ""
            if label not in refused:
                row_errors.append(RowError(number, label, " ".join(str(m) for m in messages)))
        return {}


def _as_snapshot(fields: dict[str, Any]) -> dict[str, Any]:
    """Cleaned fields in the form of ``snapshot_of`` (dates as ISO text)."""
    return fields | {
        name: fields[name].isoformat() if fields[name] else None
        for name in ("valid_from", "valid_until")
    }


@transaction.atomic
def entries_write(actor: User | None, rows: list[EntryRow]) -> dict[str, int]:
    """Phase 2: write the checked rows in one transaction; counts by outcome.

    A row checked against a version someone has since replaced raises ``EntryChanged`` and
    nothing of the file is kept.
    """
    if actor is not None:
        policy.require(actor, Perm.KNOWLEDGE_EDIT)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    note = _("Imported from a file")
    for row in rows:
        if row.entry_id is None:
            entry_create(actor=actor, data=row.data, code=row.code, owner=row.owner, note=note)
            counts["created"] += 1
        elif row.unchanged:
            counts["unchanged"] += 1
        else:
            entry_update(
                actor=actor,
                entry_id=row.entry_id,
                data=row.data,
                expected_version=row.version,
                owner=row.owner,
                note=note,
            )
            counts["updated"] += 1
    return counts


# --- export ---------------------------------------------------------------------------------


def export_headers(language: str) -> list[str]:
    """The header row of an export: the import's own column names, so it re-imports."""
    if language.startswith("zh"):
        return [c.zh for c in ENTRY_COLUMNS]
    return [c.key for c in ENTRY_COLUMNS]


def export_values(entry: Entry, language: str) -> list[Any]:
    """One entry as a row of ENTRY_COLUMNS (select_related the owner)."""
    chinese = language.startswith("zh")
    category = CATEGORY_NAMES[entry.category][0] if chinese else entry.category
    status = STATUS_NAMES[entry.status][0] if chinese else entry.status
    return [
        entry.code,
        category,
        entry.question,
        PHRASING_SEPARATOR.join(entry.phrasings),
        entry.answer,
        TAG_SEPARATOR.join(entry.tags),
        entry.valid_from,
        entry.valid_until,
        status,
        entry.owner.username if entry.owner_id else "",
        entry.version,
    ]
