"""Search over articles and archived cases: SQLite FTS5 with bm25, PostgreSQL tsvector with
ts_rank, over the same pre-segmented tokens (rapport.knowledge.text), so both engines find the
same documents in (for clear cases) the same order.

    search_articles("异响", audience="internal") -> list[Hit]
    search_cases("漏油") -> list[Hit]
    suggest(text, exclude_ticket_id=…) -> (articles, cases) for a ticket or conversation,
        ranked among the newest RANK_WINDOW matches of each kind (a typed search ranks all)

The index is one table, SearchEntry, written by `entry_for_article` / `entry_for_case` (called
after commit by the services and by the tickets app) and by `reindex`.
"""

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from rapport.knowledge import registry
from rapport.knowledge.models import Article, SearchEntry, Synonym
from rapport.knowledge.render import plain_text
from rapport.knowledge.text import Query, index_text, key_terms, parse_query, pinyin, stem

# Column weights: a word in the title counts five times one in the body, ten times a keyword
# (sub-word, pinyin, stem). bm25 takes them per column; ts_rank per weight class {D, C, B, A}.
FTS_WEIGHTS = "10.0, 2.0, 1.0, 0.0"
PG_WEIGHTS = "{0.1, 0.2, 0.2, 1.0}"
SNIPPET_CHARS = 120


@dataclass
class Hit:
    entry: SearchEntry
    score: float
    matched: list[str] = field(default_factory=list)  # the query's words this document has
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))

    @property
    def is_case(self) -> bool:
        return self.entry.kind == SearchEntry.Kind.CASE


# -- Writing the index --------------------------------------------------------------------------


def _scope(*, kind: str, state: str, audience: str) -> str:
    # Words FTS5 can filter on without a join; they never collide with text because no query
    # term reaches the scope column (the match is restricted to the text columns).
    return f"k{kind} s{state} a{audience}"


def entry_for_article(article_id: int) -> SearchEntry | None:
    """Bring the article's index entry up to date (or remove it if the article is gone)."""
    article = Article.objects.filter(pk=article_id).first()
    if article is None:
        SearchEntry.objects.filter(article_id=article_id).delete()
        return None
    body = plain_text(article.body_html)
    tokens = index_text(
        title=article.title, body=body, extra=[*article.tag_list, *article.product_list]
    )
    values = {
        "kind": SearchEntry.Kind.ARTICLE,
        "state": article.state,
        "audience": article.audience,
        "language": article.language,
        "title": article.title[:200],
        "text": body,
        "url": f"/knowledge/{article.pk}/",
        "title_tokens": tokens.title,
        "body_tokens": tokens.body,
        "keywords": tokens.keywords,
        "scope": _scope(kind="article", state=article.state, audience=article.audience),
        "updated_at": timezone.now(),
    }
    entry, _created = SearchEntry.objects.update_or_create(article=article, defaults=values)
    return entry


def case_entry_values(case: registry.CaseDocument) -> dict:
    text = "\n".join(p for p in (case.problem, case.cause, case.remedy) if p)
    tokens = index_text(title=case.title, body=text, extra=[case.products] if case.products else ())
    return {
        "kind": SearchEntry.Kind.CASE,
        "state": Article.State.PUBLISHED,
        "audience": Article.Audience.INTERNAL,
        "language": Article.Language.ZH_HANS,
        "title": f"{case.number} {case.title}"[:200],
        "text": text,
        "remedy": case.remedy,
        "outcome": case.outcome[:200],
        "url": case.url[:200],
        "title_tokens": tokens.title,
        "body_tokens": tokens.body,
        "keywords": tokens.keywords,
        "scope": _scope(kind="case", state="published", audience="internal"),
        "updated_at": timezone.now(),
    }


def entry_for_case(case: registry.CaseDocument) -> SearchEntry:
    """Index (or re-index) one archived case. Called by the tickets app after it commits."""
    entry, _created = SearchEntry.objects.update_or_create(
        ticket_id=case.ticket_id, defaults=case_entry_values(case)
    )
    return entry


def case_index_by_ticket(ticket_id: int) -> SearchEntry | None:
    """Re-read the case through the registered source and index it (None: no case)."""
    source = registry.case_source()
    case = source.get(ticket_id) if source else None
    if case is None:
        SearchEntry.objects.filter(ticket_id=ticket_id).delete()
        return None
    return entry_for_case(case)


