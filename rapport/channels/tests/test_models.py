from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rapport.channels import providers
from rapport.channels.crypto import SecretsUnreadable
from rapport.channels.models import (
    ChannelAccount,
    InboundMessage,
    MessageTemplate,
    MessagingSettings,
)
from rapport.channels.tests.factories import ChannelAccountFactory

pytestmark = pytest.mark.django_db


def test_secrets_are_stored_encrypted_and_read_back(team):
    account = ChannelAccountFactory(default_team=team)
    account.set_secrets({"imap_password": "授权码-abc123", "smtp_password": ""})
    account.save()
    stored = ChannelAccount.objects.values_list("secrets", flat=True).get(pk=account.pk)
    assert "abc123" not in stored and stored
    assert ChannelAccount.objects.get(pk=account.pk).get_secrets() == {
        "imap_password": "授权码-abc123"
    }


def test_secrets_use_the_channel_key_before_the_secret_key(team, settings):
    settings.RAPPORT_CHANNEL_KEY = "channel-key-one"
    account = ChannelAccountFactory(default_team=team)
    account.set_secrets({"imap_password": "pw"})
    account.save()
    settings.RAPPORT_CHANNEL_KEY = ""  # falls back to SECRET_KEY: another key
    with pytest.raises(SecretsUnreadable, match="RAPPORT_CHANNEL_KEY"):
        ChannelAccount.objects.get(pk=account.pk).get_secrets()
    settings.RAPPORT_CHANNEL_KEY = "channel-key-one"
    assert ChannelAccount.objects.get(pk=account.pk).get_secrets() == {"imap_password": "pw"}


def test_passwords_do_not_belong_in_the_settings(team):
    account = ChannelAccountFactory.build(default_team=team, config={"smtp_password": "x"})
    with pytest.raises(ValidationError) as exc:
        account.full_clean()
    assert "config" in exc.value.message_dict


def test_ticket_routing_needs_a_ticket_kind(team):
    account = ChannelAccountFactory.build(default_team=team, open_as="ticket", ticket_kind="")
    with pytest.raises(ValidationError) as exc:
        account.full_clean()
    assert "ticket_kind" in exc.value.message_dict


def test_one_default_sending_account_per_kind(team):
    ChannelAccountFactory(default_team=team, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelAccountFactory(default_team=team, is_default=True)


def test_the_same_provider_id_is_one_row_per_account(team):
    account = ChannelAccountFactory(default_team=team)
    other = ChannelAccountFactory(default_team=team, is_default=False)
    InboundMessage.objects.create(account=account, provider_id="1:42", content_hash="a" * 64)
    InboundMessage.objects.create(account=other, provider_id="1:42", content_hash="a" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        InboundMessage.objects.create(account=account, provider_id="1:42", content_hash="b" * 64)


def test_the_shipped_templates_and_settings():
    codes = set(MessageTemplate.objects.values_list("code", flat=True))
    assert {"ticket_reply", "tracking_link", "survey_invitation", "acknowledgement"} <= codes
    for template in MessageTemplate.objects.all():
        assert template.body_zh and template.body_en and template.subject_zh
        template.full_clean()  # the shipped wording passes the template rules
    current = MessagingSettings.current()
    assert (current.quiet_hours_start, current.quiet_hours_end) == (time(21), time(8))
    assert current.service_in_quiet_hours is True
    assert current.marketing_cap_per_week == 2
    assert current.reopen_window_days == 7
    assert current.acknowledgement_enabled is True


def test_templates_may_hold_variables_but_no_tags():
    template = MessageTemplate(code="x", name="x", body_zh="{% load static %}您好", body_en="Hi")
    with pytest.raises(ValidationError) as exc:
        template.full_clean()
    assert "body_zh" in exc.value.message_dict
    broken = MessageTemplate(code="y", name="y", body_zh="您好 {{ name", body_en="Hi {{ name }}")
    with pytest.raises(ValidationError) as exc:
        broken.full_clean()
    assert "body_zh" in exc.value.message_dict


def _account_post(team, **extra):
    data = {
        "kind": "email",
        "name": "售后邮箱",
        "address": "service@rapport.example",
        "default_team": team.pk,
        "open_as": "conversation",
        "ticket_kind": "",
        "ticket_type_code": "",
        "provider": "standard",
        "is_default": "on",
        "is_active": "on",
        "config": '{"imap_host": "imap.163.com", "imap_port": 993}',
        "imap_password": "",
        "smtp_password": "",
        "api_secret": "",
    }
    data.update(extra)
    return data


def test_admin_saves_passwords_encrypted_and_never_shows_them_back(admin_user, team, as_user):
    client = as_user(admin_user)
    response = client.post(
        "/admin/channels/channelaccount/add/",
        _account_post(team, imap_password="Secret-授权码-1"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    account = ChannelAccount.objects.get(name="售后邮箱")
    assert account.get_secrets() == {"imap_password": "Secret-授权码-1"}
    page = client.get(f"/admin/channels/channelaccount/{account.pk}/change/").content.decode()
    assert "Secret-授权码-1" not in page and account.secrets not in page
    # Saving again with empty password fields keeps the stored password.
    client.post(f"/admin/channels/channelaccount/{account.pk}/change/", _account_post(team))
    account.refresh_from_db()
    assert account.get_secrets() == {"imap_password": "Secret-授权码-1"}
    client.post(
        f"/admin/channels/channelaccount/{account.pk}/change/",
        _account_post(team, smtp_password="smtp-pw"),
    )
    account.refresh_from_db()
    assert account.get_secrets() == {"imap_password": "Secret-授权码-1", "smtp_password": "smtp-pw"}
    client.post(
        f"/admin/channels/channelaccount/{account.pk}/change/",
        _account_post(team, forget_secrets="on"),
    )
    account.refresh_from_db()
    assert account.secrets == ""


def test_test_connection_reports_the_hook_error(admin_user, team, as_user, monkeypatch):
    account = ChannelAccountFactory(default_team=team, provider="standard")
    monkeypatch.setitem(
        providers._checks, "email", lambda acc: "授权码错误（LOGIN failed）" if acc else None
    )
    response = as_user(admin_user).post(
        "/admin/channels/channelaccount/",
        {"action": "test_connection", "_selected_action": [account.pk]},
        follow=True,
    )
    assert "授权码错误（LOGIN failed）" in response.content.decode()
    account.refresh_from_db()
    assert account.last_error == "授权码错误（LOGIN failed）"
    assert account.last_checked_at is not None


def test_test_connection_of_a_working_account_clears_the_error(admin_user, team, as_user):
    account = ChannelAccountFactory(default_team=team, last_error="old")
    as_user(admin_user).post(
        "/admin/channels/channelaccount/",
        {"action": "test_connection", "_selected_action": [account.pk]},
    )
    account.refresh_from_db()
    assert account.last_error == "" and account.last_checked_at is not None
