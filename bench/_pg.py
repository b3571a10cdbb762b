"""PostgreSQL helpers for the benchmarks that write big tables with SQL."""


def drop_secondary_indexes(cursor, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes of ``tables`` that back no constraint (loading is faster without them);
    returns their definitions, to build them again with ``cursor.execute`` after the load."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.tablename = ANY(%s) AND NOT EXISTS (
            SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname
        )""",
        [list(tables)],
    )
    found = cursor.fetchall()
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]
