"""The 360 page's "Bind WeChat" panel: the code per chat account, made on request, shown as
an inline QR code; a demo account's code can be scanned from the page."""

import pytest

from rapport.channels.models import ChatBindingInvite, ChatSession
from rapport.channels.wechat import binding
from rapport.channels.wechat.client import ApiError
from rapport.channels.wechat.tests.conftest import make_account
from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat(team):
    return make_account(team)


@pytest.fixture
def customer(team):
    return CustomerFactory(name="王芳", service_team=team)


def test_the_360_page_loads_the_panel_which_offers_a_code_per_account(
    as_user, agent, wechat, customer
):
    client = as_user(agent)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/customers/{customer.pk}/wechat-binding/" in page  # loaded after the page
    panel = client.get(f"/customers/{customer.pk}/wechat-binding/")
    body = panel.content.decode()
    assert panel.status_code == 200 and wechat.name in body
    assert "绑定" in body or "binding code" in body
    assert not ChatBindingInvite.objects.exists()  # made only when asked


def test_making_a_code_shows_the_qr_code_and_the_link(as_user, agent, wechat, customer):
    client = as_user(agent)
    answer = client.post(
        f"/customers/{customer.pk}/wechat-binding/make/",
        {"account": wechat.pk},
        HTTP_HX_REQUEST="true",
    )
    invite = ChatBindingInvite.objects.get()
    body = answer.content.decode()
    assert answer.status_code == 200
    assert '<svg class="qr"' in body and invite.url in body
    assert invite.customer_id == customer.pk and invite.created_by_id == agent.pk
    # Asking again shows the same code; "make a new code" replaces it.
    client.post(f"/customers/{customer.pk}/wechat-binding/make/", {"account": wechat.pk})
    assert ChatBindingInvite.objects.count() == 1
    client.post(
        f"/customers/{customer.pk}/wechat-binding/make/", {"account": wechat.pk, "renew": "1"}
    )
    assert ChatBindingInvite.objects.count() == 2


def test_a_bad_account_or_a_provider_refusal_is_shown_not_a_500(
    as_user, agent, wechat, customer, monkeypatch
):
    client = as_user(agent)
    url = f"/customers/{customer.pk}/wechat-binding/make/"
    bad = client.post(url, {"account": "x"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400 and 'role="alert"' in bad.content.decode()

    def refuse(account, path, payload):
        raise ApiError(45009, "api freq out of limit")

    monkeypatch.setattr(binding, "api_call", refuse)
    refused = client.post(url, {"account": wechat.pk}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 502 and "45009" in refused.content.decode()
    assert not ChatBindingInvite.objects.exists()


def test_another_teams_agent_cannot_make_a_code(as_user, other_team_agent, wechat, customer):
    client = as_user(other_team_agent)
    assert client.get(f"/customers/{customer.pk}/wechat-binding/").content == b""
    refused = client.post(f"/customers/{customer.pk}/wechat-binding/make/", {"account": wechat.pk})
    assert refused.status_code == 403
    assert not ChatBindingInvite.objects.exists()


def test_without_chat_accounts_the_panel_is_empty(as_user, agent, customer):
    client = as_user(agent)
    assert "wechat-binding" not in client.get(f"/customers/{customer.pk}/").content.decode()
    assert client.get(f"/customers/{customer.pk}/wechat-binding/").content == b""


def test_a_deceased_customer_is_offered_no_code(as_user, agent, wechat, customer):
    customer.is_deceased = True
    customer.save()
    client = as_user(agent)
    assert client.get(f"/customers/{customer.pk}/wechat-binding/").content == b""
    refused = client.post(
        f"/customers/{customer.pk}/wechat-binding/make/",
        {"account": wechat.pk},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 400 and not ChatBindingInvite.objects.exists()


def test_an_admin_can_simulate_a_scan_of_a_demo_code(as_user, admin_user, wechat, customer):
    invite = binding.binding_invite(customer=customer, account=wechat, by=admin_user)
    client = as_user(admin_user)
    answer = client.post(f"/wechat-binding/{invite.pk}/simulate/")
    assert answer.status_code == 302
    session = ChatSession.objects.get()
    assert session.customer_id == customer.pk
    assert Identity.objects.get(kind="wxopenid").customer_id == customer.pk
    panel = client.get(f"/customers/{customer.pk}/wechat-binding/").content.decode()
    assert session.user_id[:10] in panel  # shown as bound


def test_an_agent_cannot_simulate(as_user, agent, wechat, customer):
    invite = binding.binding_invite(customer=customer, account=wechat, by=agent)
    assert as_user(agent).post(f"/wechat-binding/{invite.pk}/simulate/").status_code == 403
