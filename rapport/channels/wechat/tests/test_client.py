"""The real provider path with an HTTP mock: stable_token, expired-token retry, refresh job,
media download, send errors. Nothing leaves the machine: `http.request` is replaced."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import ChatAccessToken, ChatSession, OutboxMessage
from rapport.channels.services import inbound_process, outbox_queue, outbox_send
from rapport.channels.wechat import client as wx
from rapport.channels.wechat import http
from rapport.channels.wechat.tests.conftest import make_account, signed_post, text_message

pytestmark = pytest.mark.django_db


class FakeHttp:
    """Records requests; answers from a list of (predicate, response) rules, in order."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict | None]] = []
        self.tokens = iter(f"TOKEN{n}" for n in range(1, 100))
        self.expire_next_send = 0

    def __call__(self, method, url, *, json_body=None):
        self.calls.append((method, url, json_body))
        if "/cgi-bin/stable_token" in url or "/cgi-bin/gettoken" in url:
            return self.json({"access_token": next(self.tokens), "expires_in": 7200})
        if "/cgi-bin/message/custom/send" in url:
            if self.expire_next_send:
                self.expire_next_send -= 1
                return self.json({"errcode": 42001, "errmsg": "access_token expired"})
            return self.json({"errcode": 0, "errmsg": "ok"})
        if "/cgi-bin/media/get" in url:
            return http.HttpResponse(200, b"\x89PNG....", {"content-type": "image/png"})
        raise http.HttpError("unexpected " + url)

    @staticmethod
    def json(data):
        return http.HttpResponse(
            200, json.dumps(data).encode(), {"content-type": "application/json"}
        )

    def paths(self):
        return [url.split("?")[0].split(".com")[1] for _m, url, _b in self.calls]


@pytest.fixture
def fake_http(monkeypatch):
    fake = FakeHttp()
    monkeypatch.setattr(http, "request", fake)
    return fake


@pytest.fixture
def real(team):
    return make_account(team, provider="standard")


def test_the_token_comes_from_stable_token_and_is_kept_encrypted(real, fake_http):
    assert wx.access_token(real) == "TOKEN1"
    assert wx.access_token(real) == "TOKEN1"  # stored, not fetched again
    method, url, body = fake_http.calls[0]
    assert (method, url.split("?")[0]) == ("POST", "https://api.weixin.qq.com/cgi-bin/stable_token")
    assert body == {
        "grant_type": "client_credential",
        "appid": "wx2c2769f8efd9abc2",
        "secret": "s3cret",
        "force_refresh": False,
    }
    row = ChatAccessToken.objects.get()
    assert "TOKEN1" not in row.token


def test_an_expired_token_is_refreshed_once_and_the_call_retried(real, fake_http):
    fake_http.expire_next_send = 1
    wx.api_call(real, "/cgi-bin/message/custom/send", {"touser": "o1", "msgtype": "text"})
    assert fake_http.paths() == [
        "/cgi-bin/stable_token",
        "/cgi-bin/message/custom/send",
        "/cgi-bin/stable_token",
        "/cgi-bin/message/custom/send",
    ]
    assert fake_http.calls[2][2]["force_refresh"] is True
    assert "access_token=TOKEN2" in fake_http.calls[3][1]


def test_a_token_still_expired_after_one_refresh_is_an_error(real, fake_http):
    fake_http.expire_next_send = 2
    with pytest.raises(wx.ApiError) as caught:
        wx.api_call(real, "/cgi-bin/message/custom/send", {"touser": "o1"})
    assert caught.value.code == 42001
    assert len([p for p in fake_http.paths() if p.endswith("custom/send")]) == 2


def test_the_refresh_job_refreshes_only_tokens_about_to_expire(real, fake_http, team):
    fresh = make_account(team, provider="standard", is_default=False, chat_template_id="x")
    ChatAccessToken.objects.create(
        account=fresh, token="", expires_at=timezone.now() + timedelta(hours=1)
    )
    make_account(team, is_default=False, chat_mode="x")  # fake accounts never call out
    assert wx.tokens_refresh_due() == 1
    assert fake_http.paths() == ["/cgi-bin/stable_token"]


