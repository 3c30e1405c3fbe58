import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.care.engine import care_evaluate, care_execute_due
from rapport.care.models import CareAction, CareRun, CareSettings, CareTask, Program

from .conftest import policy_customer

pytestmark = pytest.mark.django_db


def _run(renewal_program, n=3, **fields):
    for _ in range(n):
        policy_customer(timezone.localdate() + timedelta(days=30), **fields)
    care_evaluate()
    care_execute_due()


def test_program_pages_render_for_a_supervisor(as_user, supervisor, renewal_program):
    _run(renewal_program)
    client = as_user(supervisor)
    for url in [
        "/care/",
        f"/care/programs/{renewal_program.pk}/",
        "/care/programs/new/",
        f"/care/programs/{renewal_program.pk}/edit/",
        "/care/segments/",
        "/care/segments/new/",
        f"/care/runs/{CareRun.objects.get().pk}/",
    ]:
        assert client.get(url).status_code == 200, url


def test_results_page_shows_chart_table_and_holdout(
    as_user, supervisor, renewal_program, django_assert_max_num_queries
):
    Program.objects.filter(pk=renewal_program.pk).update(holdout_percent=30)
    _run(renewal_program, n=6)
    client = as_user(supervisor)
    with django_assert_max_num_queries(20):
        response = client.get(f"/care/programs/{renewal_program.pk}/results/")
    body = response.content.decode()
    assert response.status_code == 200 and "<svg" in body and "<table" in body


def test_results_query_count_does_not_grow_with_runs(
    as_user, supervisor, renewal_program, django_assert_num_queries
):
    _run(renewal_program, n=2)
    client = as_user(supervisor)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        client.get(f"/care/programs/{renewal_program.pk}/results/")
    for days in (1, 2, 3):
        CareRun.objects.create(
            program=renewal_program, run_on=timezone.localdate() - timedelta(days=days)
        )
    with CaptureQueriesContext(connection) as second:
        client.get(f"/care/programs/{renewal_program.pk}/results/")
    assert len(second) == len(first)


def test_results_export_csv_and_xlsx(as_user, supervisor, renewal_program):
    _run(renewal_program)
    client = as_user(supervisor)
    csv = client.get(f"/care/programs/{renewal_program.pk}/results.csv")
    assert csv.status_code == 200 and "text/csv" in csv["Content-Type"]
    xlsx = client.get(f"/care/programs/{renewal_program.pk}/results.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_a_representative_cannot_reach_program_editing(as_user, agent, renewal_program):
    client = as_user(agent)
    assert client.get("/care/programs/new/").status_code == 403
    assert client.post(f"/care/programs/{renewal_program.pk}/pause/").status_code == 403


def test_segment_preview_counts_live(as_user, supervisor):
    policy_customer(timezone.localdate(), tier="vip")
    response = as_user(supervisor).post(
        "/care/segments/preview/", {"name": "x", "tier": ["vip"]}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "1" in response.content.decode()


def test_segment_form_refuses_everyone_without_confirmation(as_user, supervisor):
    response = as_user(supervisor).post("/care/segments/new/", {"name": "所有人"})
    assert response.status_code == 400
    assert "confirm" in response.content.decode().lower() or "确认" in response.content.decode()


def test_agent_records_a_call_on_the_task_page(as_user, agent, renewal_program):
    _run(renewal_program, n=1)
    task = CareTask.objects.get()
    client = as_user(agent)
    assert client.get("/care/calls/").status_code == 200
    assert client.get(f"/care/calls/{task.pk}/").status_code == 200
    response = client.post(f"/care/calls/{task.pk}/", {"reached": "on", "booked": "on"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.state == "done" and task.booked


def test_another_agents_task_is_not_found(as_user, other_team_agent, renewal_program):
    _run(renewal_program, n=1)
    task = CareTask.objects.get()
    assert as_user(other_team_agent).get(f"/care/calls/{task.pk}/").status_code == 404


def test_customer_360_panel_says_why_a_customer_was_skipped(as_user, supervisor, renewal_program):
    _run(renewal_program, n=1, is_deceased=True)
    action = CareAction.objects.get()
    client = as_user(supervisor)
    assert "care-panel" in client.get(f"/customers/{action.customer_id}/").content.decode()
    panel = client.get(f"/care/customers/{action.customer_id}/", HTTP_HX_REQUEST="true")
    assert str(action.get_reason_display()) in panel.content.decode()


def test_supervisor_confirms_a_waiting_run_on_its_page(as_user, supervisor, renewal_program):
    CareSettings.objects.update_or_create(pk=1, defaults={"confirm_above": 1})
    _run(renewal_program, n=2)
    run = CareRun.objects.get()
    assert run.status == "awaiting"
    assert as_user(supervisor).post(f"/care/runs/{run.pk}/confirm/").status_code == 302
    run.refresh_from_db()
    assert run.status == "confirmed"


def test_api_creates_activates_pauses_and_reads_results(api_client, supervisor, team, everyone):
    client = api_client(supervisor)
    body = {
        "name": "接口计划",
        "segment_id": everyone.pk,
        "team_id": team.pk,
        "trigger": "policy_expiry",
        "offset_days": -30,
        "action": "call",
        "script_text": "您好{customer_name}",
    }
    created = client.post(
        "/api/v1/care/programs", json.dumps(body), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    assert client.post(f"/api/v1/care/programs/{pid}/activate").json()["status"] == "active"
    assert client.post(f"/api/v1/care/programs/{pid}/pause").json()["status"] == "paused"
    results = client.get(f"/api/v1/care/programs/{pid}/results")
    assert results.status_code == 200 and results.json()["total"]["counts"]["targeted"] == 0
    assert client.get("/api/v1/care/runs").status_code == 200


def test_api_refuses_bad_segment_conditions_by_field(api_client, supervisor):
    response = api_client(supervisor).post(
        "/api/v1/care/segments",
        json.dumps({"name": "坏", "definition": {"shoe_size": 3}}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "shoe_size"


def test_api_activation_problem_is_a_field_error(api_client, supervisor, everyone):
    client = api_client(supervisor)
    body = {
        "name": "无团队",
        "segment_id": everyone.pk,
        "trigger": "policy_expiry",
        "action": "call",
        "script_text": "x",
    }
    pid = client.post(
        "/api/v1/care/programs", json.dumps(body), content_type="application/json"
    ).json()["id"]
    response = client.post(f"/api/v1/care/programs/{pid}/activate")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "team"
