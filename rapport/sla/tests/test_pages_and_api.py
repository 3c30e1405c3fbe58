import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from rapport.core.models import BusinessCalendar
from rapport.sla.models import SlaAlert, SlaPolicy
from rapport.sla.services import clock_start, clock_stop
from rapport.sla.sweep import sla_sweep
from rapport.tickets.tests.factories import TicketFactory

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _without_shipped_policies(db, request):
    """Each test states its own policies; the shipped defaults are tested on their own."""
    if "shipped" not in request.node.name:
        SlaPolicy.objects.all().delete()


ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
LEADS = {"supervisor", "manager", "admin_user"}


@pytest.fixture
def breached_clock(db, agent):
    office = BusinessCalendar.objects.get(is_default=True)
    policy = SlaPolicy.objects.create(name="投诉", calendar=office, resolution_seconds=3600)
    clock = clock_start(
        ticket_id=TicketFactory(subject="车门异响").pk,
        kind="resolution",
        policy=policy,
        started_at=datetime(2026, 11, 2, 9, tzinfo=SH),
        assignee=agent,
    )
    sla_sweep(now=datetime(2026, 11, 2, 11, tzinfo=SH))
    clock_stop(clock=clock, at=datetime(2026, 11, 3, 9, tzinfo=SH))
    return clock


@pytest.mark.parametrize("role", ROLES)
def test_compliance_page_is_for_leads(request, role, as_user, breached_clock):
    response = as_user(request.getfixturevalue(role)).get("/service-levels/", {"month": "2026-11"})
    assert response.status_code == (200 if role in LEADS else 403)


def test_compliance_page_shows_rates_and_the_breaches(manager, as_user, breached_clock):
    body = (
        as_user(manager)
        .get("/service-levels/", {"month": "2026-11", "drill": "resolution"})
        .content.decode()
    )
    assert "0%" in body and "车门异响" in body


def test_alerts_page_and_acknowledge(agent, other_team_agent, as_user, breached_clock):
    alert = SlaAlert.objects.get(kind="breached")
    page = as_user(agent).get("/alerts/").content.decode()
    number = f"T{breached_clock.ticket_id:06d}"
    assert f"{number} 车门异响" in page
    assert f"#{breached_clock.ticket_id} " not in page
    assert as_user(other_team_agent).post(f"/alerts/{alert.pk}/acknowledge/").status_code == 404
    response = as_user(agent).post(
        f"/alerts/{alert.pk}/acknowledge/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and "<html" not in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == agent


def test_api_compliance_alerts_and_policies(agent, manager, admin_user, api_client, breached_clock):
    params = {
        "kind": "resolution",
        "start": "2026-11-01T00:00:00+08:00",
        "end": "2026-12-01T00:00:00+08:00",
    }
    assert api_client(agent).get("/api/v1/sla/compliance", params).status_code == 403
    (row,) = api_client(manager).get("/api/v1/sla/compliance", params).json()
    assert (row["total"], row["met"], row["rate"]) == (1, 0, 0.0)
    assert api_client(agent).get("/api/v1/sla/alerts").json()[0]["kind"] == "breached"
    office = BusinessCalendar.objects.get(is_default=True)
    payload = {
        "name": "在线客服",
        "calendar_id": office.pk,
        "channel": "chat",
        "first_response_seconds": 30,
    }
    assert (
        api_client(agent)
        .post("/api/v1/sla/policies", json.dumps(payload), content_type="application/json")
        .status_code
        == 403
    )
    created = api_client(admin_user).post(
        "/api/v1/sla/policies", json.dumps(payload), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    zero = api_client(admin_user).post(
        "/api/v1/sla/policies",
        json.dumps({**payload, "name": "x", "first_response_seconds": 0}),
        content_type="application/json",
    )
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "first_response_seconds"
    none = api_client(admin_user).post(
        "/api/v1/sla/policies",
        json.dumps({"name": "y", "calendar_id": office.pk}),
        content_type="application/json",
    )
    assert none.status_code == 400


def test_the_page_figures_open_exactly_their_clocks(manager, as_user, breached_clock):
    office = BusinessCalendar.objects.get(is_default=True)
    policy = SlaPolicy.objects.create(name="咨询", calendar=office, resolution_seconds=3600)
    for day in (5, 6):
        clock_start(
            ticket_id=TicketFactory(subject=f"仍未处理 {day}").pk,
            kind="resolution",
            policy=policy,
            started_at=datetime(2026, 11, day, 9, tzinfo=SH),
        )
    sla_sweep(now=datetime(2026, 11, 9, 11, tzinfo=SH))
    client = as_user(manager)

    page = client.get("/service-levels/", {"month": "2026-11"}).context
    resolution = next(k for k in page["kinds"] if k["kind"] == "resolution")
    (row,) = resolution["rows"]
    assert (row.total, row.met, row.stopped_late, row.carried) == (3, 0, 1, 2)
    drilled = client.get("/service-levels/", {"month": "2026-11", "drill": "resolution"})
    assert drilled.context["drill_page"].paginator.count == row.breached == 3
    backlog = client.get("/service-levels/", {"month": "2026-11", "backlog": "resolution"})
    assert backlog.context["drill_page"].paginator.count == resolution["backlog"]["total"] == 2
    by_age = sum(resolution["backlog"][key] for key in page["buckets"])
    assert by_age == 2
    partial = client.get(
        "/service-levels/",
        {"month": "2026-11", "drill": "resolution"},
        headers={"HX-Request": "true"},
    )
    assert partial.content.decode().lstrip().startswith('<div id="drill">')
    restored = client.get(  # the pushed address, visited again without htmx's own copy
        "/service-levels/",
        {"month": "2026-11", "drill": "resolution"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restored.content.decode() and 'id="drill"' in restored.content.decode()
    assert len(page["trend"]) == 12 and page["trend"][-1].label == "2026-11"
