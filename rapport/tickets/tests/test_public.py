import json
import os
import re
import threading
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.tickets import services
from rapport.tickets.models import Ticket, TicketSettings

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _token(client) -> str:
    body = client.get("/support/new/").content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', body).group(1)


def _form(token, **overrides):
    data = {
        "kind": "complaint",
        "name": "孙先生",
        "phone": "13700001234",
        "email": "",
        "customer_words": "保养后发动机故障灯亮了,太不负责任了",
        "occurred_at": timezone.localtime(timezone.now() - timedelta(days=1)).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "occurred_where": "朝阳店",
        "form_token": token,
        "website": "",
    }
    data.update(overrides)
    return data


def test_the_public_form_needs_no_login_and_carries_the_company_name(client, settings):
    response = client.get("/support/new/")
    assert response.status_code == 200
    assert settings.COMPANY_NAME in response.content.decode()
    assert "Rapport" not in response.content.decode().split("<body")[1]


def test_a_submission_creates_a_potential_customer_and_redirects_to_tracking(client):
    response = client.post("/support/new/", _form(_token(client)))
    ticket = Ticket.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/support/t/{ticket.public_token}/"
    )
    assert ticket.customer.tier == Customer.Tier.POTENTIAL
    assert ticket.customer_words == "保养后发动机故障灯亮了,太不负责任了"
    assert ticket.source == "public_form" and ticket.first_responder is None


def test_a_replayed_post_creates_nothing_twice(client):
    data = _form(_token(client))
    first = client.post("/support/new/", data)
    second = client.post("/support/new/", data)
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1


def test_a_forged_token_is_refused(client):
    response = client.post("/support/new/", _form("forged"))
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not Ticket.objects.exists()


def test_script_tags_are_refused_with_a_message(client):
    response = client.post(
        "/support/new/", _form(_token(client), customer_words="<script>x</script>")
    )
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_the_form_is_rate_limited_per_address(client, settings):
    for n in range(5):
        client.post(
            "/support/new/",
            _form(_token(client), customer_words=f"第{n}次"),
            REMOTE_ADDR="10.0.0.9",
        )
    limited = client.post(
        "/support/new/",
        _form(_token(client), customer_words="第六次：刹车异响"),
        REMOTE_ADDR="10.0.0.9",
    )
    other = client.post("/support/new/", _form(_token(client)), REMOTE_ADDR="10.0.0.10")
    assert limited.status_code == 429
    body = limited.content.decode()
    assert "第六次：刹车异响" in body and "errorlist" in body  # what was typed is kept
    assert other.status_code == 302
    assert Ticket.objects.count() == 6


def test_refused_forms_and_replays_do_not_count(client):
    for _n in range(8):  # a customer fighting a missing field is not a flood
        response = client.post(
            "/support/new/", _form(_token(client), customer_words=""), REMOTE_ADDR="10.0.0.21"
        )
        assert response.status_code == 200
    data = _form(_token(client))
    for _n in range(6):  # a double click or a browser retry is one complaint
        assert client.post("/support/new/", data, REMOTE_ADDR="10.0.0.21").status_code == 302
    assert Ticket.objects.count() == 1
    for n in range(4):
        fresh = _form(_token(client), customer_words=f"第{n}件事")
        assert client.post("/support/new/", fresh, REMOTE_ADDR="10.0.0.21").status_code == 302
    assert (
        client.post("/support/new/", _form(_token(client)), REMOTE_ADDR="10.0.0.21").status_code
        == 429
    )


def test_a_shared_network_gets_the_higher_limit(client):
    rules = TicketSettings.current()
    rules.public_form_shared_networks = "203.0.113.0/24\n2001:db8::/32"
    rules.public_form_per_hour_shared = 8
    rules.save()
    statuses = [
        client.post(
            "/support/new/",
            _form(_token(client), customer_words=f"第{n}次"),
            REMOTE_ADDR="203.0.113.77",
        ).status_code
        for n in range(9)
    ]
    assert statuses == [302] * 8 + [429]


def test_shared_networks_that_do_not_parse_are_refused_by_name():
    rules = TicketSettings(public_form_shared_networks="203.0.113.0/24\n公司网络")
    with pytest.raises(ValidationError) as exc:
        rules.full_clean()
    assert "public_form_shared_networks" in exc.value.message_dict
    assert "公司网络" in str(exc.value)


def test_tracking_page_shows_replies_and_never_internal_notes(client, agent):
    client.post("/support/new/", _form(_token(client)))
    ticket = Ticket.objects.get()
    services.ticket_note(ticket=ticket, by=agent, body="内部备注:客户脾气不好")
    services.ticket_reply(
        ticket=ticket, by=agent, body="感谢您的反馈,我很抱歉,已为您预约明天复检。"
    )

    body = client.get(f"/support/t/{ticket.public_token}/").content.decode()

    assert "已为您预约明天复检" in body
    assert "内部备注" not in body and "客户脾气不好" not in body
    assert client.get("/support/t/not-a-token/").status_code == 404


def test_public_api_endpoint_is_unauthenticated_idempotent_and_limited(client):
    payload = {
        "name": "周女士",
        "email": "zhou@example.cn",
        "customer_words": "取车时发现车门有划痕",
        "occurred_at": timezone.now().isoformat(),
        "occurred_where": "交车区",
    }
    post = lambda key, addr="10.1.1.1": client.post(  # noqa: E731
        "/api/v1/tickets/public",
        json.dumps(payload),
        content_type="application/json",
        headers={"Idempotency-Key": key},
        REMOTE_ADDR=addr,
    )
    first, replay = post("k-1"), post("k-1")
    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json()["tracking_url"] == replay.json()["tracking_url"]
    assert Ticket.objects.count() == 1
    assert (
        client.post(
            "/api/v1/tickets/public", json.dumps(payload), content_type="application/json"
        ).status_code
        == 422
    )
    for n in range(5):
        post(f"k-{n + 2}")
    limited = post("k-99")
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"


