"""The one segmentation module: Chinese words with jieba and the domain dictionary, English words
lower-cased and lightly stemmed, pinyin for Chinese words, and the parsing of search queries.

Both the index and the queries go through here, so a word is cut the same way on both sides
(a change to data/userdict.txt needs `rapport knowledge reindex`). The database never sees user
syntax: a query becomes a list of `Term`s, each a set of alternative phrases made only of letters
and digits, which the backends quote themselves.

    segment("发动机异响怎么办") == ["发动机", "异响", "怎么办"]
"""

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pypinyin import lazy_pinyin

USER_DICT = Path(__file__).resolve().parent / "data" / "userdict.txt"
MAX_QUERY_CHARS = 200  # a search box, not a document: longer input is cut
MAX_TERMS = 12

# A token is a run of letters or digits (no underscore): exactly what both SQLite's unicode61
# tokenizer and PostgreSQL's 'simple' parser keep as one word, so both engines see the same words.
_WORD = re.compile(r"[^\W_]+")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]+")

# Words a query may contain that say nothing about what is searched for.
_STOP = """a an and are as at be by for from how i in is it of on or the to was what when where why
    with my our your 的 了 吗 呢 啊 吧 呀 么 和 与 及 或 或者 是 在 我 你 您 他 她 我们 你们 怎么 怎么办
    怎样 如何 什么 为什么 请问 一下 一个 这个 那个 有 没有 就 都 也 还 会 要 把 被 对 给"""
STOP_WORDS = frozenset(_STOP.split())

_lock = threading.Lock()
_tokenizer = None
_tfidf = None


def _jieba():
    """The process-wide jieba tokenizer with the domain dictionary (built on first use, ~1 s)."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(str(USER_DICT))
                _tokenizer = tokenizer
    return _tokenizer


def normalise(text: str) -> str:
    """Full-width letters, digits and punctuation folded to their usual forms (ＡＢＣ１２ → ABC12)."""
    return unicodedata.normalize("NFKC", text or "")


def segment(text: str) -> list[str]:
    """The words of `text` in order, as jieba cuts them with the domain dictionary; whitespace
    and punctuation dropped, case kept. The dictionary alone decides (no HMM guessing), so the
    same words are cut the same way in a long article and in a two-word query."""
    words = []
    for piece in _jieba().cut(normalise(text), HMM=False):
        words.extend(_WORD.findall(piece))
    return words


def stem(word: str) -> str:
    """A light English stem: leaking/leaked/leaks → leak, brakes → brak, batteries → battery.
    Chinese and short words are returned unchanged."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def has_han(word: str) -> bool:
    return bool(_HAN.search(word))


def pinyin(word: str) -> str:
    """异响 → yixiang (only for words with Chinese characters; '' otherwise)."""
    if not has_han(word):
        return ""
    return "".join(p for p in lazy_pinyin(word) if p.isalnum()).lower()


def _sub_words(word: str) -> list[str]:
    """The dictionary words inside a long word, as jieba's search mode finds them:
    正时皮带 → 正时, 皮带, so a query for 皮带 finds the article about the timing belt."""
    if len(word) <= 2 or not has_han(word):
        return []
    freq = _jieba().FREQ
    found = []
    for size in (2, 3):
        for i in range(len(word) - size + 1):
            gram = word[i : i + size]
            if gram != word and freq.get(gram):
                found.append(gram)
    return found


@dataclass
class IndexText:
    """What one document contributes to the index: its words (title and body, in order, lower
    case) and the hidden keywords that let other spellings find it (sub-words, pinyin, stems)."""

    title: str
    body: str
    keywords: str


def index_text(*, title: str, body: str, extra: Iterable[str] = ()) -> IndexText:
    """The space-joined tokens stored for a document (the same string feeds SQLite FTS5 and the
    PostgreSQL tsvector). `extra` are tags and other keywords, segmented like the rest."""
    title_words = [w.lower() for w in segment(title)]
    body_words = [w.lower() for w in segment(body)]
    for item in extra:
        body_words.extend(w.lower() for w in segment(item))
    seen = set(title_words) | set(body_words)
    keywords: list[str] = []
    for word in dict.fromkeys(title_words + body_words):
        for alt in (*_sub_words(word), pinyin(word), stem(word)):
            if alt and alt not in seen:
                seen.add(alt)
                keywords.append(alt)
    return IndexText(" ".join(title_words), " ".join(body_words), " ".join(keywords))


