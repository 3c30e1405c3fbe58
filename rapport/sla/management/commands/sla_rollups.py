"""Rebuild the compliance rollups, or check them against a full recomputation."""

from django.core.management.base import BaseCommand, CommandError

from rapport.sla.rollups import rollup_check, rollup_rebuild


class Command(BaseCommand):
    help = (
        "--rebuild: rebuild the compliance rollup of every day before today and the monthly "
        "carried snapshots. --check: compare every current day and snapshot with a "
        "recomputation from the clocks; non-zero on a difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, rebuild: bool, check: bool, **options):
        if not (rebuild or check):
            raise CommandError("Give --rebuild, --check or both.")
        if rebuild:
            days = rollup_rebuild(log=self.stdout.write)
            self.stdout.write(f"Rebuilt {days} days.")
        if check:
            differences = rollup_check()
            for line in differences[:50]:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"{len(differences)} rollup rows differ from the clocks.")
            self.stdout.write("The rollup equals a full recomputation.")
