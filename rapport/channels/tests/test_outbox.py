from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.channels import registry, services
from rapport.channels.models import (
    FakeSentMessage,
    Message,
    MessagingSettings,
    OutboxMessage,
)
from rapport.channels.services.outbox import BACKOFF, MAX_ATTEMPTS
from rapport.core.errors import Conflict
from rapport.customers.models import Identity
from rapport.interactions.models import Interaction

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAYTIME = datetime(
    2026, 11, 20, 10, 0, tzinfo=SHANGHAI
)  # in the past: interactions refuse the future
NIGHT = datetime(2026, 12, 7, 22, 30, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


def queue(customer, key="k-1", **kwargs):
    fields = {"purpose": "service", "source": "test", "body": "您的车已修好。"}
    fields.update(kwargs)
    return services.outbox_queue(customer=customer, idempotency_key=key, **fields)


def send(outbox, now=DAYTIME):
    return services.outbox_send(outbox_id=outbox.pk, now=now)


def test_queue_picks_the_reachable_channel_and_address(account, customer):
    outbox = queue(customer)
    assert (outbox.channel, outbox.to_address, outbox.account) == (
        "email",
        "zhangwei@qq.com",
        account,
    )
    assert outbox.state == "queued" and outbox.message_id.endswith("@rapport.example")


def test_an_undeliverable_address_is_not_chosen(account, customer):
    Identity.objects.filter(value="zhangwei@qq.com").update(undeliverable_at=timezone.now())
    outbox = queue(customer)
    assert outbox.to_address == ""
    assert send(outbox).state == "refused" and outbox.__class__.objects.get().reason == (
        "no_address"
    )


def test_templates_render_in_the_customer_s_language(account, customer, settings):
    zh = queue(
        customer,
        key="zh",
        template_code="tracking_link",
        context={"ticket_number": "T000123", "tracking_url": "https://x.example/t/abc"},
        body=None,
    )
    assert zh.subject == "您的服务单 T000123 的进度查询链接"
    assert zh.body.startswith("张伟，您好：") and "https://x.example/t/abc" in zh.body
    assert settings.COMPANY_NAME in zh.body
    customer.language = "en"
    customer.save()
    en = queue(
        customer,
        key="en",
        template_code="tracking_link",
        context={"ticket_number": "T000123", "tracking_url": "https://x.example/t/abc"},
        body=None,
    )
    assert en.subject == "Follow your request T000123"
    assert en.body.startswith("Dear 张伟,")


def test_template_variables_are_not_html_escaped(account, customer):
    outbox = queue(
        customer,
        template_code="ticket_reply",
        subject="A & B <发动机>",
        body="请带上 <行驶证> & 保单",
        context={"ticket_number": "T1", "tracking_url": "u"},
    )
    assert "<行驶证> & 保单" in outbox.body and outbox.subject.startswith("A & B <发动机>")


def test_the_same_key_returns_the_first_row_and_another_request_conflicts(account, customer):
    first = queue(customer)
    assert queue(customer).pk == first.pk
    with pytest.raises(Conflict) as exc:
        queue(customer, body="另一条")
    assert exc.value.code == "idempotency_key_reused"
    assert OutboxMessage.objects.count() == 1


def test_bad_input_is_refused_by_field(account, customer):
    with pytest.raises(ValidationError) as exc:
        services.outbox_queue(
            customer=customer,
            purpose="spam",
            source="",
            body="",
            channel="pigeon",
            idempotency_key="",
        )
    assert set(exc.value.message_dict) == {
        "purpose",
        "source",
        "body",
        "channel",
        "idempotency_key",
    }
    with pytest.raises(ValidationError) as exc:
        queue(customer, template_code="nope")
    assert "template_code" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        queue(customer, to_address="not an address")
    assert "to_address" in exc.value.message_dict
    assert not OutboxMessage.objects.exists()


def test_sent_records_an_interaction_and_a_message_and_the_fake_provider_got_it(
    account, customer, agent
):
    outbox = queue(customer, by=agent, subject="维修完成")
    sent = send(outbox)
    assert sent.state == "sent" and sent.sent_at == DAYTIME and sent.attempts == 1
    fake = FakeSentMessage.objects.get()
    assert (fake.idempotency_key, fake.to_address, fake.calls) == ("k-1", "zhangwei@qq.com", 1)
    message = Message.objects.get(outbox=sent)
    assert message.direction == "outbound" and message.message_id == sent.message_id
    assert message.sender == account.address and message.recipients == ["zhangwei@qq.com"]
    interaction = Interaction.objects.get(pk=sent.interaction_id)
    assert (interaction.direction, interaction.channel, interaction.staff) == (
        "outbound",
        "email",
        agent,
    )
    assert send(outbox) is None  # nothing left to do: no second send
    assert FakeSentMessage.objects.get().calls == 1


@pytest.mark.parametrize(
    ("change", "purpose", "reason"),
    [
        ({"is_deceased": True}, "service", "deceased"),
        ({"do_not_contact": True}, "service", "do_not_contact"),
        ({"marketing_opt_out": True}, "marketing", "marketing_consent"),
    ],
)
def test_stop_conditions_are_checked_when_sending(account, customer, change, purpose, reason):
    outbox = queue(customer, purpose=purpose)  # queued while everything was fine
    for name, value in change.items():
        setattr(customer, name, value)
    customer.save()
    result = send(outbox)
    assert (result.state, result.reason) == ("refused", reason)
    assert not FakeSentMessage.objects.exists() and not Message.objects.exists()


def test_marketing_consent_does_not_stop_service_messages(account, customer):
    customer.marketing_opt_out = True
    customer.save()
    assert send(queue(customer)).state == "sent"


def test_a_merged_customer_is_not_written_to(account, customer, manager):
    from rapport.customers.services import customer_merge
    from rapport.customers.tests.factories import CustomerFactory

    # The merge moves queued rows to the survivor; a row queued afterwards from a page that
    # still showed the duplicate is refused.
    customer_merge(survivor=CustomerFactory(), duplicate=customer, by=manager)
    outbox = queue(customer, to_address="zhangwei@qq.com")
    assert send(outbox).reason == "merged"


def test_an_address_that_bounced_since_queueing_is_refused(account, customer):
    outbox = queue(customer)
    Identity.objects.filter(value="zhangwei@qq.com").update(undeliverable_at=timezone.now())
    assert send(outbox).reason == "undeliverable"


def test_marketing_in_quiet_hours_waits_for_their_end(account, customer):
    outbox = queue(customer, purpose="marketing")
    with time_machine.travel(NIGHT, tick=False):
        result = services.outbox_send(outbox_id=outbox.pk)
    assert result.state == "queued" and result.attempts == 0
    assert result.next_attempt_at == datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)
    assert not FakeSentMessage.objects.exists()
    assert services.outbox_send_due(now=NIGHT + timedelta(hours=1)) == 0
    with time_machine.travel(datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI), tick=False):
        assert services.outbox_send_due() == 1
    assert OutboxMessage.objects.get().state == "sent"


