"""The upset lexicons are searched as runs of alternatives (upset.Alternatives) for speed: they
must find exactly what the whole pattern finds, match for match."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.assist import upset
from rapport.assist.upset import Alternatives

LEXICONS = [upset._EXTERNAL, upset._ABUSE, upset._ANGER, upset._MILD]
ALPHABET = sorted(
    {ch for lexicon in LEXICONS for ch in lexicon.pattern if not ch.isspace()}
    | set("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ 0123456789，。！？!?、 \n的我车了")
)
WORDS = [
    word
    for lexicon in LEXICONS
    for word in upset._top_level(lexicon.pattern)
    if upset._LITERAL.fullmatch(word)
]


def spans(matches) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in matches]


def test_every_lexicon_is_split_into_runs_that_make_up_the_pattern():
    for lexicon in LEXICONS:
        assert len(lexicon.parts) > 1
        assert "|".join(part.pattern for part in lexicon.parts) == lexicon.pattern


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(alphabet=ALPHABET, max_size=6)), max_size=30)
)
def test_the_runs_find_what_the_whole_pattern_finds(pieces):
    text = "".join(pieces)
    for lexicon in LEXICONS:
        whole = re.compile(lexicon.pattern)
        assert spans(lexicon.finditer(text)) == spans(whole.finditer(text)), lexicon.pattern[:40]


def test_ties_go_to_the_alternative_that_comes_first():
    # At one start, 3 times (an earlier run's "\d+ times") and 3次 both could match.
    lexicon = Alternatives(r"三次|第[三四\d]+次|[三四\d]+次|\b(?:\d+) times\b|3")
    for text in ["第三次了", "3次", "3 times", "三次三次", "33 times 3", ""]:
        assert spans(lexicon.finditer(text)) == spans(re.finditer(lexicon.pattern, text))
    assert lexicon.search("他说3 times") is not None
    assert lexicon.search("没有") is None
