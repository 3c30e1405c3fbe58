import pytest

pytestmark = pytest.mark.django_db


def test_coach_over_the_api(api_client, agent):
    response = api_client(agent).post(
        "/api/v1/assist/coach",
        {"text": "我们尽可能帮你查一下，你必须先提供订单号"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [f["rule"] for f in response.json()["flags"]] == ["try_best", "must"]


def test_batches_over_the_api(api_client, agent):
    client = api_client(agent)
    items = [{"id": 1, "text": "这不是我们的责任。"}, {"id": "b", "text": "我会处理。"}]
    response = client.post(
        "/api/v1/assist/coach/batch", {"items": items}, content_type="application/json"
    )
    assert response.json() == [{"id": 1, "rules": ["not_our_fault"]}, {"id": "b", "rules": []}]
    items = [{"id": 1, "text": "我要去消协投诉你们"}, {"id": 2, "text": "谢谢"}]
    response = client.post(
        "/api/v1/assist/upset/batch", {"items": items}, content_type="application/json"
    )
    first, second = response.json()
    assert (first["id"], first["upset"], first["intensity"], first["risk"]) == (1, True, 3, True)
    assert (second["upset"], second["intensity"]) == (False, 0)


def test_upset_over_the_api(api_client, agent):
    response = api_client(agent).post(
        "/api/v1/assist/upset", {"text": "太过分了！"}, content_type="application/json"
    )
    assert response.json()["intensity"] == 2


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/api/v1/assist/coach", {"text": "x" * 20_001}, "text"),
        ("/api/v1/assist/coach", {"text": "x", "language": "fr"}, "language"),
        ("/api/v1/assist/coach", {"text": 5}, "text"),
        ("/api/v1/assist/coach", {}, "text"),
        ("/api/v1/assist/upset", {"text": None}, "text"),
        ("/api/v1/assist/upset/batch", {"items": [{"text": "x"}] * 501}, "items"),
        ("/api/v1/assist/coach/batch", {"items": [{"id": 1}]}, "items.0.text"),
        # found by make fuzz: lax parsing read false as the id 0
        ("/api/v1/assist/coach/batch", {"items": [{"id": False, "text": ""}]}, "items.0.id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api_client, agent, path, body, field):
    response = api_client(agent).post(path, body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_the_api_needs_a_token(client):
    assert (
        client.post(
            "/api/v1/assist/coach", {"text": "x"}, content_type="application/json"
        ).status_code
        == 401
    )


def test_phrases_over_the_api(api_client, agent):
    response = api_client(agent).get("/api/v1/assist/phrases", {"q": "我还可以"})
    assert [p["code"] for p in response.json()] == ["feedback_more"]
    assert api_client(agent).get("/api/v1/assist/phrases", {"language": "fr"}).status_code == 422
