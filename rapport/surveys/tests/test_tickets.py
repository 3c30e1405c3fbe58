"""Surveys and tickets: a closed ticket gets its survey through the sweep, once; an open
high-priority complaint holds surveys back; a bad answer comes back as a follow-up ticket."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import OutboxMessage
from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.surveys import hooks, selectors, services
from rapport.surveys.models import SurveyResponse, SurveySend, SurveySweep
from rapport.surveys.periodic import surveys_sweep_closed_tickets
from rapport.surveys.services import AnswerInput
from rapport.tickets import services as ticket_services
from rapport.tickets.models import Priority, Ticket
from rapport.tickets.tests.factories import open_ticket, resolved


def invitations():
    """Survey invitations queued in the outbox (they used to go out by send_mail)."""
    return list(OutboxMessage.objects.filter(source="survey_invitation").order_by("id"))


pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    c = CustomerFactory(name="李强")
    Identity.objects.create(customer=c, kind="email", value="liqiang@example.com", is_primary=True)
    return c


def closed(by, customer, **overrides) -> Ticket:
    ticket = resolved(by, customer, **overrides)
    return ticket_services.ticket_transition(
        ticket=ticket, by=by, action="close", satisfaction="yes"
    )


def _link(message) -> str:
    return "/s/" + message.body.split("/s/")[1].split("/")[0] + "/"


def test_closing_a_ticket_sends_its_survey_once_on_the_next_sweep(
    agent, specialist, customer, django_capture_on_commit_callbacks
):
    ticket = resolved(agent, customer)
    ticket_services.ticket_assign(ticket=ticket, by=agent, to_staff=specialist, reason="技术问题")
    ticket = ticket_services.ticket_transition(
        ticket=ticket, by=agent, action="close", satisfaction="yes"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert surveys_sweep_closed_tickets() == 1
    send = SurveySend.objects.get()
    assert send.trigger == "ticket_closed" and send.trigger_key == f"ticket:{ticket.pk}"
    assert send.ticket_id == ticket.pk and send.owner == agent and send.team == ticket.team
    assert send.ticket_type == ticket.ticket_type.code
    assert ticket.number in send.subject
    assert sorted(send.credits.values_list("staff__username", "role")) == [
        ("agent", "owner"),
        ("specialist", "transfer"),
    ]
    assert send.status == "sent" and len(invitations()) == 1
    # a second sweep, or a second worker, finds nothing new
    assert surveys_sweep_closed_tickets() == 0
    assert hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk) is None
    assert SurveySend.objects.count() == 1


def test_a_sweep_starts_after_its_cursor(agent, customer):
    closed(agent, customer)
    now = timezone.now() + timedelta(seconds=1)
    SurveySweep.objects.create(
        name="ticket_closed", swept_until=now
    )  # another worker got there first
    assert surveys_sweep_closed_tickets(now=now) == 0
    assert not SurveySend.objects.exists()


def test_open_tickets_get_no_survey(agent, customer):
    open_ticket(agent, customer)
    assert surveys_sweep_closed_tickets() == 0
    assert not SurveySend.objects.exists()


def test_an_open_high_priority_complaint_other_than_this_one_holds_the_survey_back(
    agent, supervisor, customer
):
    other = open_ticket(agent, customer)
    Ticket.objects.filter(pk=other.pk).update(priority=Priority.HIGH)
    ticket = closed(agent, customer)
    assert selectors.customer_has_open_high_priority_complaint(customer_id=customer.pk)
    assert not selectors.customer_has_open_high_priority_complaint(
        customer_id=customer.pk, except_ticket_id=other.pk
    )
    assert hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk) is None
    Ticket.objects.filter(pk=other.pk).update(priority=Priority.NORMAL)
    assert hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk) is not None


def test_from_a_bad_score_to_a_follow_up_ticket_for_the_original_owner(
    client, agent, specialist, customer, django_capture_on_commit_callbacks
):
    ticket = resolved(agent, customer)
    ticket_services.ticket_assign(ticket=ticket, by=agent, to_staff=specialist, reason="技术问题")
    ticket_services.ticket_transition(
        ticket=ticket, by=specialist, action="close", satisfaction="no"
    )
    with django_capture_on_commit_callbacks(execute=True):
        surveys_sweep_closed_tickets()
    response = client.post(
        _link(invitations()[0]), {"csat": "1", "solved": "0", "comment": "修了三次还没好"}
    )
    assert response.status_code == 200
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert follow_up.first_responder == agent and follow_up.assignee == agent
    assert follow_up.customer == customer and follow_up.is_open
    assert "修了三次还没好" in follow_up.customer_words
    assert ticket.number in follow_up.description
    answered = SurveyResponse.objects.get().submitted_at
    assert f"{timezone.localtime(answered):%Y-%m-%d %H:%M}" in follow_up.description  # site time
    # closing the follow-up does not start a survey about the survey
    Ticket.objects.filter(pk=follow_up.pk).update(
        status="closed", is_open=False, closed_at=timezone.now()
    )
    assert hooks.survey_send_for_ticket_closed(ticket_id=follow_up.pk) is None


def test_a_good_score_opens_nothing(agent, customer, django_capture_on_commit_callbacks):
    ticket = closed(agent, customer)
    with django_capture_on_commit_callbacks(execute=True):
        send = hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk)
    send.refresh_from_db()
    q = {x.code: x for x in send.template.questions.all()}
    services.survey_respond(
        send=send,
        answers=[
            AnswerInput(question=q["csat"], value=5),
            AnswerInput(question=q["solved"], value=1),
        ],
    )
    assert Ticket.objects.count() == 1


def test_a_sweep_stopped_midway_loses_no_survey(agent, customer, monkeypatch):
    """Issue 15 #2: the sweep records progress per ticket, so a worker stopped (SIGKILL, or the
    SIGTERM of a deploy) after some tickets leaves the rest for the next sweep."""
    others = [CustomerFactory(name=f"客户{i}") for i in range(4)]
    for c in others:
        Identity.objects.create(customer=c, kind="email", value=f"c{c.pk}@example.com")
    tickets = [closed(agent, c) for c in others]
    real = hooks.survey_send_for_ticket_closed
    seen = []

    def stop_after_two(*, ticket_id):
        if len(seen) == 2:
            raise SystemExit("worker stopped")
        seen.append(ticket_id)
        return real(ticket_id=ticket_id)

    monkeypatch.setattr(hooks, "survey_send_for_ticket_closed", stop_after_two)
    with pytest.raises(SystemExit):
        surveys_sweep_closed_tickets()
    assert SurveySend.objects.count() == 2
    monkeypatch.setattr(hooks, "survey_send_for_ticket_closed", real)
    assert surveys_sweep_closed_tickets() == 2
    assert surveys_sweep_closed_tickets() == 0
    assert sorted(SurveySend.objects.values_list("ticket_id", flat=True)) == sorted(
        t.pk for t in tickets
    )


def _unhappy_answer(agent, customer, django_capture_on_commit_callbacks):
    ticket = closed(agent, customer)
    with django_capture_on_commit_callbacks(execute=True):
        send = hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk)
    send.refresh_from_db()
    q = {x.code: x for x in send.template.questions.all()}
    return ticket, services.survey_respond(
        send=send,
        answers=[
            AnswerInput(question=q["csat"], value=1),
            AnswerInput(question=q["solved"], value=0),
        ],
    )


def test_a_customer_named_with_markup_still_gets_a_follow_up(
    agent, django_capture_on_commit_callbacks
):
    """Issue 15 #24: the name is quoted in the follow-up's text, not a reason to drop it."""
    customer = CustomerFactory(name="<img src=x onerror=alert(1)>王")
    Identity.objects.create(customer=customer, kind="email", value="w@example.com")
    ticket, response = _unhappy_answer(agent, customer, django_capture_on_commit_callbacks)
    follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response.follow_up_ticket == follow_up and response.follow_up_error == ""
    assert "<img" not in follow_up.subject and "<img" not in follow_up.contact_name
    assert "img src=x" in follow_up.subject and "王" in follow_up.contact_name


