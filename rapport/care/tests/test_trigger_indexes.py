"""The indexes the daily evaluation seeks by exist on a freshly migrated database."""

import pytest
from django.db import connection

from rapport.care.migrations._trigger_indexes import INDEXES


@pytest.mark.django_db
def test_trigger_indexes_exist():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        else:
            cursor.execute("SELECT indexname FROM pg_indexes")
        present = {row[0] for row in cursor.fetchall()}
    missing = [name for name, _table, _columns in INDEXES if name not in present]
    assert not missing, f"dropped by a later migration of customers or tickets: {missing}"
