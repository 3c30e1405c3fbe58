"""Results of a care program, per run and in total, and the reached-versus-hold-out comparison.

Counts come from a handful of grouped queries whatever the number of runs: targeted (actions that
were not held out), skipped by reason, sent and delivered (the outbox rows), reached, booked and
declined (the call outcomes), responded (the customer wrote or called within RESPONSE_DAYS after
the action). The comparison reads retention (not lost) and satisfaction (ticket satisfaction, or
a registered survey source) of the customers reached against the customers held out.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from rapport.care import registry
from rapport.care.models import CareAction, CareRun, CareTask, Program
from rapport.channels.models import OutboxMessage
from rapport.customers.models import Customer
from rapport.interactions.models import Interaction
from rapport.tickets.models import Ticket

RESPONSE_DAYS = 14
METRICS = [
    ("targeted", _("Targeted")),
    ("held_out", _("Held out")),
    ("skipped", _("Skipped")),
    ("sent", _("Sent")),
    ("delivered", _("Delivered")),
    ("calls", _("Call tasks")),
    ("reached", _("Reached")),
    ("responded", _("Responded")),
    ("booked", _("Booked")),
    ("declined", _("Declined")),
]


@dataclass
class RunRow:
    run: CareRun
    counts: dict = field(default_factory=lambda: defaultdict(int))
    skipped_by: dict = field(default_factory=lambda: defaultdict(int))


@dataclass
class Comparison:
    reached: int
    held_out: int
    reached_retained: float | None
    held_out_retained: float | None
    reached_csat: float | None
    held_out_csat: float | None


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def program_results(*, program: Program) -> tuple[list[RunRow], RunRow, dict, Comparison]:
    runs = {r.pk: RunRow(run=r) for r in program.runs.order_by("-run_on")}
    total = RunRow(run=None)
    actions = CareAction.objects.filter(program=program)
    for run_id, state, reason, n in actions.values_list("run_id", "state", "reason").annotate(
        n=Count("id")
    ):
        row = runs.get(run_id)
        key = {"holdout": "held_out", "skipped": "skipped"}.get(state, "targeted")
        for target in (row, total):
            if target is None:
                continue
            if state != "holdout":
                target.counts["targeted"] += n
            if key != "targeted":
                target.counts[key] += n
            if state == "skipped":
                target.skipped_by[reason] += n
    sent_states = [OutboxMessage.State.SENT, OutboxMessage.State.DELIVERED]
    outbox = OutboxMessage.objects.filter(pk=OuterRef("outbox_id"))
    for run_id, sent, delivered in (
        actions.filter(outbox_id__isnull=False)
        .values("run_id")
        .annotate(
            sent=Count("id", filter=Q(Exists(outbox.filter(state__in=sent_states)))),
            delivered=Count(
                "id", filter=Q(Exists(outbox.filter(state=OutboxMessage.State.DELIVERED)))
            ),
        )
        .values_list("run_id", "sent", "delivered")
    ):
        for target in (runs.get(run_id), total):
            if target is not None:
                target.counts["sent"] += sent
                target.counts["delivered"] += delivered
    for run_id, calls, reached, booked, declined in (
        CareTask.objects.filter(program=program)
        .values("action__run_id")
        .annotate(
            calls=Count("id"),
            reached=Count("id", filter=Q(reached=True)),
            booked=Count("id", filter=Q(booked=True)),
            declined=Count("id", filter=Q(declined=True)),
        )
        .values_list("action__run_id", "calls", "reached", "booked", "declined")
    ):
        for target in (runs.get(run_id), total):
            if target is not None:
                target.counts["calls"] += calls
                target.counts["reached"] += reached
                target.counts["booked"] += booked
                target.counts["declined"] += declined
    answered = Interaction.objects.filter(
        customer_id=OuterRef("customer_id"),
        direction="inbound",
        started_at__gte=OuterRef("executed_at"),
    )
    for run_id, n in (
        actions.filter(state__in=["done", "waiting"], executed_at__isnull=False)
        .filter(Exists(answered))
        .values("run_id")
        .annotate(n=Count("id"))
        .values_list("run_id", "n")
    ):
        for target in (runs.get(run_id), total):
            if target is not None:
                target.counts["responded"] += n
    skipped_reasons = dict(CareAction.Reason.choices)
    for row in [*runs.values(), total]:  # plain dicts: a template reads `.items` as a key first
        row.counts, row.skipped_by = dict(row.counts), dict(row.skipped_by)
    return list(runs.values()), total, skipped_reasons, compare(program=program)


def compare(*, program: Program) -> Comparison:
    reached_ids = set(
        CareTask.objects.filter(program=program, reached=True).values_list("customer_id", flat=True)
    ) | set(
        CareAction.objects.filter(program=program, state="done", kind="message").values_list(
            "customer_id", flat=True
        )
    )
    held_ids = set(
        CareAction.objects.filter(program=program, state="holdout").values_list(
            "customer_id", flat=True
        )
    )
    first = program.runs.order_by("run_on").values_list("created_at", flat=True).first()

    def retained(ids: set[int]) -> float | None:
        if not ids:
            return None
        lost = Customer.objects.filter(pk__in=ids, lifecycle_stage=Customer.Stage.LOST).count()
        return _share(len(ids) - lost, len(ids))

    def csat(ids: set[int]) -> float | None:
        if not ids or first is None:
            return None
        total, count = 0.0, 0
        for source in registry.csat_sources():
            s, n = source(list(ids), first)
            total, count = total + s, count + n
        if count:
            return round(total / count, 1)
        answers = Ticket.objects.filter(
            customer_id__in=ids,
            satisfaction__in=["yes", "no"],
            closed_at__gte=first - timedelta(days=0),
        )
        yes = answers.filter(satisfaction="yes").count()
        return _share(yes, answers.count())

    return Comparison(
        reached=len(reached_ids),
        held_out=len(held_ids),
        reached_retained=retained(reached_ids),
        held_out_retained=retained(held_ids),
        reached_csat=csat(reached_ids),
        held_out_csat=csat(held_ids),
    )


def chart_svg(rows: list[RunRow], *, width: int = 560, height: int = 220) -> dict:
    """Bars per run (targeted, reached or sent, booked) for an inline SVG; oldest run left."""
    rows = list(reversed(rows))[-12:]
    series = [
        ("targeted", "var(--chart-1, #64748b)"),
        ("sent", "#2563eb"),
        ("reached", "#16a34a"),
        ("booked", "#f59e0b"),
    ]
    top = max([1] + [r.counts.get(k, 0) for r in rows for k, _c in series])
    pad, base = 28, height - 24
    group = (width - pad) / max(1, len(rows))
    bar = max(3.0, min(18.0, (group - 8) / len(series)))
    bars = []
    for i, r in enumerate(rows):
        for j, (key, colour) in enumerate(series):
            value = r.counts.get(key, 0)
            h = (base - 10) * value / top
            bars.append(
                {
                    "x": round(pad + i * group + 4 + j * bar, 1),
                    "y": round(base - h, 1),
                    "w": round(bar - 1, 1),
                    "h": round(h, 1),
                    "colour": colour,
                    "value": value,
                    "key": key,
                }
            )
    labels = [
        {"x": round(pad + i * group + 4, 1), "text": r.run.run_on.strftime("%m-%d")}
        for i, r in enumerate(rows)
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "labels": labels,
        "top": top,
        "base": base,
        "series": series,
        "pad": pad,
    }


def export_rows(rows: list[RunRow], total: RunRow, reasons: dict) -> tuple[list, list]:
    reason_keys = sorted({k for r in rows for k in r.skipped_by})
    header = (
        [str(_("Run date")), str(_("Status"))]
        + [str(label) for _k, label in METRICS]
        + [str(_("Skipped: %(reason)s") % {"reason": reasons.get(k, k)}) for k in reason_keys]
    )
    out = []
    for r in rows:
        out.append(
            [r.run.run_on, r.run.get_status_display()]
            + [r.counts.get(k, 0) for k, _l in METRICS]
            + [r.skipped_by.get(k, 0) for k in reason_keys]
        )
    out.append(
        [str(_("Total")), ""]
        + [total.counts.get(k, 0) for k, _l in METRICS]
        + [total.skipped_by.get(k, 0) for k in reason_keys]
    )
    return header, out