def test_a_follow_up_that_cannot_be_opened_says_why_on_the_list(
    client, supervisor, agent, customer, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.exceptions import ValidationError

    def refuse(*, response):
        raise ValidationError({"contact_phone": ["号码无效"]})

    monkeypatch.setattr(hooks, "survey_open_follow_up", refuse)
    _ticket, response = _unhappy_answer(agent, customer, django_capture_on_commit_callbacks)
    response.refresh_from_db()
    assert response.needs_follow_up and response.follow_up_ticket is None
    assert "号码无效" in response.follow_up_error
    assert Ticket.objects.count() == 1
    client.force_login(supervisor)
    page = client.get("/satisfaction/surveys/").content.decode()
    assert "follow-up-failed" in page and "号码无效" in page


def test_a_delivery_that_failed_is_tried_again(agent, customer, monkeypatch):
    """Issue 15 #4: a queued delivery that failed (say the database refused the timeline entry)
    is retried by the worker, once it works it is sent once."""
    from rapport.surveys import services as survey_services
    from rapport.surveys.periodic import surveys_retry_deliveries

    ticket = closed(agent, customer)
    with monkeypatch.context() as patched:
        patched.setattr(survey_services, "_enqueue_delivery", lambda send_id: None)  # lost
        send = hooks.survey_send_for_ticket_closed(ticket_id=ticket.pk)
    assert surveys_retry_deliveries() == 0  # too fresh: its own task may still run
    later = timezone.now() + timedelta(minutes=11)
    assert surveys_retry_deliveries(now=later) == 1
    send.refresh_from_db()
    assert send.status == "sent" and len(invitations()) == 1
    assert surveys_retry_deliveries(now=later) == 0