# -- Queries ------------------------------------------------------------------------------------


@dataclass
class Term:
    """One thing the query asks for: any of the phrases (each a tuple of tokens) may match."""

    text: str
    phrases: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        """The single words this term may match, for 'matched words' and highlighting."""
        return [" ".join(p) if len(p) > 1 else p[0] for p in self.phrases]


@dataclass
class Query:
    text: str
    terms: list[Term]
    # Every term is a single character: the word index cannot find it inside longer words, so the
    # backends search the text itself for it.
    substring: str = ""

    def __bool__(self) -> bool:
        return bool(self.terms or self.substring)


def _synonym_groups(groups: Iterable[Iterable[str]] | None) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for group in groups or ():
        words = [normalise(w).strip().lower() for w in group if w and w.strip()]
        for word in words:
            index.setdefault(word, [])
            index[word].extend(w for w in words if w != word and w not in index[word])
    return index


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in segment(text))


def parse_query(text: str, *, synonyms: Iterable[Iterable[str]] | None = None) -> Query:
    """A search box's text as terms the backends can quote. Never raises: punctuation, quotes,
    `*`, `NEAR`, `OR`, SQL and markup are words or nothing, never syntax.

    Consecutive words that together form a synonym (不 + 制冷 = 不制冷) become one term with the
    synonym's other forms as alternatives; English words also match their stem, Chinese words
    their pinyin (indexed as keywords), so `yixiang` finds 异响."""
    text = normalise(text)[:MAX_QUERY_CHARS]
    words = [w.lower() for w in segment(text)]
    content = [w for w in words if w not in STOP_WORDS] or words
    groups = _synonym_groups(synonyms)
    terms: list[Term] = []
    i = 0
    while i < len(content) and len(terms) < MAX_TERMS:
        # The longest run of words (up to 4) that is a synonym, else the word itself.
        for size in (4, 3, 2, 1):
            joined = "".join(content[i : i + size])
            if len(content[i : i + size]) == size and (size == 1 or joined in groups):
                break
        term = Term(text=joined, phrases=[tuple(content[i : i + size])])
        for alternative in groups.get(joined, ()):
            phrase = _phrase(alternative)
            if phrase and phrase not in term.phrases:
                term.phrases.append(phrase)
        if size == 1 and _LATIN.fullmatch(joined) and stem(joined) != joined:
            term.phrases.append((stem(joined),))
        terms.append(term)
        i += size
    terms = _merge_single_characters(terms)
    substring = ""
    if terms and all(len(t.text) == 1 and has_han(t.text) for t in terms):
        substring = "".join(t.text for t in terms)
    return Query(text=text, terms=terms, substring=substring)


def _merge_single_characters(terms: list[Term]) -> list[Term]:
    """Runs of single Chinese characters the dictionary does not know (a name, a rare word) are
    searched as one phrase, in order, not as unrelated characters anywhere."""
    merged: list[Term] = []
    run: list[Term] = []

    def flush() -> None:
        if len(run) > 1:
            text = "".join(t.text for t in run)
            merged.append(Term(text=text, phrases=[tuple(t.text for t in run)]))
        else:
            merged.extend(run)
        run.clear()

    for term in terms:
        if len(term.text) == 1 and has_han(term.text) and len(term.phrases) == 1:
            run.append(term)
        else:
            flush()
            merged.append(term)
    flush()
    return merged


def key_terms(text: str, *, limit: int = 8) -> list[str]:
    """The words that say most about a longer text (TF-IDF, jieba.analyse), for the suggestions
    on a ticket or conversation: 冷启动, 异响, 检修 … for a complaint about a noisy engine."""
    global _tfidf
    if _tfidf is None:
        # The tokenizer first: _jieba() takes the same (non-reentrant) lock, so asking for it
        # inside the lock hung the process for good when a suggestion was its first jieba use.
        tokenizer = _jieba()
        with _lock:
            if _tfidf is None:
                from jieba.analyse.tfidf import TFIDF

                extractor = TFIDF()
                extractor.tokenizer = tokenizer
                _tfidf = extractor
    words = []
    for word in _tfidf.extract_tags(normalise(text)[:5000], topK=limit * 2):
        for piece in (w.lower() for w in segment(word)):
            if (
                piece not in STOP_WORDS
                and (len(piece) > 1 or has_han(piece))
                and not piece.isdigit()
            ):
                words.append(piece)
    return list(dict.fromkeys(words))[:limit]
