"""The `email` provider against a real SMTP server (aiosmtpd on 127.0.0.1): a reply to a customer's
mail leaves the outbox threaded, and account problems show on the account."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from rapport.channels import providers, services
from rapport.channels.email import own_token, parse_email, subject_ticket_number
from rapport.channels.models import ChannelAccount, Message
from rapport.channels.services.inbound import message_id_secret
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.channels.tests.helpers import mail, receive
from rapport.channels.tests.mailservers import start_smtp_sink

pytestmark = pytest.mark.django_db

DAYTIME = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


@pytest.fixture
def smtp():
    sink, controller = start_smtp_sink(users={"service@rapport.example": "AuthCode123"})
    yield sink
    controller.stop()


@pytest.fixture
def smtp_account(team, smtp):
    account = ChannelAccountFactory(
        name="售后邮箱",
        address="service@rapport.example",
        default_team=team,
        provider=ChannelAccount.Provider.STANDARD,
        config={"smtp_host": smtp.host, "smtp_port": smtp.port, "smtp_tls": "none"},
    )
    # Only the IMAP 授权码 is entered: 163/QQ use the same code for SMTP, so it is used there too.
    account.set_secrets({"imap_password": "AuthCode123"})
    account.save(update_fields=["secrets"])
    return account


def reply_to_customer(customer, thread: Message, *, subject: str, key="reply-1"):
    outbox = services.outbox_queue(
        customer=customer,
        purpose="service",
        source="ticket_reply",
        subject=subject,
        body="张先生您好，我们已安排技师周六上午为您检查。",
        thread=thread,
        ticket_id=123,
        idempotency_key=key,
    )
    return services.outbox_send(outbox_id=outbox.pk, now=DAYTIME)


def test_a_reply_arrives_by_smtp_in_the_customers_thread(smtp_account, customer, smtp):
    inbound = receive(
        smtp_account,
        mail(message_id="<q1@qq.com>", subject="发动机异响", References="<q0@qq.com>"),
    )
    thread = Message.objects.get(pk=inbound.message_id)

    sent = reply_to_customer(customer, thread, subject="回复：[T000123] 发动机异响")

    assert sent.state == "sent", sent.error
    [envelope] = smtp.messages
    assert envelope.mail_from == "service@rapport.example"
    assert envelope.rcpt_tos == ["zhangwei@qq.com"]
    arrived = parse_email(envelope.original_content, own_domain="qq.com")
    assert arrived.message_id == sent.message_id == sent.provider_message_id
    assert arrived.in_reply_to == ["q1@qq.com"]
    assert arrived.references == ["q0@qq.com", "q1@qq.com"]
    assert arrived.subject == "回复：[T000123] 发动机异响"
    assert subject_ticket_number(arrived.subject) == "T000123"
    domain = sent.message_id.rpartition("@")[2]
    assert own_token([arrived.message_id], own_domain=domain, secret=message_id_secret()) == (
        123,
        sent.pk,
    )
    smtp_account.refresh_from_db()
    assert smtp_account.last_error == ""


def test_the_customers_answer_to_our_mail_threads_back_by_our_message_id(
    smtp_account, customer, smtp
):
    first = receive(smtp_account, mail(message_id="<q1@qq.com>", subject="发动机异响"))
    sent = reply_to_customer(
        customer, Message.objects.get(pk=first.message_id), subject="回复：发动机异响"
    )

    answer = receive(
        smtp_account,
        mail(
            message_id="<q2@qq.com>",
            subject="回复：回复：发动机异响",
            In_Reply_To=f"<{sent.message_id}>",
            References=f"<q1@qq.com> <{sent.message_id}>",
        ),
    )

    threaded = Message.objects.get(pk=answer.message_id)
    assert threaded.conversation_id == sent.conversation_id is not None
    assert threaded.in_reply_to == [sent.message_id]


def test_a_wrong_smtp_password_retries_later_and_shows_on_the_account(smtp_account, customer, smtp):
    smtp_account.set_secrets({"smtp_password": "the-login-password"})
    smtp_account.save(update_fields=["secrets"])
    thread = Message.objects.get(pk=receive(smtp_account, mail()).message_id)

    sent = reply_to_customer(customer, thread, subject="回复：刹车有异响")

    assert sent.state == "queued" and sent.next_attempt_at > DAYTIME  # backs off, not failed
    assert sent.error.startswith("SMTP: ") and "授权码" in sent.error
    assert smtp.messages == []
    smtp_account.refresh_from_db()
    assert smtp_account.last_error.startswith("SMTP: ") and "授权码" in smtp_account.last_error


def test_a_refused_recipient_fails_at_once_and_the_account_stays_clean(
    smtp_account, customer, smtp
):
    smtp.refuse_rcpt = "550 5.1.1 <zhangwei@qq.com>: Recipient address rejected"
    thread = Message.objects.get(pk=receive(smtp_account, mail()).message_id)

    sent = reply_to_customer(customer, thread, subject="回复：刹车有异响")

    assert (sent.state, sent.reason) == ("failed", "provider_rejected")
    assert "5.1.1" in sent.error
    smtp_account.refresh_from_db()
    assert smtp_account.last_error == ""


def test_the_connection_test_checks_smtp_login(smtp_account, smtp):
    assert providers.check_connection(smtp_account) is None

    smtp_account.set_secrets({"imap_password": "wrong"})
    smtp_account.save(update_fields=["secrets"])
    error = providers.check_connection(smtp_account)

    assert error.startswith("SMTP: ") and "授权码" in error
