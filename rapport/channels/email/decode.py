"""Turn the bytes and header strings of real-world mail into text without mojibake.

Chinese mail routinely declares `gb2312` while containing GBK/GB18030-only characters (镕, the
en dash), carries raw 8-bit GBK in headers and filenames, and puts RFC 2047 words inside quoted
parameters. Python's `email` package replaces or drops those characters, so every decode here
goes through `decode_bytes`: the declared charset's superset first, then UTF-8, then GB18030, and
only as a last resort a replacing decode that is reported as a defect.
"""

import base64
import binascii
import codecs
import html
import html.parser
import re
import unicodedata
from email.message import Message

from django.utils.translation import gettext as _

# Declared charset → the superset that real senders actually use (REFERENCE §1).
CHARSET_SUPERSETS: dict[str, str] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "euccn": "gb18030",
    "csgb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "x-euc-cn": "gb18030",
    "chinese": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "ks_c_5601": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Tried in order after the declared charset fails.
FALLBACK_CHARSETS = ("utf-8", "gb18030")


def superset_charset(declared: str | None) -> str | None:
    """The codec to use for a declared charset, or None when Python does not know it."""
    if not declared:
        return None
    name = declared.strip().strip("\"'").lower()
    # RFC 2231 allows a language suffix: "utf-8*zh-cn".
    name = name.split("*", 1)[0]
    name = CHARSET_SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):  # unknown, or junk such as an embedded NUL
        return None


# Codecs whose bytes are all ASCII: ASCII input must be decoded with them, not taken as-is.
SEVEN_BIT_CODECS = frozenset(
    {"iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_kr", "hz", "utf-7"}
)
# Single-byte Latin charsets that Chinese mail is wrongly labelled with.
LATIN_CODECS = frozenset({"cp1252", "latin-1", "iso8859-1", "iso8859-15", "ascii"})
# Only ASCII and GB2312 double bytes (row 0xA1–0xF7, cell 0xA1–0xFE), with at least two Chinese
# characters: Latin text puts accented letters next to ASCII, which never fits this shape.
_GB2312_TEXT = re.compile(rb"[\x00-\x7f]*(?:[\xa1-\xf7][\xa1-\xfe][\x00-\x7f]*){2,}")

# How many replaced characters we accept from the declared charset before trying others
# (a truncated last character, a stray byte).
TOLERATED_REPLACEMENTS = 3


def decode_bytes(
    data: bytes, declared: str | None, *, what: str | None = None
) -> tuple[str, str | None]:
    """Decode `data` declared as `declared`; returns (text, defect or None).

    Order: non-ASCII bytes that are valid UTF-8 are UTF-8 (mislabelled UTF-8 is common, and
    GB18030 would "decode" it into mojibake without an error); then the declared charset's
    superset; the declared charset with a few replaced characters; UTF-8 and GB18030; and last a
    replacing decode. A defect is returned only when characters had to be replaced.
    """
    first = superset_charset(declared)
    as_declared = _codec_name(declared)
    candidates = [c for c in dict.fromkeys((first, as_declared)) if c]
    if data.isascii():
        for codec in candidates:
            if (
                codec in SEVEN_BIT_CODECS
                or codec.startswith("utf_16")
                or codec.startswith("utf_32")
            ):
                try:
                    return data.decode(codec), None
                except (UnicodeDecodeError, LookupError):
                    continue
        return data.decode("ascii"), None
    multibyte_declared = any(
        c.startswith("utf_16") or c.startswith("utf_32") or c in SEVEN_BIT_CODECS
        for c in candidates
    )
    if not multibyte_declared:
        try:
            return data.decode("utf-8"), None
        except UnicodeDecodeError:
            pass
    if any(c in LATIN_CODECS for c in candidates) and _GB2312_TEXT.fullmatch(data):
        # Old Chinese systems label GBK text as ISO-8859-1; Latin-1 "decodes" it without error.
        what = what or _("the text")
        return data.decode("gb18030"), _(
            "charset: %(what)s was declared %(declared)s but is Chinese (GB2312); it was read "
            "as GB18030"
        ) % {"what": what, "declared": (declared or "")[:40]}
    for codec in candidates:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError):
            continue
    what = what or _("the text")
    if declared:
        defect = _(
            "charset: %(what)s had bytes that are not valid %(declared)s; they were replaced "
            "with U+FFFD"
        ) % {"what": what, "declared": declared[:40]}
    else:
        defect = _(
            "charset: %(what)s had undecodable bytes and no charset; they were replaced with U+FFFD"
        ) % {"what": what}
    for codec in candidates:
        text = data.decode(codec, errors="replace")
        if (
            text.count("\ufffd") - data.decode(codec, errors="ignore").count("\ufffd")
            <= TOLERATED_REPLACEMENTS
        ):
            return text, defect
    for codec in FALLBACK_CHARSETS:
        if codec in candidates:
            continue
        try:
            return data.decode(codec), None
        except UnicodeDecodeError:
            continue
    return data.decode(first or "utf-8", errors="replace"), defect


