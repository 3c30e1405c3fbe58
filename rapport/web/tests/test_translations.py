"""Every user-facing string has a zh-hans translation, and the committed .mo files match the .po."""

import gettext
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO_FILES = sorted(ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
ENTRY = re.compile(
    r'((?:#[^\n]*\n)*)(?:msgctxt "((?:[^"\\]|\\.)*)"\n)?'
    r'msgid ((?:"(?:[^"\\]|\\.)*"\n)+)msgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)'
)


def unquote(block: str) -> str:
    raw = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
    return raw.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def entries(po: Path):
    for comments, context, msgid, msgstr in ENTRY.findall(po.read_text(encoding="utf-8")):
        if unquote(msgid):
            yield comments, context, unquote(msgid), unquote(msgstr)


def test_there_are_catalogues():
    assert {p.parts[-5] for p in PO_FILES} >= {"web", "customers", "staff"}


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-5])
def test_every_string_is_translated_and_compiled(po):
    with open(po.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    text = po.read_text(encoding="utf-8")
    assert 'msgstr[0] ""' not in text, f"an untranslated plural in {po}"
    for comments, context, msgid, msgstr in entries(po):
        assert msgstr, f"untranslated in {po}: {msgid!r}"
        assert "fuzzy" not in comments, f"fuzzy in {po}: {msgid!r}"
        found = compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)
        assert found == msgstr, f".mo is stale for {msgid!r} in {po}"


CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# Markup and links keep their ASCII punctuation (<a href=…>); a placeholder (%(name)s, {count})
# stands for words of the Chinese sentence, so “%(name)s(#%(id)s)” and “尊敬的 %(name)s:” are
# judged as Chinese text.
MARKUP = re.compile(r"<[^<>]*>|https?://\S+")
PLACEHOLDER = re.compile(r"%\([^)]*\)[-+ #0-9.]*[sdfrix]|%[sdfr]|\{[^{}]*\}")
HALF_WIDTH_BESIDE_CHINESE = re.compile(rf"(?<={CJK})\s*[,:?!;()]|[,:?!;()]\s*(?={CJK})")


def half_width_in_chinese(text: str) -> bool:
    if not re.search(CJK, text):
        return False
    return bool(HALF_WIDTH_BESIDE_CHINESE.search(PLACEHOLDER.sub("字", MARKUP.sub("X", text))))


@pytest.mark.parametrize("po", PO_FILES, ids=lambda p: p.parts[-5])
def test_chinese_text_uses_full_width_punctuation(po):
    """，：？！；（） in Chinese text, never , : ? ! ; ( ) beside a Chinese character."""
    wrong = [
        msgstr
        for _comments, _context, _msgid, msgstr in entries(po)
        if half_width_in_chinese(msgstr)
    ]
    assert not wrong, f"half-width punctuation in Chinese text of {po}: {wrong[:5]}"


def test_the_punctuation_rule_catches_half_width_and_spares_placeholders():
    flagged = half_width_in_chinese
    assert flagged("请注意:明天")
    assert flagged("客户(已合并)")
    assert flagged("确定吗?")
    assert flagged("合并到 %(name)s(#%(id)s)")
    assert flagged("尊敬的 %(name)s:")
    assert flagged("工单 %(number)s:%(subject)s")
    assert not flagged("请注意：明天")
    assert not flagged("%(name)s（已合并）")
    assert not flagged("第 %(count)d 页，共 %(total)d 页")
    assert not flagged('<a href="/x?a=1">打开</a>')
    assert not flagged("14:05 到店")
    assert not flagged("%(name)s (%(id)s)")  # no Chinese in it
    assert not flagged('<a href="/x?a=1">%(name)s</a>，请看')
