"""Engine-aware text matching for list searches."""

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

SUBSTRING_MIN = 3  # a trigram index serves substrings of three characters or more


def substring_q(*, column: str, fts_table: str | None, term: str) -> Q:
    """Rows whose column contains `term`, through the trigram index where there is one.

    On SQLite the FTS5 trigram table answers a quoted phrase as a substring match; on
    PostgreSQL pg_trgm's GIN index serves LIKE '%…%' directly.
    """
    if connection.vendor == "sqlite" and fts_table and len(term) >= SUBSTRING_MIN:
        phrase = '"' + term.replace('"', '""') + '"'
        sql = f"SELECT rowid FROM {fts_table} WHERE {fts_table} MATCH %s"
        return Q(pk__in=RawSQL(sql, [f"{column}: {phrase}"]))
    return Q(**{f"{column}__contains": term})


def prefix_ids_sql(*, table: str, fields: list[str], where: str = "") -> str:
    """SQL for the ids whose fields start with a term (one parameter pair per field), as a
    UNION of index range scans: SQLite does not turn an OR of ranges into index lookups."""
    extra = f" AND {where}" if where else ""
    return " UNION ".join(
        f"SELECT id FROM {table} WHERE {f} >= %s AND {f} < %s{extra}" for f in fields
    )


def prefix_q(*, table: str, fields: list[str], term: str, where: str = "") -> Q:
    """Rows where any of `fields` starts with `term`."""
    if connection.vendor == "sqlite":
        sql = prefix_ids_sql(table=table, fields=fields, where=where)
        params = [p for _f in fields for p in (term, term + "\U0010ffff")]
        return Q(pk__in=RawSQL(sql, params))
    q = Q()
    for f in fields:
        q |= Q(**{f"{f}__startswith": term})
    return q


# -- The trigram indexes themselves, for the migrations that create them --------------------------


def trigram_sqlite_statements(*, table: str, column: str) -> tuple[list[str], list[str]]:
    """SQLite: an external-content FTS5 table `<table>_fts` with the trigram tokenizer over one
    column, kept in step by three triggers, then filled. Returns (up, down); every statement is
    idempotent, so a migration that rebuilt `table` (dropping its triggers) can run `up` again."""
    fts = f"{table}_fts"
    up = [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({column}, content='{table}', "
        f"content_rowid='id', tokenize='trigram')",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN
         INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});
       END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN
         INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});
       END""",
        f"""CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN
         INSERT INTO {fts}({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});
         INSERT INTO {fts}(rowid, {column}) VALUES (new.id, new.{column});
       END""",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]
    down = [f"DROP TRIGGER IF EXISTS {fts}_{s}" for s in ("ai", "ad", "au")]
    return up, [*down, f"DROP TABLE IF EXISTS {fts}"]


def trigram_index_create(schema_editor, *, table: str, column: str, pg_index: str) -> None:
    """The substring index on either engine: FTS5 trigram on SQLite, pg_trgm's GIN index on
    PostgreSQL (where the extension cannot be created, search still works, by scanning)."""
    from django.db import transaction

    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in trigram_sqlite_statements(table=table, column=column)[0]:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                schema_editor.execute(
                    f"CREATE INDEX IF NOT EXISTS {pg_index} ON {table} "
                    f"USING gin ({column} gin_trgm_ops)"
                )
        except Exception:  # no privilege for the extension: search scans instead
            pass


def trigram_index_drop(schema_editor, *, table: str, column: str, pg_index: str) -> None:
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in trigram_sqlite_statements(table=table, column=column)[1]:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {pg_index}")
