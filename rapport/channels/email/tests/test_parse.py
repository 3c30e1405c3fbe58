import zipfile
import zlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from rapport.channels.email.parse import (
    MAX_ATTACHMENTS,
    MAX_EMAIL_BYTES,
    EmailParseError,
    parse_email,
)
from rapport.channels.email.tests import corpus

OWN = corpus.OWN_DOMAIN


def parse(raw: bytes):
    return parse_email(raw, own_domain=OWN)


def test_a_plain_mail_is_recorded_with_every_field():
    parsed = parse(corpus.client_reply(corpus.QQ_REPLY))

    assert parsed.message_id == "20250301101200.abc@qq.com"
    assert parsed.in_reply_to == [f"rp.t123.m45.0a1b2c3d@{OWN}"]
    assert parsed.references == ["first@qq.com", f"rp.t123.m45.0a1b2c3d@{OWN}"]
    assert parsed.subject == "回复：[T000123] 发动机异响"
    assert parsed.ticket_number == "T000123"
    assert parsed.from_address == "zhangsan@qq.com"
    assert parsed.from_name == "张三"
    assert parsed.to == [f"support@{OWN}"]
    assert parsed.cc == []
    assert parsed.date == datetime(2025, 3, 1, 10, 12, tzinfo=timezone(timedelta(hours=8)))
    assert parsed.text == corpus.QQ_REPLY.strip("\n")
    assert parsed.reply_text == "好的，明天上午十点我把车开过去。"
    assert parsed.html == ""
    assert parsed.attachments == []
    assert parsed.auto == ""
    assert parsed.bounce is None
    assert parsed.headers["Subject"] == "回复：[T000123] 发动机异响"
    assert parsed.defects == []


def test_raw_gbk_filename_is_recovered():
    parsed = parse(corpus.raw_gbk_filename())

    [attachment] = parsed.attachments
    assert attachment.filename == "维修单.pdf"
    assert attachment.content == corpus.PDF
    assert attachment.content_type == "application/pdf"
    assert not attachment.flagged
    assert parsed.text == "附件请查收。"


def test_rfc2231_filename_is_decoded():
    [attachment] = parse(corpus.rfc2231_filename()).attachments

    assert attachment.filename == "维修报价单.pdf"


def test_rfc2047_word_inside_quotes_is_decoded():
    [attachment] = parse(corpus.rfc2047_in_quotes_filename()).attachments

    assert attachment.filename == "发票（2025年3月）.pdf"


def test_a_25_mb_attachment_is_kept_whole():
    raw = corpus.large_attachment()
    assert 25_000_000 < len(raw) <= MAX_EMAIL_BYTES  # base64 makes it ~34 MB

    parsed = parse(raw)

    [attachment] = parsed.attachments
    assert len(attachment.content) == 25_000_000
    assert attachment.content[:10] == b"\x00\x01\x02RAPPORT"
    assert attachment.filename == "video.mp4"


def test_a_message_over_the_limit_is_refused_with_its_size():
    raw = b"Subject: x\r\n\r\n" + b"a" * MAX_EMAIL_BYTES

    with pytest.raises(EmailParseError) as error:
        parse(raw)

    assert error.value.code == "too_large"
    assert "larger than the 41,943,040-byte limit" in error.value.reason


def test_a_zip_bomb_is_stored_as_is_and_never_unpacked(monkeypatch):
    raw, archive = corpus.zip_bomb()
    assert len(archive) < 200_000  # small on the wire, 40 MB inside

    def refuse(*args, **kwargs):
        raise AssertionError("an archive was opened")

    monkeypatch.setattr(zipfile, "ZipFile", refuse)
    monkeypatch.setattr(zlib, "decompress", refuse)
    monkeypatch.setattr(zlib, "decompressobj", refuse)

    parsed = parse(raw)

    [attachment] = parsed.attachments
    assert attachment.content == archive
    assert attachment.filename == "photos.zip"
    assert not attachment.flagged


