"""Search on whichever engine the run uses (SQLite FTS5 by default, PostgreSQL with
DATABASE_URL): the same expectations hold on both, which is how "the same results" is tested."""

import pytest

from rapport.knowledge.models import SearchEntry, Synonym
from rapport.knowledge.search import search_articles
from rapport.knowledge.tests.conftest import titles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "expected_first"),
    [
        ("异响", "发动机异响排查步骤"),
        ("漏油", "变速箱漏油的处理"),
        ("退款", "退款政策"),
        ("冷媒", "空调不制冷怎么办"),
        ("正时皮带", "正时皮带更换周期"),
        ("皮带", "正时皮带更换周期"),
        ("发动机异响", "发动机异响排查步骤"),
    ],
)
def test_it_finds_two_character_words_the_trigram_index_cannot(corpus, query, expected_first):
    hits = search_articles(query)

    assert hits, query
    assert hits[0].entry.title == expected_first
    assert hits[0].matched


def test_the_same_queries_give_the_same_ranking_on_either_engine(corpus):
    """Run on SQLite and on PostgreSQL: the expected lists are the same for both."""
    expected = {
        "异响": ["发动机异响排查步骤", "正时皮带更换周期"],
        "退款": ["退款政策"],
        "漏油 机油": ["变速箱漏油的处理"],
        "空调 冷媒": ["空调不制冷怎么办"],
        "refund": ["Refund policy"],
    }
    assert {q: titles(search_articles(q)) for q in expected} == expected
    # A pinyin keyword weighs the same in both: which of the two comes first is not asserted.
    assert sorted(titles(search_articles("yixiang"))) == sorted(expected["异响"])


def test_drafts_and_archived_articles_are_not_found(corpus):
    assert "刹车异响草稿" not in titles(search_articles("刹车"))
    assert "旧退款流程" not in titles(search_articles("流程"))


def test_the_public_audience_finds_only_public_articles(corpus):
    assert titles(search_articles("异响", audience="public")) == []
    assert titles(search_articles("退款", audience="public")) == ["退款政策"]


def test_pinyin_finds_the_chinese_word(corpus):
    assert titles(search_articles("tuikuan"))[:1] == ["退款政策"]
    assert titles(search_articles("loungyou")) == []  # a typo is not a match
    assert titles(search_articles("louyou"))[:1] == ["变速箱漏油的处理"]


def test_english_words_are_lower_cased_and_stemmed(corpus):
    assert titles(search_articles("REFUND")) == ["Refund policy"]
    assert titles(search_articles("refunded")) == ["Refund policy"]


def test_a_synonym_group_is_expanded_at_query_time(corpus):
    assert titles(search_articles("退钱")) == []
    Synonym.objects.create(words="退款，退钱，返款")

    assert titles(search_articles("退钱")) == ["退款政策"]


def test_a_synonym_of_several_words_matches_as_a_phrase(corpus):
    Synonym.objects.create(words="不制冷, 不凉")

    hits = search_articles("空调不凉")

    assert titles(hits) == ["空调不制冷怎么办"]
    assert "不制冷" in hits[0].matched


def test_the_snippet_marks_the_matched_words_and_escapes_the_rest(corpus):
    hit = search_articles("冷媒")[0]

    assert "<mark>冷媒</mark>" in hit.snippet
    assert hit.matched == ["冷媒"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "NEAR",
        "OR",
        "AND",
        "异响 OR 漏油",
        '"异响',
        "NEAR(异响 漏油, 2)",
        "异响*",
        "！！！",
        "。",
        "a",
        "'; DROP TABLE knowledge_searchentry; --",
        "<script>alert(1)</script>",
        "   ",
        "\x00",
        "title_tokens:异响",
        "scope:karticle",
        "{scope}: x",
        "^异响",
        "-异响",
        "异" * 500,
        "(((",
        "😀",
        "ＡＢＣ",
        "a" * 300,
    ],
)
def test_odd_queries_never_raise(corpus, query):
    hits = search_articles(query)

    assert isinstance(hits, list)


def test_query_syntax_is_only_words(corpus):
    # OR is a stop word, not an operator: both words must be there, so nothing has both.
    assert titles(search_articles("异响 OR 漏油")) == titles(search_articles("异响 漏油"))
    # The scope column cannot be reached from the search box.
    assert search_articles("karticle") == []
    assert search_articles("spublished apublic") == []


def test_punctuation_only_finds_nothing(corpus):
    assert search_articles("，。！？") == []


def test_one_character_searches_the_text(corpus):
    found = titles(search_articles("油"))

    assert "变速箱漏油的处理" in found
    assert "刹车异响草稿" not in found


def test_every_article_has_one_entry(corpus):
    assert SearchEntry.objects.filter(kind="article").count() == len(corpus)


def test_suggestions_for_chinese_text_give_the_chinese_version_of_an_english_article(
    agent, supervisor
):
    from rapport.knowledge.search import suggest
    from rapport.knowledge.tests.conftest import make_article

    english = make_article(
        agent, supervisor, title="ABS warning light stays on",
        body="When the ABS warning light stays on, read the ABS fault codes first.", language="en",
    )  # fmt: skip
    chinese = make_article(
        agent, supervisor, title="ABS 故障灯常亮", body="ABS 故障灯常亮时，先读取 ABS 故障码。",
        translation=english,
    )  # fmt: skip
    only_english = make_article(
        agent, supervisor, title="ABS sensor cleaning",
        body="Clean the ABS wheel sensor before replacing it.", language="en",
    )  # fmt: skip
    only_chinese = make_article(
        agent, supervisor, title="ABS 传感器线束检查", body="检查 ABS 传感器线束是否破损。"
    )

    articles, _cases = suggest("ABS 故障灯一直亮，ABS 传感器是不是坏了？")

    ids = [h.entry.article_id for h in articles]
    assert english.pk not in ids  # its Chinese version stands in for it
    assert chinese.pk in ids and only_chinese.pk in ids
    assert ids.index(only_english.pk) > max(ids.index(chinese.pk), ids.index(only_chinese.pk))
    assert len(ids) == len(set(ids))
    in_english, _cases = suggest("The ABS warning light stays on")
    assert in_english[0].entry.article_id == english.pk
