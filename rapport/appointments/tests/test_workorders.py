from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from rapport.appointments import workorders as wo
from rapport.appointments.models import PriceItem, WorkOrder, WorkOrderItem, WorkshopSettings
from rapport.core.errors import Conflict, Forbidden
from rapport.customers.models import Identity
from rapport.interactions.models import Interaction

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def oil(db):
    return PriceItem.objects.create(
        code="oil", name="更换机油机滤", kind="labour", price=Decimal("380")
    )


@pytest.fixture
def diagnosis_item(db):
    return PriceItem.objects.create(
        code="diag", name="故障诊断", kind="labour", price=Decimal("200")
    )


def _open(agent, car, items=(), words="发动机故障灯亮，加速无力", now=NOW, **kwargs):
    with time_machine.travel(now, tick=False):
        return wo.work_order_open(
            by=agent,
            customer=car.customer,
            asset=car,
            customer_words=words,
            payment_method="wechat_pay",
            items=list(items),
            now=now,
            **kwargs,
        )


def test_price_list_refuses_negative_and_absurd_prices(supervisor, agent):
    for price in ("-1", "250000", "abc", "NaN"):
        with pytest.raises(ValidationError) as refused:
            wo.price_item_save(by=supervisor, code="x", name="项目", price=price)
        assert "price" in refused.value.message_dict
    with pytest.raises(Forbidden):
        wo.price_item_save(by=agent, code="x", name="项目", price="10")
    assert not PriceItem.objects.exists()
    assert wo.price_item_save(by=supervisor, code="x", name="项目", price="99.5").price == Decimal(
        "99.50"
    )


def test_a_work_order_needs_the_customers_words_and_saves_nothing_without(agent, car, oil):
    with pytest.raises(ValidationError) as refused:
        _open(agent, car, [wo.ItemIn(price_item=oil)], words="  ")
    assert set(refused.value.message_dict) == {"customer_words"}
    assert not WorkOrder.objects.exists() and not WorkOrderItem.objects.exists()


def test_a_quoted_line_with_a_bad_price_is_refused_by_its_position(agent, car, oil):
    with pytest.raises(ValidationError) as refused:
        _open(
            agent, car, [wo.ItemIn(price_item=oil), wo.ItemIn(description="钣金", unit_price="-50")]
        )
    assert set(refused.value.message_dict) == {"items[1]"}
    assert not WorkOrder.objects.exists()


def test_open_keeps_the_words_verbatim_takes_list_prices_and_lands_on_the_timeline(agent, car, oil):
    order = _open(
        agent,
        car,
        [wo.ItemIn(price_item=oil, quantity=1)],
        words="  刹车时方向盘抖动  ",
        keep_old_parts=True,
    )

    assert order.customer_words == "刹车时方向盘抖动" and order.keep_old_parts
    assert order.state == "open" and not order.is_repeat
    assert wo.work_order_total(order) == Decimal("380.00")
    assert "刹车时方向盘抖动" in Interaction.objects.get(customer=car.customer).summary


def test_the_order_cannot_start_without_authorisation(agent, car, oil):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    with pytest.raises(Conflict):
        wo.work_order_move(by=agent, work_order=order, move="start", now=NOW)


def test_a_remote_authorisation_must_come_from_the_customers_contact(agent, car, oil):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    with pytest.raises(ValidationError) as refused:
        wo.work_order_authorise(
            by=agent,
            work_order=order,
            scope="repair",
            method="sms",
            contact="13911112222",
            given_by="李先生",
            now=NOW,
        )
    assert set(refused.value.message_dict) == {"contact"}
    assert not order.authorisations.exists()

    auth = wo.work_order_authorise(
        by=agent,
        work_order=order,
        scope="repair",
        method="sms",
        contact="138 0013 8000",
        given_by="李先生",
        now=NOW,
    )
    assert auth.amount == Decimal("380.00") and order.state == "authorised"


def test_a_wechat_authorisation_comes_from_the_followers_openid_and_no_other(agent, car, oil):
    openid = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    Identity.objects.create(customer=car.customer, kind="wxopenid", value=openid)
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])

    with pytest.raises(ValidationError) as refused:
        wo.work_order_authorise(
            by=agent,
            work_order=order,
            scope="repair",
            method="wechat",
            contact="oSomebodyElse0000000000000",
            given_by="李先生",
            now=NOW,
        )
    assert set(refused.value.message_dict) == {"contact"}
    assert not order.authorisations.exists()

    auth = wo.work_order_authorise(
        by=agent,
        work_order=order,
        scope="repair",
        method="wechat",
        contact=openid,
        given_by="李先生",
        now=NOW,
    )
    assert (auth.method, auth.contact, order.state) == ("wechat", openid, "authorised")


