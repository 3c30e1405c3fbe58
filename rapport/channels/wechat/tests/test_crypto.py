"""The crypto against Tencent's own sample vectors (REFERENCE appendix), and round trips."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.channels.wechat.crypto import CryptoError, MessageCrypto, aes_key, signature
from rapport.channels.wechat.wxml import XmlError, build_xml, parse_xml

OA_TOKEN = "spamtest"
OA_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA_APPID = "wx2c2769f8efd9abc2"
OA_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHF"
    "VAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVti"
    "cbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpA"
    "e+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCum"
    "EPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

WECOM_TOKEN = "123456"
WECOM_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
WECOM_CORPID = "wx49f0ab532d5d035a"
WECOM_ECHOSTR = (
    "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
)

REPLY_TOKEN = "tom00123"
REPLY_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
REPLY_RECEIVEID = "wx17a727aa81c60f43"
REPLY_ENCRYPT = (
    "TYISAfTaVqF97gn22+BQrYOtJcf4GU360iTvjzdLBAp800rTdKFOj+nUhAJKUJ82YA5zbRHPZ/F6P8ok8dYMWhu2zBWwv+xI"
    "WlERDlaIKp2CKzbSa5FZ2gl1EWrZzn/GDkKEuDIEY7GyjJaVfiduMg8N6oBlxx6xYz0tuyNlVWoAbgDvIxYYJwkN7CRADuD0"
    "IPTE7mkY4fGc56fxFc2D58vnsIOQ8ys28m81fhHZ4g0UjcJKJXofj0N5QTJxO9RmHVP39+b0KcevUacw4Dmi8c72/S0IqIl/"
    "eBgZVG4IVVPgpii/7gojmbFDHFi9/RTA4nwQJAe9JxNx+76RvnmXvfCW8PigFlvtsJvY31Nv/ZB97ZxIUiJYk2Y48JoH3wZE"
    "s/9NKzDHOaOT+SvRFLaIWeD9DUayXXG5g0vEfugrZPM="
)


def fixed_random(n: int) -> bytes:
    return b"1234567890123456"[:n]


def test_official_account_sample_signature_and_decryption():
    crypto = MessageCrypto(token=OA_TOKEN, encoding_aes_key=OA_KEY, receive_id=OA_APPID)
    assert (
        crypto.sign("1409735669", "1320562132", OA_ENCRYPT)
        == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    )
    assert crypto.check(
        "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132", OA_ENCRYPT
    )
    message = parse_xml(crypto.decrypt(OA_ENCRYPT))
    assert message["FromUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message["ToUserName"] == "gh_10f6c3c3ac5a"
    assert message["MsgType"] == "text"


def test_wecom_url_verification_sample():
    crypto = MessageCrypto(token=WECOM_TOKEN, encoding_aes_key=WECOM_KEY, receive_id=WECOM_CORPID)
    assert crypto.check(
        "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96", "1411443780", "437374425", WECOM_ECHOSTR
    )
    assert crypto.decrypt(WECOM_ECHOSTR) == b"5927782489442352469"


def test_wecom_message_sample():
    crypto = MessageCrypto(
        token=REPLY_TOKEN, encoding_aes_key=REPLY_KEY, receive_id=REPLY_RECEIVEID
    )
    assert (
        crypto.sign("1515926128", "143125540", REPLY_ENCRYPT)
        == "2a57bca3d93100e42599d453d97ebde9f5a57eca"
    )
    assert parse_xml(crypto.decrypt(REPLY_ENCRYPT))["Content"] == "加密消息应答"


def test_the_wrong_appid_inside_the_plaintext_is_refused():
    crypto = MessageCrypto(token=OA_TOKEN, encoding_aes_key=OA_KEY, receive_id="wx0000000000000000")
    with pytest.raises(CryptoError) as caught:
        crypto.decrypt(OA_ENCRYPT)
    assert caught.value.code == "wrong_receiver"


def test_tampered_ciphertext_is_refused():
    raw = bytearray(base64.b64decode(OA_ENCRYPT))
    raw[-1] ^= 0x55  # the padding block changes
    crypto = MessageCrypto(token=OA_TOKEN, encoding_aes_key=OA_KEY, receive_id=OA_APPID)
    with pytest.raises(CryptoError):
        crypto.decrypt(base64.b64encode(bytes(raw)).decode())
    with pytest.raises(CryptoError) as caught:
        crypto.decrypt("not base64 at all!")
    assert caught.value.code == "bad_ciphertext"


def test_wrong_signature_is_refused_in_constant_time_compare():
    crypto = MessageCrypto(token=OA_TOKEN, encoding_aes_key=OA_KEY, receive_id=OA_APPID)
    assert not crypto.check("0" * 40, "1409735669", "1320562132", OA_ENCRYPT)
    assert not crypto.check("", "1409735669", "1320562132", OA_ENCRYPT)
    assert signature("b", "a", "c") == signature("c", "b", "a")


def test_deterministic_encryptor_round_trip():
    crypto = MessageCrypto(
        token=OA_TOKEN, encoding_aes_key=OA_KEY, receive_id=OA_APPID, random_bytes=fixed_random
    )
    first = crypto.encrypt("<xml><Content>你好</Content></xml>")
    assert first == crypto.encrypt("<xml><Content>你好</Content></xml>")
    assert crypto.decrypt(first).decode() == "<xml><Content>你好</Content></xml>"
    assert len(base64.b64decode(first)) % 32 == 0


def test_bad_keys_are_named():
    with pytest.raises(CryptoError):
        aes_key("short")
    with pytest.raises(CryptoError):
        aes_key("!" * 43)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000), st.text(alphabet="abcdefwx0123456789", min_size=1, max_size=32))
def test_any_message_round_trips(data, receive_id):
    crypto = MessageCrypto(token="t", encoding_aes_key=OA_KEY, receive_id=receive_id)
    assert crypto.decrypt(crypto.encrypt(data)) == data


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<xml><Content>&lol3;</Content></xml>"""

XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<xml><Content>&e;</Content></xml>"""


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (BILLION_LAUGHS, "forbidden"),
        (XXE, "forbidden"),
        (b"<xml><Content>unclosed", "malformed"),
        (b"", "empty"),
        (b"<xml>" + b"a" * (5 * 1024 * 1024) + b"</xml>", "too_large"),
    ],
)
def test_unsafe_or_broken_xml_is_refused_with_a_reason(body, code):
    with pytest.raises(XmlError) as caught:
        parse_xml(body)
    assert caught.value.code == code
    assert caught.value.reason


def test_xml_round_trip_with_cdata_breakers():
    text = build_xml({"Content": "a ]]> b <x>", "CreateTime": 12})
    assert parse_xml(text) == {"Content": "a ]]> b <x>", "CreateTime": "12"}


_TAGS = st.sampled_from(["ToUserName", "FromUserName", "Content", "MsgId", "Event", "a", "ns:b"])
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


def _element(draw, depth: int) -> str:
    tag = draw(_TAGS).replace("ns:", "")
    parts = [draw(_TEXT).replace("&", "&amp;").replace("<", "&lt;")]
    if depth < 3:
        for _n in range(draw(st.integers(0, 3))):
            parts.append(_element(draw, depth + 1))
            parts.append(draw(st.sampled_from(["", " tail ", "\n"])))
    if draw(st.booleans()):
        parts.append(build_xml({"x": draw(_TEXT)})[8:-10])  # a CDATA section
    return f"<{tag}>{''.join(parts)}</{tag}>"


@st.composite
def _documents(draw) -> str:
    children = "".join(_element(draw, 1) for _n in range(draw(st.integers(0, 6))))
    comment = draw(st.sampled_from(["", "<!-- c -->", "<?pi x?>"]))
    return f"<?xml version='1.0' encoding='utf-8'?>{comment}<xml>{children}</xml>"


@settings(max_examples=300, deadline=None)
@given(_documents())
def test_the_fast_parser_reads_what_the_element_tree_reads(document):
    from rapport.channels.wechat.wxml import parse_xml_tree

    assert parse_xml(document.encode()) == parse_xml_tree(document.encode())


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        XXE,
        b"<!DOCTYPE xml><xml><a>1</a></xml>",
        b'<!DOCTYPE x SYSTEM "http://example.invalid/x.dtd"><xml/>',
        b"<xml><a>&undefined;</a></xml>",
        b"<xml><a>1</a></xml><xml/>",
        b"<xml><a>1</b></xml>",
        b"\xff\xfe<xml/>",
    ],
)
def test_the_fast_parser_refuses_what_the_element_tree_refuses(body):
    from rapport.channels.wechat.wxml import parse_xml_tree

    with pytest.raises(XmlError) as fast:
        parse_xml(body)
    with pytest.raises(XmlError) as tree:
        parse_xml_tree(body)
    assert fast.value.code == tree.value.code
