import json
import time

import pytest

from rapport.channels.models import ChannelAccount
from rapport.channels.webhook_api import webhook_signature
from rapport.customers.services import IdentityInput, customer_create

SECRET = "whsec-phone-0123456789"


@pytest.fixture
def phone_account(team):
    account = ChannelAccount(
        kind=ChannelAccount.Kind.PHONE,
        name="客服热线",
        address="400-800-1234",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )
    account.set_secrets(
        {"webhook_secret": SECRET, "push_username": "tccc", "push_password": "pw-123"}
    )
    account.save()
    return account


@pytest.fixture
def caller(db):
    return customer_create(by=None, name="张伟", identities=[IdentityInput("phone", "13800138000")])


@pytest.fixture
def desk(agent):
    agent.phone_extension = "8001"
    agent.save(update_fields=["phone_extension"])
    return agent


def signed_post(client, account_id, payload, *, secret=SECRET, timestamp=None, signature=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-Rapport-Timestamp": timestamp}
    headers["X-Rapport-Signature"] = signature or webhook_signature(secret, timestamp, body)
    return client.post(
        f"/api/v1/channels/phone/{account_id}/events",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def event(call_id="c-1", kind="ringing", **extra):
    data = {
        "call_id": call_id,
        "event": kind,
        "direction": "inbound",
        "from": "+86 138 0013 8000",
        "to": "4008001234",
        "agent": {"extension": "8001"},
    }
    data.update(extra)
    return data