def _codec_name(declared: str | None) -> str | None:
    if not declared:
        return None
    try:
        return codecs.lookup(declared.strip().strip("\"'").split("*", 1)[0]).name
    except (LookupError, ValueError):  # unknown, or junk such as an embedded NUL
        return None


def recover_surrogates(value: str) -> tuple[str, str | None]:
    """Raw 8-bit header bytes arrive from the parser as lone surrogates; decode them properly."""
    if not _has_surrogates(value):
        return value, None
    raw = value.encode("ascii", "surrogateescape")
    return decode_bytes(raw, None, what=_("a raw 8-bit header"))


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _decode_word_payload(encoding: str, payload: str) -> bytes:
    if encoding in "bB":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", payload)
        if len(cleaned) % 4 == 1:  # impossible length: drop the dangling character
            cleaned = cleaned[:-1]
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return b""
    data = payload.replace("_", " ").encode("ascii", "surrogateescape")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data)


_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_BASE64_ALLOWED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n"


def decode_base64(data: bytes) -> tuple[bytes, str | None]:
    """Lenient base64 for bodies: (bytes, problem or None). Never raises.

    Line breaks are normal; other stray characters are skipped, missing padding is added and an
    impossible trailing character dropped — each reported as a problem.
    """
    problem = None
    if data.translate(None, _BASE64_ALLOWED):
        problem = _("base64 data had invalid characters, which were skipped")
    try:
        return binascii.a2b_base64(data, strict_mode=False), problem
    except (binascii.Error, ValueError):
        pass
    cleaned = _BASE64_JUNK.sub(b"", data.split(b"=", 1)[0])
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
        problem = problem or _(
            "base64 data had an impossible length; the last character was dropped"
        )
    else:
        problem = problem or _("base64 padding was missing")
    try:
        return binascii.a2b_base64(cleaned + b"=" * (-len(cleaned) % 4)), problem
    except (binascii.Error, ValueError):
        return b"", _("base64 data could not be read")


def decode_header_value(value: str | None) -> tuple[str, list[str]]:
    """Decode one header value (RFC 2047 words, raw 8-bit bytes); returns (text, defects).

    Adjacent encoded words in the same charset are joined as bytes before decoding, because
    Chinese mailers split a multi-byte character across two words. Folding is removed.
    """
    if value is None:
        return "", []
    if not isinstance(value, str):  # email.header.Header from compat32
        value = str(value)
    defects: list[str] = []
    value, defect = recover_surrogates(value)
    if defect:
        defects.append(defect)
    value = re.sub(r"\r?\n[ \t]?", " ", value) if "\n" in value else value
    if "=?" not in value:
        return value.strip(), defects

    pieces: list[tuple[str, bytes | str]] = []  # (charset or "", bytes for words / text)
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        # Whitespace between two encoded words is not part of the text (RFC 2047 §6.2).
        if between and not (between.isspace() and pieces and pieces[-1][0]):
            pieces.append(("", between))
        charset, encoding, payload = match.groups()
        pieces.append((charset, _decode_word_payload(encoding, payload)))
        pos = match.end()
    if value[pos:]:
        pieces.append(("", value[pos:]))

    out: list[str] = []
    i = 0
    while i < len(pieces):
        charset, chunk = pieces[i]
        if not charset:
            out.append(chunk)  # type: ignore[arg-type]
            i += 1
            continue
        joined = bytearray(chunk)  # type: ignore[arg-type]
        i += 1
        while i < len(pieces) and pieces[i][0].lower() == charset.lower():
            joined += pieces[i][1]  # type: ignore[operator]
            i += 1
        text, defect = decode_bytes(bytes(joined), charset, what=_("an encoded header word"))
        if defect:
            defects.append(defect)
        out.append(text)
    return "".join(out).strip(), defects


def decode_param(value: str | tuple | None) -> tuple[str, list[str]]:
    """Decode a MIME parameter as returned by compat32 `get_param`.

    Handles RFC 2231 tuples (charset, language, percent-decoded latin-1 text), RFC 2047 words
    inside quotes, and raw 8-bit bytes.
    """
    if value is None:
        return "", []
    if isinstance(value, tuple):
        charset, _language, text = value
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:  # already text (recovered 8-bit inside an RFC 2231 value)
            raw = text.encode("utf-8")
        decoded, defect = decode_bytes(raw, charset or None, what=_("an RFC 2231 parameter"))
        return decoded, [defect] if defect else []
    value = value.strip('"')
    return decode_header_value(value)


