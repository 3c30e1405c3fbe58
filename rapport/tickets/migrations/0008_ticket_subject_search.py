"""Substring search over Ticket.subject with an index on both engines, for search everywhere.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in step by triggers (as
customers 0005 does for customers). A later migration that rebuilds tickets_ticket on SQLite
drops the triggers with the old table: test_subject_search_triggers_exist says so; re-create
them then (SQLITE_UP is idempotent). PostgreSQL: pg_trgm's GIN index, used by LIKE '%…%'.
"""

from django.db import migrations

from rapport.core.search import trigram_index_create, trigram_index_drop, trigram_sqlite_statements

INDEX = {"table": "tickets_ticket", "column": "subject", "pg_index": "ticket_subject_trgm"}
SQLITE_UP, SQLITE_DOWN = trigram_sqlite_statements(table="tickets_ticket", column="subject")
TRIGGERS = ["tickets_ticket_fts_ai", "tickets_ticket_fts_ad", "tickets_ticket_fts_au"]


def create_index(apps, schema_editor):
    trigram_index_create(schema_editor, **INDEX)


def drop_index(apps, schema_editor):
    trigram_index_drop(schema_editor, **INDEX)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_saved_view")]

    operations = [migrations.RunPython(create_index, drop_index)]
