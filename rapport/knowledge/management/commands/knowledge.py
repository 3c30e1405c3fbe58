"""`rapport knowledge reindex`: rebuild the search index over articles and archived cases (after
a change to the domain dictionary, data/userdict.txt, or to the segmentation)."""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Knowledge base maintenance: `reindex` rebuilds the search index."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reindex", help="Rebuild the search index over articles and cases.")

    def handle(self, *args, action: str, **options) -> None:
        from rapport.knowledge.search import reindex

        started = time.monotonic()
        counts = reindex(log=lambda line: self.stdout.write(line))
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {counts['articles']} articles and {counts['cases']} cases "
                f"in {time.monotonic() - started:.1f}s."
            )
        )
