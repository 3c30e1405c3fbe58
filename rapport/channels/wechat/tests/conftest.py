import time

import pytest

from rapport.channels.models import ChannelAccount
from rapport.channels.tests.conftest import _media_in_tmp  # noqa: F401
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.channels.wechat.crypto import MessageCrypto
from rapport.channels.wechat.wxml import build_xml

APPID = "wx2c2769f8efd9abc2"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
TOKEN = "spamtest"
CORPID = "ww49f0ab532d5d035a"
KFID = "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"


def make_account(team, *, kind="wechat", provider="fake", is_default=True, **config):
    account = ChannelAccountFactory(
        kind=kind,
        name=f"{kind}-{provider}-{len(config)}",
        address="gh_10f6c3c3ac5a" if kind == "wechat" else KFID,
        default_team=team,
        provider=provider,
        is_default=is_default,
        config=(
            {"appid": APPID, "mode": "safe", **config}
            if kind == "wechat"
            else {"corpid": CORPID, "open_kfid": KFID, **config}
        ),
    )
    account.set_secrets(
        {
            "secret" if kind == "wechat" else "kf_secret": "s3cret",
            "token": TOKEN,
            "encoding_aes_key": AES_KEY,
        }
    )
    account.save()
    return account


@pytest.fixture
def wechat(team):
    return make_account(team)


@pytest.fixture
def wecom(team):
    return make_account(team, kind="wecom")


def fixed_random(n: int) -> bytes:
    return b"1234567890123456"[:n]


def crypto_for(account: ChannelAccount) -> MessageCrypto:
    receive_id = account.config["appid" if account.kind == "wechat" else "corpid"]
    return MessageCrypto(
        token=TOKEN, encoding_aes_key=AES_KEY, receive_id=receive_id, random_bytes=fixed_random
    )


def signed_post(client, account, fields: dict, *, timestamp=None, nonce="1320562132", tamper=None):
    """POST `fields` to the account's callback as WeChat would in safe mode."""
    crypto = crypto_for(account)
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    encrypted = crypto.encrypt(build_xml(fields))
    if tamper:
        encrypted = tamper(encrypted)
    body = build_xml({"ToUserName": account.address, "Encrypt": encrypted})
    sig = crypto.sign(timestamp, nonce, encrypted)
    query = f"timestamp={timestamp}&nonce={nonce}&encrypt_type=aes&msg_signature={sig}"
    if account.kind == "wechat":
        query += f"&signature={crypto.sign(timestamp, nonce)}&openid={fields.get('FromUserName')}"
    return client.post(
        f"/api/v1/channels/{account.kind}/{account.pk}?{query}",
        data=body.encode(),
        content_type="text/xml",
    )


def text_message(openid="oyORnuP8q7ou2gfYjqLzSIWZf0rs", content="你好", msgid=1234567890123456):
    return {
        "ToUserName": "gh_10f6c3c3ac5a",
        "FromUserName": openid,
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": msgid,
    }
