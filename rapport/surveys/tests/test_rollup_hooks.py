"""Writes of other domains under the satisfaction rollup — a customer's tier, stage or churn
reason, a return contact, a purchase, a merge, a correction, the admin — mark the days they
change in their own transaction, so the analysis stays exact before the worker rebuilds them,
and the rebuild then equals a full recomputation again."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rapport.customers.models import Asset, Customer
from rapport.customers.services import asset_create, customer_merge, customer_update
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Interaction
from rapport.interactions.services import interaction_correct, interaction_log
from rapport.interactions.tests.factories import purpose
from rapport.surveys import analysis, rollup_hooks, rollups
from rapport.surveys.models import SurveyResponse, SurveySend
from rapport.surveys.tests.factories import SendFactory
from rapport.surveys.tests.rollup_data import assert_caught_up, assert_exact, stale_days

pytestmark = pytest.mark.django_db


def _days(customer: Customer) -> set:
    today = timezone.localdate()
    days = {
        timezone.localdate(at)
        for at in SurveySend.objects.filter(customer=customer).values_list("created_at", flat=True)
    }
    return {day for day in days if day < today}


def _customer_with_answers(data) -> Customer:
    """The customer with answered sends on the most days before today."""
    return max(
        data["customers"],
        key=lambda c: len(
            {
                timezone.localdate(at)
                for at in SurveySend.objects.filter(customer=c, status="answered").values_list(
                    "created_at", flat=True
                )
            }
        ),
    )


def _contact(customer, *, by, code="appointment", direction="inbound", at=None) -> Interaction:
    return interaction_log(
        by=by,
        customer=customer,
        channel="phone",
        direction=direction,
        purpose=purpose(code),
        summary="预约保养",
        started_at=at,
    )


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


def test_a_change_that_keeps_the_tier_and_stage_marks_nothing(data, manager):
    rollups.rollup_sweep()
    customer = next(c for c in data["customers"] if _days(c))

    customer_update(customer=customer, by=manager, city="杭州", tier=customer.tier)

    assert stale_days() == set()


def test_a_customer_lost_and_won_back_leaves_loyalty_exact(data, team, manager, supervisor):
    rollups.rollup_sweep()
    active, lost = (
        next(c for c in data["customers"] if c.lifecycle_stage == stage and _days(c))
        for stage in ("active", "lost")
    )

    customer_update(customer=active, by=manager, lifecycle_stage="lost", churn_reason="product")
    customer_update(customer=lost, by=manager, lifecycle_stage="active")

    assert stale_days() == _days(active) | _days(lost)
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()


def test_a_return_contact_marks_only_the_days_of_the_answers_it_turns_into_returns(
    data, team, manager, supervisor
):
    customer = CustomerFactory(tier="vip")
    now = data["now"]
    first, second, unanswered = (
        SendFactory(customer=customer, created_at=now - timedelta(days=d), owner=manager)
        for d in (9, 5, 3)
    )
    for send in (first, second):
        SurveyResponse.objects.create(send=send, csat=5, submitted_at=send.created_at)
    SurveySend.objects.filter(pk=unanswered.pk).update(expires_at=now - timedelta(days=2))
    SurveySend.objects.filter(pk__in=[first.pk, second.pk]).update(status="answered")
    rollups.rollup_rebuild()
    # a return before the second answer: only the first answer's day changes
    _contact(customer, by=manager, at=second.created_at - timedelta(hours=1))

    assert stale_days() == {timezone.localdate(first.created_at)}
    assert_exact(data, team, manager, supervisor)
    rollups.rollup_sweep()

    _contact(customer, by=manager)  # after both: the second answer turns into a return

    assert stale_days() == {timezone.localdate(second.created_at)}
    rollups.rollup_sweep()

    _contact(customer, by=manager, code="after_sales")  # both came back already
    _contact(customer, by=manager, direction="outbound")  # no return
    _contact(customer, by=manager, code="information")  # no return

    assert stale_days() == set()
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()


def test_a_contact_that_is_no_return_costs_no_query(data, manager, django_assert_num_queries):
    customer = CustomerFactory()
    SendFactory(customer=customer, created_at=data["now"] - timedelta(days=2))
    asked = _contact(customer, by=manager, code="information")
    called = _contact(customer, by=manager, direction="outbound")
    returned = _contact(customer, by=manager)

    with django_assert_num_queries(0):
        rollup_hooks.on_interaction_logged(asked)
        rollup_hooks.on_interaction_logged(called)
    # the days of the sends it turns into returns or that may be being answered; their markers
    with django_assert_num_queries(2):
        rollup_hooks.on_interaction_logged(returned)


def test_a_send_that_may_be_answered_meanwhile_is_counted_changed_by_a_return(data, manager):
    """On PostgreSQL an answer saved concurrently is not seen by the hook's query; its send,
    still waiting for the answer, is — and its day is counted changed."""
    customer = CustomerFactory()
    waiting = SendFactory(customer=customer, created_at=data["now"] - timedelta(days=4))
    rollups.rollup_rebuild()

    _contact(customer, by=manager)

    assert stale_days() == {timezone.localdate(waiting.created_at)}


def test_a_purchase_after_the_build_leaves_the_figures_exact(data, team, manager, supervisor):
    rollups.rollup_sweep()
    customer = _customer_with_answers(data)

    asset_create(customer=customer, by=manager, kind=Asset.Kind.DEVICE, name="行车记录仪")

    assert stale_days() == _days(customer)
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()


def test_a_merge_moves_sends_and_returns_and_leaves_the_figures_exact(
    data, team, manager, supervisor
):
    rollups.rollup_sweep()
    vip = next(c for c in data["customers"] if c.tier == "vip" and _days(c))
    regular = next(c for c in data["customers"] if c.tier == "regular" and _days(c))
    days = _days(vip) | _days(regular)

    customer_merge(survivor=vip, duplicate=regular, by=manager)

    assert stale_days() == days
    assert_exact(data, team, manager, supervisor)
    assert_caught_up()


def test_a_contact_corrected_into_a_return_leaves_the_figures_exact(
    data, team, manager, supervisor
):
    customer = _customer_with_answers(data)
    asked = _contact(customer, by=manager, code="information")
    rollups.rollup_sweep()

    interaction_correct(
        interaction=asked, by=manager, reason="其实是预约", purpose=purpose("appointment")
    )

    assert stale_days() == _days(customer)
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


def test_the_admin_marks_the_days_of_a_tier_change_and_of_an_asset(
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
    rollups.rollup_sweep()

    prefix = "assets"
    form = _admin_form(client.get(url))
    total = int(form[f"{prefix}-TOTAL_FORMS"])
    added = {
        f"{prefix}-TOTAL_FORMS": str(total + 1),
        f"{prefix}-{total}-kind": "device",
        f"{prefix}-{total}-name": "行车记录仪",
    }
    response = client.post(url, {**form, **added})

    assert response.status_code == 302
    assert customer.assets.filter(name="行车记录仪").exists()
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
