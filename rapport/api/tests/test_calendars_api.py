import json

import pytest

from rapport.core.models import BusinessCalendar, CalendarException


@pytest.fixture
def office(db):
    return BusinessCalendar.objects.get(is_default=True)


def test_list_shows_the_shipped_calendars_with_their_week(agent, api_client, office):
    body = api_client(agent).get("/api/v1/calendars").json()
    default = next(c for c in body if c["is_default"])
    assert default["time_zone"] == "Asia/Shanghai"
    assert {"weekday": 0, "start": "09:00", "end": "12:00"} in default["week"]
    assert {"weekday": 0, "start": "13:30", "end": "18:00"} in default["week"]


def test_read_lists_national_day_2026(agent, api_client, office):
    body = api_client(agent).get(f"/api/v1/calendars/{office.pk}", {"year": 2026}).json()
    kinds = {e["date"]: e["kind"] for e in body["exceptions"]}
    assert kinds["2026-10-01"] == "holiday"
    assert kinds["2026-10-10"] == "workday"


def test_due_across_national_day(agent, api_client, office):
    response = api_client(agent).get(
        f"/api/v1/calendars/{office.pk}/due",
        {"start": "2026-09-30T17:00:00+08:00", "minutes": 960},
    )
    assert response.status_code == 200, response.content
    assert response.json()["due"].startswith("2026-10-09T18:00:00")


def test_between_counts_business_minutes(agent, api_client, office):
    response = api_client(agent).get(
        f"/api/v1/calendars/{office.pk}/between",
        {"start": "2026-09-30T17:00:00+08:00", "end": "2026-10-08T10:00:00+08:00"},
    )
    assert response.json()["minutes"] == 60 + 60


def test_naive_times_and_unknown_calendars_are_refused(agent, api_client, office):
    client = api_client(agent)
    naive = client.get(
        f"/api/v1/calendars/{office.pk}/due", {"start": "2026-09-30T17:00:00", "minutes": 5}
    )
    assert naive.status_code == 400
    assert naive.json()["errors"][0]["field"] == "start"
    assert (
        client.get(
            "/api/v1/calendars/99999/due", {"start": "2026-09-30T17:00:00+08:00", "minutes": 5}
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/calendars/{office.pk}/due",
            {"start": "2026-09-30T17:00:00+08:00", "minutes": -1},
        ).status_code
        == 422
    )


def test_only_administrators_change_exceptions(agent, admin_user, api_client, office):
    payload = json.dumps({"date": "2027-01-01", "kind": "holiday", "name": "元旦"})
    refused = api_client(agent).post(
        f"/api/v1/calendars/{office.pk}/exceptions", payload, content_type="application/json"
    )
    assert refused.status_code == 403
    assert not CalendarException.objects.filter(date="2027-01-01").exists()
    admin = api_client(admin_user)
    created = admin.post(
        f"/api/v1/calendars/{office.pk}/exceptions", payload, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    again = admin.post(
        f"/api/v1/calendars/{office.pk}/exceptions", payload, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json()["errors"][0]["field"] == "date"
    assert admin.delete(f"/api/v1/calendars/{office.pk}/exceptions/2027-01-01").status_code == 204
    assert admin.delete(f"/api/v1/calendars/{office.pk}/exceptions/2027-01-01").status_code == 404
