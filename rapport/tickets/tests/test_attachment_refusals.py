"""Attachments refused for type, size, disguise, script or emptiness say why, on the public
form, the staff forms and the API, and keep what was typed (issue 15, finding 14)."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from rapport.customers.tests.factories import CustomerFactory
from rapport.tickets.forms import new_form_token
from rapport.tickets.models import Ticket, TicketAttachment
from rapport.tickets.tests.factories import in_progress, ticket_type

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limit_left_by_other_tests():
    cache.clear()  # the public form's per-address limit lives in the cache


EXE = b"MZ\x90\x00" + b"\x00" * 60
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60

REFUSED = [
    pytest.param(*case, id=case[0])
    for case in [
        ("photo.jpg", EXE, "does not look like a .jpg file", "看起来不是 .jpg 文件"),
        ("invoice.pdf.exe", EXE, "is not allowed", "不允许上传"),
        (
            "logo.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "is not allowed",
            "不允许上传",
        ),
        ("bomb.zip", b"PK\x03\x04" + b"\x00" * 200, "is not allowed", "不允许上传"),
        ("empty.jpg", b"", "empty", "空"),
        ("huge.jpg", JPEG + b"\x00" * (5 * 1024 * 1024), "too large", "太大"),
    ]
]


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/octet-stream")


def _reason_shown(html: str, english: str, chinese: str) -> bool:
    return english in html or chinese in html


@override_settings(MEDIA_ROOT="/tmp/rapport-test-media")
@pytest.mark.parametrize(("name", "content", "english", "chinese"), REFUSED)
def test_public_form_shows_why_a_file_is_refused_and_keeps_the_words(
    client, name, content, english, chinese
):
    response = client.post(
        "/support/new/",
        {
            "kind": "complaint",
            "name": "张三",
            "phone": "13800138000",
            "customer_words": "热水器漏水三天了",
            "occurred_at": "2026-01-05T10:00",
            "occurred_where": "家里",
            "form_token": new_form_token(),
            "attachments": _upload(name, content),
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert _reason_shown(html, english, chinese)
    assert "热水器漏水三天了" in html
    assert not Ticket.objects.exists()


@override_settings(MEDIA_ROOT="/tmp/rapport-test-media")
@pytest.mark.parametrize(("name", "content", "english", "chinese"), REFUSED)
def test_staff_attach_action_shows_why_a_file_is_refused(
    agent, as_user, name, content, english, chinese
):
    ticket = in_progress(agent)

    response = as_user(agent).post(
        f"/tickets/{ticket.pk}/act/attach/", {"attach-attachments": _upload(name, content)}
    )

    assert response.status_code == 200
    assert _reason_shown(response.content.decode(), english, chinese)
    assert not TicketAttachment.objects.exists()


@override_settings(MEDIA_ROOT="/tmp/rapport-test-media")
def test_staff_ticket_form_shows_why_a_file_is_refused_and_keeps_the_text(agent, as_user):
    customer = CustomerFactory()
    ticket_type()

    response = as_user(agent).post(
        f"/tickets/new/?customer={customer.pk}",
        {
            "kind": "complaint",
            "subject": "空调不制冷",
            "description": "客户反映空调不制冷，上周刚修过",
            "customer_words": "一点都不凉",
            "contact_name": "张先生",
            "contact_phone": "13800138000",
            "occurred_at": "2026-01-05T10:00",
            "occurred_where": "北京朝阳店",
            "attachments": _upload("photo.jpg", EXE),
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert _reason_shown(html, "does not look like a .jpg file", "看起来不是 .jpg 文件")
    assert "客户反映空调不制冷，上周刚修过" in html
    assert not Ticket.objects.exists()


@override_settings(MEDIA_ROOT="/tmp/rapport-test-media")
@pytest.mark.parametrize(("name", "content", "english", "chinese"), REFUSED)
def test_api_says_why_a_file_is_refused_naming_attachments(
    agent, api_client, name, content, english, chinese
):
    ticket = in_progress(agent)

    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/attachments", {"files": _upload(name, content)}
    )

    assert response.status_code == 422
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {"attachments"}
    assert _reason_shown(body["errors"][0]["message"], english, chinese)
    assert not TicketAttachment.objects.exists()


@override_settings(MEDIA_ROOT="/tmp/rapport-test-media")
def test_api_stores_a_real_photo(agent, api_client):
    ticket = in_progress(agent)

    response = api_client(agent).post(
        f"/api/v1/tickets/{ticket.pk}/attachments",
        {"files": SimpleUploadedFile("photo.jpg", JPEG, "image/jpeg")},
    )

    assert response.status_code == 201
    assert [a["name"] for a in response.json()] == ["photo.jpg"]
    assert TicketAttachment.objects.get().ticket == ticket
