"""Care's indexes on customers' and tickets' tables, made again after those apps' later migrations.

SQLite adds a column with a default by rebuilding the table, and the rebuild keeps only the
indexes Django knows of: customers 0008 (consent, preferred channel) dropped the three customer
indexes of 0002 on a fresh database. This migration runs after the latest customers and tickets
migrations and creates any that are missing (IF NOT EXISTS: a database that kept them is left as
it is). `test_trigger_indexes_exist` fails when a later migration of those apps drops them again:
give that migration's app a dependency here, or move the indexes into the models.
"""

from django.db import migrations

from rapport.care.migrations import _trigger_indexes


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0003_ready_made_programs"),
        ("customers", "0008_consent_preferred_channel"),
        ("tickets", "0005_customer_messages"),
    ]

    operations = _trigger_indexes.operations()
