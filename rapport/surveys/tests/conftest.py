"""The surveys over twelve days that the rollup tests share (rollup_data)."""

import random

import pytest
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.staff.tests.factories import StaffFactory
from rapport.surveys.tests.rollup_data import STANDINGS, returns, sends


@pytest.fixture
def data(team, other_team, supervisor, manager):
    rng = random.Random(7)
    owners = [
        (supervisor, team),
        (StaffFactory(username="a1", teams=[team]), team),
        (StaffFactory(username="a2", teams=[other_team]), other_team),
        (StaffFactory(username="a3", teams=[other_team]), None),
    ]
    customers = [
        CustomerFactory(tier=tier, lifecycle_stage=stage, churn_reason=reason)
        for tier, stage, reason in STANDINGS * 2
    ]
    now = timezone.now()
    sends(rng, owners=owners, customers=customers, days=12, n=70, now=now)
    returns(rng, customers=customers, by=manager, now=now, n=30)
    return {"owners": owners, "customers": customers, "rng": rng, "now": now}
