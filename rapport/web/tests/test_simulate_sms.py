""" "Simulate an inbound SMS" on the simulate page: the real pipeline, the opt-out, bad input."""

import pytest

from rapport.channels.models import ChannelAccount, InboundMessage, OutboxMessage
from rapport.channels.tests.factories import ChannelAccountFactory
from rapport.customers.services import IdentityInput, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_account(team):
    return ChannelAccountFactory(
        kind="sms",
        name="短信",
        address="10690000",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        config={"sign_name": "瑞泰汽车"},
    )


@pytest.fixture
def customer(db):
    return customer_create(by=None, name="赵敏", identities=[IdentityInput("phone", "13812345678")])


def test_the_page_shows_both_forms(as_user, admin_user, sms_account, django_assert_max_num_queries):
    client = as_user(admin_user)
    client.get("/inbox/simulate/")
    with django_assert_max_num_queries(12):
        page = client.get("/inbox/simulate/").content.decode()
    assert 'id="simulate-sms"' in page and 'id="sms-phone"' in page and 'id="id_subject"' in page


def test_a_simulated_sms_reaches_the_customer(as_user, admin_user, sms_account, customer):
    response = as_user(admin_user).post(
        "/inbox/simulate/sms/",
        {"account": sms_account.pk, "phone": "138 1234 5678", "text": "车什么时候能好？"},
    )
    inbound = InboundMessage.objects.get()
    assert inbound.state == "processed"
    assert response.status_code == 302
    assert response["Location"] == f"/inbox/{inbound.conversation_id}/"
    assert (inbound.message.customer, inbound.message.channel) == (customer, "sms")


def test_a_simulated_td_withdraws_marketing(as_user, admin_user, sms_account, customer):
    as_user(admin_user).post(
        "/inbox/simulate/sms/", {"account": sms_account.pk, "phone": "13812345678", "text": " td "}
    )
    customer.refresh_from_db()
    assert customer.marketing_opt_out is True
    assert OutboxMessage.objects.filter(source="sms_opt_out", customer=customer).count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"phone": "12", "text": "x"}, "phone"),
        ({"phone": "13812345678", "text": ""}, "text"),
        ({"phone": "13812345678", "text": "x" * 501}, "text"),
    ],
)
def test_bad_input_is_400_naming_the_field(as_user, admin_user, sms_account, data, field):
    response = as_user(admin_user).post("/inbox/simulate/sms/", {"account": sms_account.pk, **data})
    assert response.status_code == 400
    assert response.context["sms_form"].errors[field]
    assert not InboundMessage.objects.exists()


def test_representatives_may_not_simulate(as_user, agent, sms_account):
    response = as_user(agent).post(
        "/inbox/simulate/sms/", {"account": sms_account.pk, "phone": "13812345678", "text": "x"}
    )
    assert response.status_code in (403, 404)
    assert not InboundMessage.objects.exists()
