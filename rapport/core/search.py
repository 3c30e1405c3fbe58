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
