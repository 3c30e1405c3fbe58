from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest

from rapport.channels.email.build import build_email
from rapport.channels.email.parse import ParsedAttachment, parse_email
from rapport.channels.email.thread import make_message_id, own_token

OWN = "rapport.example"
LONG_NAME = "维修报价单（2025年3月）—— 发动机异响检查与更换正时皮带的费用明细.pdf"


def build(**overrides) -> bytes:
    arguments = {
        "from_addr": ("客服中心", f"support@{OWN}"),
        "to": ["张三 <zhangsan@qq.com>"],
        "subject": "回复：[T000123] 发动机异响",
        "text": "张先生您好：\n已为您预约周一上午。",
        "message_id": make_message_id(ticket_id=123, outbox_id=45, own_domain=OWN),
        "date": datetime(2025, 3, 1, 2, 12, tzinfo=UTC),
    }
    arguments.update(overrides)
    return build_email(**arguments)


def test_headers_are_ascii_and_folded_and_lines_end_in_crlf():
    raw = build(attachments=[(LONG_NAME, b"%PDF-1.4", "application/pdf")])

    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert all(len(line) <= 78 for line in header_block.split(b"\r\n"))


def test_build_then_parse_round_trips_names_subject_threading_and_attachments():
    original = "abc.123@qq.com"
    raw = build(
        in_reply_to=f"<{original}>",
        references=["first@qq.com", original],
        html="<p>张先生您好</p>",
        cc=[("李四", "lisi@163.com")],
        reply_to=f"support+t123@{OWN}",
        attachments=[
            (LONG_NAME, b"%PDF-1.4 quote", "application/pdf"),
            ParsedAttachment(
                filename="行驶证.jpg",
                content_type="image/jpeg",
                content=b"\xff\xd8\xff\xe0 jpeg",
                content_id="img1@rapport.example",
                is_inline=True,
            ),
        ],
    )

    parsed = parse_email(raw, own_domain="customer.example")

    assert parsed.subject == "回复：[T000123] 发动机异响"
    assert (parsed.from_name, parsed.from_address) == ("客服中心", f"support@{OWN}")
    assert parsed.to == ["zhangsan@qq.com"]
    assert parsed.cc == ["lisi@163.com"]
    assert parsed.reply_to == f"support+t123@{OWN}"
    assert parsed.in_reply_to == [original]
    assert parsed.references == ["first@qq.com", original]
    assert own_token([parsed.message_id], own_domain=OWN) == (123, 45)
    assert parsed.text == "张先生您好：\n已为您预约周一上午。"
    assert parsed.html == "<p>张先生您好</p>"
    assert [(a.filename, a.content, a.content_type) for a in parsed.attachments] == [
        (LONG_NAME, b"%PDF-1.4 quote", "application/pdf"),
        ("行驶证.jpg", b"\xff\xd8\xff\xe0 jpeg", "image/jpeg"),
    ]
    assert parsed.attachments[1].content_id == "img1@rapport.example"
    assert parsed.auto == ""
    assert parsed.defects == []


def test_attachment_names_are_readable_by_rfc2231_and_by_rfc2047_clients():
    raw = build(attachments=[(LONG_NAME, b"%PDF-1.4", "application/pdf")])
    attachment = next(iter(message_from_bytes(raw, policy=policy.default).iter_attachments()))

    # A modern client (RFC 2231 filename*)...
    assert attachment.get_filename() == LONG_NAME
    # ...and an old one that reads only the RFC 2047 word in Content-Type name=.
    legacy = message_from_bytes(raw, policy=policy.compat32).get_payload()[1]
    assert "=?utf-8?b?" in legacy.get("Content-Type")
    legacy_name = legacy.get_param("name").replace("\r\n", "")
    assert str(make_header(decode_header(legacy_name))) == LONG_NAME


def test_automatic_mail_is_marked_so_nobody_answers_it():
    raw = build(auto_submitted="auto-replied")
    message = message_from_bytes(raw, policy=policy.default)

    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert parse_email(raw, own_domain="customer.example").auto == "auto_reply"


def test_a_person_reply_carries_no_automatic_headers():
    message = message_from_bytes(build(), policy=policy.default)

    assert message["Auto-Submitted"] is None
    assert message["X-Auto-Response-Suppress"] is None


def test_our_own_mail_coming_back_is_a_loop():
    assert parse_email(build(), own_domain=OWN).auto == "loop"


def test_line_breaks_in_header_values_cannot_inject_headers():
    raw = build(subject="hi\r\nBcc: victim@example.com", to=["a@b.example"])

    message = message_from_bytes(raw, policy=policy.default)
    assert message["Bcc"] is None
    assert message["Subject"] == "hi Bcc: victim@example.com"


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        build(auto_submitted="yes")
    with pytest.raises(ValueError):
        build(to=["张三"])


def test_parse_throughput_reports_a_rate():
    from rapport.channels.email.bench import parse_throughput, typical_mail

    parsed = parse_email(typical_mail(), own_domain=OWN)
    result = parse_throughput(3)

    assert parsed.reply_text.startswith("您好，车辆在冷启动时")
    assert "原始邮件" not in parsed.reply_text
    assert 15_000 < result["bytes"] < 40_000
    assert result["per_second"] > 0
