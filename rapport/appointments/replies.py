"""Answers to the appointment reminder, mapped back to the appointment (issue 14 item 4).

The reminder asks "回复1确认，回复2改期，回复3取消". Every inbound SMS, WeChat or WeCom message
passes channels' one inbound pipeline, which records it (conversation, timeline) and then calls
`on_reply_recorded`, registered in AppointmentsConfig.ready() — channels never imports us. When
the whole text is one of the answers and the customer has a reminded appointment in the next
days, the answer acts on it:

- 1 / 确认 / 好的 / 可以 / 是 …: confirmed (confirmed_at, timeline), the advisor told;
- 2 / 改期: marked as wanting a new time for the advisor, the customer gets the self-booking
  link through the outbox;
- 3 / 取消: cancelled with the reason "the customer replied", the capacity given back.

Any other text is left to the conversation as it is. A repeated delivery changes nothing: the
confirmation is idempotent, the new-time mark is claimed by a conditional UPDATE and its link has
an idempotency key, and a cancelled appointment is no longer open.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.appointments import reminders, services
from rapport.appointments.models import Appointment
from rapport.channels.services.outbox import outbox_queue
from rapport.notifications.services import notify

REPLY_CHANNELS = ("sms", "wechat", "wecom")
# An answer reaches an appointment starting within these days (the reminder goes two before).
WINDOW_DAYS = 3
NOTIFY_KIND = "appointment_answer"

CONFIRM_WORDS = frozenset(
    {
        "1",
        "确认",
        "确定",
        "好",
        "好的",
        "可以",
        "是",
        "是的",
        "行",
        "对",
        "没问题",
        "ok",
        "yes",
        "y",
    }
)
MOVE_WORDS = frozenset({"2", "改期", "改时间", "换时间", "改约", "改天"})
CANCEL_WORDS = frozenset({"3", "取消", "取消预约", "不去了"})
_TRIM = " \t\r\n\u3000。.!！~～,，、"


def reply_intent(text: str) -> str | None:
    """ "confirm", "move", "cancel" when the whole message is one of the answers (full-width
    digits, case, spaces and a closing 。/！ ignored); None for anything else."""
    folded = unicodedata.normalize("NFKC", text or "").strip(_TRIM).lower()
    if folded in CONFIRM_WORDS:
        return "confirm"
    if folded in MOVE_WORDS:
        return "move"
    if folded in CANCEL_WORDS:
        return "cancel"
    return None


def appointment_awaiting_answer(*, customer_id: int, now: datetime) -> Appointment | None:
    """The customer's reminded, still open appointment in the next days that an answer is
    about: the earliest not yet confirmed, else the earliest confirmed one."""
    rows = Appointment.objects.filter(
        customer_id=customer_id,
        reminded_at__isnull=False,
        starts_at__gt=now,
        day__lte=timezone.localdate(now) + timedelta(days=WINDOW_DAYS),
    ).select_related("customer", "advisor__staff", "service_type", "asset")
    for state in Appointment.OPEN:
        found = rows.filter(state=state).order_by("starts_at", "pk").first()
        if found is not None:
            return found
    return None


def _tell_advisor(appointment: Appointment, title, key: str) -> None:
    staff = appointment.advisor.staff or appointment.booked_by
    if staff is None:
        return
    notify(
        users=[staff],
        kind=NOTIFY_KIND,
        title=title,
        url=reverse("appointments:detail", args=[appointment.pk]),
        dedupe_key=f"{NOTIFY_KIND}:{key}:{appointment.pk}",
    )


def appointment_answer_confirm(*, appointment: Appointment, channel: str) -> Appointment:
    """The customer answered "1": confirmed, and the advisor told, once."""
    was = appointment.state
    appointment = services.appointment_confirm(by=None, appointment=appointment, channel=channel)
    if was == Appointment.State.BOOKED:
        _tell_advisor(
            appointment,
            format_lazy(
                gettext_lazy("{customer} confirmed appointment {number} by replying"),
                customer=appointment.customer.name,
                number=appointment.number,
            ),
            "confirmed",
        )
    return appointment


def self_booking_link() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("appointments:selfbook")


def appointment_answer_new_time(
    *, appointment: Appointment, channel: str, thread=None, now: datetime | None = None
) -> bool:
    """The customer answered "2": the appointment is marked for the advisor as wanting a new
    time and the customer gets the self-booking link. False when it was already marked."""
    now = now or timezone.now()
    with transaction.atomic():
        won = Appointment.objects.filter(
            pk=appointment.pk, new_time_wanted_at__isnull=True, state__in=Appointment.OPEN
        ).update(new_time_wanted_at=now)
        if not won:
            return False
        appointment.new_time_wanted_at = now
        when = timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M")
        with translation.override(settings.LANGUAGE_CODE):
            services._timeline(
                by=None,
                appointment=appointment,
                summary=_("The customer replied asking for a new time."),
                channel=channel,
            )
            summary = _("Sent the self-booking link to choose a new time.")
        with translation.override(appointment.customer.language or "zh-hans"):
            body = _(
                "To move your appointment of %(when)s, open %(link)s and sign in with your "
                "mobile number, or call us and your service advisor will help."
            ) % {"when": when, "link": self_booking_link()}
        outbox_queue(
            customer=appointment.customer,
            purpose="service",
            source="appointment_reply",
            body=body,
            summary=summary,
            thread=thread,
            channel=None if thread is not None else channel,
            idempotency_key=f"appointment-new-time:{appointment.pk}",
        )
        _tell_advisor(
            appointment,
            format_lazy(
                gettext_lazy("{customer} asked for a new time for appointment {number}"),
                customer=appointment.customer.name,
                number=appointment.number,
            ),
            "new_time",
        )
    return True


def appointment_answer_cancel(*, appointment: Appointment, channel: str) -> Appointment:
    """The customer answered "3": cancelled, the capacity given back, the advisor told."""
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("The customer replied to cancel.")
    appointment = services.appointment_cancel(
        by=None, appointment=appointment, reason=reason, channel=channel
    )
    _tell_advisor(
        appointment,
        format_lazy(
            gettext_lazy("{customer} cancelled appointment {number} by replying"),
            customer=appointment.customer.name,
            number=appointment.number,
        ),
        "cancelled",
    )
    return appointment


def on_reply_recorded(message, incoming, account) -> None:
    """The inbound pipeline's hook (sms, wechat, wecom): act on an answer to a reminder."""
    intent = reply_intent(incoming.text)
    if intent is None or not message.customer_id:
        return
    now = timezone.now()
    appointment = appointment_awaiting_answer(customer_id=message.customer_id, now=now)
    if appointment is None:
        return
    channel = account.kind
    if intent == "confirm":
        appointment_answer_confirm(appointment=appointment, channel=channel)
    elif intent == "move":
        appointment_answer_new_time(
            appointment=appointment, channel=channel, thread=message, now=now
        )
    else:
        appointment_answer_cancel(appointment=appointment, channel=channel)


def register() -> None:
    from rapport.channels import registry
    from rapport.notifications.registry import register_kind

    for kind in REPLY_CHANNELS:
        registry.register_inbound_recorded(kind, on_reply_recorded)
    registry.register_outbox_listener(reminders.on_outbox_change)
    register_kind(
        NOTIFY_KIND,
        gettext_lazy("A customer answered an appointment reminder"),
        default_channels=("app",),
    )
