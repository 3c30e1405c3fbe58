"""Demo rows for customer care (issue 13).

Two ready-made programs are activated for 客服一组: the insurance renewal call (30 days before a
policy expires) and the maintenance reminder (a message, then a call when nobody answers) —
some cars due by time since their last service, some by mileage, estimated from their readings
(the occasion says which). A week
ago both already ran — the calls were made and recorded, a tenth of the customers held out — so
the results page compares reached customers with the hold-out. Today's occasions are left to the
worker: `rapport demo` starts it, it plans the day within seconds and performs the actions half a
minute later, so the runs appear within the first minute. Among today's customers one is
deceased, one asked not to be contacted and one has an open urgent complaint: the guard records
why each was not contacted (or, for a call, hands it to the complaint's owner).
"""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from rapport.care.engine import care_evaluate, care_execute_due
from rapport.care.models import CareTask, Program
from rapport.customers.mileage import mileage_estimate
from rapport.customers.models import Asset, Customer
from rapport.staff.models import Team, User

PROGRAMS = ("保险续保提醒", "保养到期提醒")
TODAY_EACH = 12  # customers due today per program
PAST_EACH = 20  # customers due a week ago per program


def _policy(customer: Customer, expires_on, n: int) -> None:
    Asset.objects.create(
        customer=customer,
        kind=Asset.Kind.POLICY,
        name="机动车商业险",
        identifier=f"PDEMO{customer.pk:06d}{n:02d}",
        purchased_on=expires_on - timedelta(days=365),
        expires_on=expires_on,
    )


def _service_due(customer: Customer, last_service_on) -> None:
    vehicle = customer.assets.filter(kind=Asset.Kind.VEHICLE).first()
    if vehicle is not None:
        Asset.objects.filter(pk=vehicle.pk).update(last_service_on=last_service_on)
    else:
        Asset.objects.create(
            customer=customer,
            kind=Asset.Kind.VEHICLE,
            name="大众 朗逸",
            last_service_on=last_service_on,
            mileage_km=35000,
        )


def _mileage_due(customer: Customer, day, program: Program, rate: int) -> None:
    """A car read at its last service and 20 days before `day`, driving `rate` km a day, so the
    estimate reaches the service's odometer + the program's km on `day` — before its 180 days."""
    vehicle = customer.assets.filter(kind=Asset.Kind.VEHICLE).first() or Asset(
        customer=customer, kind=Asset.Kind.VEHICLE, name="丰田 卡罗拉"
    )
    serviced_on = day - timedelta(days=-(-program.maintenance_km // rate))
    read_on = day - timedelta(days=20)
    service_km = max(vehicle.mileage_km or 0, 18_000)
    vehicle.last_service_on = vehicle.mileage_base_on = serviced_on
    vehicle.service_mileage_km = vehicle.mileage_base_km = service_km
    vehicle.mileage_read_on = read_on
    vehicle.mileage_km = service_km + rate * (read_on - serviced_on).days
    mileage_estimate(vehicle, today=read_on)
    vehicle.save()


def _prepare(customers: list[Customer], day, *, renewal: Program, maintenance: Program, n: int):
    for i, customer in enumerate(customers):
        if i % 2 == 0:
            _policy(customer, day - timedelta(days=renewal.offset_days), n)
        elif i % 4 == 3:  # due by mileage before the 180 days: 30 to 60 km a day
            _mileage_due(customer, day, maintenance, rate=30 + 7 * (i % 5))
        else:
            _service_due(customer, day - timedelta(days=maintenance.maintenance_days))


def build_care(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    team = Team.objects.get(name="客服一组")
    programs = {p.name: p for p in Program.objects.filter(name__in=PROGRAMS)}
    if len(programs) < len(PROGRAMS) or programs[PROGRAMS[0]].status != Program.Status.DRAFT:
        return
    today = timezone.localdate()
    week_ago = today - timedelta(days=7)
    for program in programs.values():
        Program.objects.filter(pk=program.pk).update(
            team=team,
            status=Program.Status.ACTIVE,
            starts_on=week_ago,
            evaluated_through=week_ago - timedelta(days=1),
            holdout_percent=10,
        )
        program.refresh_from_db()
    renewal, maintenance = programs[PROGRAMS[0]], programs[PROGRAMS[1]]

    live = [
        c
        for c in customers
        if c.merged_into_id is None
        and not (c.is_deceased or c.do_not_contact)
        and not c.tickets.filter(is_open=True).exists()
    ]
    rng.shuffle(live)
    past, present = live[: 2 * PAST_EACH], live[2 * PAST_EACH : 2 * PAST_EACH + 2 * TODAY_EACH]

    # A week ago: both programs ran; the calls were made and their outcomes recorded.
    _prepare(past, week_ago, renewal=renewal, maintenance=maintenance, n=1)
    then = datetime.combine(week_ago, time(10, 0), timezone.get_current_timezone())
    care_evaluate(today=week_ago, now=then)
    care_execute_due(now=then)
    care_execute_due(now=then + timedelta(days=maintenance.followup_days, hours=1))
    for task in CareTask.objects.filter(state=CareTask.State.OPEN).select_related("assignee"):
        roll = rng.random()
        CareTask.objects.filter(pk=task.pk).update(
            state=CareTask.State.DONE,
            reached=roll < 0.8,
            interested=roll < 0.55,
            booked=roll < 0.4,
            declined=0.55 <= roll < 0.8,
            outcome_reason="已在其他店续保" if 0.55 <= roll < 0.8 else "",
            acknowledged_at=then,
            completed_at=then + timedelta(hours=3),
        )
    Program.objects.filter(pk__in=[renewal.pk, maintenance.pk]).update(
        evaluated_through=today - timedelta(days=1)
    )

    # Today: due customers for the worker, three of whom the guard must stop.
    _prepare(present, today, renewal=renewal, maintenance=maintenance, n=2)
    deceased, opted_out, complaining = present[0], present[1], present[2]
    Customer.objects.filter(pk=deceased.pk).update(is_deceased=True)
    Customer.objects.filter(pk=opted_out.pk).update(do_not_contact=True, marketing_opt_out=True)
    # The complaining customer is due in both programs: the renewal call goes to the complaint's
    # owner, the maintenance message waits until the complaint is closed.
    _service_due(complaining, today - timedelta(days=maintenance.maintenance_days))
    _urgent_complaint(complaining, users)


def _urgent_complaint(customer: Customer, users: dict[str, User]) -> None:
    from rapport.tickets.models import Ticket
    from rapport.tickets.services import ticket_create

    by = next(u for u in users.values() if u.role == User.Role.SUPERVISOR)
    ticket = ticket_create(
        by=by,
        customer=customer,
        kind="complaint",
        subject="维修后再次出现故障，要求退换",
        description="客户表示保养后发动机故障灯再次亮起，情绪激动，要求今天给出答复。",
        customer_words="第三次了，再修不好我就投诉到厂家！",
        occurred_at=timezone.now() - timedelta(hours=5),
        contact_name=customer.name,
        contact_phone=customer.identities.filter(kind="phone")
        .values_list("value", flat=True)
        .first()
        or "13800138000",
        occurred_where="售后维修车间",
    )
    owner = next(u for u in users.values() if u.role == User.Role.SPECIALIST)
    Ticket.objects.filter(pk=ticket.pk).update(priority=4, customer_upset=True, assignee=owner)
