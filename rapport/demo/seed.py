"""Benchmark datasets, bulk-inserted: S = 10k customers, M = 100k. Later modules add their rows."""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from rapport.core.text import pinyin_full, pinyin_initials
from rapport.customers.models import Asset, Customer, Identity
from rapport.demo import names
from rapport.staff.models import Team, User

# XS is for tests of the seeding itself.
SIZES = {"XS": {"customers": 50}, "S": {"customers": 10_000}, "M": {"customers": 100_000}}
BATCH = 5_000


def _staff() -> tuple[list[User], list[Team]]:
    teams = list(Team.objects.all())
    if not teams:
        teams = [Team.objects.create(name=f"Seed team {i}") for i in (1, 2)]
    staff = list(User.objects.filter(is_active=True))
    if not staff:
        for i in range(8):
            user = User.objects.create_user(
                username=f"seed{i}", password="rapport-seed", role="representative"
            )
            user.teams.set([teams[i % len(teams)]])
            staff.append(user)
    return staff, teams


def seed_customers(*, count: int, rng: random.Random, log=print) -> list[int]:
    _staff_members, teams = _staff()
    start_id = (Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    now = timezone.now()
    pinyin_cache: dict[str, tuple[str, str]] = {}
    t0 = time.monotonic()
    for offset in range(0, count, BATCH):
        customers, identities, assets = [], [], []
        for n in range(offset, min(offset + BATCH, count)):
            cid = start_id + n
            name = names.person_name(rng)
            if name not in pinyin_cache:
                pinyin_cache[name] = (pinyin_full(name), pinyin_initials(name))
            full, initials = pinyin_cache[name]
            phone = f"1{rng.choice('3589')}{cid:09d}"
            email = f"c{cid}@example.cn"
            created = now - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
            stage = rng.choices(
                ["potential", "new", "active", "at_risk", "lost"], [8, 12, 60, 12, 8]
            )[0]
            customers.append(
                Customer(
                    id=cid,
                    name=name,
                    kind="person",
                    tier=rng.choices(
                        ["vip", "key_account", "regular", "potential"], [8, 6, 70, 16]
                    )[0],
                    lifecycle_stage=stage,
                    churn_reason="competition" if stage == "lost" else "",
                    city=rng.choice(names.CITIES)[0],
                    service_team=rng.choice(teams),
                    lifetime_value=Decimal(rng.randrange(0, 200_000)),
                    search_text=f"{name}|{full}|{initials}|{phone}|{email}",
                    name_pinyin=full,
                    name_initials=initials,
                    created_at=created,
                    updated_at=created,
                )
            )
            identities.append(
                Identity(
                    customer_id=cid,
                    kind="phone",
                    value=f"+86{phone}",
                    is_primary=True,
                    created_at=created,
                    updated_at=created,
                )
            )
            identities.append(
                Identity(
                    customer_id=cid,
                    kind="email",
                    value=email,
                    is_primary=True,
                    created_at=created,
                    updated_at=created,
                )
            )
            if rng.random() < 0.6:
                assets.append(
                    Asset(
                        customer_id=cid,
                        kind="vehicle",
                        name=rng.choice(names.CAR_MODELS),
                        identifier=f"LSEED{cid:012d}",
                        plate="",
                        mileage_km=rng.randint(100, 150_000),
                        purchased_on=(created - timedelta(days=rng.randint(0, 900))).date(),
                        created_at=created,
                        updated_at=created,
                    )
                )
        with transaction.atomic():
            Customer.objects.bulk_create(customers)
            Identity.objects.bulk_create(identities)
            Asset.objects.bulk_create(assets)
        log(f"  customers {min(offset + BATCH, count):>7}/{count}  ({time.monotonic() - t0:.1f}s)")
    return list(range(start_id, start_id + count))


def seed(*, size: str, seed: int = 7, log=print) -> dict:
    spec = SIZES[size]
    rng = random.Random(seed)
    customer_ids = seed_customers(count=spec["customers"], rng=rng, log=log)
    from rapport.demo import extensions

    for seeder in extensions.SEEDERS:
        seeder(size=size, rng=rng, customer_ids=customer_ids, log=log)
    sequences_reset()
    return {"customers": len(customer_ids)}


def sequences_reset() -> None:
    """Move every table's id sequence past its highest id. The seeders insert explicit ids,
    which PostgreSQL's sequences do not see: without this, the next row anyone creates takes
    id 1 and fails (issue 15 #4). Nothing to do on SQLite, whose ids follow the table."""
    statements = connection.ops.sequence_reset_sql(no_style(), apps.get_models())
    if not statements:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
