import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from rapport.channels.models import ChannelAccount
from rapport.channels.sms import http
from rapport.channels.sms.models import SmsTemplateCode
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.services import IdentityInput, customer_create

DAYTIME = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
WEBHOOK_SECRET = "whsec-sms-0123456789"
TOKEN = "cb-token-abcdef123456"


@pytest.fixture(autouse=True)
def _daytime():
    with time_machine.travel(DAYTIME, tick=False):
        yield


class FakeHttp:
    """Stands in for http.http_send: records requests, answers from a queue."""

    def __init__(self):
        self.requests = []
        self.answers = []

    def answer(self, data, status=200):
        self.answers.append(http.HttpResponse(status=status, body=json.dumps(data).encode()))

    def __call__(self, method, url, *, headers=None, body=None, timeout=10.0):
        self.requests.append({"method": method, "url": url, "headers": headers, "body": body})
        if not self.answers:
            raise http.HttpError("no answer queued")
        return self.answers.pop(0)


@pytest.fixture(autouse=True)
def fake_http(monkeypatch):
    """No test reaches the internet: every SMS request lands here."""
    mock = FakeHttp()
    monkeypatch.setattr(http, "http_send", mock)
    return mock


def _sms_account(team, name, provider, config, secrets):
    account = ChannelAccountFactory(
        kind="sms",
        name=name,
        address="10690000",
        default_team=team,
        provider=provider,
        config=config,
        is_default=False,
    )
    account.set_secrets({"webhook_secret": WEBHOOK_SECRET, "callback_token": TOKEN, **secrets})
    account.save(update_fields=["secrets"])
    SmsTemplateCode.objects.create(
        account=account, template=None, code="SMS_100", param_names=["content"]
    )
    return account


@pytest.fixture
def sms_account(team):
    account = _sms_account(
        team, "短信（演示）", ChannelAccount.Provider.FAKE, {"sign_name": "瑞宝客服"}, {}
    )
    ChannelAccount.objects.filter(pk=account.pk).update(is_default=True)
    account.is_default = True
    return account


@pytest.fixture
def aliyun_account(team):
    return _sms_account(
        team,
        "阿里云短信",
        ChannelAccount.Provider.STANDARD,
        {"vendor": "aliyun", "sign_name": "瑞宝客服"},
        {"access_key_id": "testId", "access_key_secret": "testSecret"},
    )


@pytest.fixture
def tencent_account(team):
    return _sms_account(
        team,
        "腾讯云短信",
        ChannelAccount.Provider.STANDARD,
        {"vendor": "tencent", "sign_name": "瑞宝客服", "sdk_app_id": "1400006666"},
        {"secret_id": "AKIDtest", "secret_key": "keytest"},
    )


@pytest.fixture
def customer(db):
    return customer_create(
        by=None,
        name="王磊",
        identities=[IdentityInput("phone", "13912345678"), IdentityInput("email", "wl@qq.com")],
    )
