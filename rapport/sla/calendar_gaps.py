"""Tell administrators when a calendar has no holidays for the coming year (issue 11 #9)."""

from django.db import transaction
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.core.calendar.selectors import calendar_year_gaps
from rapport.notifications.services import notify
from rapport.staff.models import User


def calendar_gaps_notify(*, today=None) -> int:
    """One notification per administrator, calendar and year (a repeated sweep adds none)."""
    gaps = calendar_year_gaps(today=today)
    if not gaps:
        return 0
    admins = list(User.objects.filter(is_active=True, role=User.Role.ADMIN))
    created = 0
    with transaction.atomic():
        for calendar, year in gaps:
            created += notify(
                users=admins,
                kind="calendar_gap",
                title=format_lazy(
                    _("Holidays for {year} missing in “{calendar}”"),
                    year=year,
                    calendar=calendar.name,
                ),
                url=reverse("admin:core_businesscalendar_change", args=[calendar.pk]),
                dedupe_key=f"calendar-gap:{calendar.pk}:{year}",
            )
    return created
