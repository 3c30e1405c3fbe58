"""Text helpers for Chinese names: pinyin and initials for search."""

from pypinyin import Style, lazy_pinyin


def pinyin_full(text: str) -> str:
    """张伟 -> zhangwei (letters of non-Chinese text are kept, lower-cased)."""
    return "".join(lazy_pinyin(text, errors="default")).lower().replace(" ", "")


def pinyin_initials(text: str) -> str:
    """张伟 -> zw; English words contribute their first letter: Anna Li -> al."""
    parts = lazy_pinyin(text, style=Style.FIRST_LETTER, errors=lambda s: s.split())
    initials = []
    for part in parts:
        part = part.strip()
        if part:
            initials.append(part[0])
    return "".join(initials).lower()
