"""The day before: an appointment on the next working day that the customer has not confirmed by
a set hour becomes a call for its service advisor (issue 14 item 4).

The call is care's call task (rapport.care.calls), so it sits in the advisor's call list with
the script and escalates like every other care call. Each appointment is claimed with a
conditional UPDATE of `call_task_at` in the same transaction as the task, so two workers, or a
sweep run twice, make one call; a worker killed half-way leaves the claim undone.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from rapport.appointments.models import Appointment, WorkshopSettings
from rapport.appointments.reminders import occasion_text
from rapport.care.calls import care_call_task_open
from rapport.core.calendar.selectors import calendar_get_default, calendar_snapshot

logger = logging.getLogger(__name__)

PROGRAM_NAME = "预约确认电话（提前一天）"
PROGRAM_DESCRIPTION = (
    "由预约模块每天在设定时间创建：次日（工作日）的预约客户仍未确认时，"
    "由其服务顾问致电确认。不由关怀计划引擎运行。"
)
SCRIPT = (
    "{customer_name}您好，我是{company}的服务顾问{agent_name}。{occasion}，"
    "想跟您确认一下明天是否方便按时到店？如需改期，我现在就可以帮您调整。"
)


def call_hour() -> int:
    """The local hour from which the sweep turns tomorrow's unconfirmed appointments into calls
    (RAPPORT_APPOINTMENT_CALL_HOUR, default 15)."""
    return int(getattr(settings, "RAPPORT_APPOINTMENT_CALL_HOUR", 15))


def next_working_day(today: date) -> date | None:
    """The workshop's next working day after `today`, or None when `today` is not a working
    day itself (the calls were made on the working day before) or none comes within a month."""
    rules = WorkshopSettings.current()
    snapshot = calendar_snapshot(calendar=rules.calendar or calendar_get_default())
    if not snapshot.intervals_on(today):
        return None
    return snapshot.next_day_with_work(today + timedelta(days=1), limit=today + timedelta(days=31))


def _claim(appointment_id: int, now: datetime) -> bool:
    return bool(
        Appointment.objects.filter(
            pk=appointment_id,
            state=Appointment.State.BOOKED,
            confirmed_at__isnull=True,
            call_task_at__isnull=True,
        ).update(call_task_at=now)
    )


def appointments_call_unconfirmed(*, now: datetime | None = None, limit: int = 500) -> int:
    """Open a call task for each appointment of the next working day still unconfirmed, once
    the call hour has come on the working day before. Returns how many calls this run made."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < call_hour():
        return 0
    tomorrow = next_working_day(local.date())
    if tomorrow is None:
        return 0
    due = Appointment.objects.filter(
        day=tomorrow,
        state=Appointment.State.BOOKED,
        confirmed_at__isnull=True,
        call_task_at__isnull=True,
    ).values_list("pk", flat=True)[:limit]
    made = 0
    for appointment_id in list(due):
        with transaction.atomic():
            if not _claim(appointment_id, now):
                continue  # another worker, or confirmed meanwhile
            appointment = Appointment.objects.select_related(
                "advisor__staff", "booked_by", "service_type", "asset"
            ).get(pk=appointment_id)
            assignee = appointment.advisor.staff or appointment.booked_by
            if assignee is None:
                logger.warning("Appointment %s has no advisor to call the customer", appointment_id)
                continue
            with override(settings.LANGUAGE_CODE):
                occasion = occasion_text(appointment)
                care_call_task_open(
                    program_name=PROGRAM_NAME,
                    program_description=PROGRAM_DESCRIPTION,
                    script=SCRIPT,
                    trigger="appointment",
                    customer_id=appointment.customer_id,
                    occurrence_key=f"appointment-call:{appointment.pk}",
                    occasion=occasion,
                    assignee=assignee,
                    due_on=tomorrow,
                    now=now,
                )
            made += 1
    return made
