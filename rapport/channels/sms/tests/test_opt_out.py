"""Inbound SMS: matched by mobile, opt-out words withdraw marketing consent, one confirmation."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.models import InboundMessage, MessageTemplate, OutboxMessage
from rapport.channels.services import inbound_process, outbox_queue, outbox_send
from rapport.channels.sms.providers import InboundSms
from rapport.channels.sms.services import is_opt_out, sms_inbound_accept
from rapport.customers.models import Consent, Customer
from rapport.customers.selectors import consent_allows
from rapport.customers.services import consent_record
from rapport.interactions.models import Interaction

pytestmark = pytest.mark.django_db

FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "TDNtdn"}


@st.composite
def opt_out_variants(draw):
    word = draw(st.sampled_from(["TD", "T", "N", "td", "t", "n", "Td", "tD", "退订"]))
    chars = [FULL_WIDTH[c] if c in FULL_WIDTH and draw(st.booleans()) else c for c in word]
    space = st.sampled_from(["", " ", "  ", "\u3000", "\n", "\t"])
    return draw(space) + "".join(chars) + draw(space)


@given(opt_out_variants())
@settings(max_examples=200, deadline=None)
def test_every_width_case_and_spacing_of_the_words_is_an_opt_out(text):
    assert is_opt_out(text)


@pytest.mark.parametrize(
    "text", ["", "TD退订谢谢", "不要退订", "DT", "NO", "T D", "好的", "TDD", "请问T是什么", "1"]
)
def test_other_messages_are_not(text):
    assert not is_opt_out(text)


def receive(account, text, ident, phone="13912345678"):
    (result,) = sms_inbound_accept(
        account=account, messages=[InboundSms(phone=phone, text=text, provider_id=f"fake:{ident}")]
    )
    inbound_process(inbound_id=result["inbound_id"])
    return InboundMessage.objects.get(pk=result["inbound_id"])


def test_td_withdraws_marketing_logs_it_and_confirms_once(sms_account, customer):
    consent_record(customer=customer, purpose="marketing", granted=True, source="form")
    inbound = receive(sms_account, "ＴＤ", "1")
    assert inbound.state == "processed", inbound.error
    customer.refresh_from_db()
    assert customer.marketing_opt_out is True
    assert not consent_allows(customer=customer, purpose="marketing", channel="sms")
    row = Consent.objects.filter(customer=customer).first()
    assert (row.granted, row.source, row.recorded_by) == (False, "sms_reply", None)
    assert (
        Interaction.objects.filter(customer=customer, summary__contains="ＴＤ").count() == 2
    )  # the message itself and the withdrawal
    confirmations = OutboxMessage.objects.filter(source="sms_opt_out")
    assert confirmations.count() == 1
    assert (confirmations.get().channel, confirmations.get().to_address) == (
        "sms",
        "+8613912345678",
    )

    receive(sms_account, "退订", "2")  # again: already withdrawn
    assert OutboxMessage.objects.filter(source="sms_opt_out").count() == 1
    assert Consent.objects.filter(customer=customer).count() == 2


def test_an_unknown_number_becomes_a_potential_customer(sms_account, customer):
    inbound = receive(sms_account, "你好，我想预约保养", "3", phone="+8613700001111")
    assert inbound.message.customer.tier == Customer.Tier.POTENTIAL
    assert inbound.message.customer != customer


def test_a_number_in_another_notation_finds_the_customer(sms_account, customer):
    inbound = receive(sms_account, "收到", "4", phone="0086 139-1234-5678")
    assert inbound.message.customer == customer


def test_an_invalid_number_is_quarantined_with_the_reason(sms_account):
    inbound = receive(sms_account, "x", "5", phone="12")
    assert inbound.state == "quarantined" and "12" in inbound.error


def test_the_same_reply_twice_is_one_record(sms_account, customer):
    receive(sms_account, "好的", "6")
    receive(sms_account, "好的", "6")
    assert InboundMessage.objects.count() == 1


# --- The outbox side ----------------------------------------------------------------------------


def test_marketing_sms_without_consent_is_refused_and_with_consent_sent(sms_account, customer):
    refused = outbox_queue(
        customer=customer,
        purpose="marketing",
        source="test",
        body="双十一保养八折",
        channel="sms",
        idempotency_key="m1",
    )
    assert refused.body == "双十一保养八折 回T退订"
    refused = outbox_send(outbox_id=refused.pk)
    assert (refused.state, refused.reason) == ("refused", "no_consent")
    consent_record(
        customer=customer, purpose="marketing", granted=True, source="form", channel="sms"
    )
    sent = outbox_queue(
        customer=customer,
        purpose="marketing",
        source="test",
        body="双十一保养八折",
        channel="sms",
        idempotency_key="m2",
    )
    assert outbox_send(outbox_id=sent.pk).state == "sent"


def test_marketing_after_withdrawal_names_the_withdrawal(sms_account, customer):
    consent_record(customer=customer, purpose="marketing", granted=False, source="sms_reply")
    customer.refresh_from_db()
    row = outbox_queue(
        customer=customer,
        purpose="marketing",
        source="test",
        body="x 回T退订",
        channel="sms",
        idempotency_key="m3",
    )
    assert row.body == "x 回T退订"  # not appended twice
    assert outbox_send(outbox_id=row.pk).reason == "marketing_consent"


def test_the_signature_is_not_repeated_in_the_text(sms_account, customer):
    row = outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="【瑞宝客服】您的车已修好",
        channel="sms",
        idempotency_key="s1",
    )
    assert row.body == "您的车已修好"


def test_a_marketing_template_without_the_opt_out_is_refused():
    template = MessageTemplate(
        code="promo", name="促销", purpose="marketing", body_zh="保养八折", body_en="20% off"
    )
    with pytest.raises(ValidationError) as exc:
        template.full_clean()
    assert set(exc.value.message_dict) == {"body_zh", "body_en"}
    template.body_zh, template.body_en = "保养八折，回T退订", "20% off. 回T退订"
    template.full_clean()


@pytest.mark.parametrize(
    ("code", "state", "permanent_reason"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", "queued", ""),
        ("isv.SMS_TEMPLATE_ILLEGAL", "failed", "provider_rejected"),
        ("isv.MOBILE_NUMBER_ILLEGAL", "failed", "provider_rejected"),
    ],
)
def test_provider_errors_fail_or_back_off(
    aliyun_account, customer, fake_http, code, state, permanent_reason
):
    row = outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="x",
        channel="sms",
        idempotency_key="e1",
    )
    fake_http.answer({"Code": code, "Message": "m"})
    row = outbox_send(outbox_id=row.pk)
    assert (row.state, row.reason) == (state, permanent_reason)
    assert row.error.startswith(code)
    if state == "queued":
        assert row.next_attempt_at > row.created_at  # backs off


def test_a_template_without_a_provider_code_fails_with_the_reason(aliyun_account, customer):
    from rapport.channels.sms.models import SmsTemplateCode

    SmsTemplateCode.objects.all().delete()
    row = outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="x",
        channel="sms",
        idempotency_key="e2",
    )
    row = outbox_send(outbox_id=row.pk)
    assert row.state == "failed"
    assert "SMS_" not in row.error and ("模板" in row.error or "template" in row.error)