def reindex(*, log=print, batch: int = 1000) -> dict[str, int]:
    """Rebuild every entry from the articles and the registered case source (after a change to
    the dictionary or the tokenizer). Safe to run while people search: rows are replaced one by
    one, never all removed first."""
    counts = {"articles": 0, "cases": 0}
    for article_id in Article.objects.order_by("id").values_list("id", flat=True).iterator():
        entry_for_article(article_id)
        counts["articles"] += 1
    log(f"  articles: {counts['articles']}")
    source = registry.case_source()
    seen: list[int] = []
    if source:
        for case in source.iter_all():
            entry_for_case(case)
            seen.append(case.ticket_id)
            counts["cases"] += 1
            if counts["cases"] % batch == 0:
                log(f"  cases: {counts['cases']}")
        stale = SearchEntry.objects.filter(kind=SearchEntry.Kind.CASE).exclude(ticket_id__in=seen)
        if len(seen) < 50_000:  # beyond that, leave stale rows to the next incremental update
            stale.delete()
    log(f"  cases: {counts['cases']}")
    SearchEntry.objects.filter(kind=SearchEntry.Kind.ARTICLE, article__isnull=True).delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO knowledge_entry_fts(knowledge_entry_fts) VALUES ('optimize')"
            )
    return counts


# -- Queries ------------------------------------------------------------------------------------


def synonym_groups() -> list[list[str]]:
    return [s.word_list for s in Synonym.objects.filter(is_active=True).only("words")]


def _fts_phrase(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase).replace('"', '""') + '"'


def _pg_phrase(phrase: tuple[str, ...]) -> str:
    quoted = ["'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in phrase]
    return " <-> ".join(quoted)


def _fts_expression(query: Query, *, any_term: bool) -> str:
    joiner = " OR " if any_term else " AND "
    terms = ["(" + " OR ".join(_fts_phrase(p) for p in term.phrases) + ")" for term in query.terms]
    return "{title_tokens body_tokens keywords} : (" + joiner.join(terms) + ")"


def _pg_expression(query: Query, *, any_term: bool) -> str:
    joiner = " | " if any_term else " & "
    terms = ["(" + " | ".join(_pg_phrase(p) for p in term.phrases) + ")" for term in query.terms]
    return joiner.join(terms)


# Ranking is bm25 / ts_rank over every document that matches, about 1.6 µs a row in FTS5: the
# eight words of a ticket's text match 95,000 of 200,000 cases, 200 ms to rank. Suggestions
# therefore rank the newest RANK_WINDOW entries of each kind that match (the same window on both
# engines; with fewer matches, all of them, as before). Searches typed into a box rank every
# match: their order is what the words say, whatever the cost.
RANK_WINDOW = 2_000


def _ranked_ids(
    query: Query, *, kind: str, audience: str | None, states: Iterable[str], any_term: bool,
    limit: int, offset: int = 0, window: int | None = None,
) -> list[tuple[int, float]]:  # fmt: skip
    """(entry id, score) best first; higher score is better on both engines. With a window,
    only the newest `window` matches of the kind (and audience) are ranked."""
    ranked = _sqlite_ranked_ids if connection.vendor == "sqlite" else _pg_ranked_ids
    return ranked(
        query, kind=kind, audience=audience, states=list(states), any_term=any_term,
        limit=limit, offset=offset, window=window,
    )  # fmt: skip


def _pg_ranked_ids(
    query: Query, *, kind: str, audience: str | None, states: list[str], any_term: bool,
    limit: int, offset: int, window: int | None,
) -> list[tuple[int, float]]:  # fmt: skip
    """ts_rank over the GIN index's matches; the window's lower bound is the id of the
    `window`-th newest match of the kind, found by the same index."""
    scope = f"kind = %s AND state IN ({', '.join(['%s'] * len(states))})"
    scope_params: list = [kind, *states]
    window_params = [kind]
    if audience:
        scope += " AND audience = %s"
        scope_params.append(audience)
        window_params.append(audience)
    expression = _pg_expression(query, any_term=any_term)
    sql = (
        f"SELECT id, ts_rank('{PG_WEIGHTS}', search, q, 1) AS score "
        "FROM knowledge_searchentry, to_tsquery('simple', %s) q "
        f"WHERE search @@ q AND {scope}"
    )
    params = [expression, *scope_params]
    if window:
        sql += (
            " AND id >= COALESCE((SELECT w.id FROM knowledge_searchentry w "
            "WHERE w.search @@ to_tsquery('simple', %s) AND w.kind = %s"
            + (" AND w.audience = %s" if audience else "")
            + " ORDER BY w.id DESC LIMIT 1 OFFSET %s), 0)"
        )
        params += [expression, *window_params, window - 1]
    sql += " ORDER BY score DESC, id DESC LIMIT %s OFFSET %s"
    params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def _sqlite_ranked_ids(
    query: Query, *, kind: str, audience: str | None, states: list[str], any_term: bool,
    limit: int, offset: int, window: int | None,
) -> list[tuple[int, float]]:  # fmt: skip
    """FTS5 ranks only on the words: a scope word in the MATCH adds nothing to bm25 (its column
    weighs 0) but bm25 still counts its documents for the idf, a walk over 200,000 rows for
    "kcase". So cases are ranked on their words alone and the few articles among the best rows
    are left out afterwards (fetching more rows when too few are left); articles, a small share
    of the index, keep "karticle" in the MATCH. State and audience are checked on the rows too.
    The window's lower bound comes from an unranked walk down the rowids, which costs nothing
    like ranking."""
    text = _fts_expression(query, any_term=any_term)
    scope = [f'scope : "k{kind}"'] + ([f'scope : "a{audience}"'] if audience else [])
    scoped = text + " AND " + " AND ".join(scope)
    ranked_match = scoped if kind == SearchEntry.Kind.ARTICLE else text
    bound, params = "", [ranked_match]
    if window:
        bound = (
            " AND rowid >= COALESCE((SELECT rowid FROM knowledge_entry_fts WHERE "
            "knowledge_entry_fts MATCH %s ORDER BY rowid DESC LIMIT 1 OFFSET %s), 0)"
        )
        params += [scoped, window - 1]
    wanted = offset + limit
    fetch = 2 * wanted + 10
    while True:
        sql = (
            "SELECT f.rowid, f.score, e.kind, e.state, e.audience FROM ("
            f"SELECT rowid, -bm25(knowledge_entry_fts, {FTS_WEIGHTS}) AS score "
            f"FROM knowledge_entry_fts WHERE knowledge_entry_fts MATCH %s{bound} "
            "ORDER BY score DESC, rowid DESC LIMIT %s) f "
            "JOIN knowledge_searchentry e ON e.id = f.rowid ORDER BY f.score DESC, f.rowid DESC"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, fetch])
            rows = cursor.fetchall()
        kept = [
            (pk, float(score))
            for pk, score, row_kind, state, row_audience in rows
            if row_kind == kind and state in states and (not audience or row_audience == audience)
        ]
        if len(kept) >= wanted or len(rows) < fetch:
            return kept[offset:wanted]
        fetch *= 4


