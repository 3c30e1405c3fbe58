"""The API keeps the promises of its OpenAPI schema (what `make fuzz` checks at length): every
answer is JSON in the documented error shape, the documented statuses are the ones returned, and
what the schema calls valid is parsed."""

import json

import pytest

from rapport.api.api import api
from rapport.customers.models import Customer
from rapport.customers.services import IdentityInput, customer_create


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/customers/null,null"),
        ("post", "/api/v1/tasks/abc/complete"),
        ("patch", "/api/v1/tickets/1.5"),
        ("delete", "/api/v1/no-such-thing"),
        ("get", "/api/v1/calendars/%0A%C2%96)"),  # a newline in the path (found by make fuzz)
        ("post", "/api/v1/tickets/remedies/1%0A/approval"),
    ],
)
def test_a_path_naming_no_operation_is_a_json_404(agent, api_client, method, path):
    response = getattr(api_client(agent), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


def test_an_upload_without_files_is_outside_the_schema_and_refused(agent, api_client):
    schema = api.get_openapi_schema()
    body = schema["paths"]["/api/v1/tickets/{ticket_id}/attachments"]["post"]["requestBody"]
    files = body["content"]["multipart/form-data"]["schema"]["properties"]["files"]
    assert files["minItems"] == 1  # an empty list was schema-valid yet refused (make fuzz)


def test_every_operation_documents_its_error_answers():
    schema = api.get_openapi_schema()
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = {str(status) for status in operation["responses"]}
            needed = {"422", "404"} | ({"401"} if operation.get("security") else set())
            if lacking := needed - documented:
                missing.append(f"{method.upper()} {path}: {sorted(lacking)}")
    assert missing == []


def test_field_errors_say_what_refused_them(agent, api_client):
    client = api_client(agent)
    parsed = _post(client, "/api/v1/customers", {"name": "x", "lifetime_value": "abc"})
    assert parsed.status_code == 422
    assert parsed.json()["errors"][0]["kind"] == "decimal_parsing"  # the parser's own type
    ruled = _post(client, "/api/v1/customers", {"name": "x", "lunar_birthday_month": 1})
    assert ruled.status_code == 422
    assert all(e["kind"].startswith("rule") for e in ruled.json()["errors"])
    assert not Customer.objects.filter(name="x").exists()


@pytest.mark.parametrize("amount", [600.5, True])
def test_an_amount_is_never_read_from_a_float(agent, api_client, amount):
    response = _post(
        api_client(agent), "/api/v1/customers", {"name": "x", "lifetime_value": amount}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lifetime_value"
    assert not Customer.objects.filter(name="x").exists()


def test_merging_a_missing_duplicate_names_the_body_field_not_the_path(
    supervisor, api_client, team
):
    survivor = customer_create(
        by=supervisor,
        name="张伟",
        identities=[IdentityInput("phone", "13800138000")],
        service_team=team,
    )
    response = _post(
        api_client(supervisor), f"/api/v1/customers/{survivor.pk}/merge", {"duplicate_id": 10**9}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "duplicate_id"
    assert Customer.objects.filter(pk=survivor.pk, merged_into=None).exists()


def test_the_public_form_documents_its_required_idempotency_key():
    operation = api.get_openapi_schema()["paths"]["/api/v1/tickets/public"]["post"]
    header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert header["required"] is True
    assert header["schema"]["maxLength"] == 80


@pytest.mark.parametrize(
    ("field", "value"),
    [("lunar_birthday_month", True), ("lunar_birthday_month", "3"), ("do_not_contact", 1)],
)
def test_json_types_are_read_as_the_schema_states_them(agent, api_client, field, value):
    response = _post(api_client(agent), "/api/v1/customers", {"name": "x", field: value})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert not Customer.objects.filter(name="x").exists()


@pytest.mark.parametrize("since", ["0", "0.5", "1700000000"])
def test_a_number_is_no_date_in_a_query(agent, api_client, since):
    response = api_client(agent).get(f"/api/v1/interactions?since={since}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "since"


@pytest.mark.parametrize("birthday", [0, "0", "1990"])
def test_a_number_is_no_date_in_a_body(agent, api_client, birthday):
    response = _post(api_client(agent), "/api/v1/customers", {"name": "x", "birthday": birthday})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "birthday"
    assert not Customer.objects.filter(name="x").exists()


def test_a_calendar_instant_is_iso(agent, api_client):
    response = api_client(agent).get("/api/v1/calendars/1/due?start=0&minutes=60")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "start"


def test_no_two_schemas_share_a_name():
    """The OpenAPI components are keyed by class name: a second `TemplateOut` silently replaced
    the first, so the survey templates were documented with the message templates' fields."""
    from collections import defaultdict

    from ninja import Schema

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    modules = defaultdict(set)
    for schema in walk(Schema):
        if schema.__module__.startswith("rapport."):
            modules[schema.__name__].add(schema.__module__)
    assert {name: mods for name, mods in modules.items() if len(mods) > 1} == {}


@pytest.mark.parametrize("body", ["null", "[null, null]", "5"])
def test_a_body_that_is_no_object_is_refused(agent, api_client, body):
    customer = customer_create(by=agent, name="张伟", identities=[])
    response = api_client(agent).patch(
        f"/api/v1/customers/{customer.pk}", body, content_type="application/json"
    )
    assert response.status_code == 422
