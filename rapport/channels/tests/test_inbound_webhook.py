"""POST /api/v1/channels/email/inbound/<account_id>: HMAC-signed raw mail from forwarding sites."""

import time

import pytest

from rapport.channels import webhook_api
from rapport.channels.models import ChannelAccount, InboundMessage, Message
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.channels.webhook_api import webhook_signature

pytestmark = pytest.mark.django_db

SECRET = "whsec-0123456789abcdef"
RAW = (
    "From: 韩梅梅 <han.meimei@customer.test>\r\nTo: service@rapport.example\r\n"
    "Subject: =?utf-8?b?5Y+R56Wo6KGl5byA?=\r\nMessage-ID: <wh1@customer.test>\r\n"
    "Date: Sat, 01 Mar 2025 10:12:00 +0800\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "请帮我补开发票。\r\n"
).encode()


@pytest.fixture
def account(db):
    account = ChannelAccountFactory(provider=ChannelAccount.Provider.STANDARD)
    account.set_secrets({"webhook_secret": SECRET})
    account.save(update_fields=["secrets"])
    return account


def post(client, account_id, body, *, secret=SECRET, timestamp=None, signature=None):
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-Rapport-Timestamp": timestamp}
    if signature is None:
        signature = webhook_signature(secret, timestamp, body)
    if signature:
        headers["X-Rapport-Signature"] = signature
    return client.post(
        f"/api/v1/channels/email/inbound/{account_id}",
        data=body,
        content_type="message/rfc822",
        headers=headers,
    )


def test_signed_mail_is_stored_then_processed_and_its_id_returned(
    client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, account.pk, RAW)

    assert response.status_code == 200, response.content
    inbound = InboundMessage.objects.get(account=account)
    assert response.json() == {
        "inbound_id": inbound.pk,
        "state": InboundMessage.State.RECEIVED,  # acknowledged first; processed by the task
        "duplicate": False,
    }
    assert inbound.read_raw() == RAW
    assert inbound.state == InboundMessage.State.PROCESSED
    assert (
        Message.objects.get(account=account, direction=Message.Direction.INBOUND).subject
        == "发票补开"
    )


def test_a_repeated_delivery_returns_the_same_record(
    client, account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, account.pk, RAW).json()
        second = post(client, account.pk, RAW).json()

    assert second["inbound_id"] == first["inbound_id"] and second["duplicate"] is True
    assert InboundMessage.objects.filter(account=account).count() == 1
    assert Message.objects.filter(account=account, direction=Message.Direction.INBOUND).count() == 1


def test_the_same_mail_by_webhook_and_by_imap_is_one_record(client, account):
    from rapport.channels.mailbox import provider_id_for
    from rapport.channels.services import inbound_receive

    polled = inbound_receive(account=account, provider_id=provider_id_for(RAW), raw=RAW)

    response = post(client, account.pk, RAW)

    assert response.json()["inbound_id"] == polled.pk
    assert InboundMessage.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "another-secret"},
        {"signature": ""},
        {"signature": "sha256=" + "0" * 64},
        {"timestamp": ""},
        {"timestamp": "yesterday"},
    ],
    ids=["wrong secret", "no signature", "forged signature", "no timestamp", "bad timestamp"],
)
def test_a_bad_signature_is_401_and_stores_nothing(client, account, change):
    response = post(client, account.pk, RAW, **change)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not InboundMessage.objects.exists()


def test_a_replay_after_five_minutes_is_401(client, account):
    old = str(int(time.time()) - 301)

    response = post(client, account.pk, RAW, timestamp=old)

    assert response.status_code == 401
    assert not InboundMessage.objects.exists()


def test_the_signature_covers_the_body(client, account):
    timestamp = str(int(time.time()))
    signed_for_other_body = webhook_signature(SECRET, timestamp, RAW + b"tampered")

    response = post(client, account.pk, RAW, timestamp=timestamp, signature=signed_for_other_body)

    assert response.status_code == 401


def test_unknown_inactive_and_secretless_accounts_look_the_same(client, account):
    off = ChannelAccountFactory(provider=ChannelAccount.Provider.STANDARD, is_default=False)
    off.set_secrets({"webhook_secret": SECRET})
    off.is_active = False
    off.save(update_fields=["secrets", "is_active"])
    bare = ChannelAccountFactory(provider=ChannelAccount.Provider.STANDARD, is_default=False)

    codes = [post(client, pk, RAW).status_code for pk in (off.pk, bare.pk, 999_999)]

    assert codes == [401, 401, 401]
    assert not InboundMessage.objects.exists()


def test_over_the_size_limit_is_413_and_stores_nothing(client, account, monkeypatch):
    monkeypatch.setattr(webhook_api, "MAX_EMAIL_BYTES", 1000)

    response = post(client, account.pk, RAW + b"x" * 1000)

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not InboundMessage.objects.exists()


def test_a_mail_larger_than_djangos_form_limit_is_accepted(client, account, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = RAW + b"x" * 5000 + b"\r\n"

    response = post(client, account.pk, body)

    assert response.status_code == 200
    assert InboundMessage.objects.get(account=account).read_raw() == body


def test_an_empty_body_is_refused_by_field(client, account):
    response = post(client, account.pk, b"  ")

    assert response.status_code == 422
    assert not InboundMessage.objects.exists()
