"""Forms posted in a Chinese legacy charset are read, other charsets refused (issue 15, 13)."""

import re
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.test import Client

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Interaction, Purpose
from rapport.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limit_left_by_other_tests():
    cache.clear()  # the public form's per-address limit lives in the cache


def _client_with_token(url: str, user=None) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    page = client.get(url)
    return client, re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _encode(fields: dict, charset: str) -> bytes:
    return "&".join(
        f"{quote(k.encode(charset))}={quote(str(v).encode(charset))}" for k, v in fields.items()
    ).encode("ascii")


def _public_fields(token: str, form_token: str) -> dict:
    return {
        "csrfmiddlewaretoken": token,
        "kind": "complaint",
        "name": "张三",
        "phone": "13800138000",
        "customer_words": "热水器漏水，𠮷野家",
        "occurred_at": "2026-01-05T10:00",
        "occurred_where": "北京市朝阳区",
        "form_token": form_token,
    }


@pytest.mark.parametrize("charset", ["GB18030", "gbk", "GB2312"])
def test_public_form_posted_in_a_chinese_charset_is_decoded(charset):
    client, token = _client_with_token("/support/new/")
    form_token = re.search(
        r'name="form_token" value="([^"]+)"', client.get("/support/new/").text
    ).group(1)
    fields = _public_fields(token, form_token)
    if charset != "GB18030":  # GBK and GB2312 have no 𠮷
        fields["customer_words"] = "热水器漏水"

    response = client.generic(
        "POST",
        "/support/new/",
        _encode(fields, charset),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.customer_words == fields["customer_words"]
    assert ticket.customer.name == "张三"


def test_raw_gb18030_bytes_without_percent_encoding_are_decoded(agent):
    customer = CustomerFactory()
    client, token = _client_with_token(f"/customers/{customer.pk}/", agent)
    purpose = Purpose.objects.get(code="complaint")
    body = (
        f"csrfmiddlewaretoken={token}&channel=phone&direction=inbound&purpose={purpose.pk}"
        "&summary=客户来电投诉"
    ).encode("gb18030")

    response = client.generic(
        "POST",
        f"/interactions/customers/{customer.pk}/log/",
        body,
        content_type="application/x-www-form-urlencoded; charset=GB18030",
    )

    assert response.status_code == 302
    assert Interaction.objects.get().summary == "客户来电投诉"


@pytest.mark.parametrize("charset", ["iso-8859-1", "x-unknown-charset", "utf-16"])
def test_a_form_in_another_charset_is_refused_with_415_and_nothing_saved(charset):
    client, token = _client_with_token("/support/new/")

    response = client.generic(
        "POST",
        "/support/new/",
        f"csrfmiddlewaretoken={token}&name=x".encode(),
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )

    assert response.status_code == 415
    assert "UTF-8" in response.text
    assert not Ticket.objects.exists()
