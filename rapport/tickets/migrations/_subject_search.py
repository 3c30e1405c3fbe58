"""Shared by the migrations that (re)create the SQLite subject search triggers."""

import importlib


def create(apps, schema_editor):
    original = importlib.import_module("rapport.tickets.migrations.0008_ticket_subject_search")
    if schema_editor.connection.vendor == "sqlite":
        for statement in original.SQLITE_UP:
            schema_editor.execute(statement)
