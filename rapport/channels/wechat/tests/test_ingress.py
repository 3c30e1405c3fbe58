"""The callbacks answered in front of Django (ingress.py), through the WSGI application the
servers run: the same answers as the API view, everything else passed to Django."""

import io
import sys
import time
from urllib.parse import urlencode

import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections

from rapport.channels.models import InboundMessage
from rapport.channels.services import inbound_process
from rapport.channels.wechat import ingress
from rapport.channels.wechat.simulate import signed_callback
from rapport.channels.wechat.tests.conftest import crypto_for, text_message
from rapport.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    # As Django's test client does for the request signals: the test's transaction holds the
    # connection, so the per-request connection upkeep (ours, and Django's for the requests
    # passed on to it) must not close it.
    monkeypatch.setattr(ingress, "close_old_connections", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(method: str, url: str, body: bytes = b"", **extra) -> tuple[str, dict, bytes]:
    path, _sep, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "text/xml",
        **({"CONTENT_LENGTH": str(len(body))} if body else {}),
        **extra,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    content = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], content


def signed(account, fields: dict, *, timestamp=None) -> tuple[str, bytes]:
    query, body = signed_callback(
        account, fields, timestamp=None if timestamp is None else str(timestamp)
    )
    return f"/api/v1/channels/{account.kind}/{account.pk}?{urlencode(query)}", body


def test_a_message_is_stored_and_answered_success_before_django(
    wechat, django_capture_on_commit_callbacks, monkeypatch
):
    def not_django(environ, start_response):
        raise AssertionError("Django's request cycle answered the callback")

    monkeypatch.setattr(application, "app", not_django)
    with django_capture_on_commit_callbacks() as callbacks:
        status, headers, content = call("POST", *signed(wechat, text_message(content="到哪了")))
    assert (status, content) == ("200 OK", b"success")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    inbound = InboundMessage.objects.get()
    assert inbound.state == InboundMessage.State.RECEIVED  # nothing done inline
    assert len(callbacks) == 1  # its processing is queued with it
    inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    assert inbound.state == InboundMessage.State.PROCESSED, inbound.error
    assert inbound.message.text == "到哪了"


def test_a_retry_is_one_record_and_the_same_answer(wechat):
    request = signed(wechat, text_message(msgid=77))
    assert call("POST", *request)[2] == b"success"
    assert call("POST", *request)[2] == b"success"
    assert InboundMessage.objects.count() == 1


def test_refusals_are_the_views_and_store_nothing(wechat, wecom):
    url, body = signed(wechat, text_message())
    status, _h, content = call("POST", url.replace("msg_signature=", "msg_signature=0"), body)
    assert status.startswith("403") and content.startswith(b"bad_signature:")
    status, _h, content = call("POST", *signed(wechat, text_message(), timestamp=1))
    assert status.startswith("403") and content.startswith(b"stale_timestamp:")
    status, _h, content = call("POST", url.replace(f"/{wechat.pk}?", "/999999?"), body)
    assert status.startswith("404") and content.startswith(b"unknown_account:")
    status, _h, content = call("POST", url.replace("/wechat/", "/wecom/"), body)
    assert status.startswith("404")  # an account of the other kind
    status, _h, content = call("POST", url, b"<xml><Encrypt>")
    assert status.startswith("400")
    assert not InboundMessage.objects.exists()


def test_a_database_failure_is_a_503_the_provider_retries(wechat, monkeypatch):
    def locked(items):
        raise OperationalError("database is locked")

    monkeypatch.setattr("rapport.channels.services.inbound.inbound_receive_many", locked)
    status, _h, content = call("POST", *signed(wechat, text_message()))
    assert status.startswith("503") and content.startswith(b"busy:")


