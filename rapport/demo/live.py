"""The live demo: while `rapport demo` runs, customers keep writing to the demo mailbox.

Every `LIVE_EVERY` the worker delivers the next mail (or SMS reply) of a short script through the
real inbound pipeline (the same `inbound_receive` an IMAP poll or the webhook uses): a new question lands in
the team inbox, a customer answers an open ticket by e-mail and the reply threads into it, a
stranger becomes a potential customer, and a customer answers an appointment reminder "2" by SMS
(the appointment is marked as wanting a new time and the self-booking link goes out). An evaluator sees mail arrive within a minute of
`make demo`, claims it and answers it. Only `rapport demo` turns this on (RAPPORT_DEMO_LIVE).
"""

from datetime import timedelta

from rapport.channels import services as channel_services
from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.customers.models import Customer
from rapport.demo.messaging import DEMO_ADDRESS, _email_of, _mail
from rapport.tickets.models import Ticket

LIVE_EVERY = timedelta(seconds=40)
# A WeChat message from a customer (rapport.demo.chat.live_chat_deliver), offset from the mail.
LIVE_CHAT_EVERY = timedelta(seconds=55)
PROVIDER_PREFIX = "demo-live:"

SCRIPT = [
    (
        "customer",
        "轮胎鼓包，能否今天更换？",
        "您好，早上发现左前轮侧面鼓了一个包，还能开吗？今天下午能过来换吗？\n\n发自我的iPhone",
    ),
    ("sms", "", ""),  # a customer's SMS reply (rapport.demo.sms)
    # a customer answers the appointment reminder "2" by SMS: wants a new time, gets the
    # self-booking link (rapport.demo.sms.live_appointment_answer)
    ("appointment", "", ""),
    ("ticket", "", "您好，方案我看过了，同意按第二个方案处理。请尽快安排，谢谢。"),
    (
        "stranger",
        "想了解新能源车型的试驾",
        "你好，我想周末带家人试驾一下新能源车型，需要提前预约吗？",
    ),
    (
        "customer",
        "保养后仪表盘提示灯还亮",
        "昨天刚做完保养，今天仪表盘的保养提示灯还亮着，是不是忘了复位？",
    ),
]


def _next_step() -> int:
    return InboundMessage.objects.filter(provider_id__startswith=PROVIDER_PREFIX).count()


def live_mail_deliver() -> InboundMessage | None:
    """Deliver the next scripted mail to the demo mailbox; None once the script is done."""
    account = ChannelAccount.objects.filter(address=DEMO_ADDRESS, is_active=True).first()
    step = _next_step()
    if account is None or step >= len(SCRIPT):
        return None
    kind, subject, body = SCRIPT[step]
    if kind == "sms":
        from rapport.demo.sms import live_sms_deliver

        delivered = live_sms_deliver(step, PROVIDER_PREFIX)
        if delivered is not None:
            return delivered
        kind, subject, body = "stranger", "请问营业时间", "你好，请问周日几点开门？"
    if kind == "appointment":
        from rapport.demo.sms import live_appointment_answer

        delivered = live_appointment_answer(step, PROVIDER_PREFIX)
        if delivered is not None:
            return delivered
        kind, subject, body = "stranger", "预约保养", "你好，下周想做个保养，怎么预约？"
    if kind == "ticket":
        ticket = (
            Ticket.objects.filter(
                status__in=[Ticket.Status.IN_PROGRESS, Ticket.Status.WAITING],
                customer__identities__kind="email",
                customer__merged_into__isnull=True,
            )
            .select_related("customer")
            .order_by("-id")
            .first()
        )
        if ticket is None:
            kind, subject = "customer", "请问我的问题处理得怎么样了？"
        else:
            name, address = ticket.contact_name or ticket.customer.name, _email_of(ticket.customer)
            subject = f"回复：[{ticket.number}] {ticket.subject}"
    if kind == "customer":
        customer = (
            Customer.objects.filter(identities__kind="email", merged_into__isnull=True)
            .order_by("-id")[step : step + 1]
            .first()
        )
        if customer is None:
            kind = "stranger"
        else:
            name, address = customer.name, _email_of(customer)
    if kind == "stranger":
        name, address = "张先生", f"zhang.{step}@example.net"
    _id, raw = _mail(name=name, address=address, subject=subject, body=body)
    return channel_services.inbound_receive(
        account=account, provider_id=f"{PROVIDER_PREFIX}{step}", raw=raw
    )
