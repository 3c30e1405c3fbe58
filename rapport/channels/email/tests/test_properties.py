"""Properties: parse_email only ever raises EmailParseError; build → parse keeps Chinese text."""

import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rapport.channels.email.build import build_email
from rapport.channels.email.parse import EmailParseError, parse_email
from rapport.channels.email.tests import corpus
from rapport.channels.email.thread import make_message_id

OWN = corpus.OWN_DOMAIN


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


SEEDS = [
    corpus.gb2312_with_gbk_chars(),
    corpus.raw_gbk_filename(),
    corpus.rfc2047_in_quotes_filename(),
    corpus.dsn(action="failed", status="5.1.1", original_id="a@b"),
    corpus.typical_chinese_mail(2000),
    corpus.broken_boundary(),
    corpus.netease_text_bounce(),
    corpus.html_reply(corpus.HTML_REPLIES["apple_zh"][0]),
]


def check(raw: bytes) -> None:
    try:
        parsed = parse_email(raw, own_domain=OWN)
    except EmailParseError as error:
        assert error.reason
        # An internal crash is turned into EmailParseError too; it must not be what happened.
        assert "Error:" not in error.reason, error.reason
        return
    assert parsed.message_id
    assert all(a.filename and "/" not in a.filename for a in parsed.attachments)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_parse_or_raise_email_parse_error(raw):
    check(raw)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    position=st.integers(min_value=0, max_value=10_000),
    junk=st.binary(min_size=1, max_size=40),
    cut=st.booleans(),
)
def test_mutated_real_mail_parses_or_raises_email_parse_error(seed, position, junk, cut):
    position %= len(seed)
    raw = seed[:position] + junk + (b"" if cut else seed[position:])
    check(raw)


chinese = (
    st.text(
        alphabet=st.characters(
            codec="utf-8",
            categories=("Lu", "Ll", "Lo", "Nd", "Po", "Zs"),
            include_characters="镕–，。：（）【】",
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=80, deadline=None)
@given(subject=chinese, name=chinese, filename=chinese, body=chinese)
@example(subject="主题", name="客户", filename='"', body="正文")  # the quote is the name's own
@example(subject="主题", name="客户", filename='"报告"', body="正文")
def test_build_then_parse_round_trips_chinese(subject, name, filename, body):
    filename = filename.replace("/", "").replace("\\", "").strip(". ") or "x"
    raw = build_email(
        from_addr=(name, "kefu@rapport.example"),
        to=[(name, "customer@example.cn")],
        subject=subject,
        text=body,
        message_id=make_message_id(ticket_id=1, outbox_id=2, own_domain=OWN),
        attachments=[(filename + ".pdf", b"%PDF-1.4", "application/pdf")],
    )

    parsed = parse_email(raw, own_domain="elsewhere.example")

    # What we store is NFC (compatibility ideographs such as U+2F800 become their unified form).
    assert parsed.subject == nfc(subject)
    assert parsed.from_name == nfc(name)
    assert parsed.text == nfc(body)
    assert [a.filename for a in parsed.attachments] == [nfc(filename + ".pdf")]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            chinese,
            st.sampled_from(
                [
                    "",
                    "> 引用",
                    "-- ",
                    "发自我的iPhone",
                    "发件人: 客服",
                    "发送时间: 2025年3月1日",
                    "------------------ 原始邮件 ------------------",
                    "在 2025-03-01 10:12:30，客服 <a@b> 写道：",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_reply_text_only_keeps_lines_of_the_original(lines):
    from rapport.channels.email.quotes import reply_text

    text = "\n".join(lines)

    result = reply_text(text)

    original = {line.rstrip() for line in text.split("\n")}
    assert all(line in original for line in result.split("\n")) or result == text.strip()
