import pytest
from django.core.exceptions import ValidationError

from rapport.core.errors import Conflict, Forbidden
from rapport.knowledge.models import Article, ArticleEvent, SearchEntry
from rapport.knowledge.render import render_markdown
from rapport.knowledge.search import search_articles
from rapport.knowledge.services import article_create, article_transition, article_update
from rapport.knowledge.tests.conftest import titles
from rapport.knowledge.text import segment

pytestmark = pytest.mark.django_db


def test_segmentation_keeps_the_domain_words_whole():
    words = segment("正时皮带异响，冷媒不足；三包定损时发现漏油")

    for word in ("正时皮带", "异响", "冷媒", "三包", "定损", "漏油"):
        assert word in words


def test_full_width_letters_and_digits_are_folded():
    assert segment("ＡＢＳ１２３") == ["ABS123"]


def test_script_tags_never_reach_the_page():
    html = render_markdown(
        "# 标题\n\n<script>alert(1)</script>**粗体** <img src=x onerror=alert(1)>"
        "[点我](javascript:alert(1)) <a href='https://x' onclick='alert(1)'>x</a>"
    )

    assert "<script" not in html and "alert(1)</script>" not in html
    assert "onerror" not in html and "onclick" not in html
    assert 'href="javascript' not in html
    assert "<strong>粗体</strong>" in html
    assert "<h2>标题</h2>" in html


def test_an_article_body_with_script_tags_is_stored_sanitised(agent):
    article = article_create(by=agent, title="测试", body="正文<script>alert('x')</script>结束")

    assert "<script" not in article.body_html
    assert "正文" in article.body_html and "结束" in article.body_html


def test_a_representative_writes_and_submits_but_cannot_publish(agent):
    article = article_create(by=agent, title="异响处理", body="检查皮带")
    article_transition(article=article, by=agent, action="submit")

    with pytest.raises(Forbidden):
        article_transition(article=article, by=agent, action="publish")

    article.refresh_from_db()
    assert article.state == Article.State.REVIEW
    assert article.published_at is None


def test_a_supervisor_publishes_with_who_and_when(agent, supervisor):
    article = article_create(by=agent, title="异响处理", body="检查皮带")
    article_transition(article=article, by=agent, action="submit")

    article_transition(article=article, by=supervisor, action="publish")

    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    assert article.published_by == supervisor and article.published_at is not None
    assert list(article.events.values_list("action", "by__username")) == [
        ("created", "agent"),
        ("submitted", "agent"),
        ("published", "supervisor"),
    ]


def test_returning_needs_a_note_and_changes_nothing_without_one(agent, supervisor):
    article = article_create(by=agent, title="异响处理", body="检查皮带")
    article_transition(article=article, by=agent, action="submit")

    with pytest.raises(ValidationError):
        article_transition(article=article, by=supervisor, action="return", note=" ")

    article.refresh_from_db()
    assert article.state == Article.State.REVIEW
    assert not ArticleEvent.objects.filter(action="returned").exists()
    article_transition(article=article, by=supervisor, action="return", note="补充步骤")
    article.refresh_from_db()
    assert article.state == Article.State.DRAFT


def test_an_action_from_the_wrong_state_is_a_conflict(agent, supervisor):
    article = article_create(by=agent, title="异响处理", body="检查皮带")

    with pytest.raises(Conflict):
        article_transition(article=article, by=supervisor, action="archive")


def test_a_representative_cannot_edit_a_published_article(agent, supervisor):
    article = article_create(by=agent, title="异响处理", body="检查皮带")
    article_transition(article=article, by=supervisor, action="publish")

    with pytest.raises(Forbidden):
        article_update(
            article=article, by=agent, title="改", body="改", kind="how_to", audience="public",
            language="zh-hans",
        )  # fmt: skip
    article.refresh_from_db()
    assert article.title == "异响处理" and article.audience == "internal"


def test_empty_title_and_body_are_refused_by_field(agent):
    with pytest.raises(ValidationError) as exc:
        article_create(by=agent, title=" ", body="")

    assert set(exc.value.message_dict) == {"title", "body"}
    assert not Article.objects.exists()


def test_the_index_follows_each_step_after_commit(
    agent, supervisor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        article = article_create(by=agent, title="漏油检查", body="底盘漏油先拍照")
    assert search_articles("漏油") == []  # a draft is indexed but not found

    with django_capture_on_commit_callbacks(execute=True):
        article_transition(article=article, by=supervisor, action="publish")
    assert titles(search_articles("漏油")) == ["漏油检查"]

    with django_capture_on_commit_callbacks(execute=True):
        article_update(
            article=article, by=supervisor, title="异响检查", body="底盘异响先录音",
            kind="how_to", audience="internal", language="zh-hans",
        )  # fmt: skip
    assert search_articles("漏油") == []
    assert titles(search_articles("异响")) == ["异响检查"]

    with django_capture_on_commit_callbacks(execute=True):
        article_transition(article=article, by=supervisor, action="archive")
    assert search_articles("异响") == []
    assert SearchEntry.objects.get(article=article).state == "archived"


def test_nothing_is_indexed_when_the_transaction_rolls_back(
    agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        article_create(by=agent, title="漏油检查", body="底盘漏油先拍照")
    assert len(callbacks) == 1
    assert not SearchEntry.objects.exists()


def test_the_two_language_versions_link_both_ways(agent):
    zh = article_create(by=agent, title="退款政策", body="七个工作日")
    en = article_create(
        by=agent, title="Refund policy", body="Seven days", language="en", translation=zh
    )

    zh.refresh_from_db()
    assert zh.translation == en and en.translation == zh
    with pytest.raises(ValidationError):
        article_create(by=agent, title="退款", body="x", translation=zh)
