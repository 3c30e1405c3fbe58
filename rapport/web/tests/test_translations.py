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
