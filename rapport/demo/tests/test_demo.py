"""`make demo` must work: the whole demo builds through the services on an empty database."""

import pytest
from django.core.management import call_command

from rapport.customers.models import Customer
from rapport.interactions.models import Interaction
from rapport.sla.models import ServiceClock, SlaAlert
from rapport.staff.models import User
from rapport.surveys.models import SurveyResponse
from rapport.tickets.models import Ticket


@pytest.mark.django_db
def test_the_demo_builds_and_prints_the_logins(capsys):
    call_command("loaddemo")
    out = capsys.readouterr().out
    assert "rapport-demo" in out and "wangjl" in out
    assert User.objects.filter(is_active=True).count() >= 9
    assert Customer.objects.count() == 200
    assert Interaction.objects.count() >= 2000
    assert Ticket.objects.count() >= 300
    assert set(Ticket.objects.values_list("status", flat=True)) >= {
        "new",
        "classified",
        "in_progress",
        "waiting",
        "resolved",
        "closed",
        "reopened",
    }
    assert ServiceClock.objects.filter(breached_at__isnull=False).exists()
    assert SlaAlert.objects.filter(level=2).exists()  # escalated up to the service manager
    assert SurveyResponse.objects.count() > 100
    call_command("loaddemo")  # a second run changes nothing
    assert Customer.objects.count() == 200