def test_a_claimed_refresh_is_not_repeated_by_another_worker(real, fake_http, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda s: None)
    ChatAccessToken.objects.create(
        account=real, claimed_until=timezone.now() + timedelta(seconds=30)
    )
    with pytest.raises(wx.ApiError):
        wx.token_refresh(real)
    assert fake_http.calls == []


def test_a_real_image_is_fetched_through_the_media_api(client, real, fake_http):
    signed_post(client, real, {**text_message(msgid=77), "MsgType": "image", "MediaId": "M1"})
    from rapport.channels.models import InboundMessage, Message

    inbound_process(inbound_id=InboundMessage.objects.get().pk)
    assert Message.objects.get().attachments.get().content_type == "image/png"
    assert "/cgi-bin/media/get" in fake_http.paths()


def test_a_send_through_the_real_provider(client, real, fake_http):
    signed_post(client, real, text_message(msgid=78))
    from rapport.channels.models import Conversation, InboundMessage

    inbound_process(inbound_id=InboundMessage.objects.get().pk)
    customer = Conversation.objects.get().customer
    row = outbox_queue(
        customer=customer,
        purpose="service",
        source="t",
        body="好的",
        channel="wechat",
        idempotency_key="real-1",
    )
    sent = outbox_send(outbox_id=row.pk)
    assert sent.state == OutboxMessage.State.SENT, sent.error
    body = fake_http.calls[-1][2]
    assert body == {
        "touser": "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
        "msgtype": "text",
        "text": {"content": "好的"},
    }
    assert ChatSession.objects.get().window_sent == 1


def test_network_failure_is_a_transient_failure_and_gives_the_quota_back(
    client, real, fake_http, monkeypatch
):
    signed_post(client, real, text_message(msgid=79))
    from rapport.channels.models import Conversation, InboundMessage

    inbound_process(inbound_id=InboundMessage.objects.get().pk)
    customer = Conversation.objects.get().customer
    wx.access_token(real)

    def down(method, url, *, json_body=None):
        raise http.HttpError("timed out")

    monkeypatch.setattr(http, "request", down)
    row = outbox_queue(
        customer=customer,
        purpose="service",
        source="t",
        body="好的",
        channel="wechat",
        idempotency_key="real-2",
    )
    result = outbox_send(outbox_id=row.pk)
    assert result.state == OutboxMessage.State.QUEUED
    assert "timed out" in result.error
    assert ChatSession.objects.get().window_sent == 0


def test_a_real_file_keeps_the_providers_name_and_an_error_answer_is_an_api_error(
    real, fake_http, monkeypatch
):
    name = "attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf; filename=\"x.pdf\""
    answers = iter(
        [
            http.HttpResponse(
                200, b"%PDF-1.4", {"content-type": "application/pdf", "content-disposition": name}
            ),
            http.HttpResponse(
                200,
                json.dumps({"errcode": 40007, "errmsg": "invalid media_id"}).encode(),
                {"content-type": "application/json"},
            ),
        ]
    )

    def answer(method, url, *, json_body=None):
        if "/cgi-bin/media/get" in url:
            return next(answers)
        return fake_http(method, url, json_body=json_body)

    monkeypatch.setattr(http, "request", answer)
    media = wx.media_fetch(real, "M2")
    assert (media.filename, media.content_type) == ("报价单.pdf", "application/pdf")
    with pytest.raises(wx.ApiError) as exc:
        wx.media_fetch(real, "M3")
    assert exc.value.code == 40007


def test_a_provider_file_name_cannot_climb_out_of_its_folder():
    assert wx._disposition_filename('attachment; filename="../../etc/passwd"') == "passwd"
    assert wx._disposition_filename('attachment; filename="..\\\\a\\\\b.txt"') == "b.txt"
    assert wx._disposition_filename("") == ""
