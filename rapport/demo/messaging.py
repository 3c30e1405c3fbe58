"""The demo's mailbox: an e-mail account on the fake provider (nothing leaves the machine) and a
few customer e-mails received through the real inbound pipeline — new questions in the inbox, a
reply threaded into an open ticket, an out-of-office reply recorded, and one broken message in
quarantine — so the inbox, the ticket timeline and the quarantine all have something to show.
"""

import random
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from rapport.channels import services as channel_services
from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.customers.models import Customer, Identity
from rapport.staff.models import Team, User
from rapport.tickets.models import Ticket

DEMO_ADDRESS = "service@ruitai-auto.example.cn"

NEW_MAILS = [
    (
        "空调有异味，想预约清洗",
        "您好：\n\n我的车最近开空调有一股霉味，想预约一次空调清洗，周六上午可以吗？\n\n谢谢！",
    ),
    (
        "咨询保养套餐价格",
        "你好，请问 4 万公里保养套餐多少钱？包含哪些项目？能否发一份明细给我。\n\n发自我的iPhone",
    ),
    (
        "发票抬头开错了",
        "客服您好，上周保养的发票抬头开错了，应为“北京瑞丰科技有限公司”，请帮忙重开。\n\n"
        "------------------ 原始邮件 ------------------\n"
        "发件人: 瑞泰汽车服务 <service@ruitai-auto.example.cn>\n"
        "发送时间: 2026年11月20日 10:12\n"
        "主题: 您的电子发票\n\n"
        "您好，附件是您的电子发票。",
    ),
]
STRANGER = (
    "林小姐",
    "lin.xiaojie@example.net",
    "请问你们周日营业吗？",
    "想周日过去看看新车，几点开门？",
)
THREAD_REPLY = (
    "您好，我下午三点以后在家，可以安排师傅上门检查。另外上次说的补偿方案我同意。\n\n"
    "在 2026年11月28日 14:02，瑞泰汽车服务 写道：\n> 您好，请问您什么时间方便？"
)


def _mail(*, name: str, address: str, subject: str, body: str, **headers) -> tuple[str, bytes]:
    mail = EmailMessage()
    mail["From"] = Address(display_name=name, addr_spec=address)
    mail["To"] = DEMO_ADDRESS
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.localtime())
    message_id = make_msgid(domain="mail.example.net")
    mail["Message-ID"] = message_id
    for key, value in headers.items():
        mail[key.replace("_", "-")] = value
    mail.set_content(body, charset="utf-8")
    return message_id, mail.as_bytes()


def _receive(account: ChannelAccount, n: int, raw: bytes) -> InboundMessage:
    inbound = channel_services.inbound_receive(account=account, provider_id=f"demo:{n}", raw=raw)
    inbound.refresh_from_db()
    if inbound.state == InboundMessage.State.RECEIVED:  # no worker yet while the demo builds
        channel_services.inbound_process(inbound_id=inbound.pk)
        inbound.refresh_from_db()
    return inbound


def _email_of(customer: Customer) -> str | None:
    return (
        Identity.objects.filter(customer=customer, kind="email")
        .values_list("value", flat=True)
        .first()
    )


def build_messaging(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    team = Team.objects.get(name="客服一组")
    account, _created = ChannelAccount.objects.get_or_create(
        name="客服邮箱",
        defaults={
            "kind": ChannelAccount.Kind.EMAIL,
            "address": DEMO_ADDRESS,
            "default_team": team,
            "provider": ChannelAccount.Provider.FAKE,
            "is_default": True,
            "config": {"note": "demo: the fake provider records what would be sent"},
        },
    )
    if InboundMessage.objects.filter(account=account).exists():
        return
    with_email = [c for c in customers if _email_of(c) and c.merged_into_id is None]
    n = 0
    for (subject, body), customer in zip(NEW_MAILS, rng.sample(with_email, 3), strict=True):
        n += 1
        _id, raw = _mail(
            name=customer.name, address=_email_of(customer), subject=subject, body=body
        )
        _receive(account, n, raw)
    n += 1
    name, address, subject, body = STRANGER
    _receive(account, n, _mail(name=name, address=address, subject=subject, body=body)[1])
    # A reply into an open ticket, found by the [T000123] token of the customer's own ticket.
    ticket = (
        Ticket.objects.filter(
            status__in=[Ticket.Status.IN_PROGRESS, Ticket.Status.WAITING],
            customer__identities__kind="email",
            customer__merged_into__isnull=True,
        )
        .select_related("customer")
        .order_by("-status", "id")  # waiting first: the reply resumes its clock
        .first()
    )
    if ticket is not None:
        sender = _email_of(ticket.customer)
        n += 1
        raw = _mail(
            name=ticket.contact_name,
            address=sender,
            subject=f"回复：[{ticket.number}] {ticket.subject}",
            body=THREAD_REPLY,
        )[1]
        _receive(account, n, raw)
        # …and the customer's out-of-office answer to our next message: recorded, nothing else.
        n += 1
        raw = _mail(
            name=ticket.contact_name,
            address=sender,
            subject=f"自动回复：[{ticket.number}] {ticket.subject}",
            body="您好，我正在休假，12月10日回来后回复您。",
            Auto_Submitted="auto-replied",
        )[1]
        _receive(account, n, raw)
    # A message the pipeline cannot file (no sender): it waits in quarantine for an administrator.
    n += 1
    broken = (
        b"To: " + DEMO_ADDRESS.encode() + b"\r\nSubject: =?gb2312?B?suLK1A==?=\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n\r\n\xc4\xfa\xba\xc3\r\n"
    )
    _receive(account, n, broken)


def bench_context(ctx: dict) -> dict:
    """An unassigned conversation of a few messages in the bench database (made once, through
    the real inbound pipeline) for the inbox and conversation scenarios."""
    from rapport.channels.models import Conversation

    account = ChannelAccount.objects.filter(name="bench-mailbox").first()
    if account is None:
        team = Team.objects.filter(is_active=True).order_by("id").first()
        account = ChannelAccount.objects.create(
            name="bench-mailbox",
            address="service@rapport.example",
            default_team=team,
            provider=ChannelAccount.Provider.FAKE,
        )
    conversation = (
        Conversation.objects.filter(account=account, subject="bench: 发动机异响")
        .order_by("id")
        .first()
    )
    if conversation is None:
        first = None
        for n, body in enumerate([NEW_MAILS[0][1], THREAD_REPLY, NEW_MAILS[1][1]]):
            headers = {"In-Reply-To": first, "References": first} if first else {}
            message_id, raw = _mail(
                name="王先生",
                address="bench.wang@qq.com",
                subject="回复：bench: 发动机异响" if first else "bench: 发动机异响",
                body=body,
                **headers,
            )
            first = first or message_id
            inbound = channel_services.inbound_receive(
                account=account, provider_id=f"bench-conversation:{n}", raw=raw
            )
            channel_services.inbound_process(inbound_id=inbound.pk)
        conversation = Conversation.objects.get(account=account, subject="bench: 发动机异响")
    return {"conversation_id": conversation.pk}


def benchmarks() -> list:
    from rapport.demo.benchmarks import Scenario

    return [
        Scenario("Inbox (unassigned conversations, first page)", "GET", lambda c: "/inbox/"),
        Scenario(
            "Conversation page (three messages, 360 context)",
            "GET",
            lambda c: f"/inbox/{c['conversation_id']}/",
        ),
    ]
