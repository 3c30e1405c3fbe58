"""Tickets and the knowledge base: archived cases are indexed and suggested, an open ticket
gets a suggestions panel, and a case becomes a case-lesson draft for review."""

import pytest

from rapport.knowledge.models import Article, SearchEntry
from rapport.knowledge.search import search_cases, suggest
from rapport.knowledge.services import article_create, article_transition
from rapport.tickets import services
from rapport.tickets.tests.factories import open_ticket, resolved

pytestmark = pytest.mark.django_db


def _archived(agent, capture, **lesson):
    ticket = services.ticket_transition(
        ticket=resolved(agent, subject="空调不制冷"), by=agent, action="close", satisfaction="yes"
    )
    with capture(execute=True):
        services.ticket_archive(
            ticket=ticket,
            by=agent,
            problem=lesson.get("problem", "车辆空调不制冷，出风口是热风"),
            cause=lesson.get("cause", "冷媒泄漏，冷凝器接口老化"),
            remedy=lesson.get("remedy", "更换冷凝器并加注冷媒，免收工时费"),
        )
    return ticket


def test_an_archived_case_is_indexed_after_commit_with_remedy_and_outcome(
    agent, django_capture_on_commit_callbacks
):
    ticket = _archived(agent, django_capture_on_commit_callbacks)

    hits = search_cases("冷媒")

    assert [h.entry.ticket_id for h in hits] == [ticket.pk]
    entry = hits[0].entry
    assert entry.remedy == "更换冷凝器并加注冷媒，免收工时费"
    assert "已关闭" in entry.outcome or "Closed" in entry.outcome
    assert entry.url == f"/tickets/{ticket.pk}/"


def test_suggestions_find_articles_and_similar_cases_but_not_the_ticket_itself(
    agent, supervisor, django_capture_on_commit_callbacks
):
    old = _archived(agent, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        article = article_create(
            by=agent, title="空调不制冷的排查", body="先测冷媒压力，再查冷凝器。"
        )
        article_transition(article=article, by=supervisor, action="publish")

    articles, cases = suggest(
        "客户说空调不制冷，出风口没有冷风，怀疑冷媒不足", exclude_ticket_id=None
    )
    assert [h.entry.article_id for h in articles] == [article.pk]
    assert [h.entry.ticket_id for h in cases] == [old.pk]
    assert "冷媒" in cases[0].matched

    _articles, cases = suggest("空调不制冷 冷媒", exclude_ticket_id=old.pk)
    assert cases == []


def test_the_ticket_page_loads_the_panel_with_htmx(agent, as_user):
    ticket = open_ticket(agent)

    page = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert f'hx-get="/knowledge/suggest/ticket/{ticket.pk}/"' in page


def test_the_panel_on_an_open_ticket_suggests_with_the_matched_words(
    agent, supervisor, as_user, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        article = article_create(
            by=agent, title="空调不制冷的排查", body="先测冷媒压力。", audience="public"
        )
        article_transition(article=article, by=supervisor, action="publish")
    ticket = open_ticket(agent, description="客户反映空调不制冷，冷媒可能不足。")
    client = as_user(agent)
    client.get(f"/knowledge/suggest/ticket/{ticket.pk}/")
    with django_assert_num_queries(9):
        response = client.get(f"/knowledge/suggest/ticket/{ticket.pk}/")

    page = response.content.decode()
    assert "空调不制冷的排查" in page
    assert 'data-kb-target="id_reply-body"' in page
    assert f"/help/{article.pk}/" in page  # a public article's link can be inserted
    assert "<mark>" in page


def test_the_panel_of_a_ticket_one_may_not_see_is_404(agent, other_team_agent, as_user):
    ticket = open_ticket(agent)

    response = as_user(other_team_agent).get(f"/knowledge/suggest/ticket/{ticket.pk}/")

    assert response.status_code == 404


def test_an_archived_case_becomes_a_case_lesson_draft_once(
    agent, as_user, django_capture_on_commit_callbacks
):
    ticket = _archived(agent, django_capture_on_commit_callbacks)
    client = as_user(agent)
    panel = client.get(f"/knowledge/suggest/ticket/{ticket.pk}/").content.decode()
    assert f"/knowledge/from-case/{ticket.pk}/" in panel

    first = client.post(f"/knowledge/from-case/{ticket.pk}/")
    second = client.post(f"/knowledge/from-case/{ticket.pk}/")

    article = Article.objects.get()
    assert first["Location"] == second["Location"] == f"/knowledge/{article.pk}/"
    assert article.kind == "case_lesson" and article.state == "draft"
    assert article.source_ticket_id == ticket.pk
    assert "冷凝器接口老化" in article.body_html and "更换冷凝器" in article.body_html
    assert (
        f"/knowledge/{article.pk}/"
        in client.get(f"/knowledge/suggest/ticket/{ticket.pk}/").content.decode()
    )


def test_a_ticket_without_a_case_cannot_be_drafted(agent, as_user):
    ticket = open_ticket(agent)

    response = as_user(agent).post(f"/knowledge/from-case/{ticket.pk}/")

    assert response.status_code == 404
    assert not Article.objects.exists()


def test_reindex_brings_back_the_cases(agent, django_capture_on_commit_callbacks):
    from rapport.knowledge.search import reindex

    ticket = _archived(agent, django_capture_on_commit_callbacks)
    SearchEntry.objects.all().delete()

    counts = reindex(log=lambda line: None)

    assert counts["cases"] == 1
    assert [h.entry.ticket_id for h in search_cases("冷凝器")] == [ticket.pk]
