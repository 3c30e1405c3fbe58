import pytest
from django.core.exceptions import ValidationError

from rapport.tickets import services
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db


def _chosen_remedy(ticket, by):
    remedy = services.remedy_offer(ticket=ticket, by=by, kind="apology", description="回访致歉")
    services.remedy_choose(remedy=remedy, by=by)


def test_a_survey_follow_up_resolves_only_with_its_root_cause(agent):
    ticket = in_progress(agent, source=Ticket.Source.SURVEY)
    _chosen_remedy(ticket, agent)
    with pytest.raises(ValidationError) as exc:
        services.ticket_transition(ticket=ticket, by=agent, action="resolve", resolution="已回电")
    assert "root_cause" in exc.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.root_cause == ""
    services.ticket_transition(
        ticket=ticket,
        by=agent,
        action="resolve",
        resolution="已回电并免费复检",
        root_cause="交车前未做全车检查,漏检漆面划痕",
    )
    ticket.refresh_from_db()
    assert (ticket.status, ticket.root_cause) == ("resolved", "交车前未做全车检查,漏检漆面划痕")


def test_other_tickets_do_not_need_a_root_cause(agent):
    ticket = in_progress(agent)
    _chosen_remedy(ticket, agent)
    services.ticket_transition(ticket=ticket, by=agent, action="resolve", resolution="已处理")
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"
