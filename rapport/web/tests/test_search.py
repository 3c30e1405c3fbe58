"""Search everywhere: grouped results, the formats people type, what each may see, query counts."""

import pytest

from rapport.customers.models import Asset
from rapport.customers.services import IdentityInput, customer_create
from rapport.customers.tests.factories import AssetFactory
from rapport.tickets.tests.factories import in_progress
from rapport.web.search.selectors import search_everywhere

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhang(agent, team):
    return customer_create(
        by=agent, name="张伟", identities=[IdentityInput("phone", "13800138000")], service_team=team
    )


@pytest.mark.parametrize(
    "typed", ["粤B·D2507", "粤b d2507", "粤BD2507", "粤Ｂ－Ｄ２５０７", "粤B-D25"]
)
def test_a_plate_is_found_in_any_spacing_separator_or_case(agent, zhang, typed):
    car = AssetFactory(customer=zhang, plate="粤B·D2507", identifier="LSVAA2BZ5H2123456")
    AssetFactory(customer=zhang, plate="粤A12345")

    assets = search_everywhere(staff=agent, q=typed).assets

    assert assets == [car]


def test_vin_policy_and_contract_numbers_are_found(agent, zhang):
    car = AssetFactory(customer=zhang, identifier="LSVAA2BZ5H2123456")
    policy = AssetFactory(
        customer=zhang,
        kind=Asset.Kind.POLICY,
        plate="",
        mileage_km=None,
        identifier="PICC-2026-0088",
    )

    assert search_everywhere(staff=agent, q="lsvaa2bz5h2123456").assets == [car]
    assert search_everywhere(staff=agent, q="picc2026").assets == [policy]


@pytest.mark.parametrize("typed", ["{number}", "{pk}", "t{pk}"])
def test_a_ticket_is_found_by_number(agent, zhang, typed):
    ticket = in_progress(agent, zhang)

    results = search_everywhere(staff=agent, q=typed.format(number=ticket.number, pk=ticket.pk))

    assert results.tickets == [ticket]


def test_tickets_are_found_by_subject_customer_name_and_phone_digits(agent, zhang):
    ticket = in_progress(agent, zhang, subject="导航黑屏")

    assert ticket in search_everywhere(staff=agent, q="导航黑").tickets
    assert ticket in search_everywhere(staff=agent, q="张伟").tickets
    results = search_everywhere(staff=agent, q="0013 8000")
    assert results.customers == [zhang] and ticket in results.tickets


def test_tickets_one_may_not_see_are_not_listed(agent, other_team_agent, zhang):
    hidden = in_progress(other_team_agent, subject="保密投诉")

    assert search_everywhere(staff=agent, q=hidden.number).tickets == []
    assert search_everywhere(staff=agent, q="保密投诉").tickets == []


@pytest.mark.parametrize("typed", ["", "   ", "x" * 500, "%", "'\"<script>", "T" + "9" * 40])
def test_odd_input_is_answered_not_refused(agent, as_user, typed):
    response = as_user(agent).get("/search/", {"q": typed})

    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("</header>")[-1]


def test_the_page_groups_results_and_the_dropdown_is_the_same_groups(agent, as_user, zhang):
    in_progress(agent, zhang, subject="张伟的空调")
    AssetFactory(customer=zhang, plate="粤B·D2507")
    client = as_user(agent)

    page = client.get("/search/", {"q": "张伟"}).content.decode()
    dropdown = client.get(
        "/search/", {"q": "张伟"}, headers={"HX-Request": "true"}
    ).content.decode()

    assert 'id="sr-customers"' in page and 'id="sr-tickets"' in page
    assert "<html" not in dropdown and 'id="sr-tickets"' in dropdown


# session, user, teams; customers with their tags and identities; then a two-character name:
# the tickets of the customers found (a subject needs three characters for its index, an asset
# key too); a plate: the two asset key ranges and their rows; a number: the ticket by its key.
@pytest.mark.parametrize(("typed", "queries"), [("张伟", 7), ("粤B·D2507", 7), ("T000001", 7)])
def test_query_count_is_pinned(agent, as_user, zhang, django_assert_num_queries, typed, queries):
    for n in range(5):
        in_progress(agent, zhang, subject=f"张伟 {n}")
        AssetFactory(customer=zhang, plate=f"粤B·D250{n}")
    client = as_user(agent)
    client.get("/search/", {"q": typed})
    with django_assert_num_queries(queries):
        client.get("/search/", {"q": typed}, headers={"HX-Request": "true"})
