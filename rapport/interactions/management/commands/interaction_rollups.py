"""Rebuild the measures' rollups, or check them against a full recomputation."""

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from rapport.interactions.measures import Scope, measures_differences, month_bounds
from rapport.interactions.models import InteractionRollup
from rapport.interactions.rollups import rollup_check_days, rollup_rebuild
from rapport.staff.models import Team, User


def _periods(today) -> list[tuple[datetime, datetime]]:
    """Yesterday, the last week, this month (today live), each of the last twelve months, the
    last quarter and year, a period starting and ending within a day, and the whole history."""
    tz = timezone.get_current_timezone()

    def start(day):
        return datetime.combine(day, time.min, tzinfo=tz)

    tomorrow = start(today + timedelta(days=1))
    periods = [
        (start(today - timedelta(days=1)), start(today)),
        (start(today - timedelta(days=7)), start(today)),
        month_bounds(today),
        (start(today - timedelta(days=91)), tomorrow),
        (start(today - timedelta(days=365)), tomorrow),
        (
            start(today - timedelta(days=40)) + timedelta(hours=13),
            start(today) - timedelta(hours=5),
        ),
        (start(today.replace(year=1970, month=1, day=1)), tomorrow),
    ]
    first = today.replace(day=1)
    for _n in range(12):
        first = (first - timedelta(days=1)).replace(day=1)
        periods.append(month_bounds(first))
    return periods


def _scopes(people: int) -> list[Scope]:
    """Everyone, each team, and the `people` staff members with the most rolled-up rows."""
    busiest = (
        InteractionRollup.objects.values("staff_id")
        .annotate(rows=Count("id"))
        .order_by("-rows", "staff_id")
        .values_list("staff_id", flat=True)[:people]
    )
    return [
        Scope(),
        *(Scope(team=team) for team in Team.objects.order_by("pk")),
        *(Scope(person=person) for person in User.objects.filter(pk__in=list(busiest))),
    ]


class Command(BaseCommand):
    help = (
        "--rebuild: rebuild the interaction and agent status rollups of every day before today. "
        "--check: compare every current day's rollup with a recomputation from the rows, and the "
        "measures of a range of periods for everyone, each team and the busiest people with "
        "the same computed from the rows alone; non-zero on a difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")
        parser.add_argument("--check", action="store_true")
        parser.add_argument(
            "--people", type=int, default=5, help="How many people --check compares (5)."
        )

    def handle(self, *args, rebuild: bool, check: bool, people: int, **options):
        if not (rebuild or check):
            raise CommandError("Give --rebuild, --check or both.")
        if rebuild:
            days = rollup_rebuild(log=self.stdout.write)
            self.stdout.write(f"Rebuilt {days} days.")
        if check:
            differences = rollup_check_days()
            differences += measures_differences(
                periods=_periods(timezone.localdate()), scopes=_scopes(people)
            )
            for line in differences[:50]:
                self.stdout.write(line)
            if differences:
                raise CommandError(f"{len(differences)} differences from the rows.")
            self.stdout.write("The rollups equal a full recomputation.")
