import pytest
from django.test import Client

from rapport.knowledge.models import Article
from rapport.knowledge.tests.conftest import make_article

pytestmark = pytest.mark.django_db


def test_the_list_searches_and_shows_the_matched_words(
    corpus, agent, as_user, django_assert_num_queries
):
    client = as_user(agent)
    client.get("/knowledge/?q=异响")  # warm: jieba, sessions
    with django_assert_num_queries(7):
        response = client.get("/knowledge/?q=异响")

    page = response.content.decode()
    assert response.status_code == 200
    assert "发动机异响排查步骤" in page and "刹车异响草稿" in page  # staff also find drafts
    assert "<mark>异响</mark>" in page
    assert "旧退款流程" not in page


def test_the_list_without_words_pages_the_articles(
    corpus, agent, as_user, django_assert_num_queries
):
    client = as_user(agent)
    with django_assert_num_queries(5):
        response = client.get("/knowledge/?kind=policy")

    page = response.content.decode()
    assert "退款政策" in page and "Refund policy" in page
    assert "发动机异响排查步骤" not in page
    assert "旧退款流程" not in page  # archived ones only when asked for


def test_a_bad_filter_is_a_400_with_the_page(agent, as_user):
    response = as_user(agent).get("/knowledge/?state=nonsense")

    assert response.status_code == 400


def test_the_detail_page_shows_the_sanitised_body(
    agent, supervisor, as_user, django_assert_num_queries
):
    article = make_article(
        agent, supervisor, title="测试", body="**要点**<script>alert(1)</script>"
    )
    client = as_user(agent)
    with django_assert_num_queries(5):
        response = client.get(f"/knowledge/{article.pk}/")

    page = response.content.decode()
    assert "<strong>要点</strong>" in page
    assert "alert(1)" not in page


def test_writing_an_article_through_the_form(agent, as_user):
    client = as_user(agent)
    response = client.post(
        "/knowledge/new/",
        {
            "title": "漏油怎么办",
            "body": "先拍照",
            "kind": "how_to",
            "audience": "internal",
            "language": "zh-hans",
        },
    )

    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{article.pk}/"
    assert article.owner == agent and article.state == "draft"


def test_a_form_missing_fields_says_which(agent, as_user):
    response = as_user(agent).post("/knowledge/new/", {"title": "", "body": "", "kind": "x"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "body", "kind"}
    assert not Article.objects.exists()


def test_a_representative_cannot_publish_through_the_page(agent, as_user):
    article = make_article(agent, agent, title="草稿", body="x", state="draft")

    response = as_user(agent).post(f"/knowledge/{article.pk}/publish/")

    assert response.status_code == 403
    article.refresh_from_db()
    assert article.state == "draft"


def test_a_supervisor_publishes_from_the_review_queue(agent, supervisor, as_user):
    article = make_article(agent, agent, title="待审", body="x", state="draft")
    as_user(agent).post(f"/knowledge/{article.pk}/submit/")

    queue = as_user(supervisor).get("/knowledge/review/")
    assert "待审" in queue.content.decode()
    as_user(supervisor).post(f"/knowledge/{article.pk}/publish/")

    article.refresh_from_db()
    assert article.state == "published" and article.published_by == supervisor


def test_the_review_queue_is_for_supervisors(agent, as_user):
    assert as_user(agent).get("/knowledge/review/").status_code == 403


def test_a_viewer_role_cannot_write(kam, as_user):
    assert as_user(kam).get("/knowledge/new/").status_code == 403
    assert as_user(kam).get("/knowledge/").status_code == 200


def test_the_help_page_needs_no_login_and_shows_only_public_published(
    corpus, settings, django_assert_num_queries
):
    settings.COMPANY_NAME = "安心汽车服务"
    client = Client()
    client.get("/help/?q=退款")
    with django_assert_num_queries(3):  # synonyms, the ranked ids, the entries
        response = client.get("/help/?q=退款")

    page = response.content.decode()
    assert response.status_code == 200
    assert "安心汽车服务" in page
    assert "退款政策" in page
    assert "旧退款流程" not in page  # archived
    assert "发动机异响排查步骤" not in Client().get("/help/?q=异响").content.decode()


def test_the_help_index_lists_public_articles(corpus, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = Client().get("/help/")

    page = response.content.decode()
    assert "空调不制冷怎么办" in page and "Refund policy" in page
    assert "变速箱漏油的处理" not in page


def test_an_internal_or_unpublished_article_is_not_found_on_the_help_page(corpus):
    client = Client()
    assert client.get(f"/help/{corpus['leak'].pk}/").status_code == 404
    assert client.get(f"/help/{corpus['archived'].pk}/").status_code == 404
    response = client.get(f"/help/{corpus['refund'].pk}/")
    assert response.status_code == 200 and "七个工作日" in response.content.decode()


@pytest.mark.parametrize("q", ['"', "*", "NEAR", "OR", "。", "<script>", "a" * 300])
def test_odd_queries_on_the_pages_are_not_errors(corpus, agent, as_user, q):
    assert Client().get("/help/", {"q": q}).status_code in (200, 400)
    assert as_user(agent).get("/knowledge/", {"q": q}).status_code in (200, 400)


def test_the_reindex_command_rebuilds_the_entries(corpus):
    from django.core.management import call_command

    from rapport.knowledge.models import SearchEntry

    SearchEntry.objects.all().delete()
    call_command("knowledge", "reindex", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert SearchEntry.objects.filter(kind="article").count() == len(corpus)
