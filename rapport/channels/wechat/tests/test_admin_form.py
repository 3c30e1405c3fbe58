"""The channel account form for WeChat and WeCom: settings in config, secrets write-only."""

import pytest

from rapport.channels.admin import ChannelAccountForm
from rapport.channels.wechat.tests.conftest import AES_KEY

pytestmark = pytest.mark.django_db


def data(team, **extra):
    return {
        "kind": "wechat",
        "name": "服务号",
        "address": "gh_10f6c3c3ac5a",
        "default_team": team.pk,
        "open_as": "conversation",
        "provider": "standard",
        "is_active": "on",
        "config": "{}",
        "chat_appid": "wx2c2769f8efd9abc2",
        "chat_mode": "safe",
        "chat_template_fields": "thing1,thing2",
        "secret": "app-secret-value",
        "token": "tok",
        "encoding_aes_key": AES_KEY,
        **extra,
    }


def test_a_wechat_account_keeps_settings_in_config_and_secrets_encrypted(team):
    form = ChannelAccountForm(data=data(team))
    assert form.is_valid(), form.errors
    account = form.save()
    assert account.config["appid"] == "wx2c2769f8efd9abc2"
    assert account.config["template_fields"] == ["thing1", "thing2"]
    assert "app-secret-value" not in account.secrets
    assert account.get_secrets()["secret"] == "app-secret-value"
    edit = ChannelAccountForm(instance=account)
    assert "app-secret-value" not in str(edit)
    assert AES_KEY not in str(edit)
    # saving again without secrets keeps them
    again = ChannelAccountForm(
        data=data(team, secret="", token="", encoding_aes_key=""), instance=account
    )
    assert again.is_valid(), again.errors
    assert again.save().get_secrets()["token"] == "tok"


def test_missing_or_bad_settings_are_named(team):
    form = ChannelAccountForm(
        data=data(team, chat_appid="", encoding_aes_key="short", secret="", token="")
    )
    assert not form.is_valid()
    assert {"chat_appid", "encoding_aes_key", "secret", "token"} <= set(form.errors)


def test_a_wecom_account_needs_corpid_open_kfid_and_its_secret(team):
    form = ChannelAccountForm(data=data(team, kind="wecom", secret=""))
    assert not form.is_valid()
    assert {"chat_corpid", "chat_open_kfid", "kf_secret"} <= set(form.errors)
    ok = ChannelAccountForm(
        data=data(
            team,
            kind="wecom",
            chat_corpid="ww49f0ab532d5d035a",
            chat_open_kfid="wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw",
            kf_secret="kf",
        )
    )
    assert ok.is_valid(), ok.errors
    assert ok.save().config["open_kfid"] == "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw"
