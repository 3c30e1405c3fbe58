"""How searches are ranked and what they cost: the same ids in the same order as the ranking
before issue 12's speed-up (the zero-weight scope words in the MATCH, a join for several
states), a fixed number of queries, and suggestions ranked within the newest matches."""

import random

import pytest
from django.db import connection

from rapport.knowledge import registry, search
from rapport.knowledge.models import Article, SearchEntry
from rapport.knowledge.search import search_articles, search_cases, suggest
from rapport.knowledge.text import parse_query

pytestmark = pytest.mark.django_db

PROBLEMS = ["冷启动发动机异响", "底盘漏油", "空调不制冷", "刹车异响", "退款进度慢", "保养后漏油"]
CAUSES = ["正时皮带张紧器老化", "油底壳垫片未更换", "冷媒泄漏", "刹车片磨损", "沟通不到位"]
REMEDIES = ["免费更换配件并致歉", "退还多收费用", "按三包规定换件", "主管电话回访"]
QUERIES = [
    "异响", "漏油", "退款", "正时皮带", "冷媒泄漏", "刹车 异响", "发动机 漏油 退款", "yixiang",
    "三包", "皮带", "空调不制冷", "tuikuan",
]  # fmt: skip


def _text(rng: random.Random) -> tuple[str, str]:
    problem = rng.choice(PROBLEMS)
    body = f"{problem}。原因：{rng.choice(CAUSES)}。处理：{rng.choice(REMEDIES)}。"
    if rng.random() < 0.3:
        body += f"{problem}再次出现。"  # some words twice: different bm25 weights
    return problem, body


@pytest.fixture
def index(agent):
    """Articles in every state and audience interleaved with cases, many ranking ties."""
    rng = random.Random(12)
    states = ["published"] * 5 + ["draft", "review", "archived"]
    for n in range(240):
        title, body = _text(rng)
        if n % 3 == 0:
            article = Article.objects.create(
                title=title,
                body=body,
                body_html=f"<p>{body}</p>",
                owner=agent,
                created_by=agent,
                state=rng.choice(states),
                audience=rng.choice(["internal", "public"]),
            )
            search.entry_for_article(article.pk)
        else:
            search.entry_for_case(
                registry.CaseDocument(
                    ticket_id=10_000 + n,
                    number=f"T{n:06d}",
                    title=title,
                    problem=body,
                    cause="",
                    remedy=rng.choice(REMEDIES),
                    outcome="已关闭",
                    url=f"/tickets/{n}/",
                )
            )


def _before(query, *, kind, audience, states, any_term, limit, offset=0):
    """The SQLite ranking as it was before (commit caf7f81): the scope words in the MATCH, a
    join for several states."""
    states = list(states)
    scope = [f'scope : "k{kind}"']
    if audience:
        scope.append(f'scope : "a{audience}"')
    if len(states) == 1:
        scope.append(f'scope : "s{states[0]}"')
    match = search._fts_expression(query, any_term=any_term) + " AND " + " AND ".join(scope)
    sql = (
        f"SELECT rowid, -bm25(knowledge_entry_fts, {search.FTS_WEIGHTS}) AS score "
        "FROM knowledge_entry_fts WHERE knowledge_entry_fts MATCH %s"
    )
    params: list = [match]
    if len(states) > 1:
        sql = (
            f"SELECT f.rowid, f.score FROM ({sql}) f JOIN knowledge_searchentry e "
            f"ON e.id = f.rowid WHERE e.state IN ({', '.join(['%s'] * len(states))})"
        )
        params += states
    sql += " ORDER BY score DESC, rowid DESC LIMIT %s OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the old ranking was FTS5 SQL")
@pytest.mark.parametrize("q", QUERIES)
def test_searches_return_the_same_ids_in_the_same_order_as_before(index, q):
    query = parse_query(q)
    published, staff_states = ["published"], ["draft", "review", "published"]
    cases = [
        {"kind": "case", "audience": None, "states": published},
        {"kind": "article", "audience": None, "states": published},
        {"kind": "article", "audience": "public", "states": published},
        {"kind": "article", "audience": None, "states": staff_states},
        {"kind": "article", "audience": "public", "states": staff_states},
    ]
    for scope in cases:
        for any_term in (False, True):
            for limit, offset in ((10, 0), (5, 5), (200, 0)):
                args = {**scope, "any_term": any_term, "limit": limit, "offset": offset}
                before = _before(query, **args)
                assert search._ranked_ids(query, **args) == before, (q, args)
    assert search_cases(q, limit=40)  # the fixture has cases for every query


def test_cases_are_found_below_many_better_articles(agent, supervisor):
    """The case ranking leaves the articles out after ranking: with more articles than it
    fetched above the first case, it fetches again until it has the cases."""
    from rapport.knowledge.tests.conftest import make_article

    for n in range(40):
        make_article(agent, supervisor, title=f"刹车异响第{n}篇", body="刹车异响，刹车异响。")
    for n in range(3):
        search.entry_for_case(
            registry.CaseDocument(
                ticket_id=500 + n,
                number=f"T{n}",
                title="客户来电",
                problem="偶尔刹车异响",
                cause="",
                remedy="更换刹车片",
                outcome="",
                url=f"/tickets/{500 + n}/",
            )
        )

    hits = search_cases("刹车异响", limit=2)

    assert [h.entry.ticket_id for h in hits] == [502, 501]
    assert len(search_articles("刹车异响", limit=50)) == 40


def test_a_search_takes_three_queries_and_suggestions_five(index, django_assert_num_queries):
    search_articles("异响")  # warm: jieba
    with django_assert_num_queries(3):  # synonyms, the ranked ids, the entries
        assert search_articles("异响")
    with django_assert_num_queries(3):
        assert search_cases("刹车 异响")
    with django_assert_num_queries(4):  # nothing has both words: ranked again with either
        assert search_cases("异响 退款")
    with django_assert_num_queries(3):  # one character: synonyms, the ids, the entries
        assert search_articles("油")
    with django_assert_num_queries(5):  # synonyms, then ranked ids and entries for each kind
        articles, cases = suggest("客户反映冷启动时发动机异响，保养后又发现底盘漏油，要求退款。")
    assert articles and cases


def test_suggestions_rank_the_newest_matches_only(index, monkeypatch):
    """The same on both engines: within the window, best first; older matches stay out."""
    from rapport.knowledge.text import key_terms

    text = "刹车异响，刹车片磨损"
    query = parse_query(" ".join(key_terms(text)))
    matching = [
        pk
        for pk, _score in search._ranked_ids(
            query, kind="case", audience=None, states=["published"], any_term=True, limit=500
        )
    ]
    newest = sorted(matching, reverse=True)[:4]
    monkeypatch.setattr(search, "RANK_WINDOW", 4)

    _articles, cases = suggest(text, limit=10)

    assert sorted(h.entry.pk for h in cases) == sorted(newest)
    assert [h.score for h in cases] == sorted((h.score for h in cases), reverse=True)
    assert SearchEntry.objects.filter(pk__in=newest, kind="case").count() == 4
