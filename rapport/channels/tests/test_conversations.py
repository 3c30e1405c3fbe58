import pytest

from rapport.channels import selectors, services
from rapport.channels.models import Conversation, Message, OutboxMessage
from rapport.channels.tests.helpers import mail, receive
from rapport.core.errors import Conflict, Forbidden, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(account, customer):
    inbound = receive(account, mail(message_id="<root.1@qq.com>"))
    OutboxMessage.objects.all().delete()  # the acknowledgement is not what these tests look at
    return Conversation.objects.get(pk=inbound.conversation_id)


def test_the_first_claim_wins_and_the_second_is_told_who_has_it(conversation, agent, supervisor):
    claimed = services.conversation_claim(conversation=conversation, by=agent)
    assert (claimed.state, claimed.claimed_by) == ("claimed", agent)
    with pytest.raises(Conflict) as exc:
        services.conversation_claim(conversation=conversation, by=supervisor)
    assert exc.value.code == "already_claimed" and agent.name in exc.value.message
    conversation.refresh_from_db()
    assert conversation.claimed_by == agent
    # Claiming one's own conversation again changes nothing.
    assert services.conversation_claim(conversation=conversation, by=agent).claimed_by == agent


def test_staff_outside_the_inbox_may_not_claim(conversation, kam):
    with pytest.raises(Forbidden):
        services.conversation_claim(conversation=conversation, by=kam)
    conversation.refresh_from_db()
    assert conversation.state == "unassigned"


def test_a_reply_goes_through_the_outbox_in_the_thread(conversation, agent):
    outbox = services.conversation_reply(
        conversation=conversation, by=agent, body="您好，请明天上午到店检查。"
    )
    assert outbox.source == "conversation_reply" and outbox.conversation == conversation
    assert outbox.thread_message_id == "root.1@qq.com"
    assert outbox.thread_references == ["root.1@qq.com"]
    assert outbox.subject.endswith("刹车有异响") and outbox.subject != "刹车有异响"
    assert outbox.created_by == agent and outbox.to_address == "zhangwei@qq.com"
    conversation.refresh_from_db()
    assert (conversation.state, conversation.claimed_by) == ("claimed", agent)
    services.outbox_send(outbox_id=outbox.pk)
    sent = Message.objects.get(outbox=outbox)
    assert sent.conversation == conversation and sent.in_reply_to == ["root.1@qq.com"]


def test_someone_else_s_conversation_cannot_be_answered(conversation, agent, supervisor):
    services.conversation_claim(conversation=conversation, by=agent)
    with pytest.raises(Conflict):
        services.conversation_reply(conversation=conversation, by=supervisor, body="你好")
    assert not OutboxMessage.objects.exists()


def test_an_empty_reply_is_refused(conversation, agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.conversation_reply(conversation=conversation, by=agent, body="  ")
    assert "body" in exc.value.message_dict


def test_close_needs_a_reason_and_happens_once(conversation, agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.conversation_close(conversation=conversation, by=agent, reason="bored")
    closed = services.conversation_close(conversation=conversation, by=agent, reason="no_action")
    assert (closed.state, closed.closed_reason, closed.closed_by) == ("closed", "no_action", agent)
    with pytest.raises(Conflict):
        services.conversation_close(conversation=conversation, by=agent, reason="spam")


def test_linking_a_ticket_marks_the_messages(conversation, agent):
    linked = services.conversation_link_ticket(
        conversation=conversation, ticket_id=77, by=agent, converted=True
    )
    assert (linked.state, linked.ticket_id) == ("converted", 77)
    assert set(conversation.messages.values_list("ticket_id", flat=True)) == {77}
    with pytest.raises(Conflict):
        services.conversation_link_ticket(conversation=conversation, ticket_id=78, by=agent)


def test_the_inbox_shows_my_teams_conversations_in_a_fixed_number_of_queries(
    account, agent, other_team_agent, django_assert_num_queries
):
    for n in range(5):
        receive(account, mail(sender=f"客户{n} <c{n}@qq.com>", subject=f"问题{n}"))
    agent = type(agent).objects.get(pk=agent.pk)  # no cached capabilities or teams
    with django_assert_num_queries(2):  # the staff member's teams, the page
        rows = list(selectors.conversation_inbox(staff=agent))
        assert [r.subject for r in rows] == [f"问题{n}" for n in reversed(range(5))]
        assert rows[0].last_sender == "c4@qq.com" and rows[0].customer.name == "客户4"
        assert rows[0].last_text.startswith("您好")
    assert selectors.conversation_inbox(staff=other_team_agent).count() == 0


def test_a_conversation_of_another_team_looks_not_found(conversation, other_team_agent, agent):
    with pytest.raises(NotFound):
        selectors.conversation_get_for_staff(
            staff=other_team_agent, conversation_id=conversation.pk
        )
    assert (
        selectors.conversation_get_for_staff(staff=agent, conversation_id=conversation.pk)
        == conversation
    )


def test_the_messages_of_a_conversation_in_three_queries(
    conversation, agent, django_assert_num_queries
):
    services.outbox_send(
        outbox_id=services.conversation_reply(conversation=conversation, by=agent, body="好").pk
    )
    with django_assert_num_queries(2):  # messages with outbox and sender; attachments
        messages = selectors.conversation_messages(conversation=conversation)
        assert [m.direction for m in messages] == ["inbound", "outbound"]
        assert messages[1].outbox.state == "sent" and list(messages[0].attachments.all()) == []
