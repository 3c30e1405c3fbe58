from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from rapport.core.calendar.compute import add_business_minutes
from rapport.core.calendar.selectors import (
    calendar_get_default,
    calendar_snapshot_build,
    describe_week,
)
from rapport.core.calendar.services import (
    calendar_import_exceptions,
    calendar_seed_official_days,
    read_exception_file,
)
from rapport.core.errors import DomainError
from rapport.core.models import BusinessCalendar


class Command(BaseCommand):
    help = (
        "Business calendars: `rapport calendar seed [--calendar NAME] [--years 2025 2026]` adds "
        "China's holidays and make-up working days from chinesecalendar; `rapport calendar import "
        "FILE [--calendar NAME] [--replace]` imports dated exceptions from a .csv or .xlsx file; "
        "`rapport calendar show` lists calendars; `rapport calendar due START MINUTES` computes a "
        "due instant."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="Add official holidays and 调休 from chinesecalendar")
        seed.add_argument("--calendar", help="Calendar name (default: the default calendar)")
        seed.add_argument("--years", type=int, nargs="+", default=[2025, 2026])
        imp = sub.add_parser("import", help="Import dated exceptions from a .csv or .xlsx file")
        imp.add_argument("file")
        imp.add_argument("--calendar", help="Calendar name (default: the default calendar)")
        imp.add_argument("--replace", action="store_true", help="Overwrite dates already listed")
        sub.add_parser("show", help="List calendars and their weekly hours")
        due = sub.add_parser("due", help="Add business minutes to an instant")
        due.add_argument("start", help="e.g. 2026-09-30T17:00+08:00")
        due.add_argument("minutes", type=int)
        due.add_argument("--calendar", help="Calendar name (default: the default calendar)")

    def handle(self, *args, **options):
        try:
            getattr(self, f"handle_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def calendar(self, name: str | None) -> BusinessCalendar:
        if not name:
            return calendar_get_default()
        try:
            return BusinessCalendar.objects.get(name=name)
        except BusinessCalendar.DoesNotExist as exc:
            raise CommandError(f"No calendar named {name!r}.") from exc

    def handle_seed(self, options):
        calendar = self.calendar(options["calendar"])
        result = calendar_seed_official_days(calendar=calendar, years=options["years"])
        self.stdout.write(
            f"{calendar.name}: {result.created} days added, {result.kept} already listed kept."
        )

    def handle_import(self, options):
        calendar = self.calendar(options["calendar"])
        try:
            rows = read_exception_file(options["file"])
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        result = calendar_import_exceptions(
            calendar=calendar, rows=rows, replace=options["replace"]
        )
        self.stdout.write(f"{calendar.name}: {result.created} added, {result.updated} replaced.")

    def handle_show(self, options):
        for calendar in BusinessCalendar.objects.all():
            marker = " *" if calendar.is_default else ""
            self.stdout.write(
                f"{calendar.name}{marker} ({calendar.time_zone}, "
                f"{calendar.exceptions.count()} exceptions)"
            )
            for line in describe_week(calendar_snapshot_build(calendar=calendar)):
                self.stdout.write(f"  {line}")

    def handle_due(self, options):
        calendar = self.calendar(options["calendar"])
        snapshot = calendar_snapshot_build(calendar=calendar)
        try:
            start = datetime.fromisoformat(options["start"])
        except ValueError as exc:
            raise CommandError("START must be an ISO instant like 2026-09-30T17:00+08:00.") from exc
        if start.tzinfo is None:
            start = start.replace(tzinfo=snapshot.zone)
        due = add_business_minutes(snapshot, start, options["minutes"])
        self.stdout.write(due.astimezone(snapshot.zone).isoformat())
