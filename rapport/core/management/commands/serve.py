import os
import shutil
import sys
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rapport over HTTP with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        # Sync workers by default: measured on 2 cores, 4 threads per worker halved the ticket
        # page's throughput (the GIL and SQLite's one writer, issue 16); threads help only when
        # requests wait on the network.
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args, **options):
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
        command = [
            gunicorn,
            "rapport.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
        ]
        self.stdout.flush()
        sys.stderr.flush()
        # gunicorn takes this process's place, so SIGTERM/SIGINT from a supervisor reach it and
        # it shuts down gracefully, freeing the port (a child left running would hold it).
        os.execv(gunicorn, command)
