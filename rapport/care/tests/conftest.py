from datetime import date, timedelta

import pytest
from django.utils import timezone

from rapport.care.models import CareSettings, Program, Segment
from rapport.channels.models import ChannelAccount, MessageTemplate, MessagingSettings
from rapport.customers.models import Asset, Identity
from rapport.customers.tests.factories import CustomerFactory


@pytest.fixture
def everyone(db):
    return Segment.objects.get(name="全部客户")


@pytest.fixture
def care_template(db):
    return MessageTemplate.objects.create(
        code="care-renewal",
        name="续保提醒",
        purpose="service",
        subject_zh="续保提醒",
        subject_en="Renewal",
        body_zh="{{ customer_name }}您好，您的{{ occasion }}，请及时续保。{{ company }}",
        body_en="Dear {{ customer_name }}, {{ occasion }}.",
    )


@pytest.fixture
def no_quiet_hours(db):
    rules = MessagingSettings.current()
    rules.quiet_hours_start = rules.quiet_hours_end
    rules.save()
    return rules


@pytest.fixture
def email_account(db, team):
    return ChannelAccount.objects.create(
        kind="email",
        name="客服邮箱",
        address="care@rapport.example",
        is_active=True,
        default_team=team,
    )


def policy_customer(expires_on: date, *, email: str | None = None, **fields):
    customer = CustomerFactory(**fields)
    Asset.objects.create(
        customer=customer,
        kind=Asset.Kind.POLICY,
        name="交强险",
        identifier=f"PL{customer.pk:08d}",
        expires_on=expires_on,
    )
    if email:
        Identity.objects.create(customer=customer, kind="email", value=email, is_primary=True)
    return customer


@pytest.fixture
def renewal_program(db, everyone, agent, supervisor, team):
    today = timezone.localdate()
    return Program.objects.create(
        name="续保提醒",
        purpose="service",
        status=Program.Status.ACTIVE,
        owner=supervisor,
        team=team,
        segment=everyone,
        trigger=Program.Trigger.POLICY_EXPIRY,
        offset_days=-30,
        action=Program.Action.CALL,
        script_text="{customer_name}您好，我是{agent_name}，您的保险即将到期。",
        holdout_percent=0,
        quiet_days=14,
        starts_on=today - timedelta(days=1),
    )


@pytest.fixture
def settings_row(db):
    return CareSettings.current()
