"""The .eml corpus of issue 9 "Bad input", built from bytes so every byte is visible in the tests."""

import base64
import io
import zipfile

OWN_DOMAIN = "rapport.example"
CRLF = b"\r\n"


def b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", CRLF)


def word(text: str, charset: str) -> str:
    """An RFC 2047 B word, written the way the sender's mailer does (charset label as given)."""
    codec = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs"}.get(
        charset.lower(), charset
    )
    return f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode()}?="


def eml(headers: list[tuple[str, str | bytes]], body: bytes = b"") -> bytes:
    lines = []
    for name, value in headers:
        raw = value if isinstance(value, bytes) else value.encode("ascii")
        lines.append(name.encode("ascii") + b": " + raw)
    return CRLF.join(lines) + CRLF + CRLF + body


def part(headers: list[tuple[str, str | bytes]], body: bytes) -> bytes:
    return eml(headers, body)


def multipart(boundary: str, parts: list[bytes], *, close: bool = True) -> bytes:
    marker = b"--" + boundary.encode()
    out = b"This is a multi-part message in MIME format." + CRLF
    for chunk in parts:
        out += marker + CRLF + chunk + CRLF
    if close:
        out += marker + b"--" + CRLF
    return out


def base_headers(**overrides) -> list[tuple[str, str | bytes]]:
    headers = {
        "From": "=?utf-8?B?5byg5LiJ?= <ZhangSan@QQ.com>",
        "To": f"support@{OWN_DOMAIN}",
        "Subject": "hello",
        "Date": "Sat, 01 Mar 2025 10:12:00 +0800",
        "Message-ID": "<20250301101200.abc@qq.com>",
        "MIME-Version": "1.0",
    }
    for key, value in overrides.items():
        name = key.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return list(headers.items())


def text_mail(text: str, *, charset: str = "utf-8", encoding: str = "base64", **headers) -> bytes:
    codec = {"gb2312": "gb18030", "big5": "big5hkscs"}.get(charset, charset)
    data = text.replace("\n", "\r\n").encode(codec)
    body = b64(data) if encoding == "base64" else data
    return eml(
        [
            *base_headers(**headers),
            ("Content-Type", f"text/plain; charset={charset}"),
            ("Content-Transfer-Encoding", encoding),
        ],
        body,
    )


