"""Care's indexes on customers' and tickets' tables, made again after customers 0009 (asset
search keys) and tickets 0006 (merge and split) rebuilt those tables on SQLite. See 0004."""

from django.db import migrations

from rapport.care.migrations import _trigger_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_trigger_date_indexes_again"),
        ("customers", "0009_asset_search_keys"),
        ("tickets", "0006_ticket_merge_split"),
    ]

    operations = _trigger_indexes.operations()
