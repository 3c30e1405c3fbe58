"""Query helpers shared by selectors."""

from django.db.models import F, Func


def capped_count(qs, cap: int) -> int:
    """COUNT(*) over at most `cap` rows: cost bounded whatever the table holds."""
    return qs.order_by().values("pk")[:cap].count()


class Unindexed(Func):
    """A column's value spelt so SQLite's planner cannot answer a condition on it from an index
    (`+"col"`, the documented way to disqualify a term); plain on other databases.

    For a condition that should be checked row by row while another index drives the query.
    Without planner statistics SQLite guesses and usually picks the intended index; with them
    (rapport.core.dbstats) it can prefer a wide index and sort: the team queue by time left
    went from walking the clocks' due index to sorting the team's open tickets (issue 16)."""

    template = "%(expressions)s"

    def __init__(self, field: str, **extra):
        super().__init__(F(field), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)