def test_forged_forwarded_for_does_not_escape_the_rate_limit(client, settings):
    settings.TRUSTED_PROXIES = []
    responses = [
        client.post(
            "/support/new/",
            _form(_token(client), customer_words=f"第{n}次"),
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"10.77.0.{n}",
        )
        for n in range(6)
    ]

    assert [r.status_code for r in responses] == [302] * 5 + [429]
    assert Ticket.objects.count() == 5


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(client, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    statuses = [
        client.post(
            "/support/new/",
            _form(_token(client), customer_words=f"第{n}次"),
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        ).status_code
        for n in range(6)
    ]

    assert statuses == [302] * 6


def _public_payload(**overrides):
    payload = {
        "name": "周女士",
        "email": "zhou@example.cn",
        "customer_words": "取车时发现车门有划痕",
        "occurred_at": "2026-11-20T10:00:00+08:00",
        "occurred_where": "交车区",
    }
    payload.update(overrides)
    return payload


def _post_public(client, payload, key):
    return client.post(
        "/api/v1/tickets/public",
        json.dumps(payload),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )


def test_a_reused_key_with_another_persons_details_is_refused(client):
    first = _post_public(client, _public_payload(), "shared-key")

    other = _post_public(
        client,
        _public_payload(name="吴先生", email="wu@example.cn", customer_words="发票开错了"),
        "shared-key",
    )

    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert first.json()["tracking_url"] not in other.content.decode()
    assert first.json()["number"] not in other.content.decode()
    assert Ticket.objects.count() == 1
    assert not Customer.objects.filter(name="吴先生").exists()


def test_a_reused_form_token_with_other_details_is_refused_on_the_form(client):
    token = _token(client)
    client.post("/support/new/", _form(token))

    again = client.post("/support/new/", _form(token, name="吴先生", phone="13900001111"))

    assert again.status_code == 200
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().public_token not in again.content.decode()


@pytest.fixture
def racing_replay(monkeypatch):
    """The second submission looks for its key before the first one has committed (as a
    concurrent replay does on PostgreSQL), so it does the work and meets the key only when it
    inserts it."""
    from rapport.tickets import services as ticket_services

    real = ticket_services.submission_replayed
    misses = {"left": 0}

    def lookup(**kwargs):
        if misses["left"]:
            misses["left"] -= 1
            return None
        return real(**kwargs)

    monkeypatch.setattr(ticket_services, "submission_replayed", lookup)
    return misses


def test_a_racing_api_replay_answers_with_the_first_ticket(client, racing_replay):
    first = _post_public(client, _public_payload(), "race-key")
    racing_replay["left"] = 1

    replay = _post_public(client, _public_payload(), "race-key")

    assert (first.status_code, replay.status_code) == (201, 200)
    assert replay.json() == first.json()
    assert Ticket.objects.count() == 1 and Customer.objects.count() == 1


def test_a_racing_form_replay_lands_on_the_first_tracking_page(client, racing_replay):
    token = _token(client)
    first = client.post("/support/new/", _form(token))
    racing_replay["left"] = 1

    replay = client.post("/support/new/", _form(token))

    assert first.status_code == replay.status_code == 302
    assert replay.url == first.url == f"/support/t/{Ticket.objects.get().public_token}/"


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="threads need a shared database: runs on PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_of_one_submission_all_get_the_first_ticket():
    from django.db import connections
    from django.test import Client

    barrier = threading.Barrier(4, timeout=5)
    answers, errors = [], []

    def submit():
        try:
            barrier.wait()
            answers.append(_post_public(Client(), _public_payload(), "burst-key"))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["tracking_url"] for a in answers}) == 1
    assert Ticket.objects.count() == 1


def test_every_refusal_for_rate_says_when_to_retry(client):
    for n in range(5):
        client.post("/support/new/", _form(_token(client), customer_words=f"第{n}次"))

    form = client.post("/support/new/", _form(_token(client)))
    api = _post_public(client, _public_payload(), "late-key")

    assert form.status_code == api.status_code == 429
    assert 3500 < int(form["Retry-After"]) <= 3600
    assert 3500 < int(api["Retry-After"]) <= 3600


def test_the_public_form_follows_the_browsers_language_and_offers_a_switch(client):
    english = {"Accept-Language": "en-US,en;q=0.9"}

    page = client.get("/support/new/", headers=english).content.decode()
    assert "Tell us about a problem" in page and "反映问题" not in page
    assert 'name="language" value="zh-hans"' in page  # the switch offers the other language
    assert '<html lang="en">' in page
    chinese_browser = client.get("/support/new/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "反映问题" in chinese_browser.content.decode()
    assert "反映问题" in client.get("/support/new/").content.decode()  # none given: Chinese
    assert "登录" in client.get("/login/", headers=english).content.decode()  # staff: Chinese first

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/support/new/"})
    switched = client.get("/support/new/", headers=english).content.decode()
    assert "反映问题" in switched and 'name="language" value="en"' in switched


def test_signed_in_staff_keep_the_house_language_whatever_the_browser_says(agent, as_user):
    page = as_user(agent).get("/support/new/", headers={"Accept-Language": "en-US"})
    assert "反映问题" in page.content.decode()
