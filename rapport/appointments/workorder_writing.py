"""The work order in writing: the five explanations and the order's summary, for the customer
(sent through the outbox, never directly) and for the printed A4 sheet."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.appointments.models import WorkOrder
from rapport.appointments.workorders import _require, work_order_total
from rapport.channels.models import OutboxMessage
from rapport.channels.services import outbox_queue
from rapport.staff.models import User

SOURCE = "work_order"
# The five things every customer is told (工作解释的5个关键内容), in the seed's order.
QUESTIONS = {
    "explained_work": gettext_lazy("What work is needed?"),
    "explained_benefit": gettext_lazy("How does it help the car?"),
    "explained_cost": gettext_lazy("What does it cost?"),
    "explained_duration": gettext_lazy("How long does it take?"),
    "explained_collection": gettext_lazy("When can the car be collected?"),
}


def five_explanations(order: WorkOrder) -> list[dict]:
    """Each explanation: its field, question, the answer in words and whether it was ticked."""
    items = list(order.items.all())
    total = work_order_total(order)
    minutes = sum((i.price_item.minutes if i.price_item else 0) * i.quantity for i in items)
    promised = (
        timezone.localtime(order.promised_at).strftime("%Y-%m-%d %H:%M")
        if order.promised_at
        else _("we will call you when it is ready")
    )
    answers = {
        "explained_work": "、".join(i.description for i in items)
        or _("to be decided by diagnosis"),
        "explained_benefit": _("Deals with what you told us: %(words)s")
        % {"words": order.customer_words},
        "explained_cost": f"¥{total:,.2f}",
        "explained_duration": _("about %(minutes)d minutes") % {"minutes": int(minutes)}
        if minutes
        else _("as the technician finds"),
        "explained_collection": promised,
    }
    return [
        {
            "field": name,
            "question": str(QUESTIONS[name]),
            "answer": answers[name],
            "ticked": getattr(order, name),
        }
        for name in WorkOrder.EXPLANATIONS
    ]


def work_order_text(order: WorkOrder) -> str:
    """The plain text the customer receives, in the customer's language."""
    with translation.override(order.customer.language or settings.LANGUAGE_CODE):
        return render_to_string(
            "appointments/workorder_written.txt",
            {
                "order": order,
                "explanations": five_explanations(order),
                "total": work_order_total(order),
                "company": settings.COMPANY_NAME,
            },
        ).strip()


def work_order_send_in_writing(*, by: User, work_order: WorkOrder) -> OutboxMessage:
    """Queue the five explanations and the summary to the customer on the channel that reaches
    them. The same text sent twice (a double click) is one message; a changed order is a new one.
    Raises ValidationError from the outbox when nothing can be queued."""
    _require(by)
    body = work_order_text(work_order)
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    return outbox_queue(
        customer=work_order.customer,
        purpose="service",
        source=SOURCE,
        subject=_("Your work order %(number)s") % {"number": work_order.number},
        body=body,
        summary=_("Work order %(number)s and the five explanations sent in writing")
        % {"number": work_order.number},
        idempotency_key=f"{SOURCE}:{work_order.pk}:{digest}",
        by=by,
    )


def repeat_apology(order: WorkOrder) -> list[str]:
    """Said first to a customer back with the same complaint (返修): apologise at once and say
    how it will be dealt with (seed 000: 应及时向顾客致歉并告之处理方法)."""
    earlier = order.repeat_of
    if earlier is None:
        return []
    return [
        _(
            "%(customer)s, I am very sorry that you have had to come back: this is what we worked on on %(day)s (work order %(number)s)."
        )
        % {
            "customer": order.customer.name,
            "day": timezone.localtime(earlier.created_at).strftime("%Y-%m-%d"),
            "number": earlier.number,
        },
        _(
            "We will look at it first. If our earlier work caused it, I will tell you now how we will put it right."
        ),
    ]
