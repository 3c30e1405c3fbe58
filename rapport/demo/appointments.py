"""Demo rows for appointments and work orders (issue 14).

A workshop open Monday to Saturday (8:30–12:00, 13:30–17:30, China's holidays and 调休 from
chinesecalendar) with three service advisors (陈晓敏, 刘洋 and 周静 at the desk), six bays and
three technicians; five service types and a price list. Customers' cars are booked through the
levelled proposals over the coming working days; today's first arrivals (booked yesterday) are
on the board, one arrived and received with a work order whose diagnosis was authorised and
then extended by a second authorisation. The ready-made two-day reminder program is activated
for 客服一组.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from rapport.appointments import capacity, services
from rapport.appointments import workorders as wo
from rapport.appointments.models import PriceItem, Resource, ServiceType, WorkshopSettings
from rapport.care.models import Program
from rapport.core.calendar.chinese import known_years
from rapport.core.calendar.services import calendar_create, calendar_seed_official_days
from rapport.customers.models import Asset
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
        team=team, status=Program.Status.ACTIVE, starts_on=timezone.localdate()
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