def test_diagnosis_is_authorised_for_a_set_time_and_extended_by_a_second_authorisation(
    agent, car, diagnosis_item, oil
):
    order = _open(agent, car, [wo.ItemIn(price_item=diagnosis_item)])
    wo.work_order_authorise(
        by=agent,
        work_order=order,
        scope="diagnosis",
        method="signature",
        given_by="李先生",
        now=NOW,
    )
    wo.work_order_move(by=agent, work_order=order, move="start", now=NOW + timedelta(minutes=5))

    late = NOW + timedelta(minutes=WorkshopSettings.current().diagnosis_minutes + 1)
    with pytest.raises(Conflict) as refused:
        wo.work_order_move(by=agent, work_order=order, move="finish", now=late)
    assert refused.value.field == "authorisation"

    wo.work_order_authorise(
        by=agent,
        work_order=order,
        scope="diagnosis",
        method="call",
        contact="13800138000",
        given_by="李先生",
        minutes=60,
        now=late,
    )
    wo.work_order_move(by=agent, work_order=order, move="finish", now=late + timedelta(minutes=30))
    assert order.state == "done"


def test_extra_work_puts_the_order_on_hold_until_a_new_authorisation(
    agent, car, oil, diagnosis_item
):
    order = _open(agent, car, [wo.ItemIn(price_item=diagnosis_item)])
    wo.work_order_authorise(
        by=agent, work_order=order, scope="repair", method="signature", given_by="李先生", now=NOW
    )
    wo.work_order_move(by=agent, work_order=order, move="start", now=NOW)

    wo.work_order_add_item(by=agent, work_order=order, item=wo.ItemIn(price_item=oil), now=NOW)
    assert order.state == "waiting"
    with pytest.raises(Conflict):
        wo.work_order_move(by=agent, work_order=order, move="resume", now=NOW)

    second = wo.work_order_authorise(
        by=agent, work_order=order, scope="repair", method="signature", given_by="李先生", now=NOW
    )
    assert second.amount == Decimal("380.00")
    wo.work_order_move(by=agent, work_order=order, move="resume", now=NOW)
    assert order.state == "in_progress"


def test_delivery_needs_the_five_explanations(agent, car, oil):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    wo.work_order_authorise(
        by=agent, work_order=order, scope="repair", method="signature", given_by="李先生", now=NOW
    )
    wo.work_order_move(by=agent, work_order=order, move="start", now=NOW)
    wo.work_order_move(by=agent, work_order=order, move="finish", now=NOW)
    wo.work_order_explain(
        by=agent, work_order=order, ticks={"explained_work": True, "explained_cost": True}
    )
    with pytest.raises(Conflict) as refused:
        wo.work_order_deliver(by=agent, work_order=order, now=NOW)
    assert refused.value.field == "explanations"

    wo.work_order_explain(
        by=agent, work_order=order, ticks={n: True for n in WorkOrder.EXPLANATIONS}
    )
    wo.work_order_deliver(by=agent, work_order=order, now=NOW)
    car.refresh_from_db()
    assert order.state == "delivered" and order.delivered_by == agent
    assert car.last_service_on == NOW.date()


def test_the_same_complaint_within_the_window_is_a_repeat_repair(agent, car, oil):
    first = _open(
        agent, car, [wo.ItemIn(price_item=oil)], words="刹车异响，踩刹车时吱吱响", now=NOW
    )
    repeat = _open(agent, car, [], words="刹车又有异响", now=NOW + timedelta(days=10))
    other = _open(agent, car, [], words="空调不制冷", now=NOW + timedelta(days=11))
    settings = WorkshopSettings.current()
    settings.repeat_repair_days = 5
    settings.save()
    outside = _open(agent, car, [], words="刹车异响", now=NOW + timedelta(days=40))

    assert repeat.repeat_of == first
    assert not other.is_repeat and not outside.is_repeat


def test_moving_from_the_wrong_state_is_refused(agent, car, oil):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    with pytest.raises(Conflict):
        wo.work_order_move(by=agent, work_order=order, move="finish", now=NOW)
    with pytest.raises(ValidationError):
        wo.work_order_move(by=agent, work_order=order, move="teleport", now=NOW)


def test_the_revisit_program_calls_three_days_after_the_car_is_handed_back(agent, car, oil):
    from django.utils import timezone

    from rapport.care.models import Program
    from rapport.care.triggers import occasions

    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    wo.work_order_authorise(
        by=agent, work_order=order, scope="repair", method="signature", given_by="李先生", now=NOW
    )
    wo.work_order_move(by=agent, work_order=order, move="start", now=NOW)
    wo.work_order_move(by=agent, work_order=order, move="finish", now=NOW)
    wo.work_order_explain(
        by=agent, work_order=order, ticks={n: True for n in WorkOrder.EXPLANATIONS}
    )
    wo.work_order_deliver(by=agent, work_order=order, now=NOW)
    program = Program.objects.get(trigger="service_delivered")
    delivered_on = timezone.localdate(NOW)

    found = list(occasions(program, delivered_on + timedelta(days=3)))

    assert (program.offset_days, program.action) == (3, "call")
    assert found == [
        (
            car.customer_id,
            f"delivered:{order.pk}",
            f"维修工单 {order.number}（{car.plate}）于 {delivered_on.isoformat()} 交车",
        )
    ]
    assert list(occasions(program, delivered_on + timedelta(days=2))) == []
