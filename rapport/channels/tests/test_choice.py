"""channel_choose: WeChat if bound and allowed, else SMS, else e-mail, with the reason."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from rapport.channels.services import outbox as outbox_services
from rapport.channels.services.choice import channel_choose
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.models import Identity
from rapport.customers.services import consent_record

DAYTIME = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


@pytest.fixture
def accounts(team):
    return {
        kind: ChannelAccountFactory(
            kind=kind, name=f"{kind}-acct", address=f"{kind}@rapport.example", default_team=team
        )
        for kind in ("email", "sms", "wechat")
    }


def bind_wechat(customer, value="oWx_follower123"):
    kind = outbox_services.IDENTITY_KIND["wechat"]
    return Identity.objects.create(customer=customer, kind=kind, value=value)


def test_wechat_when_bound_and_allowed(accounts, customer):
    bind_wechat(customer)
    choice = channel_choose(customer=customer, purpose="service")
    assert (choice.channel, choice.to_address) == ("wechat", "oWx_follower123")
    assert choice.reason == "微信已绑定且允许"


def test_sms_when_wechat_is_not_bound(accounts, customer):
    choice = channel_choose(customer=customer, purpose="service")
    assert (choice.channel, choice.to_address) == ("sms", "+8613800138000")
    assert choice.reason == "未绑定微信，使用短信"


def test_email_when_no_mobile(accounts, customer):
    Identity.objects.filter(kind="phone").delete()
    choice = channel_choose(customer=customer, purpose="service")
    assert (choice.channel, choice.to_address) == ("email", "zhangwei@qq.com")
    assert choice.reason == "未绑定微信；无手机号码，使用邮件"


def test_a_landline_is_not_an_sms_address(accounts, customer):
    Identity.objects.filter(kind="phone").update(value="+861065529988")
    assert channel_choose(customer=customer, purpose="service").channel == "email"


def test_an_undeliverable_wechat_is_skipped(accounts, customer):
    Identity.objects.filter(pk=bind_wechat(customer).pk).update(undeliverable_at=timezone.now())
    assert channel_choose(customer=customer, purpose="service").channel == "sms"


def test_no_active_account_skips_the_channel(accounts, customer):
    bind_wechat(customer)
    accounts["wechat"].is_active = False
    accounts["wechat"].save()
    choice = channel_choose(customer=customer, purpose="service")
    assert choice.channel == "sms"
    assert "没有启用的微信账号" in choice.reason


def test_preferred_channel_first_when_reachable(accounts, customer):
    bind_wechat(customer)
    customer.preferred_channel = "email"
    choice = channel_choose(customer=customer, purpose="service")
    assert (choice.channel, choice.reason) == ("email", "客户首选邮件")


def test_preferred_but_unreachable_falls_back(accounts, customer):
    Identity.objects.filter(kind="email").delete()
    customer.preferred_channel = "email"
    choice = channel_choose(customer=customer, purpose="service")
    assert choice.channel == "sms"
    assert "无邮箱地址" in choice.reason


def test_marketing_skips_sms_without_consent_and_uses_email(accounts, customer):
    choice = channel_choose(customer=customer, purpose="marketing")
    assert choice.channel == "email"
    assert "客户未同意通过短信联系" in choice.reason


def test_marketing_on_sms_with_consent(accounts, customer):
    consent_record(customer=customer, purpose="marketing", granted=True, source="form")
    assert channel_choose(customer=customer, purpose="marketing").channel == "sms"


def test_everything_blocked_names_the_consent_channel(accounts, customer):
    consent_record(customer=customer, purpose="marketing", granted=False, source="sms_reply")
    customer.refresh_from_db()
    choice = channel_choose(customer=customer, purpose="marketing")
    assert choice.channel == "sms" and choice.to_address == "+8613800138000"
    assert choice.reason.startswith("没有可以联系到客户的渠道")


def test_nothing_reachable(accounts, db):
    from rapport.customers.services import customer_create

    nobody = customer_create(by=None, name="无联系方式")
    choice = channel_choose(customer=nobody, purpose="service")
    assert (choice.channel, choice.to_address) == ("email", "")


def test_the_outbox_stores_the_reason_and_the_timeline_shows_it(accounts, customer):
    row = outbox_services.outbox_queue(
        customer=customer, purpose="service", source="test", body="您好", idempotency_key="k1"
    )
    assert (row.channel, row.channel_reason) == ("sms", "未绑定微信，使用短信")
    sent = outbox_services.outbox_send(outbox_id=row.pk, now=DAYTIME)
    assert sent.state == "sent"
    assert "渠道：短信（未绑定微信，使用短信）" in sent.interaction.summary


def test_a_forced_channel_says_so(accounts, customer):
    row = outbox_services.outbox_queue(
        customer=customer,
        purpose="service",
        source="test",
        body="您好",
        channel="email",
        idempotency_key="k2",
    )
    assert (row.channel, row.channel_reason) == ("email", "由发送方指定")


def test_marketing_sms_without_consent_is_refused(accounts, customer):
    row = outbox_services.outbox_queue(
        customer=customer,
        purpose="marketing",
        source="test",
        body="新品上市",
        channel="sms",
        idempotency_key="k3",
    )
    assert row.body == "新品上市 回T退订"
    sent = outbox_services.outbox_send(outbox_id=row.pk, now=DAYTIME)
    assert (sent.state, sent.reason) == ("refused", "no_consent")
    assert sent.interaction_id is None
