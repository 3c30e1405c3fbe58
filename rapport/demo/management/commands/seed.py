import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from rapport.demo.seed import SIZES, seed


class Command(BaseCommand):
    help = "Generate a benchmark dataset with bulk inserts: --size S (10k customers) or M (100k)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="S")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        started = time.monotonic()
        result = seed(size=options["size"], seed=options["seed"], log=self.stdout.write)
        self.stdout.write(f"Seeded {result} in {time.monotonic() - started:.1f}s")
