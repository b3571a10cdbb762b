"""Bulk writes for the demo city: prebuilt tuples, no model instances.

The demo writes hundreds of thousands of rows; building a model instance per row would take most
of the time. SQLite gets ``executemany``; PostgreSQL gets ``COPY`` (its ``executemany`` quotes
every value in Python). Primary keys are assigned here (after the current maximum) so children
can name their parents without a round trip; on PostgreSQL the id sequences are moved past them
afterwards.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, Model, QuerySet

BATCH = 10_000
SHANGHAI_OFFSET = datetime.timedelta(hours=8)  # Asia/Shanghai has kept UTC+8 (no DST) since 1991


def next_id(model: type[Model]) -> int:
    """The first free primary key of ``model`` (one past the current maximum)."""
    return (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def insert(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of ``fields``, attnames) and return how many.

    Concrete fields not named get their model default, so a column added later does not break
    the demo; a required column without a default is a programming error and raises.
    """
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    unknown = [name for name in fields if name not in by_attname]
    if unknown:
        raise ValueError(f"{meta.label} has no columns {unknown}")
    extra = []
    # An automatic primary key not named is left to the database.
    filled = [
        f
        for f in meta.concrete_fields
        if not (
            f.primary_key
            and f.attname not in fields
            and f.get_internal_type() in ("AutoField", "BigAutoField", "SmallAutoField")
        )
    ]
    for field in filled:
        if field.attname in fields:
            continue
        if field.has_default():
            extra.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            extra.append(None)
        else:
            raise ValueError(f"{meta.label}.{field.attname} needs a value")
    names = [*fields, *(f.attname for f in filled if f.attname not in fields)]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(meta.db_table),
        ", ".join(quote(by_attname[name].column) for name in names),
        ", ".join(["%s"] * len(names)),
    )
    tail = tuple(extra)
    if connection.vendor == "postgresql":
        return _copy(meta.db_table, [by_attname[n].column for n in names], rows, tail)
    count = 0
    with connection.cursor() as cursor:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(tuple(row) + tail if tail else row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _copy(table: str, columns: list[str], rows: Iterable[Sequence[Any]], tail: tuple) -> int:
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(quote(table), ", ".join(quote(c) for c in columns))
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(tuple(row) + tail if tail else row)
            count += 1
    return count


def reset_sequences(models: Iterable[type[Model]]) -> None:
    """Move id sequences past the ids assigned here (PostgreSQL; a no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def timestamp_adapter() -> Callable[[datetime.datetime], Any]:
    """A function turning a naive Asia/Shanghai wall-clock time into a DateTimeField value.

    It gives what the ORM would store (UTC), without the ORM's per-value overhead.
    """
    if connection.vendor == "sqlite":
        return lambda local: str(local - SHANGHAI_OFFSET)
    return lambda local: connection.ops.adapt_datetimefield_value(
        (local - SHANGHAI_OFFSET).replace(tzinfo=datetime.UTC)
    )


def json_value(model: type[Model], field: str, value: Any) -> Any:
    """A JSONField value as the database driver expects it."""
    return model._meta.get_field(field).get_db_prep_save(value, connection)


def insert_objects(model: type[Model], objects: Sequence[Model]) -> int:
    """Insert model instances as they are, timestamps included (``bulk_create`` would overwrite
    ``auto_now`` fields with the clock, and costs several times more per row); primary keys are
    assigned here, on the objects."""
    fields = model._meta.concrete_fields
    first = next_id(model)
    rows = []
    for offset, obj in enumerate(objects):
        obj.pk = first + offset
        rows.append(tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields))
    return insert(model, [f.attname for f in fields], rows)


def delete_in_order(steps: Iterable[tuple[str, QuerySet]]) -> dict[str, int]:
    """Delete each (name, queryset) in turn in one transaction (rows that protect others go
    last); how many rows of each model went."""
    deleted = {}
    with transaction.atomic():
        for name, queryset in steps:
            deleted[name] = queryset.delete()[1].get(queryset.model._meta.label, 0)
    return deleted
