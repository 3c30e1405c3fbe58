"""Substring search over Customer.search_text with an index on both engines.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: pg_trgm's GIN index, used by plain LIKE '%…%'. Where the extension cannot be created
(no privilege), search still works, by scanning.
"""

from django.db import migrations, transaction

SQLITE_UP = [
    "CREATE VIRTUAL TABLE customers_customer_fts USING fts5(search_text, content='customers_customer', content_rowid='id', tokenize='trigram')",
    """CREATE TRIGGER customers_customer_fts_ai AFTER INSERT ON customers_customer BEGIN
         INSERT INTO customers_customer_fts(rowid, search_text) VALUES (new.id, new.search_text);
       END""",
    """CREATE TRIGGER customers_customer_fts_ad AFTER DELETE ON customers_customer BEGIN
         INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
       END""",
    """CREATE TRIGGER customers_customer_fts_au AFTER UPDATE OF search_text ON customers_customer BEGIN
         INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
         INSERT INTO customers_customer_fts(rowid, search_text) VALUES (new.id, new.search_text);
       END""",
    "INSERT INTO customers_customer_fts(customers_customer_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS customers_customer_fts_ai",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customer_fts_au",
    "DROP TABLE IF EXISTS customers_customer_fts",
]


def backfill_pinyin(apps, schema_editor):
    from rapport.core.text import pinyin_full, pinyin_initials

    Customer = apps.get_model("customers", "Customer")
    for customer in Customer.objects.filter(name_initials="").only("id", "name").iterator():
        Customer.objects.filter(pk=customer.pk).update(
            name_pinyin=pinyin_full(customer.name)[:300],
            name_initials=pinyin_initials(customer.name)[:100],
        )


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
                    "CREATE INDEX IF NOT EXISTS customer_search_trgm ON customers_customer "
                    "USING gin (search_text gin_trgm_ops)"
                )
        except Exception:  # noqa: BLE001 - no privilege for the extension: search scans instead
            pass


def drop_index(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)
    elif connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_search_columns")]

    operations = [
        migrations.RunPython(backfill_pinyin, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
