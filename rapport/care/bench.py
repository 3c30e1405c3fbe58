"""The daily care evaluation for `make bench` (`--only care`), on the bench database.

Inside one transaction that is rolled back at the end (the bench dataset stays as seeded): a
share of the customers get a policy expiring in 30 days and a vehicle due for service today,
two active programs (a renewal call and a maintenance message) reach them, and the daily
evaluation is timed — once with that share due, once with ten times as many — so the report
shows its cost following the customers due, not the customer table. The query count of the
evaluation is reported with it.
"""

import time
from datetime import timedelta

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

GOAL_SECONDS_M = 10.0


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
            for cid in ids[due:]
        ],
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
