"""Substring search over Customer.search_text with an index on both engines.

SQLite: an external-content FTS5 table with the trigram tokenizer, kept in step by triggers.
PostgreSQL: pg_trgm's GIN index, used by plain LIKE '%…%'. Where the extension cannot be created
(no privilege), search still works, by scanning.
"""

from django.db import migrations

from rapport.core.search import trigram_index_create, trigram_index_drop, trigram_sqlite_statements

INDEX = {"table": "customers_customer", "column": "search_text", "pg_index": "customer_search_trgm"}
SQLITE_UP, SQLITE_DOWN = trigram_sqlite_statements(table="customers_customer", column="search_text")


def backfill_pinyin(apps, schema_editor):
    from rapport.core.text import pinyin_full, pinyin_initials

    Customer = apps.get_model("customers", "Customer")
    for customer in Customer.objects.filter(name_initials="").only("id", "name").iterator():
        Customer.objects.filter(pk=customer.pk).update(
            name_pinyin=pinyin_full(customer.name)[:300],
            name_initials=pinyin_initials(customer.name)[:100],
        )


def create_index(apps, schema_editor):
    trigram_index_create(schema_editor, **INDEX)


def drop_index(apps, schema_editor):
    trigram_index_drop(schema_editor, **INDEX)


class Migration(migrations.Migration):
    dependencies = [("customers", "0004_customer_search_columns")]

    operations = [
        migrations.RunPython(backfill_pinyin, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
