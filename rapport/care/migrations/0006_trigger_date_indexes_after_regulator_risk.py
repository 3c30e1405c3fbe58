"""Care's indexes made again after tickets 0010 (regulator_risk) rebuilt the ticket table on
SQLite (see 0004 for why; IF NOT EXISTS leaves a database that kept them as it is)."""

from django.db import migrations

from rapport.care.migrations import _trigger_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0005_trigger_date_indexes_after_merge_and_search_keys"),
        ("tickets", "0010_ticket_regulator_risk"),
    ]

    operations = _trigger_indexes.operations()
