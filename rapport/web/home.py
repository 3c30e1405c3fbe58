"""What 'my work' shows: each installed module contributes a panel through a selector."""

from django.utils import timezone

from rapport.core.calendar.selectors import calendar_year_gaps
from rapport.customers.models import Customer
from rapport.interactions.selectors import home_panel_for_staff
from rapport.tickets.selectors import home_panel_for_staff as tickets_home_panel


def home_panels(user) -> dict:
    panels: dict = {
        "today": timezone.localdate(),
        "recent_customers": list(
            Customer.objects.filter(merged_into__isnull=True).order_by("-updated_at", "-id")[:8]
        ),
    }
    panels.update(home_panel_for_staff(staff=user))
    if user.can("tickets.view"):
        panels.update(tickets_home_panel(staff=user))
    if user.can("calendars.manage"):
        panels["calendar_gaps"] = calendar_year_gaps()
    return panels