def test_service_messages_may_go_in_quiet_hours_unless_the_setting_says_no(account, customer):
    with time_machine.travel(NIGHT, tick=False):
        assert services.outbox_send(outbox_id=queue(customer, key="a").pk).state == "sent"
        rules = MessagingSettings.current()  # saved: the pipeline's copy is forgotten at once
        rules.service_in_quiet_hours = False
        rules.save()
        held = services.outbox_send(outbox_id=queue(customer, key="b").pk)
    assert held.state == "queued"
    assert held.next_attempt_at == datetime(2026, 12, 8, 8, 0, tzinfo=SHANGHAI)


def test_quiet_hours_within_one_day(customer):
    from datetime import time

    from rapport.channels.services import quiet_hours_end

    rules = MessagingSettings(quiet_hours_start=time(12), quiet_hours_end=time(14))
    assert quiet_hours_end(DAYTIME, rules) is None
    noon = datetime(2026, 12, 7, 13, 0, tzinfo=SHANGHAI)
    assert quiet_hours_end(noon, rules) == datetime(2026, 12, 7, 14, 0, tzinfo=SHANGHAI)
    rules.quiet_hours_end = time(12)
    assert quiet_hours_end(noon, rules) is None  # start == end: no quiet hours


def test_the_marketing_cap_counts_the_last_seven_days(account, customer):
    for n in range(2):
        assert send(queue(customer, key=f"m{n}", purpose="marketing")).state == "sent"
    third = send(queue(customer, key="m2", purpose="marketing"))
    assert (third.state, third.reason) == ("refused", "frequency_cap")
    assert send(queue(customer, key="s", purpose="service")).state == "sent"  # service: no cap
    week_later = DAYTIME + timedelta(days=7, minutes=1)
    assert send(queue(customer, key="m3", purpose="marketing"), now=week_later).state == "sent"


