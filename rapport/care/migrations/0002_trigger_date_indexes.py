"""Indexes on the date columns care triggers read (rapport/care/triggers.py), so the daily
evaluation seeks the customers due on a day instead of reading the customer table.

They sit on customers' and tickets' tables but exist for care alone, so care creates them here
(plain CREATE INDEX, the same on SQLite and PostgreSQL) instead of changing those apps' models.
"""

from django.db import migrations

INDEXES = [
    ("care_asset_expires_on", "customers_asset", "expires_on"),
    ("care_asset_warranty_ends_on", "customers_asset", "warranty_ends_on"),
    ("care_asset_purchased_on", "customers_asset", "purchased_on"),
    ("care_asset_last_service_on", "customers_asset", "last_service_on"),
    ("care_customer_birthday", "customers_customer", "birthday"),
    ("care_customer_lunar_birthday", "customers_customer", "lunar_birthday_month, lunar_birthday_day"),
    ("care_customer_stage_updated", "customers_customer", "lifecycle_stage, updated_at"),
    ("care_ticket_closed_at", "tickets_ticket", "closed_at"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0001_initial"),
        ("customers", "0006_identity_undeliverable"),
        ("tickets", "0005_customer_messages"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
