from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run a background worker: takes queued tasks from the database and runs the periodic "
        "sweeps. Start as many as you like, on as many machines as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0)

    def handle(self, *args, **options):
        from rapport.core.periodic import start_scheduler

        start_scheduler()
        call_command("db_worker", interval=options["interval"], queue_name="*")
