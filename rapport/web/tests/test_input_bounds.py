"""Bad input is refused with the field named, on every way in, and nothing is saved (issue 15:
findings 1, 10, 11, 12). The corpus in test_malformed_input.py walks every form and endpoint;
these pin the reported cases one by one."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import FollowUpTask, Interaction
from rapport.interactions.tests.factories import InteractionFactory
from rapport.tickets.models import Ticket

pytestmark = pytest.mark.django_db
API = "/api/v1"
EARLY = "0001-01-01T00:00:00+14:00"
LATE = "9999-12-31T23:59:59-12:00"


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def _interaction(customer, **overrides):
    return {
        "customer_id": customer.pk,
        "channel": "phone",
        "direction": "inbound",
        "purpose": "complaint",
        "summary": "客户来电",
        **overrides,
    }


# --- finding 1: extreme timestamps never reach the database ------------------------------------


@pytest.mark.parametrize("instant", [EARLY, LATE, "1899-12-31T23:00:00+00:00"])
def test_interaction_with_an_extreme_started_at_is_refused_and_the_pages_keep_working(
    agent, api_client, as_user, instant
):
    customer = CustomerFactory()

    response = post(
        api_client(agent), f"{API}/interactions", _interaction(customer, started_at=instant)
    )

    assert response.status_code == 422
    assert fields(response) == ["started_at"]
    assert not Interaction.objects.exists()
    assert as_user(agent).get(f"/customers/{customer.pk}/").status_code == 200


@pytest.mark.parametrize("instant", [EARLY, LATE])
def test_task_with_an_extreme_due_at_is_refused(agent, api_client, instant):
    customer = CustomerFactory()

    response = post(
        api_client(agent),
        f"{API}/tasks",
        {"customer_id": customer.pk, "title": "回电", "due_at": instant},
    )

    assert response.status_code == 422
    assert fields(response) == ["due_at"]
    assert not FollowUpTask.objects.exists()


def test_follow_up_due_more_than_two_years_ahead_is_refused_but_one_year_is_accepted(
    agent, api_client
):
    client = api_client(agent)
    customer = CustomerFactory()
    far = (timezone.now() + timedelta(days=3 * 365)).isoformat()
    near = (timezone.now() + timedelta(days=365)).isoformat()

    refused = post(
        client,
        f"{API}/interactions",
        _interaction(customer, follow_up={"title": "回电", "due_at": far}),
    )
    accepted = post(
        client,
        f"{API}/interactions",
        _interaction(customer, follow_up={"title": "回电", "due_at": near}),
    )

    assert refused.status_code == 422
    assert fields(refused) == ["follow_up.due_at"]
    assert accepted.status_code == 201
    assert Interaction.objects.count() == 1 == FollowUpTask.objects.count()


def test_quick_log_form_refuses_a_follow_up_due_in_9999_and_keeps_the_text(agent, as_user):
    customer = CustomerFactory()

    response = as_user(agent).post(
        f"/interactions/customers/{customer.pk}/log/",
        {
            "channel": "phone",
            "direction": "inbound",
            "purpose": Interaction._meta.get_field("purpose").related_model.objects.first().pk,
            "summary": "客户来电询问保修",
            "follow_up": "回电",
            "follow_up_due": "9999-12-31T23:59",
        },
    )

    assert response.status_code == 200
    assert "follow_up_due" in response.context["quick_log_form"].errors
    assert "客户来电询问保修" in response.content.decode()
    assert not Interaction.objects.exists()


# --- finding 10: NUL and control characters ----------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x00b", "a\x07b", "\x1b[31m", "a\x7fb", "a\ud800b"])
def test_api_refuses_control_characters_in_text_naming_the_field(agent, api_client, bad):
    customer = CustomerFactory()

    response = post(api_client(agent), f"{API}/interactions", _interaction(customer, summary=bad))

    assert response.status_code == 422
    assert fields(response) == ["summary"]
    assert not Interaction.objects.exists()


def test_api_refuses_nul_in_a_nested_field_and_in_a_query(agent, api_client):
    client = api_client(agent)
    customer = CustomerFactory()

    nested = post(
        client,
        f"{API}/interactions",
        _interaction(
            customer, follow_up={"title": "回\x00电", "due_at": timezone.now().isoformat()}
        ),
    )
    query = client.get(f"{API}/customers", {"q": "张\x00"})

    assert nested.status_code == 422
    assert fields(nested) == ["follow_up.title"]
    assert query.status_code == 422
    assert fields(query) == ["q"]
    assert not Interaction.objects.exists()


def test_api_accepts_tabs_and_newlines(agent, api_client):
    customer = CustomerFactory()

    response = post(
        api_client(agent),
        f"{API}/interactions",
        _interaction(customer, summary="第一行\r\n第二行\t结束"),
    )

    assert response.status_code == 201
    assert Interaction.objects.get().summary == "第一行\r\n第二行\t结束"


@pytest.mark.parametrize("bad", ["张\x00三", "张\x01三"])
def test_customer_form_refuses_control_characters_with_a_field_error(manager, as_user, bad):
    before = Customer.objects.count()

    response = as_user(manager).post(
        "/customers/new/", {"kind": "person", "name": bad, "phone": "13800138000"}
    )

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert Customer.objects.count() == before


def test_public_form_refuses_nul_in_the_customer_words(client):
    from rapport.tickets.forms import new_form_token

    response = client.post(
        "/support/new/",
        {
            "kind": "complaint",
            "name": "张三",
            "phone": "13800138000",
            "customer_words": "坏了\x00",
            "occurred_at": "2026-01-05T10:00",
            "occurred_where": "家里",
            "form_token": new_form_token(),
        },
    )

    assert response.status_code == 200
    assert "customer_words" in response.context["form"].errors
    assert not Ticket.objects.exists()


# --- finding 11: integers beyond 64 bits in id filters -----------------------------------------


@pytest.mark.parametrize("value", [2**63, 10**30])
@pytest.mark.parametrize("path", ["interactions", "tickets", "tasks"])
def test_api_id_filter_beyond_64_bits_is_a_422_naming_it(manager, api_client, value, path):
    response = api_client(manager).get(f"{API}/{path}", {"customer_id": value})

    assert response.status_code == 422
    assert fields(response) == ["customer_id"]


@pytest.mark.parametrize("value", [2**63, 10**30])
def test_api_id_beyond_64_bits_in_a_body_is_a_422_naming_it(agent, api_client, value):
    response = post(
        api_client(agent), f"{API}/interactions", _interaction(CustomerFactory(), asset_id=value)
    )

    assert response.status_code == 422
    assert fields(response) == ["asset_id"]
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("value", [str(2**63), str(10**30)])
def test_ticket_queue_id_filter_beyond_64_bits_is_a_400_naming_it(manager, as_user, value):
    response = as_user(manager).get("/tickets/", {"customer_id": value})

    assert response.status_code == 400
    assert "customer_id" in response.context["form"].errors


# --- finding 12: dates at the edges ------------------------------------------------------------


@pytest.mark.parametrize("instant", [EARLY, LATE])
@pytest.mark.parametrize("name", ["since", "until"])
def test_interaction_since_and_until_at_the_edges_are_refused(manager, api_client, instant, name):
    response = api_client(manager).get(f"{API}/interactions", {name: instant})

    assert response.status_code == 422
    assert fields(response) == [name]


@pytest.mark.parametrize(
    "query",
    [
        {"start": EARLY, "minutes": 5},
        {"start": LATE, "minutes": 5},
    ],
)
def test_calendar_due_at_the_edges_is_refused(agent, api_client, query):
    response = api_client(agent).get(f"{API}/calendars/1/due", query)

    assert response.status_code == 422
    assert fields(response) == ["start"]


def test_calendar_between_at_the_edges_is_refused(agent, api_client):
    response = api_client(agent).get(f"{API}/calendars/1/between", {"start": EARLY, "end": LATE})

    assert response.status_code == 422
    assert set(fields(response)) == {"start", "end"}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_satisfaction_page_date_to_at_the_edges_is_a_400(manager, as_user, day):
    response = as_user(manager).get("/satisfaction/", {"date_to": day})

    assert response.status_code == 400
    assert "date_to" in response.context["form"].errors


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_satisfaction_api_date_to_at_the_edges_is_a_422(manager, api_client, day):
    response = api_client(manager).get(f"{API}/surveys/analysis/csat", {"date_to": day})

    assert response.status_code == 422
    assert fields(response) == ["date_to"]


def test_task_form_refuses_a_due_date_in_9999(agent, as_user):
    interaction = InteractionFactory(staff=agent)

    response = as_user(agent).post(
        f"/interactions/{interaction.pk}/tasks/", {"title": "回电", "due_at": "9999-12-31T23:59"}
    )

    assert response.status_code == 302  # back to the interaction, with the reason as a message
    assert not FollowUpTask.objects.exists()


# --- every form has the bounds -----------------------------------------------------------------


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_rapport_refuses_control_characters_and_unbounded_values():
    import django.forms
    from django.contrib import admin
    from django.urls import get_resolver

    from rapport.core.bounds import BoundedFormMixin

    get_resolver().url_patterns  # noqa: B018 - imports every view and so every form
    admin.autodiscover()
    ours = [
        form
        for form in _subclasses(django.forms.BaseForm)
        if form.__module__.startswith("rapport.") and ".tests." not in form.__module__
    ]

    assert len(ours) > 30
    assert [
        f"{f.__module__}.{f.__qualname__}" for f in ours if not issubclass(f, BoundedFormMixin)
    ] == []


def test_services_refuse_extreme_instants_whatever_calls_them(agent):
    from django.core.exceptions import ValidationError
    from django.utils.dateparse import parse_datetime

    from rapport.interactions import services
    from rapport.interactions.tests.factories import purpose

    customer = CustomerFactory()

    with pytest.raises(ValidationError) as logged:
        services.interaction_log(
            by=agent,
            customer=customer,
            channel="phone",
            direction="inbound",
            purpose=purpose("complaint"),
            summary="来电",
            started_at=parse_datetime("1899-12-31T00:00:00+08:00"),
        )
    with pytest.raises(ValidationError) as tasked:
        services.follow_up_task_create(
            by=agent,
            customer=customer,
            title="回电",
            due_at=parse_datetime("9999-12-31T23:59:59+14:00"),
            assignee=agent,
        )

    assert set(logged.value.message_dict) == {"started_at"}
    assert set(tasked.value.message_dict) == {"due_at"}
    assert not Interaction.objects.exists()
    assert not FollowUpTask.objects.exists()
