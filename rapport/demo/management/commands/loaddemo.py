from django.core.management.base import BaseCommand

from rapport.demo.appointments import self_booking_hint
from rapport.demo.build import DEMO_PASSWORD, STAFF, build_demo
from rapport.staff.models import User


class Command(BaseCommand):
    help = "Load the demo data into an empty database and print the demo logins."

    def handle(self, *args, **options):
        if User.objects.exists():
            self.stdout.write("The database already has staff; the demo data is not loaded again.")
        else:
            build_demo()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("\nDemo logins (password for all: %s):" % DEMO_PASSWORD)
        for username, display, role, teams, _year in STAFF:
            label = User.Role(role).label
            self.stdout.write(f"  {username:<10} {display:<6} {label} {'/'.join(teams)}")
        for line in self_booking_hint():
            self.stdout.write(line)
