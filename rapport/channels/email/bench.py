"""Parse throughput for `make bench`: typical ~20 KB Chinese replies per second, one core."""

import time

from .build import build_email
from .parse import parse_email
from .thread import make_message_id

_LINE = "您好，车辆在冷启动时发动机有明显异响，持续约三十秒后消失，已经在其他店检查过两次。"
_QUOTE = (
    '\n\n------------------ 原始邮件 ------------------\n发件人: "客服中心"<kefu@rapport.example>;\n'
    '发送时间: 2025年3月1日(星期六) 上午10:12\n收件人: "张三"<zhangsan@qq.com>;\n'
    "主题: [T000123] 发动机异响\n\n张先生您好，请问您什么时候方便到店检查？\n"
)


def typical_mail(size: int = 20_000) -> bytes:
    """A QQ-style reply: text + HTML alternative with a quoted history and an inline image."""
    lines = [_LINE] * max(1, size // 3 // len(_LINE.encode()))
    text = "\n".join(lines) + _QUOTE
    html = "".join(f"<p>{line}</p>" for line in text.splitlines()) + '<img src="cid:img1@qq.com">'
    return build_email(
        from_addr=("张三", "zhangsan@qq.com"),
        to=["kefu@rapport.example"],
        subject="回复：[T000123] 发动机异响",
        text=text,
        html=html,
        message_id="20250301101200.abc@qq.com",
        in_reply_to=make_message_id(ticket_id=123, outbox_id=45, own_domain="rapport.example"),
        attachments=[
            ("image001.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, "image/png", "img1@qq.com")
        ],
    )


def parse_throughput(n: int = 200, *, size: int = 20_000) -> dict[str, float]:
    """Parse `n` typical mails; returns bytes per mail, seconds and messages per second."""
    raw = typical_mail(size)
    parse_email(raw, own_domain="rapport.example")  # warm up regexes and codecs
    started = time.perf_counter()
    for _ in range(n):
        parse_email(raw, own_domain="rapport.example")
    elapsed = time.perf_counter() - started
    return {"bytes": len(raw), "messages": n, "seconds": elapsed, "per_second": n / elapsed}
