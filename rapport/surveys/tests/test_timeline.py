"""An invitation is one timeline entry, written by the outbox when it is sent, without the link."""

import pytest

from rapport.channels.models import ChannelAccount, OutboxMessage
from rapport.channels.services import outbox_send
from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Interaction
from rapport.surveys import services
from rapport.surveys.models import SurveySend
from rapport.surveys.tests.factories import template

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    c = CustomerFactory(name="王芳")
    Identity.objects.create(customer=c, kind="email", value="wangfang@example.com", is_primary=True)
    return c


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


@pytest.fixture
def held(monkeypatch):
    """Queued messages stay queued until the test sends them."""
    monkeypatch.setattr("rapport.channels.services.outbox._enqueue_send", lambda outbox_id: None)


def _queue_invitation(agent, customer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send = services.survey_send(
            template=template(),
            customer=customer,
            trigger=SurveySend.Trigger.SERVICE_COMPLETED,
            trigger_key="service_completed:WO1",
            by=agent,
            owner=agent,
        )
    return send, OutboxMessage.objects.get(source="survey_invitation")


def test_an_invitation_is_one_interaction_written_only_when_the_outbox_sends_it(
    agent, customer, account, held, django_capture_on_commit_callbacks
):
    send, outbox = _queue_invitation(agent, customer, django_capture_on_commit_callbacks)
    assert outbox.state == "queued"
    assert not Interaction.objects.filter(customer=customer).exists()  # nothing before sending

    with django_capture_on_commit_callbacks(execute=True):
        sent = outbox_send(outbox_id=outbox.pk)
    assert sent.state == "sent"
    interaction = Interaction.objects.get(customer=customer)
    assert (interaction.direction, interaction.purpose.code) == ("outbound", "survey")
    assert sent.interaction_id == interaction.pk
    send.refresh_from_db()
    assert send.interaction_id == interaction.pk  # linked by the outbox listener

    # Delivering or sending again writes nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.survey_deliver(send_id=send.pk) is None
        assert outbox_send(outbox_id=outbox.pk) is None
    assert Interaction.objects.filter(customer=customer).count() == 1


def test_the_timeline_names_the_survey_and_never_holds_the_link_token(
    agent, customer, account, held, django_capture_on_commit_callbacks
):
    send, outbox = _queue_invitation(agent, customer, django_capture_on_commit_callbacks)
    token = outbox.body.split("/s/")[1].split("/")[0]
    assert SurveySend.digest(token) == SurveySend.objects.get().token_digest
    with django_capture_on_commit_callbacks(execute=True):
        outbox_send(outbox_id=outbox.pk)
    summary = Interaction.objects.get(customer=customer).summary
    assert summary.startswith(f"满意度调查邀请：{send.template.name_zh}")
    assert token not in summary and "/s/" not in summary
    assert not Interaction.objects.filter(summary__contains=token).exists()


def test_a_refused_invitation_leaves_nothing_on_the_timeline(
    agent, customer, account, held, django_capture_on_commit_callbacks
):
    send, outbox = _queue_invitation(agent, customer, django_capture_on_commit_callbacks)
    customer.do_not_contact = True
    customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_send(outbox_id=outbox.pk).state == "refused"
    assert not Interaction.objects.filter(customer=customer).exists()
    send.refresh_from_db()
    assert send.interaction_id is None