def raw_header(msg: Message, name: str) -> str | None:
    """The first `name` header of `msg` as text, raw 8-bit bytes recovered.

    compat32's `msg.get()` turns raw 8-bit bytes into U+FFFD; `raw_items()` keeps them as
    surrogates, which `recover_surrogates` decodes as GB18030/UTF-8. The first value of each
    name is indexed once per part (parsed messages are not changed afterwards).
    """
    index = msg.__dict__.get("_rapport_first_headers")
    if index is None:
        index = {}
        for key, value in msg.raw_items():
            index.setdefault(key.lower(), value)
        msg.__dict__["_rapport_first_headers"] = index
    value = index.get(name.lower())
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    return recover_surrogates(value)[0]


def raw_headers(msg: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [
        recover_surrogates(value if isinstance(value, str) else str(value))[0]
        for key, value in msg.raw_items()
        if key.lower() == wanted
    ]


def raw_payload(msg: Message) -> str | list:
    """The undecoded payload: a list of parts, or text with raw 8-bit bytes as surrogates.

    `Message.get_payload()` would decode 8-bit text with the declared charset, which raises on
    junk charset names (an embedded NUL) and replaces what it cannot read.
    """
    payload = msg._payload
    return payload if isinstance(payload, list | str) else ""


def payload_bytes(msg: Message) -> tuple[bytes, str | None]:
    """The transfer-decoded bytes of a leaf part, and a problem found while decoding."""
    payload = raw_payload(msg)
    if not isinstance(payload, str):
        return b"", None
    data = payload.encode("ascii", "surrogateescape")
    encoding = (raw_header(msg, "Content-Transfer-Encoding") or "").strip().lower()
    if encoding == "base64":
        return decode_base64(data)
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data), None
    if encoding in ("x-uuencode", "uuencode", "x-uue", "uue"):
        try:
            decoded = msg.get_payload(decode=True)
        except (ValueError, LookupError, binascii.Error):
            decoded = None
        if isinstance(decoded, bytes):
            return decoded, None
        return b"", _("uuencoded data could not be read")
    return data, None


def content_charset(msg: Message) -> str | None:
    """The declared charset of a part, or None (compat32's own lookup raises on junk)."""
    try:
        return msg.get_content_charset()
    except (ValueError, LookupError, UnicodeError):
        return None


def header_param(value: str | None, param: str) -> str | tuple | None:
    """A parameter of a structured header value (Content-Type/Disposition), RFC 2231 aware: a
    `name*=` value is preferred to a plain `name=` given beside it, as RFC 2231 says (the plain
    one is for old readers, and may have been squeezed into ASCII or quoted oddly)."""
    if not value:
        return None
    scratch = Message()
    scratch["Content-Type"] = value
    found = [v for k, v in scratch.get_params([], header="content-type") if k == param.lower()]
    extended = [v for v in found if isinstance(v, tuple)]
    return (extended or found or [None])[0]


# ---- HTML to text ----------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template"})


_QUOTE_MARK = "\x01"  # one per blockquote level at the start of a line; becomes "> "


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.quote_depth = 0
        self.last_soft = False

    def newline(self, *, hard: bool = False) -> None:
        """A line break; block boundaries are soft, so </div><div> makes one break, not two."""
        marker = "\n" + _QUOTE_MARK * self.quote_depth
        if not hard and self.parts and self.parts[-1].startswith("\n") and self.last_soft:
            self.parts[-1] = marker
        else:
            self.parts.append(marker)
        self.last_soft = not hard

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag == "blockquote":
            self.quote_depth += 1
            self.newline()
        elif tag in ("br", "hr"):
            self.newline(hard=True)
        elif tag in _BLOCK_TAGS:
            self.newline()
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.newline(hard=True)

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            self.newline()
        elif tag in _BLOCK_TAGS:
            self.newline()

    def handle_data(self, data):
        if not self.skipping:
            self.last_soft = False
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data.replace(_QUOTE_MARK, "")))


def _quoted_line(line: str) -> str:
    depth = len(line) - len(line.lstrip(_QUOTE_MARK))
    text = line.lstrip(_QUOTE_MARK).strip()
    if not depth or not text:
        return text
    return "> " * depth + text


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body: block elements become lines, scripts vanish,
    and blockquote lines start with "> " so quoted history is recognised as in plain text."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except (AssertionError, ValueError):  # pathological markup; keep what was read
        pass
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [_quoted_line(line) for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def normalize_text(text: str) -> str:
    """Line endings to \\n, NUL removed, NFC — what we store."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return unicodedata.normalize("NFC", text)


def unescape_entities(text: str) -> str:
    return html.unescape(text)