def _substring_ids(
    query: Query, *, kind: str, audience: str | None, states: Iterable[str], limit: int,
    offset: int = 0,
) -> list[tuple[int, float]]:  # fmt: skip
    """One Chinese character: the word index has no entry for it inside longer words (油 in
    漏油), so the text itself is searched, newest first."""
    from django.db.models import Q

    qs = SearchEntry.objects.filter(kind=kind, state__in=list(states)).filter(
        Q(title__contains=query.substring) | Q(text__contains=query.substring)
    )
    if audience:
        qs = qs.filter(audience=audience)
    ids = qs.order_by("-id").values_list("id", flat=True)[offset : offset + limit]
    return [(pk, 0.0) for pk in ids]


def _search(
    query: Query, *, kind: str, audience: str | None, states: Iterable[str], limit: int,
    offset: int = 0, any_term: bool = False, window: int | None = None,
) -> list[Hit]:  # fmt: skip
    if not query:
        return []
    states = tuple(states)
    if query.substring:
        ranked = _substring_ids(
            query, kind=kind, audience=audience, states=states, limit=limit, offset=offset
        )
    else:
        args = {
            "kind": kind, "audience": audience, "states": states, "limit": limit, "window": window
        }  # fmt: skip
        ranked = _ranked_ids(query, any_term=any_term, offset=offset, **args)
        if not ranked and not any_term and len(query.terms) > 1 and not offset:
            # Nothing has every word: show what has most of them.
            ranked = _ranked_ids(query, any_term=True, **args)
    entries = SearchEntry.objects.in_bulk([pk for pk, _score in ranked])
    hits = [Hit(entry=entries[pk], score=score) for pk, score in ranked if pk in entries]
    for hit in hits:
        _explain(hit, query)
    return hits


def search_articles(
    query: str | Query, *, audience: str = "internal", limit: int = 10, offset: int = 0,
    states: Iterable[str] = (Article.State.PUBLISHED,),
) -> list[Hit]:  # fmt: skip
    """Articles matching `query`, best first. audience="public": only public articles (the help
    page); "internal": staff see both. Never raises on odd input (see text.parse_query)."""
    if isinstance(query, str):
        query = parse_query(query, synonyms=synonym_groups())
    return _search(
        query,
        kind=SearchEntry.Kind.ARTICLE,
        audience="public" if audience == "public" else None,
        states=states,
        limit=limit,
        offset=offset,
    )


def search_cases(
    query: str | Query, *, limit: int = 10, any_term: bool = False, window: int | None = None
) -> list[Hit]:
    """Archived cases (closed complaints with their remedy and outcome) matching `query`;
    with a window, ranked among the newest `window` that match."""
    if isinstance(query, str):
        query = parse_query(query, synonyms=synonym_groups())
    return _search(
        query,
        kind=SearchEntry.Kind.CASE,
        audience=None,
        states=(Article.State.PUBLISHED,),
        limit=limit,
        any_term=any_term,
        window=window,
    )


