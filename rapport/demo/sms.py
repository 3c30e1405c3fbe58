"""The demo's SMS: an account on the fake provider (signature 【瑞泰汽车】, a free-text template
code), customers' SMS replies through the real inbound pipeline — one question, one "TD" that
withdraws marketing consent — and a customer who had agreed to SMS marketing, so the consent
panel, the channel choice and the opt-out all show something. The live loop also has a customer
answer an appointment reminder (`live_appointment_answer`)."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from rapport.channels import services as channel_services
from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.channels.sms.models import SmsTemplateCode
from rapport.channels.sms.providers import InboundSms
from rapport.channels.sms.services import sms_inbound_accept
from rapport.customers.models import Customer, Identity
from rapport.customers.services import consent_record
from rapport.staff.models import Team, User

DEMO_SMS_NAME = "短信通道（演示）"
DEMO_SMS_NUMBER = "1069 0000 8888"
SIGN_NAME = "瑞泰汽车"

REPLIES = ["好的，周六上午十点我把车开过来。", "ＴＤ"]
LIVE_REPLIES = ["请问我的车今天能修好吗？几点可以来取？", "收到，谢谢！"]


def demo_sms_account() -> ChannelAccount | None:
    return ChannelAccount.objects.filter(name=DEMO_SMS_NAME, is_active=True).first()


def _mobile_customers(limit: int, offset: int = 0) -> list[tuple[Customer, str]]:
    rows = (
        Identity.objects.filter(
            kind="phone",
            value__startswith="+861",
            customer__merged_into__isnull=True,
            customer__do_not_contact=False,
            customer__is_deceased=False,
        )
        .select_related("customer")
        .order_by("customer_id", "id")[offset : offset + limit]
    )
    return [(row.customer, row.value) for row in rows]


def _reply(account: ChannelAccount, phone: str, text: str, ident: str) -> InboundMessage:
    (result,) = sms_inbound_accept(
        account=account, messages=[InboundSms(phone=phone, text=text, provider_id=ident)]
    )
    inbound = InboundMessage.objects.get(pk=result["inbound_id"])
    if inbound.state == InboundMessage.State.RECEIVED:  # no worker yet while the demo builds
        channel_services.inbound_process(inbound_id=inbound.pk)
        inbound.refresh_from_db()
    return inbound


def build_sms(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    team = Team.objects.get(name="客服一组")
    account, created = ChannelAccount.objects.get_or_create(
        name=DEMO_SMS_NAME,
        defaults={
            "kind": ChannelAccount.Kind.SMS,
            "address": DEMO_SMS_NUMBER,
            "default_team": team,
            "provider": ChannelAccount.Provider.FAKE,
            "is_default": True,
            "config": {"sign_name": SIGN_NAME, "vendor": "aliyun"},
        },
    )
    if not created:
        return
    account.set_secrets({"webhook_secret": "demo-sms-webhook-secret"})
    account.save(update_fields=["secrets"])
    SmsTemplateCode.objects.create(account=account, template=None, code="SMS_DEMO_TEXT")
    with transaction.atomic():
        picked = _mobile_customers(3)
        for n, ((customer, phone), text) in enumerate(zip(picked, REPLIES, strict=False)):
            if text == "ＴＤ":  # had agreed to SMS marketing on a paper form, then opted out
                consent_record(
                    customer=customer,
                    purpose="marketing",
                    granted=True,
                    source="form",
                    channel="sms",
                    note="门店登记表（演示）",
                )
            _reply(account, phone, text, f"demo-sms:{n}")
        if len(picked) == 3:  # a customer who agreed to SMS marketing and prefers SMS
            customer, _phone = picked[2]
            consent_record(
                customer=customer,
                purpose="marketing",
                granted=True,
                source="form",
                channel="sms",
                note="购车合同附页（演示）",
            )
            Customer.objects.filter(pk=customer.pk).update(preferred_channel="sms")


def live_sms_deliver(step: int, prefix: str) -> InboundMessage | None:
    """One scripted SMS reply from a customer with a mobile number (the live demo loop)."""
    account = demo_sms_account()
    picked = _mobile_customers(1, offset=5 + step)
    if account is None or not picked:
        return None
    _customer, phone = picked[0]
    text = LIVE_REPLIES[step % len(LIVE_REPLIES)]
    (result,) = sms_inbound_accept(
        account=account,
        messages=[InboundSms(phone=phone, text=text, provider_id=f"{prefix}{step}")],
    )
    return InboundMessage.objects.get(pk=result["inbound_id"])


# The live loop's answer to a reminder: "2", a new time please (the self-booking link goes out).
LIVE_APPOINTMENT_ANSWER = "2"


def live_appointment_answer(step: int, prefix: str) -> InboundMessage | None:
    """The customer of the latest reminded, still unconfirmed appointment within the answer
    window answers the reminder by SMS; None when there is none (or no SMS account)."""
    from rapport.appointments.models import Appointment
    from rapport.appointments.replies import WINDOW_DAYS

    account = demo_sms_account()
    if account is None:
        return None
    now = timezone.now()
    mobile = Identity.objects.filter(kind="phone", value__startswith="+861").values("customer_id")
    appointment = (
        Appointment.objects.filter(
            state=Appointment.State.BOOKED,
            reminded_at__isnull=False,
            new_time_wanted_at__isnull=True,
            starts_at__gt=now,
            day__lte=timezone.localdate(now) + timedelta(days=WINDOW_DAYS),
            customer_id__in=mobile,
        )
        .order_by("-starts_at", "-pk")
        .first()
    )
    if appointment is None:
        return None
    phone = (
        Identity.objects.filter(
            customer_id=appointment.customer_id, kind="phone", value__startswith="+861"
        )
        .values_list("value", flat=True)
        .first()
    )
    (result,) = sms_inbound_accept(
        account=account,
        messages=[
            InboundSms(phone=phone, text=LIVE_APPOINTMENT_ANSWER, provider_id=f"{prefix}{step}")
        ],
    )
    return InboundMessage.objects.get(pk=result["inbound_id"])