def test_every_other_request_goes_to_django(wechat, settings):
    crypto = crypto_for(wechat)
    sig = crypto.sign("1409735669", "1320562132")
    status, _h, content = call(
        "GET",
        f"/api/v1/channels/wechat/{wechat.pk}?signature={sig}&timestamp=1409735669"
        "&nonce=1320562132&echostr=abc123",
    )
    assert (status, content) == ("200 OK", b"abc123")  # the verification is Django's view
    status, _h, _c = call("POST", "/api/v1/channels/wechat/abc")
    assert not status.startswith("200")
    status, _h, _c = call("GET", "/login/")
    assert status.startswith("200")


def test_with_https_required_a_plain_http_callback_is_left_to_django(wechat, settings, monkeypatch):
    passed = []

    def django(environ, start_response):  # Django's SecurityMiddleware redirects it
        passed.append(environ["PATH_INFO"])
        start_response("301 Moved Permanently", [("Location", "https://testserver/")])
        return [b""]

    monkeypatch.setattr(application, "app", django)
    settings.SECURE_SSL_REDIRECT = True
    assert call("POST", *signed(wechat, text_message()))[0].startswith("301")
    assert passed and not InboundMessage.objects.exists()
    https = {"wsgi.url_scheme": "https"}
    assert call("POST", *signed(wechat, text_message(msgid=5)), **https)[2] == b"success"
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxied = {"HTTP_X_FORWARDED_PROTO": "https"}
    assert call("POST", *signed(wechat, text_message(msgid=6)), **proxied)[2] == b"success"
    assert InboundMessage.objects.count() == 2 and len(passed) == 1


def test_callbacks_in_flight_together_are_written_in_one_group(wechat, monkeypatch):
    """The group commit: callbacks waiting while one is written are written together, and
    each is answered only once its group is written. (Threads cannot share the test's
    transaction: the groups are recorded here; `inbound_receive_many` is tested on its own.)"""
    import threading

    from rapport.channels.services import inbound as inbound_services

    assert call("POST", *signed(wechat, text_message(msgid=100)))[2] == b"success"  # account kept
    groups, entered, release = [], threading.Event(), threading.Event()

    def slow_first_group(items):
        groups.append([provider_id for _a, provider_id, _r in items])
        if len(groups) == 1:  # the first group holds the lead until the others queued
            entered.set()
            assert release.wait(5)
        return [object() for _item in items]

    monkeypatch.setattr(inbound_services, "inbound_receive_many", slow_first_group)
    requests = [signed(wechat, text_message(msgid=n)) for n in (1, 2, 3, 2)]
    answers = {}

    def post(n):
        answers[n] = call("POST", *requests[n])[2]

    first = threading.Thread(target=post, args=(0,))
    first.start()
    assert entered.wait(5)
    others = [threading.Thread(target=post, args=(n,)) for n in (1, 2, 3)]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + 5
    while len(ingress._RECEIVED._queue) < 3 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert answers == {}  # nobody answered before the write
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert answers == {n: b"success" for n in range(4)}
    assert groups[0] == ["msg:1"] and sorted(groups[1]) == ["msg:2", "msg:2", "msg:3"]


def test_a_message_the_store_refuses_is_refused_with_its_reason_not_a_500(wechat, monkeypatch):
    from django.core.exceptions import ValidationError

    from rapport.core.errors import DomainError

    outcomes = iter(
        [
            DomainError("This account is switched off.", code="account_inactive"),
            ValidationError({"raw": ["The message is empty."]}),
        ]
    )
    monkeypatch.setattr(
        "rapport.channels.services.inbound.inbound_receive_many",
        lambda items: [next(outcomes) for _item in items],
    )
    status, _h, content = call("POST", *signed(wechat, text_message(msgid=8)))
    assert status.startswith("404") and content.startswith(b"unknown_account:")
    status, _h, content = call("POST", *signed(wechat, text_message(msgid=9)))
    assert status.startswith("400") and content == b"not_a_message: The message is empty."
    assert not InboundMessage.objects.exists()
