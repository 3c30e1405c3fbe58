"""Reads for the work-order pages: the filtered list, one order with everything its page shows,
and the timeline entry a complaint ticket is opened from."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.appointments.models import Authorisation, Resource, WorkOrder, WorkOrderItem
from rapport.core.errors import NotFound
from rapport.customers.selectors import customer_visible_q
from rapport.interactions.models import Interaction
from rapport.staff.models import User

S = WorkOrder.State
VIEWS = ("today", "waiting", "repeat")
LINE_TOTAL = ExpressionWrapper(
    F("quantity") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=4)
)
# A subquery rather than a join, so the paginator's COUNT leaves it out.
ORDER_TOTAL = Subquery(
    WorkOrderItem.objects.filter(work_order=OuterRef("pk"))
    .order_by()
    .values("work_order")
    .annotate(total=Sum(LINE_TOTAL))
    .values("total")[:1],
    output_field=DecimalField(max_digits=20, decimal_places=4),
)


def work_order_list(
    *,
    staff: User,
    state: str = "",
    advisor_id: int | None = None,
    view: str = "",
    now: datetime | None = None,
) -> QuerySet[WorkOrder]:
    """Work orders of the customers the staff member may see, newest first, with their total.
    `view`: today (opened or to be collected today), waiting (for parts or for an authorisation:
    waiting, not yet authorised, with work added since the last one, or with only a diagnosis
    authorised and its time run out), repeat (返修)."""
    now = now or timezone.now()
    rows = WorkOrder.objects.filter(customer_visible_q(staff=staff))
    if state in S.values:
        rows = rows.filter(state=state)
    if advisor_id:
        rows = rows.filter(advisor_id=advisor_id)
    if view == "today":
        start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
        rows = rows.filter(
            Q(created_at__gte=start, created_at__lt=end)
            | Q(promised_at__gte=start, promised_at__lt=end)
        )
    elif view == "waiting":
        unauthorised = WorkOrderItem.objects.filter(
            work_order=OuterRef("pk"), authorisation__isnull=True
        )
        repair = Authorisation.objects.filter(
            work_order=OuterRef("pk"), scope=Authorisation.Scope.REPAIR
        )
        # As workorders.authorisation_missing reads it: the latest authorisation's time.
        latest_until = Subquery(
            Authorisation.objects.filter(work_order=OuterRef("pk"))
            .order_by("-recorded_at", "-pk")
            .values("valid_until")[:1]
        )
        rows = rows.annotate(authorised_until=latest_until).filter(
            Q(state__in=[S.WAITING, S.OPEN])
            | (
                Q(state__in=[S.AUTHORISED, S.IN_PROGRESS])
                & (Exists(unauthorised) | (~Exists(repair) & Q(authorised_until__lt=now)))
            )
        )
    elif view == "repeat":
        rows = rows.filter(repeat_of__isnull=False)
    return (
        rows.select_related("customer", "asset", "advisor")
        .annotate(total=ORDER_TOTAL)
        .order_by("-created_at", "-pk")
    )


def advisors_for_filter() -> list[tuple[int, str]]:
    """(user id, name) of the service advisors at the desk."""
    return [
        (r.staff_id, r.name)
        for r in Resource.objects.filter(
            kind=Resource.Kind.ADVISOR, staff__isnull=False, is_active=True
        ).order_by("name")
    ]


def work_order_page(*, staff: User, work_order_id: int) -> WorkOrder:
    """One order with its customer, vehicle, appointment, earlier order, items and
    authorisations loaded for its page. Raises NotFound as work_order_get_for_staff does."""
    try:
        return (
            WorkOrder.objects.filter(customer_visible_q(staff=staff))
            .select_related(
                "customer",
                "asset",
                "advisor",
                "appointment",
                "repeat_of",
                "repeat_of__advisor",
                "explained_by",
                "delivered_by",
            )
            .prefetch_related(
                Prefetch("items", queryset=WorkOrderItem.objects.select_related("price_item")),
                Prefetch(
                    "authorisations",
                    queryset=Authorisation.objects.select_related("recorded_by"),
                ),
            )
            .get(pk=work_order_id)
        )
    except (WorkOrder.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such work order.")) from exc


def work_order_opening_entry(*, order: WorkOrder) -> Interaction | None:
    """The timeline entry written when the order was opened (its number and the customer's
    words): what a complaint ticket about a repeat repair is opened from."""
    return (
        Interaction.objects.filter(
            customer_id=order.customer_id, summary__startswith=f"{order.number} "
        )
        .order_by("pk")
        .first()
    )
