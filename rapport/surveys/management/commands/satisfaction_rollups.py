"""Rebuild the satisfaction rollups, or check them against a full recomputation."""

from django.core.management.base import BaseCommand, CommandError

from rapport.surveys.analysis import rollup_figures_check
from rapport.surveys.rollups import rollup_check, rollup_rebuild


class Command(BaseCommand):
    help = (
        "--rebuild: rebuild the satisfaction rollup of every day before today. --check: compare "
        "every current day's rollup rows with a recomputation from the surveys, and every "
        "figure of the analysis (loyalty too; for all sends and each tier, channel, ticket type "
        "and questionnaire) with the same figure computed live; non-zero on a difference."
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
            rows = rollup_check()
            figures = rollup_figures_check()
            for line in (rows + figures)[:50]:
                self.stdout.write(line)
            if rows or figures:
                raise CommandError(
                    f"{len(rows)} rollup rows differ from the surveys; "
                    f"{len(figures)} figures of the analysis differ from the live ones."
                )
            self.stdout.write("The rollup and every figure equal a full recomputation.")
