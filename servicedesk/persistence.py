"""A new request, its first events and its notifications, written in one statement.

Intake is the hottest write of the system: every shop, channel and integration comes through it.
On PostgreSQL the request id is drawn from its sequence first, then the request, its events and
its outbox messages go in as one statement (data-modifying WITH clauses): one round trip instead of
BEGIN, three INSERTs and COMMIT, and a single statement is atomic by itself, so nothing is
acknowledged that is not committed. Inside a caller's transaction a savepoint keeps a refused
insert (a repeated Idempotency-Key) from spoiling it. Other databases take the ORM path.
"""

from collections.abc import Callable, Sequence

from django.db import connection, models, transaction

from servicedesk.models import OutboxMessage, RequestEvent, ServiceRequest


def insert_new_request(
    request: ServiceRequest,
    events: Sequence[RequestEvent],
    messages_for: Callable[[ServiceRequest], list[OutboxMessage]],
) -> list[OutboxMessage]:
    """Insert ``request`` with ``events`` and the messages ``messages_for(request)`` builds once
    the request has its id; returns the messages (with ids)."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            request.save(force_insert=True)
            return _children_by_orm(request, events, messages_for(request))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [ServiceRequest._meta.db_table]
        )
        request.pk = cursor.fetchone()[0]
    messages = messages_for(request)
    for child in [*events, *messages]:
        child.request = request
    sql, params = _one_statement(request, events, messages)
    if connection.in_atomic_block:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
    request._state.adding, request._state.db = False, connection.alias
    if messages:
        for message, pk in zip(messages, sorted(ids), strict=True):
            message.pk = pk  # ids come from one sequence in row order
            message._state.adding, message._state.db = False, connection.alias
    return messages


def _children_by_orm(request, events, messages) -> list[OutboxMessage]:
    for child in [*events, *messages]:
        child.request = request
    RequestEvent.objects.bulk_create(events)
    return OutboxMessage.objects.bulk_create(messages)


def _insert(objs: Sequence[models.Model], *, returning: bool = False) -> tuple[str, list]:
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or objs[0].pk]
    params, rows = [], []
    for obj in objs:
        for field in fields:
            value = field.pre_save(obj, add=True)  # auto_now(_add) fields take their value here
            params.append(field.get_db_prep_save(value, connection))
        rows.append("(" + ", ".join(["%s"] * len(fields)) + ")")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {', '.join(rows)}"
    return sql + (" RETURNING id" if returning else ""), params


def _one_statement(request, events, messages) -> tuple[str, list]:
    """WITH w0 AS (INSERT request), w1 AS (INSERT events) INSERT messages RETURNING id."""
    head = [_insert([request]), _insert(events)]
    if messages:
        tail = _insert(messages, returning=True)
    else:
        head, tail = head[1:], _insert([request], returning=True)
    sql = "WITH " + ", ".join(f"w{i} AS ({part})" for i, (part, _) in enumerate(head))
    params = [p for _, part_params in head for p in part_params]
    return f"{sql} {tail[0]}", params + tail[1]
