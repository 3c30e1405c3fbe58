from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from rapport.staff.models import ApiToken, User
from rapport.staff.permissions import CAPABILITIES, role_can
from rapport.staff.services import (
    api_token_authenticate,
    api_token_create,
    staff_create,
    staff_leave,
)


def test_every_capability_names_only_real_roles():
    for roles in CAPABILITIES.values():
        assert roles <= set(User.Role.values)


@pytest.mark.parametrize(
    ("role", "capability", "allowed"),
    [
        ("representative", "customers.reveal", False),
        ("specialist", "customers.reveal", False),
        ("supervisor", "customers.reveal", True),
        ("representative", "customers.merge", False),
        ("supervisor", "customers.merge", True),
        ("manager", "customers.export", True),
        ("supervisor", "customers.export", False),
        ("admin", "audit.view", True),
        ("manager", "audit.view", False),
    ],
)
def test_role_capabilities(role, capability, allowed):
    assert role_can(role, capability) is allowed


def test_unknown_capability_is_a_programming_error():
    with pytest.raises(KeyError):
        role_can("admin", "nothing.here")


def test_inactive_staff_can_nothing(admin_user):
    admin_user.is_active = False
    assert not admin_user.can("customers.view")


def test_staff_create_gives_admins_admin_access(db):
    admin = staff_create(username="root2", password="x-long-pass-1", role=User.Role.ADMIN)
    rep = staff_create(username="rep2", password="x-long-pass-1", role=User.Role.REPRESENTATIVE)
    assert admin.is_staff and admin.is_superuser
    assert not rep.is_staff


def test_leave_date_before_hire_date_is_refused_and_nothing_changes(db):
    user = staff_create(
        username="x", password="x-long-pass-1", role="representative", hired_on=date(2025, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        staff_leave(user=user, left_on=date(2024, 1, 1))
    assert "离职日期不能早于入职日期" in str(exc.value)
    user.refresh_from_db()
    assert user.is_active and user.left_on is None


def test_leaving_revokes_tokens_and_sign_in(agent):
    _token, raw = api_token_create(user=agent)
    staff_leave(user=agent, left_on=date(2026, 11, 1))
    assert api_token_authenticate(raw=raw) is None
    assert not User.objects.get(pk=agent.pk).is_active


def test_tokens_are_stored_hashed_and_authenticate(agent):
    token, raw = api_token_create(user=agent, name="crm sync")
    assert raw.startswith("rpt_")
    assert raw not in token.digest
    assert ApiToken.objects.filter(digest=ApiToken.hash(raw)).exists()
    assert api_token_authenticate(raw=raw) == agent
    assert api_token_authenticate(raw=raw + "x") is None


def test_token_command_prints_a_working_token(agent):
    out = StringIO()
    call_command("token", "create", "agent", stdout=out)
    assert api_token_authenticate(raw=out.getvalue().strip()) == agent


def test_login_page_is_chinese_by_default(client, db):
    response = client.get("/login/", headers={"accept-language": "en-US,en"})
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_login_logout_and_language_switch(client, agent):
    response = client.post("/login/", {"username": "agent", "password": "rapport-test"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "My work" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "我的工作" in client.get("/").content.decode()
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_password_change(client, agent):
    client.force_login(agent)
    response = client.post(
        "/password/",
        {
            "old_password": "rapport-test",
            "new_password1": "a-new-secret-2026",
            "new_password2": "a-new-secret-2026",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password("a-new-secret-2026")
