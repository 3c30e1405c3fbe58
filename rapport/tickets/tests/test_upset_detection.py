"""An upset customer's message or logged call marks the ticket; 12315 and the like flag it at risk
and tell the supervisors (rapport.tickets.upset, on rapport.assist's detector)."""

import pytest
from django.urls import reverse

from rapport.assist.models import UpsetAssessment
from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.customers.services import IdentityInput, customer_create
from rapport.interactions.models import Purpose
from rapport.interactions.services import interaction_log
from rapport.notifications.models import Notification
from rapport.tickets.tests.factories import in_progress
from rapport.tickets.tests.test_messaging import EMAIL, receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(agent, team):
    return customer_create(
        by=agent, name="张伟", identities=[IdentityInput("email", EMAIL)], service_team=team
    )


@pytest.fixture
def account(team):
    return ChannelAccount.objects.create(
        kind="email",
        name="客服邮箱",
        address="service@ruitai.example.cn",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )


def test_an_angry_email_marks_its_ticket_upset_with_the_reasons(agent, customer, account):
    ticket = in_progress(agent, customer)
    receive(account, subject=f"回复：[{ticket.number}]", body="太过分了！修了三次还是漏油！")
    ticket.refresh_from_db()
    assert ticket.customer_upset and not ticket.regulator_risk
    event = ticket.events.get(action="upset_detected")
    assert event.data["intensity"] == 2 and "太过分" in event.body
    assert not Notification.objects.filter(kind="upset_risk").exists()


def test_a_calm_12315_mention_flags_the_risk_and_tells_the_supervisor_once(
    agent,
    supervisor,
    customer,
    account,
):
    ticket = in_progress(agent, customer)
    receive(
        account,
        subject=f"回复：[{ticket.number}]",
        body="您好，如果周五前没有答复，我将向12315投诉。",
    )
    receive(account, subject=f"回复：[{ticket.number}]", body="我已经联系了律师。")
    ticket.refresh_from_db()
    assert ticket.customer_upset and ticket.regulator_risk
    notes = Notification.objects.filter(kind="upset_risk")
    assert [n.recipient_id for n in notes] == [supervisor.pk]
    page = _page(agent, ticket)
    assert "12315" in page and 'id="upset-top"' in page


def test_a_calm_message_changes_nothing(agent, customer, account):
    ticket = in_progress(agent, customer)
    inbound = receive(
        account, subject=f"回复：[{ticket.number}]", body="刹车失灵了，请尽快安排检查，谢谢。"
    )
    ticket.refresh_from_db()
    assert not ticket.customer_upset
    assessment = UpsetAssessment.objects.get(source="message", source_id=inbound.message_id)
    assert (assessment.upset, assessment.intensity, assessment.ticket_id) == (False, 0, ticket.pk)


def test_a_logged_angry_call_marks_the_customers_open_ticket(agent, customer):
    ticket = in_progress(agent, customer)
    interaction_log(
        by=agent,
        customer=customer,
        channel="phone",
        direction="inbound",
        purpose=Purpose.objects.get(code="complaint"),
        summary="客户非常生气，说再不处理就找媒体曝光。",
    )
    ticket.refresh_from_db()
    assert ticket.customer_upset and ticket.regulator_risk


def test_a_failing_detector_never_loses_the_message(agent, customer, account, monkeypatch):
    from rapport.tickets import upset

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(upset, "upset_assess", broken)
    ticket = in_progress(agent, customer)
    inbound = receive(account, subject=f"回复：[{ticket.number}]", body="太过分了！")
    assert inbound.state == InboundMessage.State.PROCESSED
    assert ticket.events.filter(kind="customer_message").count() == 1


def _page(user, ticket) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()


def test_an_angry_message_in_the_inbox_shows_the_reasons_on_the_conversation(
    agent, customer, account
):
    from rapport.channels.models import Conversation

    receive(account, subject="投诉", body="你们这是欺骗消费者！我要去消协投诉！")
    conversation = Conversation.objects.get()
    from django.test import Client

    client = Client()
    client.force_login(agent)
    page = client.get(f"/inbox/{conversation.pk}/").content.decode()
    assert 'id="upset-top"' in page and "消协" in page
