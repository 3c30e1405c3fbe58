import json

import pytest
from django.urls import reverse

from rapport.customers.services import customer_create

pytestmark = pytest.mark.django_db


def test_the_coach_answers_the_draft_with_flags_and_one_click_replacements(agent, as_user):
    response = as_user(agent).post(
        reverse("assist:coach"), {"text": "我们尽可能帮你查一下，你必须先提供订单号"}
    )
    assert response.status_code == 200
    flags = response.json()["flags"]
    assert [(f["rule"], f["text"], f["replacement"]) for f in flags] == [
        ("try_best", "我们尽可能", "我会"),
        ("must", "你必须", "您能"),
    ]
    assert flags[0]["suggestion"] == "我会……" and flags[0]["label"]


def test_the_coach_refuses_bad_input_naming_the_field(agent, as_user):
    client = as_user(agent)
    response = client.post(reverse("assist:coach"), {"text": "x" * 20_001})
    assert response.status_code == 422 and "text" in response.json()["errors"]
    response = client.post(reverse("assist:coach"), {"text": "hi", "language": "fr"})
    assert response.status_code == 422 and "language" in response.json()["errors"]
    assert client.post(reverse("assist:coach"), {"text": ""}).json() == {"flags": []}


def test_the_coach_needs_a_signed_in_representative(client, kam, as_user):
    assert client.post(reverse("assist:coach"), {"text": "x"}).status_code == 302
    assert as_user(kam).post(reverse("assist:coach"), {"text": "x"}).status_code == 403


def test_the_phrase_picker_fills_the_customers_name_and_the_agents(agent, team, as_user):
    agent.display_name = "李明"
    agent.save()
    customer = customer_create(by=agent, name="王芳", service_team=team, gender="female")
    response = as_user(agent).get(
        reverse("assist:phrases"), {"q": "greeting_written", "customer": customer.pk}
    )
    texts = [p["text"] for p in response.json()["phrases"]]
    assert "王芳女士，您好！感谢您联系瑞泰汽车服务有限公司。" in texts
    response = as_user(agent).get(
        reverse("assist:phrases"), {"q": "greeting_phone", "language": "zh-hans"}
    )
    assert (
        response.json()["phrases"][0]["text"]
        == "您好，我是瑞泰汽车服务有限公司李明，很高兴为您服务。"
    )


def test_the_phrase_picker_handles_bad_input(agent, as_user):
    client = as_user(agent)
    assert client.get(reverse("assist:phrases"), {"q": "%' OR 1=1 --"}).json() == {"phrases": []}
    assert client.get(reverse("assist:phrases"), {"customer": "abc"}).status_code == 422
    assert client.get(reverse("assist:phrases"), {"customer": 999999}).status_code == 200


def test_the_supervisor_page_shows_per_agent_and_per_rule(
    agent, supervisor, as_user, django_assert_max_num_queries
):
    from rapport.assist.services import coach_record_sent

    coach_record_sent(agent=agent, channel="ticket", shown=["must", "try_best"], remaining=["must"])
    coach_record_sent(agent=agent, channel="chat", shown=["must"], remaining=[])
    client = as_user(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("assist:review"))
    assert response.status_code == 200
    by_rule = {row.key: row for row in response.context["by_rule"]}
    assert (by_rule["must"].shown, by_rule["must"].fixed) == (2, 1)
    assert (by_rule["try_best"].shown, by_rule["try_best"].fixed) == (1, 1)
    (row,) = response.context["by_agent"]
    assert (row.shown, row.fixed) == (3, 2) and sum(row.weeks) == 3
    assert client.get(reverse("assist:review"), {"days": "abc"}).status_code == 200


def test_representatives_do_not_see_the_supervisor_page(agent, as_user):
    assert as_user(agent).get(reverse("assist:review")).status_code == 403


def test_the_coach_script_is_served(client):
    from django.contrib.staticfiles import finders

    assert finders.find("assist/coach.js") and finders.find("assist/coach.css")
    json.dumps({})
