"""`make bench` scenarios for appointments and work orders (issue 14): levelled slot proposals
for a 20-bay workshop over 14 days (goal p95 ≤ 50 ms), today's arrivals board, the work-order
list and page, and the workshop measures.

The bench workshop is made once in the bench database (its rows are named "bench-…"): 20 bays,
6 advisors and 8 technicians on the workshop calendar, about 60 % of the coming 14 days booked
through the real booking service, and today's arrivals (made directly: today is inside the
minimum notice) with work orders for the cars that arrived.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.appointments import capacity, services
from rapport.appointments import workorders as wo
from rapport.appointments.models import (
    Appointment,
    PriceItem,
    Resource,
    ServiceType,
    WorkOrder,
)
from rapport.core.errors import DomainError
from rapport.customers.models import Asset
from rapport.staff.models import User

BAYS, ADVISORS, TECHNICIANS = 20, 6, 8
AHEAD_BOOKINGS = 500  # over the next 14 days: a busy workshop, not a full one
TODAY_ARRIVALS = 80
WORDS = ["车子该保养了", "刹车时有吱吱的响声", "发动机故障灯亮了", "空调不太凉", "方向盘跑偏"]


def _workshop() -> ServiceType:
    for n in range(1, BAYS + 1):
        Resource.objects.get_or_create(
            kind="bay", name=f"bench-工位{n:02d}", defaults={"walk_in_reserve_percent": 10}
        )
    advisors = User.objects.filter(username__in=["bench_manager", "bench_agent"]).order_by("id")
    for n in range(1, ADVISORS + 1):
        Resource.objects.get_or_create(
            kind="advisor",
            name=f"bench-顾问{n}",
            defaults={
                "walk_in_reserve_percent": 15,
                "staff": advisors[n - 1] if n <= len(advisors) else None,
            },
        )
    for n in range(1, TECHNICIANS + 1):
        Resource.objects.get_or_create(
            kind="technician",
            name=f"bench-技师{n}",
            defaults={"skills": "发动机, 电路" if n % 2 else "底盘, 空调"},
        )
    PriceItem.objects.get_or_create(
        code="oil-change",
        defaults={"name": "更换机油机滤", "price": Decimal("380"), "minutes": 30},
    )
    service_type, _created = ServiceType.objects.get_or_create(
        code="bench-maintenance",
        defaults={
            "name": "常规保养",
            "kind": "maintenance",
            "duration_minutes": 60,
            "estimate": Decimal("480"),
        },
    )
    return service_type


def _book_ahead(service_type: ServiceType, cars: list[Asset], by: User) -> None:
    rng = random.Random(14)
    today = timezone.localdate()
    for n in range(AHEAD_BOOKINGS):
        car = cars[n % len(cars)]
        wish = today + timedelta(days=1 + rng.randrange(14))
        for proposal in capacity.slot_proposals(service_type=service_type, wish=wish)[:1]:
            try:
                services.appointment_book(
                    by=by,
                    customer=car.customer,
                    asset=car,
                    service_type=service_type,
                    starts_at=proposal.starts_at,
                    customer_words=WORDS[n % len(WORDS)],
                    mileage_km=10_000 + 997 * n % 90_000,
                )
            except (DomainError, ValidationError):  # a full slot is no reason to stop
                continue


def _today(service_type: ServiceType, cars: list[Asset], by: User) -> None:
    """Today's arrivals, every half hour per advisor; the earlier half arrived, with a work
    order each."""
    today = timezone.localdate()
    # Booked ahead can land on today too: today's arrivals are told apart by their channel.
    if Appointment.objects.filter(channel="bench", day=today).exists():
        return
    zone = timezone.get_current_timezone()
    advisors = list(Resource.objects.filter(kind="advisor", name__startswith="bench-"))
    bays = list(Resource.objects.filter(kind="bay", name__startswith="bench-"))
    rows = []
    for n in range(TODAY_ARRIVALS):
        slot = n // len(advisors)
        starts = datetime.combine(today, time(8, 30), tzinfo=zone) + timedelta(minutes=30 * slot)
        car = cars[(n * 7) % len(cars)]
        arrived = n < TODAY_ARRIVALS // 2
        rows.append(
            Appointment(
                customer_id=car.customer_id,
                asset=car,
                service_type=service_type,
                customer_words=WORDS[n % len(WORDS)],
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                day=today,
                part=0 if starts.hour < 12 else 1,
                advisor=advisors[n % len(advisors)],
                bay=bays[n % len(bays)],
                state="arrived" if arrived else "booked",
                arrived_at=starts - timedelta(minutes=5) if arrived else None,
                arrival_mileage_km=30_000 + 113 * n if arrived else None,
                channel="bench",
            )
        )
    Appointment.objects.bulk_create(rows, ignore_conflicts=True)  # a slot booked ahead stays
    oil = PriceItem.objects.get(code="oil-change")
    for appointment in Appointment.objects.filter(
        channel="bench", day=today, state="arrived"
    ).select_related("customer", "asset"):
        wo.work_order_open(
            by=by,
            customer=appointment.customer,
            asset=appointment.asset,
            appointment=appointment,
            customer_words=appointment.customer_words,
            payment_method="wechat_pay",
            mileage_km=appointment.arrival_mileage_km,
            items=[wo.ItemIn(price_item=oil)],
        )


def bench_context(ctx: dict) -> dict:
    by = User.objects.get(username="bench_manager")
    fresh = not ServiceType.objects.filter(code="bench-maintenance").exists()
    service_type = _workshop()
    cars = list(
        Asset.objects.filter(kind="vehicle", customer__merged_into__isnull=True)
        .select_related("customer")
        .order_by("id")[:400]
    )
    if fresh and cars:
        _book_ahead(service_type, cars, by)
    if cars:
        _today(service_type, cars, by)
    order = WorkOrder.objects.order_by("-id").first()
    return {
        "bench_service_type_id": service_type.pk,
        "bench_work_order_id": order.pk if order else 0,
        "count_bays": Resource.objects.filter(kind="bay", is_active=True).count(),
        "count_appointments_today": Appointment.objects.filter(day=timezone.localdate()).count(),
    }


def _proposals(ctx: dict, i: int) -> None:
    service_type = ServiceType.objects.get(pk=ctx["bench_service_type_id"])
    capacity.slot_proposals(
        service_type=service_type, wish=timezone.localdate() + timedelta(days=1 + i % 10)
    )


def benchmarks() -> list:
    from rapport.demo.benchmarks import Scenario

    return [
        Scenario(
            "Appointments: slot proposals, 20-bay workshop over 14 days (function)",
            "CALL",
            lambda c: "capacity.slot_proposals()",
            call=_proposals,
            target_ms=50,
        ),
        Scenario(
            "Appointments: slot proposals (API)",
            "GET",
            lambda c: (
                f"/api/v1/appointments/proposals?service_type_id={c['bench_service_type_id']}"
                f"&wish={timezone.localdate() + timedelta(days=3)}"
            ),
            api=True,
            target_ms=50,
        ),
        Scenario("Appointments: today's arrivals board", "GET", lambda c: "/appointments/"),
        Scenario("Appointments: work-order list", "GET", lambda c: "/workshop/work-orders/"),
        Scenario(
            "Appointments: work-order list, waiting for parts or authorisation",
            "GET",
            lambda c: "/workshop/work-orders/?view=waiting",
        ),
        Scenario(
            "Appointments: work-order page",
            "GET",
            lambda c: f"/workshop/work-orders/{c['bench_work_order_id']}/",
        ),
        Scenario(
            "Appointments: workshop measures, last 30 days", "GET", lambda c: "/workshop/measures/"
        ),
        Scenario("Appointments: self-booking sign-in page (public)", "GET", lambda c: "/book/"),
    ]
