"""Demo rows for appointments and work orders (issue 14).

A workshop open Monday to Saturday (8:30–12:00, 13:30–17:30, China's holidays and 调休 from
chinesecalendar) with three service advisors (陈晓敏, 刘洋 and 周静 at the desk), six bays and
three technicians; five service types and a price list. Customers' cars are booked through the
levelled proposals over the coming working days; today's first arrivals (booked yesterday) are
on the board, one arrived and received with a work order whose diagnosis was authorised and
then extended by a second authorisation.

The reminder and its answer, through the real paths (`_reminders`). The ready-made program
"预约提醒（提前两天）" (trigger appointment, offset −2 calendar days) is activated for 客服一组 from
yesterday, with no hold-out and no quiet period (a reminder of a booking the customer made is
service, not a campaign). Three customers with a mobile number booked a few days ago for the
days the program reminds when it runs yesterday and today — tomorrow and the day after, where
the workshop works (all three on one of them when the other is closed). The build runs the
program for yesterday (10:00) and for today (09:30, or now when earlier) with care's own
evaluate_program/action_perform, and the outbox sends each reminder on the demo's fake SMS
account: the timeline shows the reminder, the outbox its text (…回复1确认，回复2改期，回复3取消),
and the outbox listener sets `reminded_at`. Every other open appointment on those days is
reminded the same way. The first of the three then answers "1" by SMS through the real inbound
pipeline (`sms_inbound_accept`, as rapport.demo.sms does): confirmed, the answer and the
confirmation on its timeline, its advisor notified. The other two stay reminded and
unconfirmed: the live loop (rapport.demo.live) has the latest of them answer "2" a minute or two
after `rapport demo` serves (the self-booking link goes out), and tomorrow's becomes the
day-before call task. That call is made by the day-before sweep from the call hour (15:00) on:
the build runs it, so a demo built after 15:00 on a working day has the call at once; built
earlier, the worker's periodic job `appointments.call_unconfirmed` (every 10 minutes, started
by `rapport demo`) opens it at 15:00 while the demo is served. Built before the end of the
night's quiet hours, today's reminders wait for the worker, which sends them when they end.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from rapport.appointments import capacity, services
from rapport.appointments import workorders as wo
from rapport.appointments.daybefore import appointments_call_unconfirmed
from rapport.appointments.models import (
    Appointment,
    PriceItem,
    Resource,
    ServiceType,
    WorkshopSettings,
)
from rapport.care.engine import action_perform, evaluate_program, holdout
from rapport.care.models import CareAction, Program
from rapport.channels.models import OutboxMessage
from rapport.channels.services import outbox_send
from rapport.core.calendar.chinese import known_years
from rapport.core.calendar.selectors import calendar_get_default, calendar_snapshot
from rapport.core.calendar.services import calendar_create, calendar_seed_official_days
from rapport.core.errors import DomainError
from rapport.customers.models import Asset, Identity
from rapport.interactions.models import Interaction
from rapport.staff.models import Team, User

HOURS = "08:30-12:00, 13:30-17:30"
ADVISORS = ("chenxm", "liuyang", "zhoujing")
SERVICE_TYPES = [
    # code, name, kind, minutes, skill, estimate
    ("maintenance", "常规保养", "maintenance", 60, "", "480"),
    ("repair", "一般维修", "repair", 120, "", "800"),
    ("warranty", "保修", "warranty", 90, "", "0"),
    ("diagnosis", "故障诊断", "diagnosis", 120, "电路", "200"),
    ("repeat", "返修", "repeat", 90, "", "0"),
]
PRICES = [
    ("oil-change", "更换机油机滤", "labour", "380", 30),
    ("brake-pads", "更换前刹车片", "part", "650", 60),
    ("diagnosis", "电脑故障诊断", "labour", "200", 60),
    ("ac-service", "空调系统保养", "labour", "280", 45),
    ("wheel-align", "四轮定位", "labour", "260", 40),
]
WORDS = [
    "车子该保养了，顺便看看轮胎",
    "刹车时有吱吱的响声",
    "发动机故障灯亮了，加速没劲",
    "空调不太凉",
    "方向盘有点跑偏",
]
BOOKINGS = 24
# Customers with a mobile number booked for the days the reminder program reminds in the build.
REMINDED = 3
REMINDER_TIMES = ((9, 30), (10, 30), (14, 0), (15, 0), (8, 30), (16, 0))
CONFIRM_PROVIDER_ID = "demo-appointment-answer:1"


def _workshop(users: dict[str, User]) -> None:
    calendar = calendar_create(name="售后车间 6×8", intervals={d: HOURS for d in range(6)})
    years = [
        y for y in (timezone.localdate().year, timezone.localdate().year + 1) if y in known_years()
    ]
    if years:
        calendar_seed_official_days(calendar=calendar, years=years)
    rules = WorkshopSettings.current()
    rules.calendar = calendar
    rules.save()
    for username in ADVISORS:
        user = users[username]
        Resource.objects.create(
            kind="advisor", name=user.display_name, staff=user, walk_in_reserve_percent=15
        )
    for n in range(1, 7):
        Resource.objects.create(
            kind="bay", name=f"{n}号工位", walk_in_reserve_percent=20 if n <= 2 else 0
        )
    for name, skills in (
        ("技师马师傅", "发动机, 电路"),
        ("技师杨师傅", "钣金, 底盘"),
        ("技师许师傅", "电路, 空调"),
    ):
        Resource.objects.create(
            kind="technician", name=name, skills=skills, walk_in_reserve_percent=0
        )
    for code, name, kind, minutes, skill, estimate in SERVICE_TYPES:
        ServiceType.objects.create(
            code=code,
            name=name,
            kind=kind,
            duration_minutes=minutes,
            technician_skill=skill,
            estimate=Decimal(estimate),
        )
    for code, name, kind, price, minutes in PRICES:
        PriceItem.objects.create(
            code=code, name=name, kind=kind, price=Decimal(price), minutes=minutes
        )


def _reminder_program() -> None:
    team = Team.objects.filter(name="客服一组").first()
    Program.objects.filter(trigger="appointment", status=Program.Status.DRAFT).update(
        team=team,
        status=Program.Status.ACTIVE,
        starts_on=timezone.localdate() - timedelta(days=1),
        holdout_percent=0,
        quiet_days=0,
    )


def build_appointments(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    if ServiceType.objects.exists():
        return
    _workshop(users)
    _reminder_program()
    advisors = [users[u] for u in ADVISORS]
    types = {t.code: t for t in ServiceType.objects.all()}
    cars = list(
        Asset.objects.filter(kind=Asset.Kind.VEHICLE, customer__in=customers).select_related(
            "customer"
        )[: BOOKINGS + 4]
    )
    rng.shuffle(cars)
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    # Today's board: booked yesterday for this morning (the notice is measured from then).
    yesterday = datetime.combine(today - timedelta(days=1), time(17), tzinfo=zone)
    todays = []
    for car, hour in zip(cars[:4], (8, 9, 10, 14), strict=False):
        when = datetime.combine(today, time(hour, 30), tzinfo=zone)
        try:
            todays.append(
                services.appointment_book(
                    by=advisors[len(todays) % 3],
                    customer=car.customer,
                    asset=car,
                    service_type=types["maintenance" if hour != 9 else "diagnosis"],
                    starts_at=when,
                    customer_words=WORDS[hour % len(WORDS)],
                    mileage_km=car.mileage_km,
                    now=yesterday,
                )
            )
        except Exception:
            continue
    # The coming days, each booked on the first levelled proposal.
    for n, car in enumerate(cars[4:]):
        code = rng.choice(["maintenance", "maintenance", "repair", "warranty", "diagnosis"])
        wish = today + timedelta(days=rng.randint(1, 10))
        found = capacity.slot_proposals(service_type=types[code], wish=wish)
        if not found:
            continue
        try:
            services.appointment_book(
                by=advisors[n % 3],
                customer=car.customer,
                asset=car,
                service_type=types[code],
                starts_at=found[0].starts_at,
                customer_words=rng.choice(WORDS),
                mileage_km=car.mileage_km,
            )
        except services.SlotTaken:
            continue
    _reception(todays, advisors[0])
    booked = {c.pk for c in cars}
    reminded = [c for c in _mobile_cars(customers) if c.pk not in booked]
    _reminders(rng, advisors, types, reminded)
    appointments_call_unconfirmed()  # from the call hour on; else the worker's periodic job
    _revisit(advisors[0], [c for c in reminded[REMINDED + 2 :] if c.pk not in booked])


def _working(day: date) -> bool:
    rules = WorkshopSettings.current()
    snapshot = calendar_snapshot(calendar=rules.calendar or calendar_get_default())
    return bool(snapshot.intervals_on(day))


def _mobile_cars(customers: list) -> list[Asset]:
    """Cars of customers an SMS reminder reaches and the care guard lets through: a mobile
    number, no open ticket, never contacted by a care program."""
    mobile = Identity.objects.filter(kind="phone", value__startswith="+861").values("customer_id")
    return list(
        Asset.objects.filter(
            kind=Asset.Kind.VEHICLE,
            customer__in=customers,
            customer_id__in=mobile,
            customer__merged_into__isnull=True,
            customer__is_deceased=False,
            customer__do_not_contact=False,
            customer__kind="person",
        )
        .exclude(customer__tickets__is_open=True)
        .exclude(customer__care_actions__isnull=False)
        .select_related("customer")
        .distinct()
        .order_by("pk")
    )


def _book_on(day: date, car: Asset, by: User, service_type: ServiceType, now: datetime):
    zone = timezone.get_current_timezone()
    for hour, minute in REMINDER_TIMES:
        try:
            return services.appointment_book(
                by=by,
                customer=car.customer,
                asset=car,
                service_type=service_type,
                starts_at=datetime.combine(day, time(hour, minute), tzinfo=zone),
                customer_words=WORDS[0],
                mileage_km=car.mileage_km,
                now=now,
            )
        except DomainError:
            continue
    return None


def _run_reminders(program: Program, day: date, now: datetime) -> None:
    """The program's run of `day` at `now`, as the worker makes it: plan (care's evaluation),
    perform under the guard (the outbox message), send through the outbox."""
    evaluate_program(program=program, today=day, now=now)
    actions = CareAction.objects.filter(
        program=program, due_on=day, state=CareAction.State.PLANNED
    ).values_list("pk", flat=True)
    for action_id in list(actions):
        action_perform(action_id=action_id, now=now)
    keys = [
        f"care:{pk}"
        for pk in CareAction.objects.filter(program=program, due_on=day).values_list(
            "pk", flat=True
        )
    ]
    queued = OutboxMessage.objects.filter(
        idempotency_key__in=keys, state=OutboxMessage.State.QUEUED
    )
    queued.filter(next_attempt_at__gt=now).update(next_attempt_at=now)  # queued at the run
    for outbox_id in list(queued.values_list("pk", flat=True)):
        outbox_send(outbox_id=outbox_id, now=now)


def _reminders(rng: random.Random, advisors: list[User], types: dict, cars: list[Asset]) -> None:
    """Reminders sent and one answered "1" by SMS (the module's docstring says which is which)."""
    from rapport.demo.sms import _reply, demo_sms_account

    program = Program.objects.filter(trigger="appointment", status=Program.Status.ACTIVE).first()
    if program is None:
        return
    zone = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    days = [d for d in (today + timedelta(days=1), today + timedelta(days=2)) if _working(d)]
    targets = []
    if days:
        booked_at = datetime.combine(today - timedelta(days=3), time(11), tzinfo=zone)
        plan = [days[0], days[0], days[-1]][:REMINDED]
        for n, (day, car) in enumerate(zip(plan, cars, strict=False)):
            found = _book_on(day, car, advisors[n % 3], types["maintenance"], booked_at)
            if found is not None:
                targets.append(found)
        # Booked a few days ago: the row and its timeline entry say so (before the reminder).
        Appointment.objects.filter(pk__in=[a.pk for a in targets]).update(created_at=booked_at)
        for appointment in targets:
            Interaction.objects.filter(
                customer_id=appointment.customer_id, summary__startswith=f"{appointment.number} "
            ).update(started_at=booked_at, created_at=booked_at)
    _run_reminders(program, yesterday, datetime.combine(yesterday, time(10), tzinfo=zone))
    _run_reminders(program, today, min(now, datetime.combine(today, time(9, 30), tzinfo=zone)))
    account = demo_sms_account()
    reminded = (
        Appointment.objects.filter(
            pk__in=[a.pk for a in targets],
            reminded_at__isnull=False,
            state=Appointment.State.BOOKED,
        )
        .select_related("customer")
        .order_by("starts_at", "pk")
        .first()
    )
    if account is None or reminded is None:
        return
    phone = (
        reminded.customer.identities.filter(kind="phone", value__startswith="+861")
        .values_list("value", flat=True)
        .first()
    )
    _reply(account, phone, "1", CONFIRM_PROVIDER_ID)


def _reception(todays: list, advisor: User) -> None:
    """The diagnosis customer arrived: walk-around, a work order, a diagnosis authorised for two
    hours and extended by a second authorisation by phone."""
    now = timezone.now()
    diagnosis = next(
        (a for a in todays if a.service_type.code == "diagnosis" and a.starts_at <= now), None
    )
    if diagnosis is None or diagnosis.asset is None:
        return
    services.appointment_arrive(
        by=advisor,
        appointment=diagnosis,
        mileage_km=(diagnosis.asset.mileage_km or 0) + 120,
        fuel_level="half",
        damage_notes="右后门轻微划痕",
        items_left="儿童安全座椅",
        covers_fitted=True,
    )
    services.appointment_receive(by=advisor, appointment=diagnosis)
    item = PriceItem.objects.get(code="diagnosis")
    order = wo.work_order_open(
        by=advisor,
        customer=diagnosis.customer,
        asset=diagnosis.asset,
        customer_words=diagnosis.customer_words,
        payment_method="wechat_pay",
        items=[wo.ItemIn(price_item=item)],
        appointment=diagnosis,
    )
    wo.work_order_authorise(
        by=advisor,
        work_order=order,
        scope="diagnosis",
        method="signature",
        given_by=diagnosis.customer.name,
    )
    wo.work_order_move(by=advisor, work_order=order, move="start")
    phone = diagnosis.customer.identities.filter(kind="phone").first()
    if phone is not None:
        wo.work_order_authorise(
            by=advisor,
            work_order=order,
            scope="diagnosis",
            method="call",
            contact=phone.value,
            given_by=diagnosis.customer.name,
            minutes=60,
        )


def _revisit(advisor: User, cars: list[Asset]) -> None:
    """A car serviced and handed back three days ago, with the five explanations given; the
    ready-made revisit program (交车后三天回访) is switched on for 客服一组 and run for today, so
    a revisit call task is waiting, with the seed's script."""
    program = Program.objects.filter(trigger="service_delivered").first()
    if program is None:
        return
    # A customer the program contacts: not one of its hold-out share, which depends on the ids
    # (on PostgreSQL they differ from run to run, and one run in ten picked a held-out one).
    car = next(
        (
            c
            for c in cars
            if c.customer.may_receive_outreach
            and not holdout(program.pk, c.customer_id, program.holdout_percent)
        ),
        None,
    )
    if program is None or car is None:
        return
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    then = datetime.combine(today - timedelta(days=3), time(15), tzinfo=zone)
    order = wo.work_order_open(
        by=advisor,
        customer=car.customer,
        asset=car,
        customer_words="保养，顺便检查一下空调出风有异味",
        payment_method="wechat_pay",
        items=[wo.ItemIn(price_item=PriceItem.objects.get(code="oil-change"))],
        now=then - timedelta(hours=5),
    )
    wo.work_order_authorise(
        by=advisor,
        work_order=order,
        scope="repair",
        method="signature",
        given_by=car.customer.name,
        now=then - timedelta(hours=5),
    )
    for move in ("start", "finish"):
        wo.work_order_move(by=advisor, work_order=order, move=move, now=then - timedelta(hours=1))
    wo.work_order_explain(
        by=advisor, work_order=order, ticks={n: True for n in order.EXPLANATIONS}, now=then
    )
    wo.work_order_deliver(by=advisor, work_order=order, now=then)
    # Opened that morning, as its authorisation says (the row's own time is the build's).
    type(order).objects.filter(pk=order.pk).update(created_at=then - timedelta(hours=5))
    Program.objects.filter(pk=program.pk).update(
        team=Team.objects.filter(name="客服一组").first(),
        status=Program.Status.ACTIVE,
        starts_on=today - timedelta(days=7),
    )
    program.refresh_from_db()
    _run_reminders(program, today, timezone.now())


def self_booking_hint() -> list[str]:
    """Lines `loaddemo` prints under the logins: the self-booking page, a demo customer's mobile
    number to try it with, and where the sign-in code can be read (the demo's SMS provider is
    fake: the code's SMS is kept in the outbox, whose text the admin's outbox page shows; the
    timeline deliberately says only that a code was sent)."""
    site = settings.SITE_URL.rstrip("/")
    lines = [f"\nSelf-booking for customers (自助预约): {site}{reverse('appointments:selfbook')}"]
    mobile = Identity.objects.filter(kind="phone", value__startswith="+861").values("customer_id")
    # A customer with an appointment after the reminded days, so moving or cancelling it on the
    # page does not disturb the reminder rows the demo shows.
    appointment = (
        Appointment.objects.filter(
            state__in=Appointment.OPEN,
            day__gt=timezone.localdate() + timedelta(days=2),
            customer_id__in=mobile,
            customer__do_not_contact=False,
        )
        .select_related("customer")
        .order_by("starts_at", "pk")
        .first()
    )
    if appointment is None:
        return lines
    phone = (
        appointment.customer.identities.filter(kind="phone", value__startswith="+861")
        .values_list("value", flat=True)
        .first()
    )
    when = timezone.localtime(appointment.starts_at).strftime("%Y-%m-%d %H:%M")
    lines += [
        f"  Try it as {appointment.customer.name}, mobile {phone.removeprefix('+86')} "
        f"(appointment {appointment.number} on {when}).",
        "  The sign-in code goes by SMS to the demo's fake provider: signed in as admin, open",
        f"  {site}{reverse('admin:channels_outboxmessage_changelist')}?source=selfbook_code "
        "and the newest row shows the text with the code.",
    ]
    return lines
