"""Binding a customer's WeChat or WeCom chat id with a code made for them (微信绑定)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import ChatBindingInvite, ChatSession, FakeKfMessage, InboundMessage
from rapport.channels.services import inbound_process
from rapport.channels.wechat import binding
from rapport.channels.wechat.client import ApiError
from rapport.channels.wechat.tests.conftest import KFID, signed_post, text_message
from rapport.channels.wecom.sync import wecom_sync
from rapport.core.errors import DomainError
from rapport.customers.models import Identity
from rapport.customers.services import IdentityInput, customer_create

pytestmark = pytest.mark.django_db
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


@pytest.fixture
def known(db):
    return customer_create(by=None, name="王芳", identities=[IdentityInput("phone", "13700137000")])


def follow(client, account, *, key, openid=OPENID, event="subscribe", at=1700000000):
    fields = {
        "ToUserName": "gh_10f6c3c3ac5a",
        "FromUserName": openid,
        "CreateTime": at,
        "MsgType": "event",
        "Event": event,
        "EventKey": key,
    }
    assert signed_post(client, account, fields).content == b"success"
    inbound = InboundMessage.objects.order_by("-id").first()
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    return inbound


def test_a_wechat_code_is_a_parametric_qr_code_with_a_short_scene(wechat, known, agent):
    invite = binding.binding_invite(customer=known, account=wechat, by=agent)
    assert len(invite.code) == binding.CODE_LENGTH and invite.code.isalnum()
    assert invite.url.startswith("http://weixin.qq.com/q/") and invite.qr_ticket
    assert invite.expires_at - timezone.now() > timedelta(days=29)
    # The same code is shown again while it has days to run; renewing makes another.
    assert binding.binding_invite(customer=known, account=wechat, by=agent) == invite
    renewed = binding.binding_invite(customer=known, account=wechat, by=agent, renew=True)
    assert renewed.code != invite.code
    assert len(f"{binding.PREFIX}{invite.code}") <= 64  # WeChat's scene_str limit


def test_following_through_the_code_binds_the_follower_to_that_customer(
    client, wechat, known, agent
):
    invite = binding.binding_invite(customer=known, account=wechat, by=agent)
    inbound = follow(client, wechat, key=f"qrscene_bind:{invite.code}")
    assert inbound.state == "processed"
    assert Identity.objects.get(kind="wxopenid").customer_id == known.pk
    assert ChatSession.objects.get().customer_id == known.pk
    assert "王芳" in inbound.summary
    invite.refresh_from_db()
    assert invite.used_at is not None and invite.used_by == OPENID
    # Their first message lands on the customer's file.
    signed_post(client, wechat, text_message(content="你好", msgid=77))
    inbound = InboundMessage.objects.order_by("-id").first()
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    assert inbound.message.customer_id == known.pk


def test_a_used_code_binds_nobody_else_and_a_rescan_changes_nothing(client, wechat, known, agent):
    invite = binding.binding_invite(customer=known, account=wechat, by=agent)
    follow(client, wechat, key=f"qrscene_bind:{invite.code}")
    again = follow(client, wechat, key=f"bind:{invite.code}", event="SCAN", at=1700000009)
    assert again.state == "processed"
    other = follow(client, wechat, key=f"qrscene_bind:{invite.code}", openid="oOther0000000000")
    assert "already used" in other.summary or "已被" in other.summary
    assert Identity.objects.get(value="oOther0000000000").customer_id != known.pk
    assert Identity.objects.get(value=OPENID).customer_id == known.pk


def test_an_expired_or_unknown_code_binds_nobody(client, wechat, known, agent):
    invite = binding.binding_invite(customer=known, account=wechat, by=agent)
    ChatBindingInvite.objects.filter(pk=invite.pk).update(expires_at=timezone.now())
    expired = follow(client, wechat, key=f"qrscene_bind:{invite.code}")
    unknown = follow(client, wechat, key="qrscene_bind:nosuchcode00", openid="oOther0000000000")
    assert expired.state == unknown.state == "processed"
    assert not Identity.objects.filter(kind="wxopenid", customer=known).exists()
    assert ChatBindingInvite.objects.get().used_at is None


def test_a_wecom_link_carries_the_code_in_scene_param_and_binds_on_entering(wecom, known, agent):
    invite = binding.binding_invite(customer=known, account=wecom, by=agent)
    assert invite.url.startswith(f"https://work.weixin.qq.com/kf/{KFID}?enc_scene=")
    assert invite.url.endswith(f"&scene_param=bind%3A{invite.code}")
    wecom.refresh_from_db()
    assert wecom.config["contact_way_url"]  # made once, kept
    FakeKfMessage.objects.create(
        account=wecom,
        payload={
            "msgid": "enter1",
            "origin": 4,
            "msgtype": "event",
            "event": {
                "event_type": "enter_session",
                "external_userid": "wmCustomer01",
                "scene": binding.CONTACT_SCENE,
                "scene_param": f"bind:{invite.code}",
            },
        },
    )
    wecom_sync(account_id=wecom.pk)
    for inbound_id in InboundMessage.objects.filter(state="received").values_list("pk", flat=True):
        inbound_process(inbound_id=inbound_id)
    assert Identity.objects.get(kind="wecom", value="wmCustomer01").customer_id == known.pk


def test_a_provider_refusal_is_a_clear_error_and_stores_nothing(wechat, known, agent, monkeypatch):
    def refuse(account, path, payload):
        raise ApiError(45009, "api freq out of limit")

    monkeypatch.setattr(binding, "api_call", refuse)
    with pytest.raises(DomainError) as exc:
        binding.binding_invite(customer=known, account=wechat, by=agent)
    assert "45009" in exc.value.message
    assert not ChatBindingInvite.objects.exists()


def test_the_qr_code_is_an_inline_svg_made_here():
    svg = str(binding.qr_svg("http://weixin.qq.com/q/fakeqr0123456789"))
    assert svg.startswith('<svg class="qr" viewBox=') and "<path" in svg
    assert "mm" not in svg.split(">", 1)[0]  # sized by the page