def test_an_exe_named_jpg_is_kept_under_a_bin_name_and_flagged():
    parsed = parse(corpus.exe_named_jpg())

    [attachment] = parsed.attachments
    assert attachment.filename == "photo.jpg.bin"
    assert attachment.original_filename == "photo.jpg"
    assert attachment.flagged
    assert attachment.is_inline is False
    assert attachment.content == corpus.PE
    assert parsed.defects == [
        "attachment: 'photo.jpg' was renamed 'photo.jpg.bin': "
        "the content is an executable program but the name says .jpg"
    ]


def test_a_double_extension_is_flagged():
    [attachment] = parse(corpus.double_extension()).attachments

    assert attachment.filename == "invoice.pdf.exe.bin"
    assert "double extension .pdf.exe" in attachment.flag_reason


def test_an_svg_with_a_script_is_flagged():
    [attachment] = parse(corpus.svg_with_script()).attachments

    assert attachment.flagged
    assert attachment.filename == "logo.svg.bin"


def test_a_genuine_jpeg_and_pdf_are_not_flagged():
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 50
    [photo] = parse(
        corpus.with_attachment(b'inline; filename="a.jpg"', jpeg, b"image/jpeg")
    ).attachments
    [pdf] = parse(corpus.rfc2231_filename()).attachments

    assert (photo.flagged, pdf.flagged) == (False, False)
    assert photo.is_inline


def test_a_broken_boundary_keeps_the_body_as_text():
    parsed = parse(corpus.broken_boundary())

    assert "The car still makes the noise." in parsed.text
    assert parsed.attachments == []
    assert (
        "MIME: the multipart boundary was never found; the body was kept as text" in parsed.defects
    )


def test_bad_base64_keeps_what_decodes_and_says_so():
    parsed = parse(corpus.bad_base64())

    assert parsed.text.startswith("你好你好")
    assert "浣" not in parsed.text  # not re-read as GB18030 mojibake
    assert (
        "decoding: base64 data had invalid characters, which were skipped (a text/plain part)"
        in parsed.defects
    )


def test_missing_headers_are_recorded_with_a_made_up_message_id():
    raw = corpus.missing_headers()

    parsed = parse(raw)

    assert parsed.subject == "发动机异响"
    assert parsed.from_address == ""
    assert parsed.date is None
    assert parsed.message_id.endswith("@rapport.invalid")
    assert parsed.message_id == parse(raw).message_id  # the same bytes, the same id
    assert parsed.text == "The engine is noisy."
    assert "headers: no Message-ID; one was made from the content" in parsed.defects


def test_missing_from_is_not_an_error():
    parsed = parse(corpus.missing_from())

    assert (parsed.from_address, parsed.from_name) == ("", "")
    assert parsed.text == "没有发件人"


def test_5000_recipients_keep_the_first_100_and_note_it():
    parsed = parse(corpus.many_recipients())

    assert parsed.to == [f"user{i}@example.com" for i in range(100)]
    assert "recipients: 5,000 To addresses, kept the first 100" in parsed.defects


def test_more_than_100_attachments_keep_100_and_note_it():
    boundary = "b"
    parts = [
        corpus.part(
            [
                ("Content-Type", "application/pdf"),
                ("Content-Disposition", f'attachment; filename="{i}.pdf"'),
            ],
            corpus.PDF,
        )
        for i in range(MAX_ATTACHMENTS + 5)
    ]
    raw = corpus.eml(
        [*corpus.base_headers(), ("Content-Type", f'multipart/mixed; boundary="{boundary}"')],
        corpus.multipart(boundary, parts),
    )

    parsed = parse(raw)

    assert len(parsed.attachments) == MAX_ATTACHMENTS
    assert parsed.attachments[-1].filename == f"{MAX_ATTACHMENTS - 1}.pdf"
    assert any("5 more attachments beyond 100" in d for d in parsed.defects)


