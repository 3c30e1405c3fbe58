"""Pages and the public link, through HTTP: permissions per role, token security, validation,
query counts."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from rapport.surveys.models import SurveyResponse, SurveySend
from rapport.surveys.selectors import link_signer
from rapport.surveys.tests.factories import SendFactory, template

pytestmark = pytest.mark.django_db

ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
ANALYSTS = {"supervisor", "manager", "admin_user"}


def _token() -> str:
    import secrets

    return link_signer().sign(secrets.token_urlsafe(24))


@pytest.fixture
def link():
    token = _token()
    send = SendFactory(token=token, subject="保养后回访")
    return send, reverse("surveys:respond", args=[token])


CSAT_OK = {"csat": "5", "solved": "1", "touchpoint": ["people"], "comment": "服务很好"}


@pytest.mark.parametrize("role", ROLES)
def test_analysis_page_is_for_leads_only(request, as_user, role):
    user = request.getfixturevalue(role)
    response = as_user(user).get(reverse("surveys:analysis"))
    assert response.status_code == (200 if role in ANALYSTS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_exports_follow_the_analysis_permission(request, as_user, role):
    user = request.getfixturevalue(role)
    url = reverse("surveys:analysis_export", args=["csat", "csv"])
    assert as_user(user).get(url).status_code == (200 if role in ANALYSTS else 403)


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_the_list_of_sends_and_only_leads_run_campaigns(request, as_user, role):
    user = request.getfixturevalue(role)
    client = as_user(user)
    assert client.get(reverse("surveys:sends")).status_code == 200
    response = client.post(reverse("surveys:segment_create"), {"name": f"seg-{role}"})
    assert response.status_code == (302 if role in ANALYSTS else 403)


def test_pages_need_a_login(client):
    for name in ("surveys:analysis", "surveys:sends"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_agents_see_only_sends_about_their_teams_work(as_user, agent, other_team_agent, team):
    mine = SendFactory(owner=agent, team=team)
    theirs = SendFactory(owner=other_team_agent)
    page = as_user(agent).get(reverse("surveys:sends")).content.decode()
    assert mine.customer.name in page and theirs.customer.name not in page


def test_the_analysis_page_shows_every_part(as_user, manager):
    send = SendFactory(template=template("servqual_22"))
    SurveyResponse.objects.create(send=send, csat=None)
    html = as_user(manager).get(reverse("surveys:analysis")).content.decode()
    for heading in ("CSAT", "NPS", "SERVQUAL", "KANO", "木桶效应", "65%–85%", "客户满意≠客户忠诚"):
        assert heading in html
    assert html.count("<svg") == 6


def test_the_analysis_page_query_count_is_pinned(as_user, manager, django_assert_num_queries):
    from rapport.surveys.services import AnswerInput, survey_respond

    for code in ("post_ticket_csat", "servqual_22", "kano_features"):
        send = SendFactory(template=template(code))
        pairs = send.template.questions.filter(kind__in=["servqual", "kano"])
        if pairs:
            survey_respond(
                send=send, answers=[AnswerInput(question=q, value=3, value_b=4) for q in pairs]
            )
    client = as_user(manager)
    client.get(reverse("surveys:analysis"))
    # session, user, the agent-status slot; the filter form's lists; the days the rollup holds
    # current and the sends outside them; one grouped query per measure (SERVQUAL and its trend share one), the
    # questionnaires, the KANO questions and the people credited — however many answers there
    # are (days held by the rollup add one query per measure: test_rollups); loyalty comes in
    # its own request
    with django_assert_num_queries(17):
        client.get(reverse("surveys:analysis"))
    # the rollup keeps the customer's tier (and channel and ticket type): the same queries
    with django_assert_num_queries(17):
        client.get(reverse("surveys:analysis"), {"tier": "regular", "date_from": "2020-01-01"})
    # loyalty: session, user; the filter form's lists; the days the rollup holds current, the
    # sends outside them and one grouped query for those (days held add one: test_rollups)
    with django_assert_num_queries(7):
        client.get(reverse("surveys:analysis"), {"part": "loyalty"}, headers={"HX-Request": "true"})


def test_loyalty_loads_after_the_page_and_without_javascript_too(as_user, manager):
    send = SendFactory()
    SurveyResponse.objects.create(send=send, csat=5)
    client = as_user(manager)
    page = client.get(reverse("surveys:analysis")).content.decode()
    assert 'hx-get="?part=loyalty"' in page and "客户满意≠客户忠诚" in page
    part = client.get(
        reverse("surveys:analysis"), {"part": "loyalty"}, headers={"HX-Request": "true"}
    )
    html = part.content.decode()
    assert html.lstrip().startswith('<div id="loyalty">') and "<html" not in html
    assert "满意（CSAT 4–5 或推荐者）" in html
    full = client.get(reverse("surveys:analysis"), {"part": "loyalty"}).content.decode()
    assert "<html" in full and "满意（CSAT 4–5 或推荐者）" in full and 'hx-get="?part' not in full


def test_the_excel_export_is_a_workbook(as_user, manager):
    response = as_user(manager).get(reverse("surveys:analysis_export", args=["servqual", "xlsx"]))
    assert response.status_code == 200
    assert response.content[:2] == b"PK"
    assert as_user(manager).get("/satisfaction/export/nope.csv").status_code == 404


def test_the_nps_export_names_each_group_in_words_not_codes(as_user, manager):
    response = as_user(manager).get(reverse("surveys:analysis_export", args=["nps", "csv"]))

    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "贬损者" in text and "被动者" in text and "推荐者" in text
    assert not {"detractor", "passive", "promoter"} & set(text.replace(",", " ").split())


# --- the public page --------------------------------------------------------------------------


def test_the_link_opens_without_login_and_shows_company_and_subject(client, link):
    send, url = link
    html = client.get(url).content.decode()
    assert "瑞泰汽车服务有限公司" in html
    assert "保养后回访" in html and send.template.name_zh in html
    assert send.customer.name not in html  # nothing personal on a page anyone with the link sees


def test_an_english_customer_gets_the_english_page(client):
    token = _token()
    send = SendFactory(token=token, language="en")
    html = client.get(reverse("surveys:respond", args=[token])).content.decode()
    assert send.template.name_en in html and 'lang="en"' in html


def test_answering_thanks_the_customer_and_stores_one_response(client, link):
    send, url = link
    response = client.post(url, CSAT_OK)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode() or "谢谢" in response.content.decode()
    stored = SurveyResponse.objects.get(send=send)
    assert stored.csat == 5 and stored.solved is True


def test_a_second_submission_edits_the_same_response(client, link):
    _send, url = link
    client.post(url, CSAT_OK)
    page = client.get(url).content.decode()
    assert re.search(r'name="csat" value="5"[^>]*checked', page)
    client.post(url, {**CSAT_OK, "csat": "4"})
    assert SurveyResponse.objects.count() == 1
    assert SurveyResponse.objects.get().csat == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**CSAT_OK, "csat": "6"}, "1"),
        ({**CSAT_OK, "csat": ""}, "Please answer this question."),
        ({**CSAT_OK, "touchpoint": ["nonsense"]}, "Choose from the options shown."),
    ],
)
def test_bad_answers_are_named_by_question_and_nothing_is_stored(
    client, link, data, message, settings
):
    settings.LANGUAGE_CODE = "en"
    send, url = link
    send.language = "en"
    send.save()
    response = client.post(url, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (
        'class="q q-csat q-error"' in response.content.decode()
        or "q-error" in response.content.decode()
    )
    assert not SurveyResponse.objects.exists()


def test_script_in_free_text_is_stored_as_text_and_shown_escaped(client, link):
    _send, url = link
    client.post(url, {**CSAT_OK, "comment": "<script>alert(1)</script>"})
    assert SurveyResponse.objects.get().answers.get(question__code="comment").text == (
        "<script>alert(1)</script>"
    )
    html = client.get(url).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_an_expired_link_says_so_plainly(client):
    token = _token()
    SendFactory(token=token, expires_at=timezone.now() - timedelta(minutes=1))
    url = reverse("surveys:respond", args=[token])
    for response in (client.get(url), client.post(url, CSAT_OK)):
        assert response.status_code == 410
        assert "过期" in response.content.decode() or "expired" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_guessed_token_is_not_found_and_reveals_nothing(client, link):
    send, _url = link
    for guess in (_token(), "abc", "x" * 43, signing.Signer(salt="other").sign("abc")):
        response = client.get(reverse("surveys:respond", args=[guess]))
        assert response.status_code == 404
        assert send.template.name_zh not in response.content.decode()


def test_a_tampered_token_is_refused_before_the_database(client, link, django_assert_num_queries):
    _send, url = link
    token = url.split("/s/")[1].rstrip("/")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with django_assert_num_queries(0):
        response = client.get(reverse("surveys:respond", args=[tampered]))
    assert response.status_code == 404
    assert client.post(reverse("surveys:respond", args=[tampered]), CSAT_OK).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_the_digest_is_not_the_link(link):
    send, url = link
    assert send.token_digest not in url
    assert SurveySend.objects.filter(token_digest=url.split("/s/")[1].rstrip("/")).count() == 0


def test_the_trend_has_one_point_per_quarter_with_answers(manager):
    from rapport.surveys import analysis
    from rapport.surveys.services import AnswerInput, survey_respond

    for when in ("2025-12-20", "2026-01-05", "2026-02-10"):
        send = SendFactory(template=template("servqual_22"))
        answers = [
            AnswerInput(question=q, value=6, value_b=4 if q.dimension == "responsiveness" else 6)
            for q in send.template.questions.filter(kind="servqual")
        ]
        response = survey_respond(send=send, answers=answers)
        SurveyResponse.objects.filter(pk=response.pk).update(
            submitted_at=timezone.make_aware(timezone.datetime.fromisoformat(when + " 10:00"))
        )
    sends = analysis.sends_in_scope(staff=manager, filters=analysis.Filters())
    trend = analysis.servqual_trend(scope=sends)
    assert trend["quarters"] == ["2025-Q4", "2026-Q1"]
    assert trend["gaps"]["2026-Q1"]["responsiveness"] == -2
    assert trend["gaps"]["2025-Q4"]["tangibles"] == 0


def test_the_list_of_sends_query_count_is_pinned(as_user, manager, django_assert_num_queries):
    from rapport.surveys.services import AnswerInput, survey_respond

    for csat in (1, 5, None):
        send = SendFactory()
        if csat:
            q = {x.code: x for x in send.template.questions.all()}
            survey_respond(
                send=send,
                answers=[
                    AnswerInput(question=q["csat"], value=csat),
                    AnswerInput(question=q["solved"], value=1),
                ],
            )
    client = as_user(manager)
    client.get(reverse("surveys:sends"))
    # session, user, agent-status slot, count, page, the campaign form's segments and templates
    with django_assert_num_queries(7):
        html = client.get(reverse("surveys:sends")).content.decode()
    assert "T0" in html  # the unhappy answer links to its follow-up ticket


def test_analysis_exports_quote_text_that_would_run_as_a_formula():
    from rapport.surveys.exports import as_csv

    text = as_csv(["name"], [["=cmd|' /C calc'!A0"], ["@SUM(1)"]])

    assert text.splitlines()[1:] == ["'=cmd|' /C calc'!A0", "'@SUM(1)"]


def test_the_analysis_page_shows_the_csat_figure_beside_the_mean(as_user, manager):
    from rapport.surveys.services import AnswerInput, survey_respond

    for score in (5, 4, 2, 1):
        send = SendFactory()
        questions = send.template.questions
        answers = [
            AnswerInput(question=questions.get(code="csat"), value=score),
            AnswerInput(question=questions.get(code="solved"), value=1),
        ]
        survey_respond(send=send, answers=answers)

    html = as_user(manager).get(reverse("surveys:analysis")).content.decode()

    stats = html[html.index('class="stats sv-stats"') :][:1500]
    assert "3.00<small>/5</small>" in stats
    assert "50<small>%</small>" in stats
