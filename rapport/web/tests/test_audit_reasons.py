"""Revealing personal data asks why; the audit log says who, what, why and from where, in words,
and filters by person, action and date."""

import json

import pytest
import time_machine

from rapport.core.models import AuditEntry
from rapport.customers.services import IdentityInput, customer_create
from rapport.staff.services import api_token_create


@pytest.fixture
def zhang(agent, team):
    return customer_create(
        by=agent,
        name="张伟",
        identities=[IdentityInput("phone", "13800138000")],
        service_team=team,
        id_number="110105198001011234",
    )


def test_reveal_without_a_reason_shows_the_error_in_place_and_records_nothing(
    supervisor, as_user, zhang
):
    response = as_user(supervisor).post(
        f"/customers/{zhang.pk}/reveal/",
        {"what": "identities", "reason": ""},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200  # swapped in by htmx, where the person clicked
    assert 'id="identities"' in body and 'role="alert"' in body
    assert "13800138000" not in body
    assert AuditEntry.objects.count() == 0


def test_other_needs_a_note_and_keeps_what_was_chosen(supervisor, as_user, zhang):
    response = as_user(supervisor).post(
        f"/customers/{zhang.pk}/reveal/", {"what": "id_number", "reason": "other"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="other" selected' in body and 'role="alert"' in body
    assert AuditEntry.objects.count() == 0


def test_the_reason_goes_into_the_audit_log_in_words(supervisor, admin_user, as_user, zhang):
    response = as_user(supervisor).post(
        f"/customers/{zhang.pk}/reveal/",
        {"what": "id_number", "reason": "complaint"},
        headers={"HX-Request": "true"},
        REMOTE_ADDR="10.9.8.7",
    )
    assert "110105198001011234" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert entry.detail == {"what": "id_number", "reason": "complaint"}
    body = as_user(admin_user).get("/audit/").content.decode()
    assert "事由：处理投诉" in body and "查看：证件号码" in body
    assert "10.9.8.7" in body
    assert "{&#x27;what&#x27;" not in body  # no raw dictionaries


def test_api_reveal_names_the_missing_reason(supervisor, api_client, zhang):
    client = api_client(supervisor)
    url = f"/api/v1/customers/{zhang.pk}/reveal"
    response = client.post(url, json.dumps({"what": "identities"}), content_type="application/json")
    assert response.status_code == 422
    assert "reason" in response.content.decode()
    response = client.post(
        url, json.dumps({"what": "identities", "reason": "other"}), content_type="application/json"
    )
    assert response.status_code == 400 and "note" in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_audit_log_filters_by_person_action_and_date(supervisor, agent, admin_user, as_user, zhang):
    client = as_user(supervisor)
    with time_machine.travel("2026-11-02 10:00 +0800", tick=False):
        client.post(f"/customers/{zhang.pk}/reveal/", {"what": "identities", "reason": "verify"})
    with time_machine.travel("2026-11-20 10:00 +0800", tick=False):
        client.post(f"/customers/{zhang.pk}/reveal/", {"what": "id_number", "reason": "contact"})
        api_token_create(user=agent, name="报表", via="cli")
    admin = as_user(admin_user)

    def rows(**params) -> int:
        response = admin.get("/audit/", params)
        assert response.status_code == 200
        return response.content.decode().count("<tr><td>")

    assert rows() == 3
    assert rows(actor=supervisor.pk) == 2
    assert rows(actor=agent.pk, action="token") == 1
    assert rows(since="2026-11-10") == 2
    assert rows(since="2026-11-01", until="2026-11-02") == 1
    body = admin.get("/audit/", {"action": "token"}).content.decode()
    assert "令牌名称：报表" in body and "服务器" in body  # issued on the command line


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-12-05", "until": "2026-12-01"}, "until"),
        ({"actor": "chen"}, "actor"),
    ],
)
def test_bad_filters_are_named_not_500(admin_user, as_user, params, field):
    response = as_user(admin_user).get("/audit/", params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