def test_transient_failures_back_off_then_fail(account, customer):
    Identity.objects.create(customer=customer, kind="email", value="x@transient-failure.invalid")
    outbox = queue(customer, to_address="x@transient-failure.invalid")
    now = DAYTIME
    for attempt in range(1, MAX_ATTEMPTS):
        result = send(outbox, now=now)
        assert (result.state, result.attempts) == ("queued", attempt)
        assert result.next_attempt_at == now + BACKOFF[attempt - 1]
        assert "451" in result.error
        assert send(outbox, now=result.next_attempt_at - timedelta(seconds=1)) is None
        now = result.next_attempt_at
    assert [b.total_seconds() / 60 for b in BACKOFF[:4]] == [1, 5, 30, 120]
    final = send(outbox, now=now)
    assert (final.state, final.reason, final.attempts) == ("failed", "too_many_attempts", 6)
    assert not Message.objects.exists()


def test_a_permanent_failure_fails_at_once(account, customer):
    outbox = queue(customer, to_address="x@permanent-failure.invalid")
    result = send(outbox)
    assert (result.state, result.reason) == ("failed", "provider_rejected")
    assert "550" in result.error and result.attempts == 1


def test_an_expired_lease_may_be_taken_over_and_a_running_one_not(account, customer):
    outbox = queue(customer)
    OutboxMessage.objects.filter(pk=outbox.pk).update(
        state="sending", lease_until=DAYTIME + timedelta(minutes=1), attempts=1
    )
    assert send(outbox, now=DAYTIME) is None
    assert send(outbox, now=DAYTIME + timedelta(minutes=2)).state == "sent"


def test_a_late_worker_whose_lease_was_taken_over_records_nothing(account, customer, monkeypatch):
    from rapport.channels import providers
    from rapport.channels.services import outbox as outbox_module

    outbox = queue(customer)
    real_send = providers.send

    def slow(row, acc):
        # While this worker talks to the provider its lease runs out; another worker sends.
        OutboxMessage.objects.filter(pk=row.pk).update(attempts=5)
        return real_send(row, acc)

    monkeypatch.setattr(outbox_module.providers, "send", slow)
    result = send(outbox)
    assert result.state == "sending"  # not ours to record any more
    assert not Message.objects.exists()


def test_listeners_hear_about_each_change_after_commit(
    account, customer, django_capture_on_commit_callbacks
):
    heard = []
    registry.register_outbox_listener(listener := lambda o: heard.append((o.pk, o.state)))
    try:
        outbox = queue(customer)
        with django_capture_on_commit_callbacks(execute=True):
            send(outbox)
            assert heard == []  # not before commit
    finally:
        registry.unregister(listener)
    assert heard == [(outbox.pk, "sent")]


def test_the_email_provider_sends_our_message_id_in_the_thread(account, customer, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    account.provider = "standard"
    account.save()
    outbox = queue(
        customer,
        subject="回复：刹车有异响 [T000123]",
        body="您好，请明天到店。",
        auto_submitted="auto-replied",
    )
    OutboxMessage.objects.filter(pk=outbox.pk).update(
        thread_message_id="abc@qq.com", thread_references=["root@qq.com", "abc@qq.com"]
    )
    result = send(outbox)
    assert result.state == "sent"
    (sent,) = django_mail.outbox
    message = sent.message()
    assert message["Message-ID"] == f"<{outbox.message_id}>"
    assert message["In-Reply-To"] == "<abc@qq.com>"
    assert "<root@qq.com>" in message["References"]
    assert message["Subject"] == "回复：刹车有异响 [T000123]"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message.get_content().strip() == "您好，请明天到店。"
