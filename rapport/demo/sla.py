"""Service-level clocks for the demo and the benchmark datasets.

Tickets are built (or bulk-seeded) before this runs; their timestamps say when each clock started,
paused and stopped. Clocks long past are written with their verdict; the demo's recent ones are
left to the real sweep, run at three moments, so the demo shows warnings, breaches and alerts
that went up to a supervisor and a manager.
"""

import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from rapport.core.calendar.clock import Pause, clock_instant_reaching
from rapport.core.calendar.selectors import calendar_snapshot
from rapport.sla.models import ClockPause, ServiceClock, SlaPolicy
from rapport.sla.rollups import rollup_rebuild
from rapport.sla.services import policy_for
from rapport.sla.sweep import sla_sweep
from rapport.tickets.models import Ticket

CHANNEL_OF_SOURCE = {
    "public_form": "web_form",
    "api": "web_form",
    "staff": "phone",
    "interaction": "phone",
}
BATCH = 5_000
LIVE_WINDOW = timedelta(days=3)


class _Policies:
    def __init__(self):
        self.cache: dict = {}
        self.snapshots: dict = {}

    def for_ticket(self, kind, priority, source, tier):
        key = (kind, priority, source, tier)
        if key not in self.cache:
            self.cache[key] = policy_for(
                ticket_kind=kind,
                priority=priority,
                channel=CHANNEL_OF_SOURCE.get(source, ""),
                customer_tier=tier,
            )
        return self.cache[key]

    def snapshot(self, policy: SlaPolicy):
        if policy.calendar_id not in self.snapshots:
            self.snapshots[policy.calendar_id] = calendar_snapshot(calendar=policy.calendar)
        return self.snapshots[policy.calendar_id]


def _clocks_for(row: dict, policies: _Policies, now, live: bool) -> list[tuple[ServiceClock, list]]:
    policy = policies.for_ticket(row["kind"], row["priority"], row["source"], row["customer__tier"])
    if policy is None:
        return []
    snapshot = policies.snapshot(policy)
    out = []
    plans = [
        ("first_response", row["first_responded_at"], []),
        (
            "resolution",
            row["resolved_at"],
            [Pause(row["waiting_since"], None)]
            if row["waiting_since"] and not row["resolved_at"]
            else [],
        ),
    ]
    for kind, stopped_at, pauses in plans:
        seconds = policy.target_for(kind)
        if not seconds:
            continue
        target = timedelta(seconds=seconds)
        kwargs = {"started_at": row["created_at"], "pauses": pauses, "stopped_at": stopped_at}
        due = clock_instant_reaching(snapshot, amount=target, **kwargs)
        warn = clock_instant_reaching(snapshot, amount=target * float(policy.warn_share), **kwargs)
        clock = ServiceClock(
            ticket_id=row["id"],
            kind=kind,
            policy=policy,
            target_seconds=seconds,
            warn_share=policy.warn_share,
            started_at=row["created_at"],
            stopped_at=stopped_at,
            due_at=due,
            warn_at=warn,
            assignee_id=row["assignee_id"],
            team_id=row["team_id"],
            state=(
                ServiceClock.State.STOPPED
                if stopped_at
                else ServiceClock.State.PAUSED
                if pauses
                else ServiceClock.State.RUNNING
            ),
        )
        end = stopped_at or now
        if clock.state == ServiceClock.State.RUNNING and live and due and due > now - LIVE_WINDOW:
            clock.next_check_at = warn if warn else due  # the sweep will announce it
        else:
            if warn and warn < end:
                clock.warned_at = warn
            if due and due < end:
                clock.breached_at = due
            if clock.state == ServiceClock.State.RUNNING:
                clock.next_check_at = (
                    warn
                    if clock.warned_at is None
                    else (due if clock.breached_at is None else None)
                )
        out.append((clock, pauses))
    return out


