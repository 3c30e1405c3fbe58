"""Writes of other domains under the satisfaction rollup — a customer's tier, a merge, the
admin — mark the days they change in their own transaction, so the analysis stays exact before
the worker rebuilds them, and the rebuild then equals a full recomputation again."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.customers.models import Customer
from rapport.customers.services import customer_merge, customer_update
from rapport.surveys import analysis, rollups
from rapport.surveys.models import SurveySend
from rapport.surveys.tests.rollup_data import assert_caught_up, assert_exact, stale_days

pytestmark = pytest.mark.django_db


def _days(customer: Customer) -> set:
    today = timezone.localdate()
    days = {
        timezone.localdate(at)
        for at in SurveySend.objects.filter(customer=customer).values_list("created_at", flat=True)
    }
    return {day for day in days if day < today}


def test_a_tier_change_marks_the_customers_days_and_the_figures_stay_exact(
    data, team, manager, supervisor
):
    rollups.rollup_sweep()
    customer = next(c for c in data["customers"] if c.tier == "regular" and _days(c))

    customer_update(customer=customer, by=manager, tier="vip")

    assert stale_days() == _days(customer)
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()
    assert_exact(data, team, manager, supervisor)


def test_a_change_that_keeps_the_tier_marks_nothing(data, manager):
    rollups.rollup_sweep()
    customer = next(c for c in data["customers"] if _days(c))

    customer_update(customer=customer, by=manager, city="杭州", tier=customer.tier)

    assert stale_days() == set()


def test_a_merge_moves_sends_and_leaves_the_figures_exact(data, team, manager, supervisor):
    rollups.rollup_sweep()
    vip = next(c for c in data["customers"] if c.tier == "vip" and _days(c))
    regular = next(c for c in data["customers"] if c.tier == "regular" and _days(c))
    days = _days(vip) | _days(regular)

    customer_merge(survivor=vip, duplicate=regular, by=manager)

    assert stale_days() == days
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()


def _admin_form(page) -> dict:
    """The data the admin's change form would post back unchanged, inlines included."""
    data = {}
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            key = form.add_prefix(name)
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            else:
                data[key] = str(value)
    return data


def test_the_admin_marks_the_days_of_a_tier_change(
    data, team, manager, supervisor, admin_user, as_user
):
    rollups.rollup_sweep()
    customer = next(c for c in data["customers"] if c.tier == "regular" and _days(c))
    client = as_user(admin_user)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    form = _admin_form(client.get(url))

    response = client.post(url, {**form, "tier": "key_account"})

    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).tier == "key_account"
    assert stale_days() == _days(customer)
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()


def test_a_change_written_around_the_services_is_found_by_check(data):
    rollups.rollup_sweep()
    customer = next(c for c in data["customers"] if c.tier == "regular" and _days(c))

    Customer.objects.filter(pk=customer.pk).update(tier="vip")  # no hook: as bulk seeding

    assert stale_days() == set()
    assert rollups.rollup_check()
    assert any(line.startswith("customer__tier=vip") for line in analysis.rollup_figures_check())
