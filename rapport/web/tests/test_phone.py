"""The phone pages: the header banner's poll, click-to-call, a new customer from an unknown
caller, and the demo's "simulate a call"."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.channels.models import ChannelAccount
from rapport.channels.phone.events import CallEventData
from rapport.channels.phone.models import Call
from rapport.channels.phone.services import call_event_record
from rapport.customers.models import Customer
from rapport.customers.services import IdentityInput, customer_create
from rapport.interactions.models import FollowUpTask, Interaction

pytestmark = pytest.mark.django_db

SECRET = "whsec-phone-web"


@pytest.fixture
def phone_account(team):
    account = ChannelAccount(
        kind="phone",
        name="客服热线",
        address="4008001234",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )
    account.set_secrets({"webhook_secret": SECRET})
    account.save()
    return account


@pytest.fixture
def caller(db):
    return customer_create(by=None, name="张伟", identities=[IdentityInput("phone", "13800138000")])


@pytest.fixture
def desk(agent):
    agent.phone_extension = "8001"
    agent.save(update_fields=["phone_extension"])
    return agent


def ring(account, call_id="c-1", kind="ringing", number="13800138000", **extra):
    return call_event_record(
        account=account,
        event=CallEventData(
            call_id=call_id,
            event_type=kind,
            direction="inbound",
            from_number=number,
            to_number="4008001234",
            agent_extension="8001",
            **extra,
        ),
    )


def test_the_banner_poll_is_204_and_three_queries_when_idle(
    as_user, desk, django_assert_num_queries
):
    client = as_user(desk)
    with django_assert_num_queries(3):  # session, user, the one call query
        response = client.get("/phone/banner/?shown=")

    assert response.status_code == 204


def test_the_banner_shows_the_ringing_caller_with_a_link_to_the_360_page(
    as_user, desk, phone_account, caller, django_assert_num_queries
):
    ring(phone_account)
    client = as_user(desk)

    with django_assert_num_queries(3):
        response = client.get("/phone/banner/?shown=")

    html = response.content.decode()
    assert response.status_code == 200
    assert "张伟" in html and f"/customers/{caller.pk}/" in html
    assert "138****8000" in html and "13800138000" not in html
    token = re.search(r"shown=([^\"&]+)", html).group(1)
    assert client.get(f"/phone/banner/?shown={token}").status_code == 204


def test_the_banner_is_only_for_the_representative_it_rings_at(
    as_user, desk, other_team_agent, phone_account, caller
):
    ring(phone_account)

    assert as_user(other_team_agent).get("/phone/banner/?shown=").status_code == 204


def test_an_unknown_number_offers_a_new_customer_with_the_number_filled_in(
    as_user, desk, phone_account
):
    ring(phone_account, number="010-6552 9988")
    client = as_user(desk)
    html = client.get("/phone/banner/?shown=").content.decode()
    call = Call.objects.get()
    assert f"/phone/calls/{call.pk}/new-customer/" in html

    form = client.get(f"/phone/calls/{call.pk}/new-customer/")
    assert 'value="+86 10 6552 9988"' in form.content.decode()

    response = client.post(
        f"/phone/calls/{call.pk}/new-customer/",
        {
            "name": "瑞丰科技",
            "kind": "person",
            "tier": "regular",
            "lifecycle_stage": "new",
            "language": "zh-hans",
            "phone": "010 6552 9988",
            "lifetime_value": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    call.refresh_from_db()
    assert call.customer.name == "瑞丰科技"


def test_after_the_end_the_banner_offers_the_summary(as_user, desk, phone_account, caller):
    ring(phone_account)
    ring(phone_account, kind="answered")
    ring(phone_account, kind="ended", duration_seconds=75)
    interaction = Interaction.objects.get()

    html = as_user(desk).get("/phone/banner/?shown=").content.decode()

    assert f"/interactions/{interaction.pk}/correct/" in html
    assert "1 分 15 秒" in html or "1 min 15 s" in html


def test_a_missed_call_banner_points_to_the_call_back_task(as_user, desk, phone_account, caller):
    ring(phone_account)
    ring(phone_account, kind="missed")

    html = as_user(desk).get("/phone/banner/?shown=").content.decode()

    assert FollowUpTask.objects.count() == 1
    assert "/tasks/" in html


def test_dismissing_the_banner_hides_it(as_user, desk, phone_account, caller):
    ring(phone_account)
    client = as_user(desk)
    call = Call.objects.get()

    client.post(f"/phone/calls/{call.pk}/dismiss/", headers={"HX-Request": "true"})

    assert client.get("/phone/banner/?shown=").status_code == 204


def test_a_stale_ringing_call_is_not_shown(as_user, desk, phone_account, caller):
    ring(phone_account)
    Call.objects.update(started_at=timezone.now() - timedelta(minutes=3))

    assert as_user(desk).get("/phone/banner/?shown=").status_code == 204


def test_the_banner_partial_is_on_every_page(as_user, desk):
    html = as_user(desk).get("/").content.decode()

    assert 'id="call-banner"' in html and "load, every 3s" in html


def test_the_360_page_offers_click_to_call_without_the_number(as_user, desk, caller):
    html = as_user(desk).get(f"/customers/{caller.pk}/").content.decode()

    identity = caller.identities.get()
    assert f'name="identity" value="{identity.pk}"' in html
    assert "13800138000" not in html and "138 0013 8000" not in html


def test_click_to_call_places_the_call_and_never_shows_the_number(
    as_user, desk, phone_account, caller
):
    identity = caller.identities.get()

    response = as_user(desk).post(
        f"/customers/{caller.pk}/dial/".replace("/customers/", "/phone/customers/"),
        {"identity": identity.pk},
        follow=True,
    )

    html = response.content.decode()
    assert "138****8000" in html and "8001" in html
    assert "13800138000" not in html and "138 0013 8000" not in html
    call = Call.objects.get()
    assert call.direction == "outbound" and call.agent == desk and call.customer == caller
    assert call.customer_number == "+8613800138000"


def test_click_to_call_without_an_extension_says_so(as_user, agent, phone_account, caller):
    identity = caller.identities.get()

    response = as_user(agent).post(
        f"/phone/customers/{caller.pk}/dial/", {"identity": identity.pk}, follow=True
    )

    assert "分机" in response.content.decode() or "extension" in response.content.decode()
    assert not Call.objects.exists()


def test_click_to_call_when_the_provider_is_down_says_so(as_user, desk, phone_account, caller):
    phone_account.config = {"fake_down": True}
    phone_account.save()
    identity = caller.identities.get()

    response = as_user(desk).post(
        f"/phone/customers/{caller.pk}/dial/", {"identity": identity.pk}, follow=True
    )

    html = response.content.decode()
    assert "timeout" in html or "超时" in html
    assert not Call.objects.exists()


def test_click_to_call_another_customers_number_is_404(as_user, desk, phone_account, caller):
    other = customer_create(
        by=None, name="李娜", identities=[IdentityInput("phone", "13900139000")]
    )
    theirs = other.identities.get()

    response = as_user(desk).post(f"/phone/customers/{caller.pk}/dial/", {"identity": theirs.pk})

    assert response.status_code == 404
    assert not Call.objects.exists()


@pytest.mark.parametrize("value", ["", "abc", "-1", "99999999999999999999999"])
def test_click_to_call_with_a_bad_identity_is_404(as_user, desk, phone_account, caller, value):
    response = as_user(desk).post(f"/phone/customers/{caller.pk}/dial/", {"identity": value})

    assert response.status_code == 404


def test_simulating_a_whole_call_records_the_interaction(
    as_user, admin_user, desk, phone_account, caller
):
    identity = caller.identities.get()

    response = as_user(admin_user).post(
        "/inbox/simulate/call/",
        {"account": phone_account.pk, "caller": identity.pk, "agent": desk.pk, "scenario": "talk"},
    )

    assert response.status_code == 302
    call = Call.objects.get()
    assert call.state == "ended" and call.events.count() == 3
    assert call.interaction.staff == desk and call.interaction.duration_seconds == 180


def test_simulating_ringing_then_answering_step_by_step(
    as_user, admin_user, desk, phone_account, caller
):
    client = as_user(admin_user)
    client.post(
        "/inbox/simulate/call/",
        {"account": phone_account.pk, "caller": 0, "agent": desk.pk, "scenario": "ring"},
    )
    call = Call.objects.get()
    assert call.state == "ringing" and call.customer is None

    client.post(f"/inbox/simulate/call/{call.pk}/step/", {"step": "answered"})
    client.post(f"/inbox/simulate/call/{call.pk}/step/", {"step": "ended"})

    call.refresh_from_db()
    assert call.state == "ended" and call.customer.tier == Customer.Tier.POTENTIAL
    page = client.get("/inbox/simulate/call/").content.decode()
    assert call.masked_number in page


def test_the_simulate_page_is_for_administrators(as_user, desk):
    assert as_user(desk).get("/inbox/simulate/call/").status_code == 403