def test_unsafe_and_missing_filenames_are_made_safe():
    for disposition, expected in (
        (b'attachment; filename="../../etc/passwd.pdf"', "passwd.pdf"),
        (b'attachment; filename="C:\\\\Windows\\\\a.pdf"', "a.pdf"),
        (b"attachment", "attachment-1.pdf"),
        (b'attachment; filename="..."', "attachment-1.pdf"),
    ):
        [attachment] = parse(corpus.with_attachment(disposition, corpus.PDF)).attachments
        assert attachment.filename == expected, disposition


def test_html_mail_is_sanitised_and_gives_the_text():
    parsed = parse(corpus.typical_chinese_mail())

    assert "<script" not in parsed.html
    assert '<img src="cid:img001@qq.com">' in parsed.html
    assert "track.example.com" not in parsed.html
    assert parsed.reply_text.startswith("您好，车辆在冷启动时发动机有明显异响")
    assert "原始邮件" not in parsed.reply_text
    assert "原始邮件" in parsed.text
    [image] = parsed.attachments
    assert (image.filename, image.content_id, image.is_inline) == (
        "image001.png",
        "img001@qq.com",
        True,
    )


def test_html_only_mail_gets_text_from_the_html():
    raw = corpus.eml(
        [*corpus.base_headers(), ("Content-Type", "text/html; charset=utf-8")],
        "<p>车辆异响</p><script>x()</script><p onclick='x()'>请回电</p>".encode(),
    )

    parsed = parse(raw)

    assert parsed.text == "车辆异响\n请回电"
    assert parsed.html == "<p>车辆异响</p><p>请回电</p>"


def test_a_forwarded_message_is_kept_as_an_eml_attachment():
    inner = corpus.text_mail("原来的邮件", Subject="inner")
    raw = corpus.eml(
        [*corpus.base_headers(), ("Content-Type", 'multipart/mixed; boundary="f"')],
        corpus.multipart(
            "f",
            [
                corpus.part([("Content-Type", "text/plain; charset=utf-8")], "请看转发".encode()),
                corpus.part([("Content-Type", "message/rfc822")], inner),
            ],
        ),
    )

    parsed = parse(raw)

    assert parsed.text == "请看转发"
    [attachment] = parsed.attachments
    assert attachment.filename == "message.eml"
    assert b"Subject: inner" in attachment.content


def test_a_date_without_zone_is_taken_as_utc_and_a_bad_date_is_noted():
    naive = parse(corpus.text_mail("x", Date="2025-03-01 10:12:00"))
    bad = parse(corpus.text_mail("x", Date="someday"))

    assert naive.date == datetime(2025, 3, 1, 10, 12, tzinfo=UTC)
    assert bad.date is None
    assert any(d.startswith("date:") for d in bad.defects)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"\x00\x01binary junk without any header line", "no_headers"),
    ],
)
def test_what_cannot_be_recorded_raises_with_a_reason(raw, code):
    with pytest.raises(EmailParseError) as error:
        parse(raw)

    assert error.value.code == code
    assert error.value.reason


def test_deep_nesting_is_cut_not_crashed():
    depth = 60
    body = b"innermost"
    for level in range(depth):
        boundary = f"n{level}"
        body = (
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'.encode()
            + body
            + f"\r\n--{boundary}--\r\n".encode()
        )
    raw = b"From: a@b.c\r\nSubject: deep\r\n" + body

    parsed = parse(raw)

    assert any("nested deeper than 20" in d for d in parsed.defects)


def test_reasons_and_defects_are_translated():
    from django.utils import translation

    with translation.override("zh-hans"):
        with pytest.raises(EmailParseError) as error:
            parse(b"")
        parsed = parse(corpus.exe_named_jpg())

    assert error.value.reason == "邮件内容为空。"
    assert parsed.defects == [
        "附件：'photo.jpg' 已改名为 'photo.jpg.bin'：内容是可执行程序，但文件名为 .jpg"
    ]


def test_thread_ids_put_in_reply_to_first_then_the_newest_references():
    parsed = parse(corpus.text_mail("x", In_Reply_To="<c@x>", References="<a@x> <b@x> <c@x>"))

    assert parsed.thread_ids == ["c@x", "b@x", "a@x"]
