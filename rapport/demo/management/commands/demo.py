import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Migrate a SQLite database, load the demo data, then serve Rapport and run a worker on "
        "127.0.0.1:8000 until interrupted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Only prepare the database.")

    def handle(self, *args, **options):
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("loaddemo")
        if options["no_serve"]:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        rapport = [sys.executable, "-m", "rapport.cli"]
        worker = subprocess.Popen(
            [*rapport, "worker"], env={**os.environ, "RAPPORT_DEMO_LIVE": "true"}
        )
        self.stdout.write(
            self.style.SUCCESS(f"\nRapport is at http://{options['bind']}/  (Ctrl+C stops it)\n")
        )
        self.stdout.write(
            "Customers write to the demo mailbox every 40 seconds: watch the inbox (收件箱).\n"
        )
        try:
            subprocess.call([*rapport, "serve", "--bind", options["bind"], "--no-collectstatic"])
        except KeyboardInterrupt:
            pass
        finally:
            worker.terminate()
            worker.wait(timeout=10)