def suggest(
    text: str, *, exclude_ticket_id: int | None = None, limit: int = 5
) -> tuple[list[Hit], list[Hit]]:
    """The articles and the similar cases most relevant to a ticket's or conversation's text:
    its key words (TF-IDF) searched with OR, ranked by relevance among the newest RANK_WINDOW
    articles and cases that match, the ticket itself left out."""
    words = key_terms(text, limit=8)
    if not words:
        return [], []
    query = parse_query(" ".join(words), synonyms=synonym_groups())
    if query.substring:  # only single characters: too little to go on
        return [], []
    articles = _in_language_of(
        text,
        query,
        _search(
            query,
            kind=SearchEntry.Kind.ARTICLE,
            audience=None,
            states=(Article.State.PUBLISHED,),
            limit=2 * limit,
            any_term=True,
            window=RANK_WINDOW,
        ),
    )[:limit]
    cases = [
        h
        for h in search_cases(query, limit=limit + 1, any_term=True, window=RANK_WINDOW)
        if h.entry.ticket_id != exclude_ticket_id
    ][:limit]
    return articles, cases


def _language_of(text: str) -> str:
    """zh-hans when the text has Chinese characters, else en."""
    return (
        Article.Language.ZH_HANS
        if any("\u4e00" <= ch <= "\u9fff" for ch in text)
        else Article.Language.EN
    )


def _in_language_of(text: str, query: Query, hits: list[Hit]) -> list[Hit]:
    """Articles for a reply written in the text's language: an article in the other language
    gives way to its own version in this language (found or not, if published), and those
    without one come after every article in this language (one query)."""
    language = _language_of(text)
    other = [h for h in hits if h.entry.language != language]
    if not other:
        return hits
    versions = {
        a.translation_id: a
        for a in Article.objects.filter(
            translation_id__in=[h.entry.article_id for h in other],
            language=language,
            state=Article.State.PUBLISHED,
        ).select_related("search_entry")
    }
    shown = {h.entry.article_id for h in hits if h.entry.language == language}
    same, rest = [], []
    for hit in hits:
        if hit.entry.language == language:
            same.append(hit)
            continue
        version = versions.get(hit.entry.article_id)
        entry = getattr(version, "search_entry", None) if version else None
        if entry is None:
            rest.append(hit)
        elif version.pk not in shown:
            shown.add(version.pk)
            replacement = Hit(entry=entry, score=hit.score)
            _explain(replacement, query)
            same.append(replacement)
    return same + rest


# -- Why it matched -----------------------------------------------------------------------------


def _explain(hit: Hit, query: Query) -> None:
    """The query words this document contains, and a snippet of its text with them marked."""
    entry = hit.entry
    words = entry.title_tokens.split() + entry.body_tokens.split()
    vocabulary = set(words) | set(entry.keywords.split())
    joined = " " + " ".join(words) + " "
    marks: set[str] = set()
    for term in query.terms:
        for phrase in term.phrases:
            if len(phrase) > 1:
                found = f" {' '.join(phrase)} " in joined
                surface = "".join(phrase) if all(len(w) == 1 for w in phrase) else " ".join(phrase)
            else:
                found = phrase[0] in vocabulary
                surface = phrase[0]
            if not found:
                continue
            hit.matched.append(surface)
            if len(phrase) > 1:
                marks.update(phrase)
            elif phrase[0] in words:
                marks.add(phrase[0])
            else:  # matched a keyword: mark the words it stands for (pinyin, stem, sub-word)
                marks.update(
                    w for w in words if phrase[0] in (pinyin(w), stem(w)) or phrase[0] in w
                )
    if query.substring:
        hit.matched.append(query.substring)
        marks.add(query.substring)
    hit.matched = list(dict.fromkeys(hit.matched))
    hit.snippet = highlight(entry.text, marks)


def highlight(text: str, words: Iterable[str], *, size: int = SNIPPET_CHARS) -> SafeString:
    """An escaped excerpt of `text` around the first of `words`, each occurrence in <mark>."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    text = re.sub(r"\s+", " ", text or "").strip()
    if not words:
        return mark_safe(html.escape(text[:size]) + ("…" if len(text) > size else ""))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - size // 4)
    excerpt = text[start : start + size]
    parts, last = [], 0
    for m in pattern.finditer(excerpt):
        parts.append(html.escape(excerpt[last : m.start()]))
        parts.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    parts.append(html.escape(excerpt[last:]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + size < len(text) else ""
    return mark_safe(prefix + "".join(parts) + suffix)  # every piece is escaped
