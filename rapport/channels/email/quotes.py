"""Cut quoted history and signatures from a reply, with rules for the Chinese mail clients.

No library handles the Chinese reply formats (REFERENCE §1), so the rules are data here:
a line (or a line joined with the next, for wrapped attributions) that starts the quoted
history cuts everything from it on; a signature line cuts the rest too. The full body is
always kept separately by the caller.
"""

import re

_HEADER_WORDS = (
    r"发件人|发送时间|收件人|抄送|主题|日期|寄件者|寄件日期|寄件人|收件者|副本|主旨|"
    r"From|Sent|To|Cc|Subject|Date"
)

# A line that starts quoted history (checked on the line, then on the line joined with the next).
QUOTE_HEADER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "original_message",  # QQ / Foxmail / Outlook classic
        re.compile(
            r"^\s*-{2,}\s*(原始邮件|原始郵件|原始信件|Original Message|Original)\s*-{2,}\s*$",
            re.IGNORECASE,
        ),
    ),
    ("163_wrote", re.compile(r"^(>\s*)?在\s?.{4,60}[，,].{0,80}写道\s*[：:]\s*$")),
    (
        "gmail_zh_wrote",
        re.compile(
            r"^(>\s*)?.{0,120}于\s?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,24}写道\s*[：:]\s*$"
        ),
    ),
    (
        "apple_zh_wrote",
        re.compile(
            r"^(>\s*)?\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,30}[，,].{0,120}写道\s*[：:]\s*$"
        ),
    ),
    ("zh_tw_wrote", re.compile(r"^(>\s*)?.{0,160}(寫道|寫到)\s*[：:]\s*$")),
    ("en_wrote", re.compile(r"^(>\s*)?On\s.{4,220}\swrote:\s*$", re.IGNORECASE)),
    (
        "163_en_wrote",
        re.compile(r"^(>\s*)?At\s\d{4}-\d{1,2}-\d{1,2}.{0,120}wrote:\s*$", re.IGNORECASE),
    ),
)

# ≥ 2 consecutive lines like "发件人: …" / "*From:* …" start an Outlook-style header block.
HEADER_BLOCK_LINE = re.compile(rf"^\s*\*?\s*({_HEADER_WORDS})\s*\*?\s*[:：]", re.IGNORECASE)
HEADER_BLOCK_FIRST_LINE = re.compile(
    r"^\s*\*?\s*(发件人|寄件者|寄件人|From)\s*\*?\s*[:：]", re.IGNORECASE
)
HEADER_BLOCK_MIN_LINES = 2
# A separator directly above a header block belongs to the quote.
SEPARATOR_LINE = re.compile(r"^\s*(_{5,}|-{5,}|—{3,}|={5,})\s*$")

SIGNATURE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "sent_from",
        re.compile(
            r"^\s*(发自我的|来自我的|發自我的|從我的|Sent from my|Get Outlook for)", re.IGNORECASE
        ),
    ),
    (
        "sent_from_zh",
        re.compile(r"^\s*(从我的.{0,20}发送|发自\s?(网易|QQ|手机|移动|Foxmail|WPS|钉钉))"),
    ),
    ("dash_dash", re.compile(r"^--\s?$")),
)


# Every quote header rule needs one of these words; lines without them skip the regexes.
_QUOTE_WORDS = ("写道", "寫道", "寫到", "wrote", "原始", "original")


def _has_quote_word(line: str) -> bool:
    lowered = line.lower()
    return any(word in lowered for word in _QUOTE_WORDS)


def _quote_header_at(lines: list[str], index: int) -> bool:
    line = lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if not (_has_quote_word(line) or _has_quote_word(following)):
        return False
    candidates = [line]
    if index + 1 < len(lines) and lines[index + 1].strip():
        # Gmail and Apple wrap long attribution lines in text/plain.
        candidates.append(line.rstrip() + " " + lines[index + 1].strip())
    return any(rule.match(c) for c in candidates for _name, rule in QUOTE_HEADER_RULES)


def _header_block_at(lines: list[str], index: int) -> bool:
    if not HEADER_BLOCK_FIRST_LINE.match(lines[index]):
        return False
    count = 0
    for line in lines[index : index + 6]:
        if not HEADER_BLOCK_LINE.match(line):
            break
        count += 1
    return count >= HEADER_BLOCK_MIN_LINES


# The new words are at the top; a huge body is not scanned further than this for the cut.
MAX_SCANNED_LINES = 5000


def _cut_index(lines: list[str]) -> int:
    for index, line in enumerate(lines[:MAX_SCANNED_LINES]):
        if any(rule.match(line) for _name, rule in SIGNATURE_RULES):
            return index
        if _quote_header_at(lines, index):
            return index
        if _header_block_at(lines, index):
            # Take the separator line (and blanks) above the block with it.
            start = index
            while start > 0 and not lines[start - 1].strip():
                start -= 1
            if start > 0 and SEPARATOR_LINE.match(lines[start - 1]):
                return start - 1
            return index
    return len(lines)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def reply_text(text: str) -> str:
    """The sender's own words: `text` without quoted history, attribution lines and signature.

    Inline answers between quoted lines are kept; a leading or trailing block of ">" lines is
    not. When the cut would leave nothing (a bare forward), the whole text is returned.
    """
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = lines[: _cut_index(lines)]
    # Trailing and leading ">" blocks (bottom- and top-posted quotes), with blank lines around.
    while kept and (not kept[-1].strip() or _is_quoted(kept[-1])):
        kept.pop()
    start = 0
    while start < len(kept) and (not kept[start].strip() or _is_quoted(kept[start])):
        start += 1
    kept = kept[start:]
    result = "\n".join(line.rstrip() for line in kept).strip()
    return result or (text or "").strip()
