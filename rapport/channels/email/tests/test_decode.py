import pytest

from rapport.channels.email.decode import (
    decode_bytes,
    decode_header_value,
    html_to_text,
    superset_charset,
)
from rapport.channels.email.parse import parse_email
from rapport.channels.email.tests import corpus


def test_gbk_only_characters_are_not_in_gb2312():
    # The corpus would prove nothing if these encoded in plain GB2312.
    for char in ("镕", "–"):
        with pytest.raises(UnicodeEncodeError):
            char.encode("gb2312")


@pytest.mark.parametrize(
    ("declared", "codec"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("cp936", "gb18030"),
        ("x-gbk", "gb18030"),
        ("euc-cn", "gb18030"),
        ("big5", "big5hkscs"),
        ("ks_c_5601-1987", "cp949"),
        ("shift_jis", "cp932"),
        ('"utf-8*zh-cn"', "utf-8"),
        ("no-such-charset", None),
        (None, None),
    ],
)
def test_declared_charsets_map_to_their_supersets(declared, codec):
    assert superset_charset(declared) == codec


def test_gb2312_declared_body_and_subject_keep_gbk_characters():
    parsed = parse_email(corpus.gb2312_with_gbk_chars(), own_domain=corpus.OWN_DOMAIN)

    assert parsed.subject == "朱镕基 – 回复"
    assert parsed.from_name == "朱镕基"
    assert parsed.text == corpus.GBK_BODY
    assert "\ufffd" not in parsed.subject + parsed.text
    assert parsed.defects == []


def test_big5_body_is_read_as_hkscs():
    parsed = parse_email(corpus.big5_body(), own_domain=corpus.OWN_DOMAIN)

    assert parsed.subject == "引擎異響"
    assert parsed.text == corpus.BIG5_TEXT
    assert parsed.defects == []


def test_utf8_mislabelled_as_gb2312_is_read_as_utf8():
    text, defect = decode_bytes("您好，发动机异响".encode(), "gb2312")

    assert text == "您好，发动机异响"
    assert defect is None


def test_undecodable_bytes_are_replaced_and_reported():
    text, defect = decode_bytes(b"\xff\xfe\xfd abc \x80", "us-ascii")

    assert text == "\ufffd\ufffd\ufffd abc \ufffd"
    assert (
        defect
        == "charset: the text had bytes that are not valid us-ascii; they were replaced with U+FFFD"
    )


def test_truncated_utf8_keeps_the_good_characters():
    text, defect = decode_bytes("你好你好".encode() + "你".encode()[:2], "utf-8")

    assert text == "你好你好\ufffd"
    assert defect is not None


def test_raw_8bit_gbk_header_is_recovered():
    raw = (
        b"From: "
        + "张三".encode("gbk")
        + b" <zs@example.cn>\r\nSubject: "
        + "发动机异响".encode("gbk")
        + b"\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n"
    )
    parsed = parse_email(raw, own_domain=corpus.OWN_DOMAIN)

    assert parsed.subject == "发动机异响"
    assert parsed.from_name == "张三"
    assert parsed.from_address == "zs@example.cn"


def test_a_character_split_across_two_encoded_words_is_joined():
    data = "镕".encode("gb18030")
    first = corpus.b64(data[:1]).strip().decode()
    second = corpus.b64(data[1:]).strip().decode()

    text, defects = decode_header_value(f"=?gbk?B?{first}?= =?gbk?B?{second}?=基")

    assert text == "镕基"
    assert defects == []


def test_encoded_word_with_q_encoding_and_plain_text():
    text, _ = decode_header_value("Re: =?utf-8?Q?=E5=9B=9E=E5=A4=8D_ok?= [T000123]")

    assert text == "Re: 回复 ok [T000123]"


def test_html_to_text_drops_scripts_and_keeps_lines():
    text = html_to_text("<div>第一行<br>第二行</div><script>alert(1)</script><p>第三&amp;行</p>")

    assert text == "第一行\n第二行\n第三&行"


def test_gbk_mislabelled_as_latin1_is_read_as_chinese_and_noted():
    text, defect = decode_bytes("您好，发动机异响。".encode("gbk"), "iso-8859-1")

    assert text == "您好，发动机异响。"
    assert defect == (
        "charset: the text was declared iso-8859-1 but is Chinese (GB2312); it was read as GB18030"
    )


@pytest.mark.parametrize("text", ["élève Grüße café", "Ñoño ÀÉ", "naïve"])
def test_real_latin1_text_stays_latin1(text):
    assert decode_bytes(text.encode("latin-1"), "iso-8859-1") == (text, None)