def _write(rows, policies, now, live) -> int:
    clocks, pauses = [], []
    for row in rows:
        for clock, clock_pauses in _clocks_for(row, policies, now, live):
            clocks.append(clock)
            pauses.append(clock_pauses)
    with transaction.atomic():
        ServiceClock.objects.bulk_create(clocks, batch_size=1000)
        ClockPause.objects.bulk_create(
            [
                ClockPause(clock=clock, started_at=p.start, ended_at=p.end, reason="等客户回复")
                for clock, ps in zip(clocks, pauses, strict=True)
                for p in ps
            ],
            batch_size=1000,
        )
    return len(clocks)


FIELDS = [
    "id",
    "kind",
    "priority",
    "source",
    "customer__tier",
    "created_at",
    "first_responded_at",
    "resolved_at",
    "waiting_since",
    "assignee_id",
    "team_id",
]


def build_sla(*, rng, users, customers) -> None:
    now = timezone.now()
    # The demo's tickets were taken through the services "now" and then moved into the past;
    # their clocks are rebuilt from the timestamps they ended up with.
    ServiceClock.objects.all().delete()
    rows = Ticket.objects.values(*FIELDS).order_by("id")
    _write(list(rows), _Policies(), now, live=True)
    # The worker's sweep at three moments: warnings and breaches, then nobody acknowledges, so
    # they go up to the supervisor and then to the service manager.
    for hours_ago in (2, 1, 0):
        sla_sweep(now=now - timedelta(hours=hours_ago, minutes=-1))
    # The clocks above went in around the services: roll their days up as the worker would.
    rollup_rebuild()


def seed_sla(*, size, rng, customer_ids, log=print) -> None:
    now = timezone.now()
    policies = _Policies()
    ids = list(
        Ticket.objects.filter(clocks__isnull=True).order_by("id").values_list("id", flat=True)
    )
    t0, written = time.monotonic(), 0
    for offset in range(0, len(ids), BATCH):
        chunk = ids[offset : offset + BATCH]
        rows = Ticket.objects.filter(id__in=chunk).values(*FIELDS)
        written += _write(list(rows), policies, now, live=False)
        log(f"  sla clocks {written:>7}  ({time.monotonic() - t0:.1f}s)")
    rollup_rebuild(log=log)


def bench_context(ctx: dict) -> dict:
    from rapport.sla.models import ServiceClock

    first = (
        ServiceClock.objects.filter(next_check_at__isnull=False).order_by("next_check_at").first()
    )
    return {
        "sla_now": first.next_check_at if first else timezone.now(),
        "count_open_clocks": ServiceClock.objects.exclude(state=ServiceClock.State.STOPPED).count(),
    }


def _api_compliance_path(ctx: dict) -> str:
    first = timezone.localdate().replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (
        f"/api/v1/sla/compliance?kind=resolution&start={first}T00:00:00%2B08:00"
        f"&end={following}T00:00:00%2B08:00"
    )


def benchmarks() -> list:
    from rapport.demo.benchmarks import Scenario

    def tick(ctx, i):
        # One worker tick every 20 seconds of simulated time from the first pending instant.
        sla_sweep(now=ctx["sla_now"] + timedelta(seconds=20 * i))

    return [
        Scenario(
            "SLA sweep, one worker tick (all open clocks)",
            "CALL",
            lambda c: "sla_sweep()",
            call=tick,
            target_ms=200,
        ),
        Scenario(
            "Service-level compliance page (a month, by team)",
            "GET",
            lambda c: f"/service-levels/?month={timezone.localdate():%Y-%m}&by=team",
            target_ms=200,
        ),
        Scenario("API compliance (a month)", "GET", _api_compliance_path, api=True, target_ms=200),
        Scenario("My alerts", "GET", lambda c: "/alerts/", user="bench_agent"),
        Scenario(
            "Ticket queue, my team's, by time left",
            "GET",
            lambda c: "/tickets/?queue=team&sort=due",
        ),
    ]
