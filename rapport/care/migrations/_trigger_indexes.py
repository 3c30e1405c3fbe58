"""The date indexes care's triggers read, shared by migrations 0002 and 0004."""

from django.db import migrations

INDEXES = [
    ("care_asset_expires_on", "customers_asset", "expires_on"),
    ("care_asset_warranty_ends_on", "customers_asset", "warranty_ends_on"),
    ("care_asset_purchased_on", "customers_asset", "purchased_on"),
    ("care_asset_last_service_on", "customers_asset", "last_service_on"),
    ("care_customer_birthday", "customers_customer", "birthday"),
    (
        "care_customer_lunar_birthday",
        "customers_customer",
        "lunar_birthday_month, lunar_birthday_day",
    ),
    ("care_customer_stage_updated", "customers_customer", "lifecycle_stage, updated_at"),
    ("care_ticket_closed_at", "tickets_ticket", "closed_at"),
]


def operations() -> list:
    return [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, columns in INDEXES
    ]
