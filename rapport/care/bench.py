"""The daily care evaluation for `make bench` (`--only care`), on the bench database.

Inside one transaction that is rolled back at the end (the bench dataset stays as seeded): a
share of the customers get a policy expiring in 30 days and a vehicle due for service today —
half of them by time (180 days since the last service), half by mileage (their readings put
them at the last service's odometer + 5,000 km today, at 20 to 99 km a day) — and every other
customer a vehicle with readings that is due on another day, so the fleet is the customer
table's size. Two active programs (a renewal call and a maintenance message) reach them, and
the daily evaluation is timed — once with that share due, once with ten times as many — so the
report shows its cost following the customers due, not the customer table or the fleet. The
query count of the evaluation is reported with it.
"""

import time
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

GOAL_SECONDS_M = 10.0


def _vehicle(customer_id: int, today, *, rate: int, days_left: int):
    """A car serviced 60 days ago at 30,000 km, read 100 and 10 days ago at `rate` km a day, so
    it reaches 35,000 km `days_left` days from today (before its 180 days unless far off)."""
    from rapport.customers.mileage import mileage_estimate
    from rapport.customers.models import Asset

    read_on = today - timedelta(days=10)
    km = 35_000 - (days_left + 10) * rate
    car = Asset(
        customer_id=customer_id,
        kind=Asset.Kind.VEHICLE,
        name="大众 朗逸",
        last_service_on=today - timedelta(days=60),
        service_mileage_km=min(30_000, km),
        mileage_km=km,
        mileage_read_on=read_on,
        mileage_base_km=km - 90 * rate,
        mileage_base_on=today - timedelta(days=100),
    )
    mileage_estimate(car, today=read_on)
    return car


def _prepare(due: int, today, team, segment) -> list:
    from rapport.care.models import Program
    from rapport.customers.models import Asset, Customer

    ids = list(
        Customer.objects.filter(merged_into__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[: due * 2]
    )
    Asset.objects.bulk_create(
        [
            Asset(
                customer_id=cid,
                kind=Asset.Kind.POLICY,
                name="机动车商业险",
                identifier=f"PBENCH{cid:010d}",
                expires_on=today + timedelta(days=30),
            )
            for cid in ids[:due]
        ]
        + [
            Asset(
                customer_id=cid,
                kind=Asset.Kind.VEHICLE,
                name="大众 朗逸",
                last_service_on=today - timedelta(days=180),
            )
            for cid in ids[due : due + due // 2]
        ]
        + [
            _vehicle(cid, today, rate=20 + n % 80, days_left=0)
            for n, cid in enumerate(ids[due + due // 2 :])
        ],
        batch_size=1000,
    )
    fleet = Customer.objects.filter(merged_into__isnull=True).exclude(pk__in=ids)
    Asset.objects.bulk_create(
        (
            _vehicle(cid, today, rate=20 + cid % 80, days_left=1 + cid % 170)
            for cid in fleet.values_list("id", flat=True).iterator(chunk_size=2000)
        ),
        batch_size=1000,
    )
    common = dict(
        segment=segment,
        team=team,
        status="active",
        starts_on=today,
        holdout_percent=10,
        max_per_run=10**9,
    )
    return [
        Program.objects.create(
            name=f"bench-renewal-{due}",
            trigger="policy_expiry",
            offset_days=-30,
            action="call",
            script_text="{customer_name}您好",
            **common,
        ),
        Program.objects.create(
            name=f"bench-maintenance-{due}",
            trigger="maintenance_due",
            offset_days=0,
            action="message",
            template_code="care-maintenance-due",
            **common,
        ),
    ]


def _measure(due: int) -> dict:
    from rapport.care.engine import care_evaluate
    from rapport.care.models import CareAction, Program, Segment
    from rapport.customers.models import Customer
    from rapport.staff.models import Team

    today = timezone.localdate()
    with transaction.atomic():
        Program.objects.filter(status="active").update(status="paused")  # only the bench's own
        team = Team.objects.order_by("id").first()
        segment = Segment.objects.get(name="全部客户")
        _prepare(due, today, team, segment)
        with CaptureQueriesContext(connection) as queries:
            started, cpu = time.monotonic(), time.process_time()
            result = care_evaluate(today=today)
            seconds, cpu_seconds = time.monotonic() - started, time.process_time() - cpu
        planned = CareAction.objects.count()
        customers = Customer.objects.count()
        transaction.set_rollback(True)
    return {
        "customers": customers,
        "due": 2 * due,
        "planned": planned,
        "held_out": result.held_out,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "queries": len(queries),
    }


def daily_evaluation(customers: int) -> list[dict]:
    """Two measurements: 0.5 % and 5 % of the customers due today."""
    small = max(25, customers // 400)
    return [_measure(small), _measure(small * 10)]
