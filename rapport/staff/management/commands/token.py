from django.core.management.base import BaseCommand, CommandError

from rapport.staff.models import User
from rapport.staff.services import api_token_create


class Command(BaseCommand):
    help = "Manage API tokens: `rapport token create USER [--name NAME]` prints a new token once."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a token for USER")
        create.add_argument("username")
        create.add_argument("--name", default="")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active staff member {options['username']!r}.") from exc
        _token, raw = api_token_create(user=user, name=options["name"], via="cli")
        self.stdout.write(raw)
