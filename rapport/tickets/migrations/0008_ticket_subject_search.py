"""Substring search over Ticket.subject with an index on both engines, for search everywhere.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in step by triggers (as
customers 0005 does for customers). A later migration that rebuilds tickets_ticket on SQLite
drops the triggers with the old table: test_subject_search_triggers_exist says so; re-create
them then (SQLITE_UP is idempotent). PostgreSQL: pg_trgm's GIN index, used by LIKE '%…%'.
"""

from django.db import migrations, transaction

SQLITE_UP = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS tickets_ticket_fts USING fts5(subject, content='tickets_ticket', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN
         INSERT INTO tickets_ticket_fts(rowid, subject) VALUES (new.id, new.subject);
       END""",
    """CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN
         INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
       END""",
    """CREATE TRIGGER IF NOT EXISTS tickets_ticket_fts_au AFTER UPDATE OF subject ON tickets_ticket BEGIN
         INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject) VALUES ('delete', old.id, old.subject);
         INSERT INTO tickets_ticket_fts(rowid, subject) VALUES (new.id, new.subject);
       END""",
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
]
TRIGGERS = ["tickets_ticket_fts_ai", "tickets_ticket_fts_ad", "tickets_ticket_fts_au"]


def create_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        try:
            with transaction.atomic(using=connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                schema_editor.execute(
                    "CREATE INDEX IF NOT EXISTS ticket_subject_trgm ON tickets_ticket "
                    "USING gin (subject gin_trgm_ops)"
                )
        except Exception:  # noqa: BLE001 - no privilege for the extension: search scans instead
            pass


def drop_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS ticket_subject_trgm")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_saved_view")]

    operations = [migrations.RunPython(create_index, drop_index)]
