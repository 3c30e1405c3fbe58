"""Consent: append-only statements, the current state, and what they allow."""

import pytest
from django.core.exceptions import ValidationError

from rapport.core.errors import Forbidden
from rapport.customers.models import Consent, Identity
from rapport.customers.selectors import (
    consent_allows,
    consent_and_deliverable,
    consent_current,
)
from rapport.customers.services import consent_record, customer_update
from rapport.customers.tests.factories import CustomerFactory


@pytest.fixture
def customer(db):
    return CustomerFactory(name="李娜")


def record(customer, granted, purpose="marketing", channel="", source="form", **kw):
    return consent_record(
        customer=customer, purpose=purpose, granted=granted, source=source, channel=channel, **kw
    )


@pytest.mark.parametrize(
    ("statements", "channel", "allowed"),
    [
        ([], "", True),  # marketing is opt-out outside SMS
        ([], "email", True),
        ([], "sms", False),  # 工信部令第31号: SMS marketing needs a grant
        ([(True, "")], "sms", True),
        ([(True, "sms")], "sms", True),
        ([(True, "sms")], "email", True),
        ([(False, "")], "email", False),
        ([(False, "")], "sms", False),
        ([(True, ""), (False, "sms")], "sms", False),
        ([(True, ""), (False, "sms")], "email", True),
        ([(False, "sms"), (True, "sms")], "sms", True),
        ([(False, "email")], "sms", False),
        ([(True, "sms"), (False, "")], "sms", False),
    ],
)
def test_marketing_consent_matrix(customer, statements, channel, allowed):
    for granted, on in statements:
        record(customer, granted, channel=on)
    customer.refresh_from_db()
    assert consent_allows(customer=customer, purpose="marketing", channel=channel) is allowed
    # The outbox's one-statement check decides the same.
    assert consent_and_deliverable(
        customer=customer, purpose="marketing", channel=channel, identity_kind=None, address=""
    ) == (allowed, False)


@pytest.mark.parametrize("flag", ["do_not_contact", "is_deceased"])
@pytest.mark.parametrize("purpose", ["service", "marketing"])
@pytest.mark.parametrize("channel", ["", "sms", "email", "wechat"])
def test_do_not_contact_and_deceased_allow_nothing(customer, flag, purpose, channel):
    record(customer, True, purpose=purpose)
    setattr(customer, flag, True)
    assert consent_allows(customer=customer, purpose=purpose, channel=channel) is False
    assert consent_and_deliverable(
        customer=customer, purpose=purpose, channel=channel, identity_kind=None, address=""
    ) == (False, False)


def test_the_outbox_check_says_whether_the_address_is_undeliverable(customer):
    CustomerFactory()  # another customer's rows do not count
    identity = Identity.objects.create(customer=customer, kind="email", value="li@qq.com")
    args = {"customer": customer, "purpose": "service", "channel": "email"}
    assert consent_and_deliverable(**args, identity_kind="email", address="li@qq.com") == (
        True,
        False,
    )
    Identity.objects.filter(pk=identity.pk).update(undeliverable_at="2026-01-01T00:00Z")
    assert consent_and_deliverable(**args, identity_kind="email", address="li@qq.com") == (
        True,
        True,
    )
    assert consent_and_deliverable(**args, identity_kind="phone", address="li@qq.com")[1] is False
    assert consent_and_deliverable(**args, identity_kind=None, address="li@qq.com")[1] is False
    record(customer, False, purpose="service", channel="email")
    assert consent_and_deliverable(**args, identity_kind="email", address="li@qq.com") == (
        False,
        True,
    )


def test_service_is_allowed_until_withdrawn(customer):
    assert consent_allows(customer=customer, purpose="service", channel="sms") is True
    record(customer, False, purpose="service", channel="sms")
    assert consent_allows(customer=customer, purpose="service", channel="sms") is False
    assert consent_allows(customer=customer, purpose="service", channel="email") is True


def test_marketing_opt_out_flag_follows_every_channel_statements(customer):
    record(customer, False, source="sms_reply")
    customer.refresh_from_db()
    assert customer.marketing_opt_out is True
    record(customer, True, channel="sms")  # a channel grant leaves the flag alone
    customer.refresh_from_db()
    assert customer.marketing_opt_out is True
    assert consent_allows(customer=customer, purpose="marketing", channel="sms") is False
    record(customer, True)
    customer.refresh_from_db()
    assert customer.marketing_opt_out is False


def test_the_flag_alone_still_refuses_marketing(customer):
    customer.marketing_opt_out = True
    assert consent_allows(customer=customer, purpose="marketing", channel="email") is False


def test_history_is_kept_and_the_latest_wins(customer):
    first = record(customer, True, source="form")
    second = record(customer, False, source="sms_reply")
    assert Consent.objects.filter(customer=customer).count() == 2
    assert consent_current(customer=customer, purpose="marketing") == second
    first.refresh_from_db()
    assert first.granted is True  # nothing is overwritten


def test_the_profile_tick_box_is_recorded_as_a_statement(customer, agent):
    customer_update(customer=customer, by=agent, marketing_opt_out=True)
    row = Consent.objects.get(customer=customer)
    assert (row.granted, row.source, row.recorded_by) == (False, "staff", agent)
    customer_update(customer=customer, by=agent, marketing_opt_out=True)  # unchanged: no row
    assert Consent.objects.filter(customer=customer).count() == 1


def test_staff_must_give_a_reason_and_valid_values(customer, agent):
    with pytest.raises(ValidationError) as exc:
        consent_record(
            customer=customer,
            purpose="spam",
            granted=True,
            source="pigeon",
            channel="fax",
            by=agent,
        )
    assert set(exc.value.message_dict) == {"purpose", "source", "channel", "note"}
    assert not Consent.objects.exists()


def test_staff_of_another_team_may_not_record(customer, agent, other_team_agent, other_team):
    customer.service_team = other_team
    customer.save()
    with pytest.raises(Forbidden):
        record(customer, True, by=agent, note="客户来电同意")
    assert not Consent.objects.exists()


def test_360_panel_shows_state_and_records_a_change(customer, agent, as_user):
    client = as_user(agent)
    record(customer, False, source="sms_reply")
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert 'id="consent"' in page
    response = client.post(
        f"/customers/{customer.pk}/consent/",
        {
            "purpose": "marketing",
            "channel": "sms",
            "granted": "yes",
            "source": "phone",
            "note": "客户来电同意接收短信",
        },
    )
    assert response.status_code == 302
    row = Consent.objects.order_by("-id").first()
    assert (row.channel, row.granted, row.source, row.recorded_by) == ("sms", True, "phone", agent)


def test_360_consent_form_refuses_bad_input_without_a_row(customer, agent, as_user):
    client = as_user(agent)
    response = client.post(
        f"/customers/{customer.pk}/consent/",
        {"purpose": "marketing", "granted": "maybe", "source": "staff", "note": ""},
    )
    assert response.status_code == 302
    assert not Consent.objects.exists()
