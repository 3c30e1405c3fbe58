"""The surveys API: permissions per endpoint and role, sends, responses and the analysis."""

import pytest

from rapport.channels.models import OutboxMessage
from rapport.customers.models import Identity
from rapport.customers.tests.factories import CustomerFactory
from rapport.surveys.models import SurveyCredit, SurveyResponse, SurveySend
from rapport.surveys.services import AnswerInput, survey_respond
from rapport.surveys.tests.factories import SendFactory, template


def invitations():
    """Survey invitations queued in the outbox (they used to go out by send_mail)."""
    return list(OutboxMessage.objects.filter(source="survey_invitation").order_by("id"))


pytestmark = pytest.mark.django_db

ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
ANALYSTS = {"supervisor", "manager", "admin_user"}
ANALYSIS = ["csat", "nps", "response-rates", "servqual", "kano", "loyalty", "credit"]


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_templates_sends_and_responses(request, api_client, role):
    client = api_client(request.getfixturevalue(role))
    templates = client.get("/api/v1/surveys/templates")
    assert templates.status_code == 200
    codes = {t["code"] for t in templates.json()}
    assert codes >= {"post_ticket_csat", "relationship_nps", "servqual_22", "kano_features"}
    servqual = next(t for t in templates.json() if t["code"] == "servqual_22")
    assert sum(q["kind"] == "servqual" for q in servqual["questions"]) == 22
    assert client.get("/api/v1/surveys/sends").status_code == 200
    assert client.get("/api/v1/surveys/responses").status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("part", ANALYSIS)
def test_analysis_endpoints_are_for_leads_only(request, api_client, role, part):
    client = api_client(request.getfixturevalue(role))
    response = client.get(f"/api/v1/surveys/analysis/{part}")
    assert response.status_code == (200 if role in ANALYSTS else 403)
    if response.status_code == 403:
        assert response.json()["code"] == "forbidden"


def test_the_api_needs_a_token(client):
    response = client.get("/api/v1/surveys/templates")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_create_a_send_for_an_event_once(api_client, agent, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    Identity.objects.create(customer=customer, kind="email", value="c@example.com")
    client = api_client(agent)
    body = {"customer_id": customer.pk, "event_key": "WO-2026-0042", "subject": "更换刹车片"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/surveys/sends", body, content_type="application/json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["trigger_key"] == "service_completed:WO-2026-0042"
    assert data["owner_id"] == agent.pk and data["template"] == "post_ticket_csat"
    assert SurveySend.objects.get().status == "sent" and len(invitations()) == 1
    again = client.post("/api/v1/surveys/sends", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_sent"
    assert SurveySend.objects.count() == 1


def test_a_refused_send_names_the_rule(api_client, agent):
    customer = CustomerFactory(is_deceased=True)
    response = api_client(agent).post(
        "/api/v1/surveys/sends",
        {"customer_id": customer.pk, "event_key": "x"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["code"] == "deceased"
    assert not SurveySend.objects.exists()


def test_unknown_customer_or_template_is_404(api_client, agent):
    client = api_client(agent)
    r = client.post(
        "/api/v1/surveys/sends",
        {"customer_id": 999999, "event_key": "x"},
        content_type="application/json",
    )
    assert r.status_code == 404
    customer = CustomerFactory()
    r = client.post(
        "/api/v1/surveys/sends",
        {"customer_id": customer.pk, "event_key": "x", "template": "nope"},
        content_type="application/json",
    )
    assert r.status_code == 404 and not SurveySend.objects.exists()


def test_responses_list_only_what_the_caller_may_see(api_client, agent, other_team_agent):
    mine = SendFactory(owner=agent)
    theirs = SendFactory(owner=other_team_agent)
    for send in (mine, theirs):
        csat = send.template.questions.get(code="csat")
        solved = send.template.questions.get(code="solved")
        survey_respond(
            send=send,
            answers=[AnswerInput(question=csat, value=4), AnswerInput(question=solved, value=1)],
        )
    data = api_client(agent).get("/api/v1/surveys/responses").json()
    assert [r["send_id"] for r in data["results"]] == [mine.pk]
    assert data["results"][0]["csat"] == 4
    assert {a["question"] for a in data["results"][0]["answers"]} == {"csat", "solved"}
    assert api_client(agent).get(f"/api/v1/surveys/sends/{theirs.pk}").status_code == 404


def test_analysis_numbers_match_the_answers(api_client, manager):
    for score in (9, 10, 6, 8):
        send = SendFactory(template=template("relationship_nps"))
        nps = send.template.questions.get(code="nps")
        survey_respond(send=send, answers=[AnswerInput(question=nps, value=score)])
    data = api_client(manager).get("/api/v1/surveys/analysis/nps").json()
    assert (data["promoters"], data["passives"], data["detractors"]) == (2, 1, 1)
    assert data["score"] == 25.0
    rates = api_client(manager).get("/api/v1/surveys/analysis/response-rates").json()
    assert rates == [
        {
            "template": "relationship_nps",
            "delivered": 4,
            "answered": 4,
            "undeliverable": 0,
            "rate": 1.0,
        }
    ]
    assert SurveyResponse.objects.count() == 4


def test_a_supervisor_analyses_only_their_teams_work(
    api_client, supervisor, manager, agent, other_team_agent, team
):
    for owner, score in ((agent, 5), (other_team_agent, 1)):
        send = SendFactory(owner=owner, team=owner.teams.first())
        SurveyCredit.objects.create(send=send, staff=owner, role=SurveyCredit.Role.OWNER)
        q = {x.code: x for x in send.template.questions.all()}
        survey_respond(
            send=send,
            answers=[
                AnswerInput(question=q["csat"], value=score),
                AnswerInput(question=q["solved"], value=1),
            ],
        )
    mine = api_client(supervisor).get("/api/v1/surveys/analysis/csat").json()
    everyone = api_client(manager).get("/api/v1/surveys/analysis/csat").json()
    assert (mine["n"], mine["mean"]) == (1, 5.0)
    assert (everyone["n"], everyone["mean"]) == (2, 3.0)
    credit = api_client(supervisor).get("/api/v1/surveys/analysis/credit").json()
    assert [c["staff_id"] for c in credit] == [agent.pk]


def _csat_answers(*scores):
    for score in scores:
        send = SendFactory()
        questions = send.template.questions
        answers = [
            AnswerInput(question=questions.get(code="csat"), value=score),
            AnswerInput(question=questions.get(code="solved"), value=1),
        ]
        survey_respond(send=send, answers=answers)


def test_the_csat_analysis_gives_the_share_of_satisfied_beside_the_mean(api_client, manager):
    _csat_answers(5, 4, 4, 2, 1, 3, 5, 5)

    data = api_client(manager).get("/api/v1/surveys/analysis/csat").json()

    assert data["mean"] == pytest.approx(29 / 8)
    assert data["satisfied_share"] == pytest.approx(5 / 8)
