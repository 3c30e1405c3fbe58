"""The subject search triggers again: 0010 added a column, which on SQLite rebuilds
tickets_ticket and drops the triggers of 0008 with the old table (test_subject_search_triggers_exist
caught it). SQLITE_UP is idempotent and ends with a rebuild of the FTS table."""

from django.db import migrations

from rapport.tickets.migrations import _subject_search


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_ticket_regulator_risk")]

    operations = [migrations.RunPython(_subject_search.create, migrations.RunPython.noop)]
