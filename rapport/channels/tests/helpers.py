"""Building mail and running the pipeline in tests."""

import itertools
from email.message import EmailMessage
from email.utils import make_msgid

from rapport.channels import services
from rapport.channels.models import ChannelAccount, InboundMessage

_counter = itertools.count(1)


def mail(
    *,
    sender: str = "张伟 <ZhangWei@QQ.com>",
    to: str = "service@rapport.example",
    subject: str = "刹车有异响",
    body: str = "您好，我的车刹车时有异响，请帮忙看看。",
    message_id: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    **headers: str,
) -> bytes:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="qq.com")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, charset="utf-8")
    for filename, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def receive(account: ChannelAccount, raw: bytes, provider_id: str | None = None) -> InboundMessage:
    """Receive and process as a worker would (in a test transaction no on-commit task runs)."""
    inbound = services.inbound_receive(
        account=account, provider_id=provider_id or f"test:{next(_counter)}", raw=raw
    )
    services.inbound_process(inbound_id=inbound.pk)
    inbound.refresh_from_db()
    return inbound
