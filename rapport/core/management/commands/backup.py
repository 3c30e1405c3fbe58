import json
import sqlite3
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows in every table of the SQLite database behind `conn`, read in its current snapshot."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


class Command(BaseCommand):
    help = (
        "Copy the SQLite database to DEST while Rapport keeps running (SQLite's online backup), "
        "check the copy, and print the row count of every table at the backup point as JSON. "
        "On PostgreSQL use pg_dump instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", help="the file to write; it must not exist yet")

    def handle(self, *args, **options):
        settings_dict = connections["default"].settings_dict
        if settings_dict["ENGINE"] != "django.db.backends.sqlite3":
            raise CommandError("This database is not SQLite: back it up with pg_dump.")
        dest = Path(options["dest"])
        if dest.exists():
            raise CommandError(f"{dest} exists already; give a new file.")
        dest.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(settings_dict["NAME"], isolation_level=None, timeout=20)
        target = sqlite3.connect(dest)
        try:
            # One read transaction: the counts and the copied pages are the same snapshot, while
            # writers go on in WAL mode (they are not blocked, and none of their later commits
            # is copied).
            source.execute("BEGIN")
            counts = table_counts(source)
            source.backup(target)
            source.execute("COMMIT")
            problems = target.execute("PRAGMA integrity_check").fetchall()
            if problems != [("ok",)]:
                raise CommandError(f"The copy fails its integrity check: {problems}")
            if table_counts(target) != counts:
                raise CommandError("The copy's row counts differ from the source's.")
        finally:
            target.close()
            source.close()
        self.stdout.write(json.dumps(counts, sort_keys=True))