def with_attachment(
    disposition: bytes, content: bytes, content_type: bytes = b"application/pdf", **headers
) -> bytes:
    boundary = "----=_NextPart_5F2A_0001"
    parts = [
        part(
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Transfer-Encoding", "base64"),
            ],
            b64("附件请查收。".encode()),
        ),
        part(
            [
                ("Content-Type", content_type),
                ("Content-Transfer-Encoding", "base64"),
                ("Content-Disposition", disposition),
            ],
            b64(content),
        ),
    ]
    return eml(
        [*base_headers(**headers), ("Content-Type", f'multipart/mixed; boundary="{boundary}"')],
        multipart(boundary, parts),
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"


# ---- charsets -------------------------------------------------------------------------------

GBK_SUBJECT = "朱镕基 – 回复"  # 镕 and the en dash exist in GBK/GB18030, not in GB2312
GBK_BODY = "您好：\n朱镕基同志的来信已收到 – 请于周一前回复。\n张三"


def gb2312_with_gbk_chars() -> bytes:
    return text_mail(
        GBK_BODY,
        charset="gb2312",
        encoding="8bit",
        Subject=word(GBK_SUBJECT, "gb2312"),
        From=f"{word('朱镕基', 'gb2312')} <zhu@example.cn>",
    )


BIG5_TEXT = "您好，我哋部車引擎有異響，麻煩安排檢查。"  # 哋 is HKSCS, outside plain Big5


def big5_body() -> bytes:
    return text_mail(BIG5_TEXT, charset="big5", Subject=word("引擎異響", "big5"))


def raw_gbk_filename() -> bytes:
    return with_attachment(b'attachment; filename="' + "维修单.pdf".encode("gbk") + b'"', PDF)


def rfc2231_filename() -> bytes:
    return with_attachment(
        b"attachment; filename*=UTF-8''%E7%BB%B4%E4%BF%AE%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf", PDF
    )


def rfc2047_in_quotes_filename() -> bytes:
    name = word("发票（2025年3月）.pdf", "GBK")
    return with_attachment(f'attachment; filename="{name}"'.encode(), PDF)


# ---- size and content -------------------------------------------------------------------------


def large_attachment(size: int = 25 * 1000 * 1000) -> bytes:
    content = (b"\x00\x01\x02RAPPORT" * (size // 10 + 1))[:size]
    return with_attachment(b'attachment; filename="video.mp4"', content, b"video/mp4")


def zip_bomb() -> tuple[bytes, bytes]:
    """A 20 MB run of zeros deflated to a few KB, twice: a ~2000:1 archive. Returns (mail, zip)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ("a.bin", "b.bin"):
            with archive.open(name, "w", force_zip64=True) as entry:
                chunk = b"\x00" * (1024 * 1024)
                for _ in range(20):
                    entry.write(chunk)
    data = buffer.getvalue()
    return with_attachment(b'attachment; filename="photos.zip"', data, b"application/zip"), data


def exe_named_jpg() -> bytes:
    return with_attachment(b'attachment; filename="photo.jpg"', PE, b"image/jpeg")


def double_extension() -> bytes:
    return with_attachment(
        b'attachment; filename="invoice.pdf.exe"', PE, b"application/octet-stream"
    )


def svg_with_script() -> bytes:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    return with_attachment(b'attachment; filename="logo.svg"', svg, b"image/svg+xml")


# ---- malformed --------------------------------------------------------------------------------


def broken_boundary() -> bytes:
    """Declares a boundary that never appears in the body."""
    return eml(
        [*base_headers(), ("Content-Type", 'multipart/mixed; boundary="never-used"')],
        b"--some-other-boundary\r\nContent-Type: text/plain\r\n\r\nThe car still makes the noise.\r\n",
    )


def bad_base64() -> bytes:
    return eml(
        [
            *base_headers(),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "base64"),
        ],
        b"5L2g5aW9!!!\r\n$$5L2g5aW9\r\n5L2",
    )


def missing_headers() -> bytes:
    """No From, no Message-ID, no Date, no MIME headers: just a Subject and a body."""
    return b"Subject: =?utf-8?B?5Y+R5Yqo5py65byC5ZON?=\r\n\r\nThe engine is noisy.\r\n"


def missing_from() -> bytes:
    return text_mail("没有发件人", From=None)


def many_recipients(count: int = 5000) -> bytes:
    to = ", ".join(f"user{i}@example.com" for i in range(count))
    return text_mail("群发", To=to)


# ---- automatic mail ---------------------------------------------------------------------------


def dsn(*, action: str, status: str, original_id: str) -> bytes:
    boundary = "dsn-boundary-1"
    parts = [
        part(
            [("Content-Type", "text/plain; charset=us-ascii")],
            b"This is the mail system at host mx.qq.com.\r\n\r\nI'm sorry to have to inform you...",
        ),
        part(
            [("Content-Type", "message/delivery-status")],
            b"Reporting-MTA: dns; mx.qq.com\r\nArrival-Date: Sat, 1 Mar 2025 10:12:00 +0800\r\n\r\n"
            b"Final-Recipient: rfc822; Gone@QQ.com\r\nOriginal-Recipient: rfc822;gone@qq.com\r\n"
            + f"Action: {action}\r\nStatus: {status}\r\n".encode()
            + b"Diagnostic-Code: smtp; 550 Mailbox not found.\r\n",
        ),
        part(
            [("Content-Type", "text/rfc822-headers")],
            f"From: support@{OWN_DOMAIN}\r\nTo: gone@qq.com\r\nSubject: [T000123] reply\r\n"
            f"Message-ID: <{original_id}>\r\n".encode(),
        ),
    ]
    return eml(
        [
            *base_headers(
                From="MAILER-DAEMON@mx.qq.com (Mail Delivery System)",
                Subject="Undelivered Mail Returned to Sender",
                To=f"support@{OWN_DOMAIN}",
                Return_Path="<>",
            ),
            (
                "Content-Type",
                f'multipart/report; report-type=delivery-status; boundary="{boundary}"',
            ),
        ],
        multipart(boundary, parts),
    )


def exchange_out_of_office() -> bytes:
    return text_mail(
        "我将于3月10日返回，期间请联系李四。",
        Subject=word("自动答复: 发动机异响 [T000123]", "utf-8"),
        X_Auto_Response_Suppress="All",
        X_MS_Exchange_Inbox_Rules_Loop="wang@corp.example.cn",
    )


def rfc3834_auto_reply() -> bytes:
    return text_mail(
        "您的邮件已收到，我们会尽快处理。",
        Subject=word("Re: 发动机异响", "utf-8"),
        Auto_Submitted="auto-replied",
    )


def mailing_list() -> bytes:
    return text_mail(
        "本周车友会活动通知。",
        List_Id="<club.lists.example.cn>",
        List_Unsubscribe="<mailto:leave@lists.example.cn>",
        Precedence="list",
    )


def own_loop() -> bytes:
    return text_mail(
        "您的工单已更新。",
        Message_ID=f"<notification.42@{OWN_DOMAIN}>",
        Precedence="bulk",
        From=f"noreply@{OWN_DOMAIN}",
    )


# ---- Chinese clients' replies -----------------------------------------------------------------

QQ_REPLY = """好的，明天上午十点我把车开过去。

------------------ 原始邮件 ------------------
发件人: "客服中心"<support@rapport.example>;
发送时间: 2025年3月1日(星期六) 上午10:12
收件人: "张三"<zhangsan@qq.com>;
主题: [T000123] 发动机异响

张先生您好，请问您什么时候方便到店检查？
"""

NETEASE_163_REPLY = """明天上午可以。
谢谢！

在 2025-03-01 10:12:30，"客服中心" <support@rapport.example> 写道：
>张先生您好，请问您什么时候方便到店检查？
>
"""

OUTLOOK_ZH_REPLY = """附件是行驶证照片。

________________________________
发件人: 客服中心 <support@rapport.example>
发送时间: 2025年3月1日 10:12
收件人: 张三 <zhangsan@corp.example.cn>
主题: [T000123] 发动机异响

张先生您好，请提供行驶证照片。
"""

OUTLOOK_ZH_TW_REPLY = """附件是行駛證照片。

________________________________
寄件者: 客服中心 <support@rapport.example>
寄件日期: 2025年3月1日 上午 10:12
收件者: 張三 <zhangsan@corp.example.tw>
主旨: [T000123] 發動機異響

張先生您好，請提供行駛證照片。
"""

GMAIL_ZH_REPLY = """上次换的机油是全合成的。

客服中心 <support@rapport.example> 于2025年3月1日周六 10:12写道：

> 张先生您好，请问上次保养换的是什么机油？
>
"""

APPLE_ZH_REPLY = """周一下午可以到店。

发自我的iPhone

> 2025年3月1日 10:12，客服中心 <support@rapport.example> 写道：
>
> 张先生您好，请问您周一方便吗？
"""

REPLIES = {
    "qq": (QQ_REPLY, "好的，明天上午十点我把车开过去。"),
    "163": (NETEASE_163_REPLY, "明天上午可以。\n谢谢！"),
    "outlook_zh": (OUTLOOK_ZH_REPLY, "附件是行驶证照片。"),
    "outlook_zh_tw": (OUTLOOK_ZH_TW_REPLY, "附件是行駛證照片。"),
    "gmail_zh": (GMAIL_ZH_REPLY, "上次换的机油是全合成的。"),
    "apple_zh": (APPLE_ZH_REPLY, "周一下午可以到店。"),
}


def client_reply(text: str, *, charset: str = "utf-8") -> bytes:
    return text_mail(
        text,
        charset=charset,
        Subject=word("回复：[T000123] 发动机异响", "utf-8"),
        In_Reply_To=f"<rp.t123.m45.0a1b2c3d@{OWN_DOMAIN}>",
        References=f"<first@qq.com> <rp.t123.m45.0a1b2c3d@{OWN_DOMAIN}>",
    )


def typical_chinese_mail(size: int = 20_000) -> bytes:
    """A ~20 KB HTML+text reply with a small inline image, as a QQ/Foxmail user sends it."""
    line = "您好，车辆在冷启动时发动机有明显异响，持续约三十秒后消失，已经在其他店检查过两次。\n"
    text = (line * (size // 3 // len(line.encode()) + 1)) + "\n" + QQ_REPLY
    html = (
        "<html><body>"
        + "".join(f"<p>{line}</p>" for line in text.splitlines())
        + ('<img src="cid:img001@qq.com"><img src="http://track.example.com/p.gif"></body></html>')
    )
    boundary_alt, boundary_rel = "alt-1", "rel-1"
    alternative = multipart(
        boundary_alt,
        [
            part(
                [
                    ("Content-Type", "text/plain; charset=gb18030"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b64(text.encode("gb18030")),
            ),
            part(
                [
                    ("Content-Type", "text/html; charset=gb18030"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b64(html.encode("gb18030")),
            ),
        ],
    )
    related = multipart(
        boundary_rel,
        [
            part(
                [("Content-Type", f'multipart/alternative; boundary="{boundary_alt}"')], alternative
            ),
            part(
                [
                    ("Content-Type", 'image/png; name="image001.png"'),
                    ("Content-Transfer-Encoding", "base64"),
                    ("Content-ID", "<img001@qq.com>"),
                    ("Content-Disposition", 'inline; filename="image001.png"'),
                ],
                b64(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
            ),
        ],
    )
    return eml(
        [
            *base_headers(Subject=word("回复：[T000123] 发动机异响", "gb18030")),
            ("Content-Type", f'multipart/related; boundary="{boundary_rel}"'),
        ],
        related,
    )


# The same replies as the clients send them in HTML only (no text/plain part).
HTML_REPLIES = {
    "qq": (
        "<div>好的，明天上午十点我把车开过去。</div><div><br></div>"
        '<div style="font-size: 12px;font-family: Arial Narrow;padding:2px 0 2px 0;">'
        "------------------&nbsp;原始邮件&nbsp;------------------</div>"
        '<div style="font-size: 12px;background:#efefef;padding:8px;">'
        '<div><b>发件人:</b>&nbsp;"客服中心"&lt;support@rapport.example&gt;;</div>'
        "<div><b>发送时间:</b>&nbsp;2025年3月1日(星期六) 上午10:12</div>"
        '<div><b>收件人:</b>&nbsp;"张三"&lt;zhangsan@qq.com&gt;;</div>'
        "<div></div><div><b>主题:</b>&nbsp;[T000123] 发动机异响</div></div><div><br></div>"
        "张先生您好，请问您什么时候方便到店检查？",
        "好的，明天上午十点我把车开过去。",
    ),
    "163": (
        "<div>明天上午可以。</div><div>谢谢！</div><br>"
        '<div class="J-reply" style="background-color:#f2f2f2;color:black;padding-top:6px;">'
        '在 2025-03-01 10:12:30，"客服中心" &lt;support@rapport.example&gt; 写道：<br>'
        '<blockquote id="isReplyContent" style="margin: 0;padding-left: 1ex;">'
        "张先生您好，请问您什么时候方便到店检查？</blockquote></div>",
        "明天上午可以。\n谢谢！",
    ),
    "outlook_zh": (
        '<div dir="ltr">附件是行驶证照片。</div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt">'
        "<b>发件人:</b> 客服中心 &lt;support@rapport.example&gt;<br>"
        "<b>发送时间:</b> 2025年3月1日 10:12<br><b>收件人:</b> 张三 &lt;zhangsan@corp.example.cn&gt;<br>"
        "<b>主题:</b> [T000123] 发动机异响</font><div>&nbsp;</div></div>"
        "<div>张先生您好，请提供行驶证照片。</div>",
        "附件是行驶证照片。",
    ),
    "gmail_zh": (
        '<div dir="ltr">上次换的机油是全合成的。</div><br>'
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">客服中心 &lt;'
        '<a href="mailto:support@rapport.example">support@rapport.example</a>&gt; '
        "于2025年3月1日周六 10:12写道：<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
        "<div>张先生您好，请问上次保养换的是什么机油？</div></blockquote></div>",
        "上次换的机油是全合成的。",
    ),
    "apple_zh": (
        '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
        '<body dir="auto"><div dir="ltr">周一下午可以到店。</div><div dir="ltr"><br>'
        '<div dir="ltr">发自我的iPhone</div><div dir="ltr"><br>'
        '<blockquote type="cite">2025年3月1日 10:12，客服中心 &lt;support@rapport.example&gt; 写道：<br><br>'
        '</blockquote></div><blockquote type="cite"><div dir="ltr">张先生您好，请问您周一方便吗？</div>'
        "</blockquote></div></body></html>",
        "周一下午可以到店。",
    ),
}


def html_reply(markup: str) -> bytes:
    return eml(
        [
            *base_headers(Subject=word("回复：[T000123] 发动机异响", "utf-8")),
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Transfer-Encoding", "base64"),
        ],
        b64(markup.encode()),
    )


def netease_text_bounce(*, status_line: str = "550 5.1.1 user unknown") -> bytes:
    """163's "系统退信": plain text plus the original as message/rfc822, no delivery-status part."""
    original = text_mail(
        "张先生您好",
        From=f"support@{OWN_DOMAIN}",
        To="nobody@163.com",
        Message_ID=f"<rp.t123.m46.ffee@{OWN_DOMAIN}>",
    )
    text = (
        "抱歉，您的邮件被退回来了……\n原邮件信息：\n收件人：nobody@163.com\n"
        f"退信原因：{status_line}\n"
    )
    return eml(
        [
            *base_headers(
                From="postmaster@163.com",
                Subject=word("系统退信", "utf-8"),
                To=f"support@{OWN_DOMAIN}",
            ),
            ("Content-Type", 'multipart/mixed; boundary="nb"'),
        ],
        multipart(
            "nb",
            [
                part(
                    [
                        ("Content-Type", "text/plain; charset=utf-8"),
                        ("Content-Transfer-Encoding", "base64"),
                    ],
                    b64(text.encode()),
                ),
                part([("Content-Type", "message/rfc822")], original),
            ],
        ),
    )
