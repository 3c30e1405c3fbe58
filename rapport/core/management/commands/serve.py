import shutil
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Rapport over HTTP with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args, **options):
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        gunicorn = shutil.which("gunicorn") or str(
            __import__("pathlib").Path(sys.executable).with_name("gunicorn")
        )
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
        raise SystemExit(subprocess.call(command))
