"""The demo: a small dealer's service centre with two service teams, built through the services."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from rapport.customers import services as customer_services
from rapport.customers.models import Customer
from rapport.demo import names
from rapport.staff.models import Team, User
from rapport.staff.services import staff_create

DEMO_PASSWORD = "rapport-demo"

STAFF = [
    # username, display name, role, teams, hired
    ("admin", "系统管理员", User.Role.ADMIN, [], 2019),
    ("wangjl", "王经理", User.Role.MANAGER, ["客服一组", "客服二组"], 2018),
    ("lizg", "李主管", User.Role.SUPERVISOR, ["客服一组"], 2020),
    ("zhaozg", "赵主管", User.Role.SUPERVISOR, ["客服二组"], 2021),
    ("chenxm", "陈晓敏", User.Role.REPRESENTATIVE, ["客服一组"], 2022),
    ("liuyang", "刘洋", User.Role.REPRESENTATIVE, ["客服一组"], 2023),
    ("zhoujing", "周静", User.Role.REPRESENTATIVE, ["客服二组"], 2024),
    ("sunqiang", "孙强", User.Role.SPECIALIST, ["技术支持部"], 2021),
    ("hemin", "何敏", User.Role.KEY_ACCOUNT_MANAGER, ["大客户部"], 2020),
]
TEAMS = [
    ("客服一组", Team.Kind.SERVICE),
    ("客服二组", Team.Kind.SERVICE),
    ("技术支持部", Team.Kind.TECHNICAL),
    ("大客户部", Team.Kind.SALES),
]


def build_staff(rng: random.Random) -> dict[str, User]:
    teams = {name: Team.objects.create(name=name, kind=kind) for name, kind in TEAMS}
    users = {}
    for username, display, role, team_names, year in STAFF:
        users[username] = staff_create(
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            display_name=display,
            email=f"{username}@rapport.example",
            teams=[teams[t] for t in team_names],
            hired_on=date(year, rng.randint(1, 12), rng.randint(1, 28)),
        )
    # Someone who left last year, so turnover has something to count.
    former = staff_create(
        username="former",
        password=DEMO_PASSWORD,
        role=User.Role.REPRESENTATIVE,
        display_name="郑离职",
        teams=[teams["客服二组"]],
        hired_on=date(2021, 3, 1),
    )
    former.left_on = timezone.localdate() - timedelta(days=200)
    former.is_active = False
    former.save(update_fields=["left_on", "is_active"])
    return users


def _customer_fields(rng: random.Random, users: dict[str, User], teams: list[Team]) -> dict:
    stage = rng.choices([s.value for s in Customer.Stage], weights=[8, 12, 60, 12, 8])[0]
    fields = {
        "tier": rng.choices([t.value for t in Customer.Tier], weights=[8, 6, 70, 16])[0],
        "lifecycle_stage": stage,
        "city": "",
        "service_team": rng.choice(teams),
        "lifetime_value": Decimal(rng.randrange(0, 300_000)) / 1,
    }
    if stage == "lost":
        fields["churn_reason"] = rng.choice([r.value for r in Customer.ChurnReason])
        fields["churn_note"] = rng.choice(["", "已转至其他4S店", "搬迁至外省", "对上次维修不满意"])
    return fields


@transaction.atomic
def build_customers(rng: random.Random, users: dict[str, User], count: int = 200) -> list[Customer]:
    teams = list(Team.objects.filter(kind=Team.Kind.SERVICE))
    creator = users["chenxm"]
    tags = [customer_services.tag_get_or_create(name=t) for t in names.TAGS]
    customers = []
    used_phones: set[str] = set()
    for n in range(count):
        is_org = n % 14 == 13
        english = not is_org and n % 17 == 5
        city, plate_prefix = rng.choice(names.CITIES)
        if is_org:
            name = names.COMPANIES[(n // 14) % len(names.COMPANIES)]
        elif english:
            name = names.ENGLISH[(n // 17) % len(names.ENGLISH)]
        else:
            name = names.person_name(rng)
        phone = names.mobile(rng)
        while phone in used_phones:
            phone = names.mobile(rng)
        used_phones.add(phone)
        identities = [customer_services.IdentityInput("phone", phone, "手机")]
        if rng.random() < 0.5:
            identities.append(
                customer_services.IdentityInput(
                    "email", f"user{n}@{rng.choice(names.PINYIN_EMAIL_DOMAINS)}"
                )
            )
        if rng.random() < 0.3:
            identities.append(
                customer_services.IdentityInput("wechat", f"wx_{n:04d}{rng.randrange(1000)}")
            )
        fields = _customer_fields(rng, users, teams)
        fields["city"] = city
        fields["address"] = f"{city}市{rng.choice(names.STREETS)}{rng.randint(1, 999)}号"
        fields["kind"] = Customer.Kind.ORGANISATION if is_org else Customer.Kind.PERSON
        fields["language"] = "en" if english else "zh-hans"
        if is_org:
            fields["tier"] = rng.choice([Customer.Tier.KEY_ACCOUNT, Customer.Tier.VIP])
            fields["account_manager"] = users["hemin"]
        else:
            fields["gender"] = rng.choice(["female", "male"])
            if rng.random() < 0.7:
                fields["birthday"] = date(
                    rng.randint(1960, 2002), rng.randint(1, 12), rng.randint(1, 28)
                )
            if rng.random() < 0.2:
                fields["lunar_birthday_month"] = rng.randint(1, 12)
                fields["lunar_birthday_day"] = rng.randint(1, 29)
            if rng.random() < 0.4:
                fields["id_number"] = (
                    f"{rng.randint(110000, 650000)}{fields.get('birthday', date(1980, 1, 1)):%Y%m%d}{rng.randint(1000, 9999)}"
                )
        if n % 37 == 0 and fields["lifecycle_stage"] != "lost":
            fields["marketing_opt_out"] = True
        if n == 41:
            fields["is_deceased"] = True
            fields["lifecycle_stage"] = "lost"
            fields["churn_reason"] = "death"
        customer = customer_services.customer_create(
            by=creator,
            name=name,
            identities=identities,
            tags=rng.sample(tags, rng.randint(0, 2)),
            **fields,
        )
        customers.append(customer)
        _assets_for(rng, customer, users["admin"], plate_prefix, is_org)
        if is_org:
            for title in rng.sample(names.CONTACT_TITLES, 2):
                customer_services.contact_create(
                    organisation=customer,
                    by=users["hemin"],
                    name=names.person_name(rng),
                    title=title,
                    is_primary=title == "总经理",
                    is_decision_maker=title in ("总经理", "采购经理"),
                )
    return customers


def _assets_for(rng, customer, by, plate_prefix, is_org) -> None:
    today = timezone.localdate()
    vehicles = rng.randint(3, 6) if is_org else (1 if rng.random() < 0.8 else 0)
    for _ in range(vehicles):
        bought = today - timedelta(days=rng.randint(30, 2500))
        customer_services.asset_create(
            customer=customer,
            by=by,
            kind="vehicle",
            name=rng.choice(names.CAR_MODELS),
            identifier=names.vin(rng),
            plate=names.plate(rng, plate_prefix),
            model=f"{bought.year}款",
            mileage_km=rng.randint(500, 160_000),
            purchased_on=bought,
            warranty_ends_on=bought + timedelta(days=3 * 365),
            last_service_on=today - timedelta(days=rng.randint(10, 400)),
        )
    if rng.random() < 0.5:
        start = today - timedelta(days=rng.randint(0, 360))
        customer_services.asset_create(
            customer=customer,
            by=by,
            kind="policy",
            name=rng.choice(names.POLICIES),
            identifier=f"PDAA{start.year}{rng.randrange(10**10):010d}",
            purchased_on=start,
            expires_on=start + timedelta(days=365),
        )
    if rng.random() < 0.15:
        bought = today - timedelta(days=rng.randint(10, 900))
        customer_services.asset_create(
            customer=customer,
            by=by,
            kind="device",
            name=rng.choice(names.DEVICES),
            identifier=f"SN{rng.randrange(10**9):09d}",
            purchased_on=bought,
            warranty_ends_on=bought + timedelta(days=rng.choice([365, 730, 1095])),
        )


def build_demo(seed: int = 20261123) -> dict:
    rng = random.Random(seed)
    users = build_staff(rng)
    customers = build_customers(rng, users)
    # Later modules add their demo rows here, each through its own builder.
    from rapport.demo import extensions

    for builder in extensions.BUILDERS:
        builder(rng=rng, users=users, customers=customers)
    return {"users": users, "customers": customers}
