"""Who hears of which ticket event, once (rapport.tickets.notices)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from rapport.customers.tests.factories import CustomerFactory
from rapport.notifications.models import Notification
from rapport.staff.models import Team, User
from rapport.staff.tests.factories import StaffFactory, TeamFactory
from rapport.tickets import messaging, services
from rapport.tickets.models import Ticket, TicketSettings
from rapport.tickets.tests.factories import in_progress, intake, open_ticket, resolved

pytestmark = pytest.mark.django_db


def told(kind: str) -> list[tuple[str, str]]:
    """(recipient, title in English) of each notification of `kind`, in order."""
    with translation.override("en"):
        return [
            (n.recipient.username, n.title)
            for n in Notification.objects.filter(kind=kind).select_related("recipient")
        ]


@pytest.fixture
def colleague(team):
    return StaffFactory(username="colleague", role=User.Role.REPRESENTATIVE, teams=[team])


def test_assigning_tells_the_new_assignee_only(agent, colleague, supervisor):
    ticket = open_ticket(agent)

    services.ticket_assign(ticket=ticket, by=agent, to_staff=colleague, reason="车型专长")

    assert told("ticket_assigned") == [("colleague", f"Ticket {ticket.number} was assigned to you")]
    n = Notification.objects.get(kind="ticket_assigned")
    assert n.url == f"/tickets/{ticket.pk}/" and n.actor == agent and n.body == "车型专长"


def test_opening_a_ticket_oneself_tells_nobody(agent):
    open_ticket(agent)
    assert not Notification.objects.exists()


def test_handing_to_a_supervisor_tells_the_supervisor(agent, supervisor):
    ticket = open_ticket(agent)
    services.ticket_escalate(ticket=ticket, by=agent, reason="客户情绪激动")
    assert told("ticket_assigned") == [
        ("supervisor", f"Ticket {ticket.number} was handed to you as supervisor")
    ]


def test_assigning_to_a_deactivated_user_is_refused_and_tells_nobody(agent, team):
    gone = StaffFactory(username="gone", is_active=False, teams=[team])
    ticket = open_ticket(agent)
    with pytest.raises(ValidationError):
        services.ticket_assign(ticket=ticket, by=agent, to_staff=gone)
    assert not Notification.objects.exists()


def test_an_investigation_tells_the_departments_members_and_its_answer_the_owner(
    agent, colleague, supervisor
):
    technical = TeamFactory(name="技术部", kind=Team.Kind.TECHNICAL)
    engineer = StaffFactory(username="engineer", role=User.Role.SPECIALIST, teams=[technical])
    StaffFactory(username="retired", is_active=False, teams=[technical])
    ticket = in_progress(agent)
    services.ticket_assign(ticket=ticket, by=agent, to_staff=colleague)

    investigation = services.investigation_request(
        ticket=ticket,
        by=colleague,
        team=technical,
        question="冷凝器是否漏氟?",
        due_at=timezone.now() + timedelta(days=1),
    )
    assert told("investigation_requested") == [
        ("engineer", f"Ticket {ticket.number}: your department is asked to investigate")
    ]

    services.investigation_answer(investigation=investigation, by=engineer, finding="漏氟,已补")

    # The owner (first responder) and the assignee who asked.
    assert sorted(told("investigation_answered")) == [
        ("agent", f"Ticket {ticket.number}: 技术部 answered the investigation"),
        ("colleague", f"Ticket {ticket.number}: 技术部 answered the investigation"),
    ]


def test_a_remedy_needing_approval_tells_the_teams_supervisors_and_the_decision_the_owner(
    agent, supervisor, other_team
):
    StaffFactory(username="other_sup", role=User.Role.SUPERVISOR, teams=[other_team])
    TicketSettings.objects.update(approval_threshold=500)
    ticket = in_progress(agent)

    cheap = services.remedy_offer(ticket=ticket, by=agent, kind="apology")
    assert not Notification.objects.filter(kind="approval_requested").exists()
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount="800")

    assert told("approval_requested") == [
        ("supervisor", f"Ticket {ticket.number}: a remedy waits for your approval")
    ]
    services.remedy_decide(remedy=remedy, by=supervisor, approve=False, comment="金额过高")
    assert told("approval_decided") == [
        ("agent", f"Ticket {ticket.number}: the remedy was rejected")
    ]
    assert Notification.objects.get(kind="approval_decided").body == "金额过高"
    assert cheap.approval == "not_needed"


def test_the_customers_answer_and_confirmation_tell_the_owner(client, agent, colleague):
    ticket = resolved(agent)
    services.ticket_assign(ticket=ticket, by=agent, to_staff=colleague)
    Notification.objects.all().delete()

    client.post(f"/support/t/{ticket.public_token}/confirm/")

    assert sorted(told("customer_confirmed")) == [
        ("agent", f"Ticket {ticket.number}: the customer confirmed the resolution"),
        ("colleague", f"Ticket {ticket.number}: the customer confirmed the resolution"),
    ]


def test_a_customers_message_tells_the_owner_once_per_message(agent):
    ticket = in_progress(agent)

    messaging.ticket_receive_text(
        ticket=ticket, text="照片已经拍好了", channel="email", message_id=7
    )
    messaging.ticket_receive_text(
        ticket=ticket, text="照片已经拍好了", channel="email", message_id=7
    )
    messaging.ticket_receive_text(
        ticket=ticket, text="自动回复", channel="email", automatic="auto-replied"
    )

    assert told("customer_replied") == [("agent", f"Ticket {ticket.number}: the customer replied")]
    assert Notification.objects.get(kind="customer_replied").body == "照片已经拍好了"


def test_the_customer_answering_on_the_tracking_page_tells_the_owner(agent):
    ticket = in_progress(agent)
    messaging.ticket_customer_answer(ticket=ticket, text="还没好")
    assert told("customer_replied") == [("agent", f"Ticket {ticket.number}: the customer replied")]


def test_a_public_ticket_tells_the_customers_team(agent, supervisor, other_team_agent, team):
    customer = CustomerFactory(service_team=team)
    ticket = services.ticket_create(
        by=None, customer=customer, source=Ticket.Source.PUBLIC_FORM, **intake()
    )
    assert sorted(told("public_ticket")) == [
        ("agent", f"New ticket {ticket.number} from the public form"),
        ("supervisor", f"New ticket {ticket.number} from the public form"),
    ]


def test_a_public_ticket_of_a_new_customer_tells_every_service_team(
    client, agent, other_team_agent
):
    TeamFactory(name="技术部", kind=Team.Kind.TECHNICAL)
    StaffFactory(username="engineer", teams=[Team.objects.get(name="技术部")])
    ticket, _created = services.ticket_create_public(
        submission_key="k1",
        name="孙先生",
        phone="13700001234",
        email="",
        description="保养后故障灯亮",
        customer_words="保养后故障灯亮",
        occurred_at=timezone.now() - timedelta(hours=2),
        occurred_where="朝阳店",
    )
    services.ticket_create_public(
        submission_key="k1",
        name="孙先生",
        phone="13700001234",
        email="",
        description="保养后故障灯亮",
        customer_words="保养后故障灯亮",
        occurred_at=ticket.occurred_at,
        occurred_where="朝阳店",
    )
    assert sorted(r for r, _t in told("public_ticket")) == ["agent", "other_agent"]


def test_a_mention_in_a_note_tells_that_person(agent, colleague, supervisor, team):
    li = StaffFactory(username="lina", display_name="李娜", teams=[team])
    StaffFactory(username="gone", display_name="王五", is_active=False)
    ticket = open_ticket(agent)

    services.ticket_note(
        ticket=ticket, by=agent, body="@李娜请看一下 @supervisor: 需要审批 @王五 @agent"
    )

    assert sorted(r for r, _t in told("mention")) == ["lina", "supervisor"]
    with translation.override("en"):
        n = Notification.objects.get(kind="mention", recipient=li)
        assert n.title == f"{agent.name} mentioned you on ticket {ticket.number}"
    assert "请看一下" in n.body


def test_a_note_without_a_mention_tells_nobody(agent, colleague):
    ticket = open_ticket(agent)
    services.ticket_note(ticket=ticket, by=agent, body="客户说 email@colleague 不对")
    assert not Notification.objects.filter(kind="mention").exists()
