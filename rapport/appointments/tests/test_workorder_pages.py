import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.appointments import services
from rapport.appointments import workorders as wo
from rapport.appointments.models import Authorisation, PriceItem, WorkOrder, WorkOrderItem
from rapport.channels.models import OutboxMessage

from .conftest import NOW, at

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def oil(db):
    return PriceItem.objects.create(
        code="oil-change", name="更换机油机滤", kind="labour", price=Decimal("380"), minutes=30
    )


@pytest.fixture
def pads(db):
    return PriceItem.objects.create(
        code="brake-pads", name="更换前刹车片", kind="part", price=Decimal("650"), minutes=60
    )


def _open(agent, car, items=(), words="刹车时有吱吱的响声", now=NOW, **kwargs):
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


def _url(name, order, *args):
    return reverse(f"appointments:{name}", args=[order.pk, *args])


# -- the list ----------------------------------------------------------------------------------


def test_it_lists_work_orders_with_totals_and_filters_repeat_repairs(
    signed_in, agent, car, oil, django_assert_num_queries
):
    first = _open(agent, car, [wo.ItemIn(price_item=oil)], now=NOW - timedelta(days=5))
    repeat = _open(agent, car, [wo.ItemIn(price_item=oil, quantity=2)])
    assert repeat.repeat_of == first

    with django_assert_num_queries(6):  # session, user, advisors, count, status, page
        response = signed_in.get(reverse("appointments:work-orders"))
    page = response.content.decode()
    assert response.status_code == 200
    assert first.number in page and repeat.number in page
    assert "¥760.00" in page and "¥380.00" in page

    response = signed_in.get(reverse("appointments:work-orders"), {"view": "repeat"})
    assert [o.pk for o in response.context["page"]] == [repeat.pk]


def test_it_filters_by_state_and_waiting_and_swaps_only_the_results_for_htmx(
    signed_in, agent, car, oil
):
    waiting = _open(agent, car, [wo.ItemIn(price_item=oil)])
    authorised = _open(agent, car, [wo.ItemIn(price_item=oil)], words="空调不太凉")
    wo.work_order_authorise(
        by=agent, work_order=authorised, scope="repair", method="signature", given_by="李先生"
    )
    url = reverse("appointments:work-orders")

    by_state = signed_in.get(url, {"state": "authorised"})
    waiting_view = signed_in.get(url, {"view": "waiting"}, headers=HTMX)

    assert [o.pk for o in by_state.context["page"]] == [authorised.pk]
    assert [o.pk for o in waiting_view.context["page"]] == [waiting.pk]
    assert "<html" not in waiting_view.content.decode()
    assert signed_in.get(url, {"state": "nonsense"}).status_code == 400


def test_the_waiting_view_holds_an_order_whose_authorised_diagnosis_time_ran_out(
    signed_in, agent, car, oil
):
    ran_out = _open(agent, car, words="发动机故障灯亮了")
    running = _open(agent, car, words="空调不太凉")
    repaired = _open(agent, car, [wo.ItemIn(price_item=oil)], words="方向盘有点跑偏")
    for order, scope, minutes in ((ran_out, "diagnosis", 30), (running, "diagnosis", 240)):
        wo.work_order_authorise(
            by=agent,
            work_order=order,
            scope=scope,
            method="signature",
            given_by="李先生",
            minutes=minutes,
            now=NOW,
        )
        wo.work_order_move(by=agent, work_order=order, move="start", now=NOW)
    wo.work_order_authorise(
        by=agent, work_order=repaired, scope="repair", method="signature", given_by="李先生"
    )

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = signed_in.get(reverse("appointments:work-orders"), {"view": "waiting"})

    assert [o.pk for o in response.context["page"]] == [ran_out.pk]


# -- the page ----------------------------------------------------------------------------------


def test_it_lays_the_page_out_in_the_texts_order_and_never_offers_to_edit_the_words(
    signed_in, agent, car, oil, django_assert_num_queries
):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)], words="刹车时有吱吱的响声<b>")

    with django_assert_num_queries(10):
        response = signed_in.get(_url("work-order", order))

    page = response.content.decode()
    assert response.status_code == 200
    positions = [page.index(f"<h2>{n}. ") for n in range(1, 9)]
    assert positions == sorted(positions)
    assert "刹车时有吱吱的响声&lt;b&gt;" in page  # verbatim, escaped
    assert 'name="customer_words"' not in page
    assert "¥380.00" in page


def test_it_adds_an_item_without_javascript_and_with_htmx(signed_in, agent, car, oil, pads):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])

    plain = signed_in.post(_url("work-order-item", order), {"price_item": pads.pk, "quantity": "1"})
    swapped = signed_in.post(
        _url("work-order-item", order),
        {"description": "钣金修复", "unit_price": "300", "quantity": "1"},
        headers=HTMX,
    )

    assert plain.status_code == 302 and plain.url == _url("work-order", order)
    assert swapped.status_code == 200
    body = swapped.content.decode()
    assert "<html" not in body and 'id="work-order"' in body and "钣金修复" in body
    assert list(order.items.values_list("description", flat=True)) == [
        "更换机油机滤",
        "更换前刹车片",
        "钣金修复",
    ]


def test_a_quoted_item_with_a_negative_price_is_refused_and_nothing_is_added(
    signed_in, agent, car, oil
):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])

    response = signed_in.post(
        _url("work-order-item", order), {"description": "钣金", "unit_price": "-5", "quantity": "1"}
    )

    assert response.status_code == 400
    assert response.context["item_form"].non_field_errors()
    assert order.items.count() == 1


def test_an_sms_authorisation_from_a_number_not_the_customers_is_refused(
    signed_in, agent, car, oil
):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])

    response = signed_in.post(
        _url("work-order-authorise", order),
        {"scope": "repair", "method": "sms", "given_by": "李先生", "contact": "13900000000"},
    )

    assert response.status_code == 400
    assert response.context["authorise_form"].errors["contact"]
    assert not Authorisation.objects.exists()
    order.refresh_from_db()
    assert order.state == "open"


def test_a_diagnosis_is_extended_by_a_second_authorisation_and_work_beyond_it_is_refused(
    signed_in, client, agent, car
):
    order = _open(agent, car, words="发动机故障灯亮了，加速没劲")
    url = _url("work-order-authorise", order)
    first = {"scope": "diagnosis", "method": "call", "given_by": "李先生", "minutes": "60"}
    first["contact"] = "13800138000"

    assert signed_in.post(url, first).status_code == 302
    assert signed_in.post(_url("work-order-step", order, "start")).status_code == 302

    with time_machine.travel(NOW + timedelta(minutes=90), tick=False):
        refused = signed_in.post(_url("work-order-step", order, "finish"))
        refused_htmx = signed_in.post(_url("work-order-step", order, "finish"), headers=HTMX)
        order.refresh_from_db()
        assert refused.status_code == 409 and refused_htmx.status_code == 409
        assert "11:00" in refused.context["refusal"]  # the authorised time ended at 11:00
        assert refused.context["refusal"] in refused.content.decode()
        assert "data-error-message" in refused_htmx.content.decode()
        assert order.state == "in_progress" and order.done_at is None

        extended = signed_in.post(url, {**first, "minutes": "30"}, headers=HTMX)
        assert extended.status_code == 200
        assert signed_in.post(_url("work-order-step", order, "finish")).status_code == 302

    order.refresh_from_db()
    assert order.state == "done"
    windows = [(a.recorded_at, a.valid_until) for a in order.authorisations.order_by("recorded_at")]
    assert windows == [
        (NOW, NOW + timedelta(minutes=60)),
        (NOW + timedelta(minutes=90), NOW + timedelta(minutes=120)),
    ]


def test_waiting_needs_a_reason_and_resumes(signed_in, agent, car, oil):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    wo.work_order_authorise(
        by=agent, work_order=order, scope="repair", method="signature", given_by="李先生"
    )
    wo.work_order_move(by=agent, work_order=order, move="start")

    refused = signed_in.post(_url("work-order-step", order, "wait"), {"waiting_for": ""})
    order.refresh_from_db()
    assert refused.status_code == 400 and order.state == "in_progress"

    signed_in.post(_url("work-order-step", order, "wait"), {"waiting_for": "等刹车片到货"})
    order.refresh_from_db()
    assert order.state == "waiting" and order.waiting_for == "等刹车片到货"
    signed_in.post(_url("work-order-step", order, "resume"))
    order.refresh_from_db()
    assert order.state == "in_progress"
    assert signed_in.post(_url("work-order-step", order, "fly")).status_code == 404


def test_delivery_needs_the_five_explanations_ticked_while_telling_the_customer(
    signed_in, agent, car, oil
):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    wo.work_order_authorise(
        by=agent, work_order=order, scope="repair", method="signature", given_by="李先生"
    )
    wo.work_order_move(by=agent, work_order=order, move="start")
    wo.work_order_move(by=agent, work_order=order, move="finish")

    four = {name: "on" for name in WorkOrder.EXPLANATIONS[:4]}
    signed_in.post(_url("work-order-explain", order), four, headers=HTMX)
    refused = signed_in.post(_url("work-order-step", order, "deliver"))
    order.refresh_from_db()
    assert refused.status_code == 409 and order.state == "done" and order.delivered_at is None
    assert order.explained_work and not order.explained_collection

    every = {name: "on" for name in WorkOrder.EXPLANATIONS}
    assert signed_in.post(_url("work-order-explain", order), every).status_code == 302
    assert signed_in.post(_url("work-order-step", order, "deliver")).status_code == 302
    order.refresh_from_db()
    assert order.state == "delivered" and order.explained_by == agent

    untick = signed_in.post(_url("work-order-explain", order), {})
    order.refresh_from_db()
    assert untick.status_code == 409 and order.all_explained


def test_it_sends_the_five_explanations_in_writing_through_the_outbox_once(
    signed_in, agent, car, oil
):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)], promised_at=at(date(2027, 2, 1), 16))

    signed_in.post(_url("work-order-send", order))
    again = signed_in.post(_url("work-order-send", order), headers=HTMX)

    assert again.status_code == 200
    message = OutboxMessage.objects.get()
    assert message.source == "work_order" and message.customer_id == car.customer_id
    for text in ("更换机油机滤", "¥380.00", "刹车时有吱吱的响声", "2027-02-01 16:00"):
        assert text in message.body
    assert message.body.count("\n1. ") == 1 and "\n5. " in message.body


def test_the_print_view_is_an_a4_sheet_in_chinese_with_sign_lines(signed_in, agent, car, oil):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])

    response = signed_in.get(_url("work-order-print", order))

    page = response.content.decode()
    assert response.status_code == 200
    assert "@page { size: A4" in page and '"Noto Sans CJK SC"' in page and 'lang="zh-CN"' in page
    assert "维修工单" in page and "刹车时有吱吱的响声" in page and "更换机油机滤" in page
    assert page.count('class="sign"') == 2
    assert page.count('<span class="box">') == 2 + 5  # keep old parts yes/no, five explanations


def test_a_repeat_repair_shows_the_apology_first_and_opens_a_complaint_prefilled(
    signed_in, agent, car, oil
):
    earlier = _open(agent, car, [wo.ItemIn(price_item=oil)], now=NOW - timedelta(days=7))
    order = _open(agent, car, words="刹车时又有吱吱的响声")

    page = signed_in.get(_url("work-order", order)).content.decode()

    apology = page.index("wo-repeat")
    assert apology < page.index(earlier.number) < page.index('id="next-h"')
    assert "李先生" in page[apology : page.index(earlier.number)]
    link = reverse("tickets:create") + "?interaction="
    assert link in page
    entry_id = int(page.split(link)[1].split('"')[0])
    ticket_form = signed_in.get(f"{link}{entry_id}")
    assert ticket_form.status_code == 200
    assert order.number in ticket_form.context["form"].initial["description"]


def test_it_is_forbidden_to_staff_without_the_booking_capability(client, agent, car, oil, kam):
    order = _open(agent, car, [wo.ItemIn(price_item=oil)])
    client.force_login(kam)

    assert client.get(_url("work-order", order)).status_code == 403
    assert client.post(_url("work-order-step", order, "start")).status_code == 403


# -- reception and suggestions -----------------------------------------------------------------


def _arrived(agent, car, maintenance, mileage=30_500):
    appointment = services.appointment_book(
        by=agent,
        customer=car.customer,
        asset=car,
        service_type=maintenance,
        starts_at=at(date(2027, 2, 1), 13, 30),
        customer_words="该保养了",
    )
    services.appointment_arrive(
        by=agent,
        appointment=appointment,
        mileage_km=mileage,
        fuel_level="half",
        damage_notes="",
        items_left="",
        covers_fitted=True,
    )
    return appointment


def test_reception_suggests_items_by_mileage_and_writes_the_work_order(
    signed_in, agent, car, maintenance, workshop, oil, pads
):
    appointment = _arrived(agent, car, maintenance)

    page = signed_in.get(reverse("appointments:detail", args=[appointment.pk]))
    codes = [s.rule.code for s in page.context["reception"]["suggested"]]
    assert codes == ["oil", "tyres", "air-filter", "cabin", "alignment", "brake-pads"]
    assert page.context["reception"]["open_form"].initial["items"] == [oil.pk, pads.pk]

    response = signed_in.post(
        reverse("appointments:work-order-open", args=[appointment.pk]),
        {
            "customer_words": "该保养了，刹车有点软",
            "items": [oil.pk],
            "payment_method": "cash",
            "mileage_km": "30500",
        },
    )

    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response.url == _url("work-order", order)
    assert order.appointment == appointment and order.mileage_km == 30_500
    assert order.customer_words == "该保养了，刹车有点软"


def test_a_second_work_order_for_the_same_visit_is_refused_and_a_double_click_lands_on_the_first(
    signed_in, api_client, agent, car, maintenance, workshop
):
    appointment = _arrived(agent, car, maintenance)
    url = reverse("appointments:work-order-open", args=[appointment.pk])
    form = {"customer_words": "该保养了", "payment_method": "cash"}

    first = signed_in.post(url, form)
    again = signed_in.post(url, form)

    order = WorkOrder.objects.get()
    assert first.status_code == again.status_code == 302
    assert first.url == again.url == _url("work-order", order)
    with pytest.raises(ValidationError) as refused:
        _open(agent, car, words="该保养了", appointment=appointment)
    assert set(refused.value.message_dict) == {"appointment"}
    assert order.number in refused.value.message_dict["appointment"][0]
    api = api_client(agent).post(
        "/api/v1/work-orders",
        json.dumps(
            {
                "customer_id": car.customer_id,
                "asset_id": car.pk,
                "appointment_id": appointment.pk,
                "customer_words": "该保养了",
                "payment_method": "cash",
            }
        ),
        content_type="application/json",
    )
    assert api.status_code == 422 and api.json()["errors"][0]["field"] == "appointment"
    assert WorkOrder.objects.count() == 1


def test_reception_refuses_a_work_order_without_the_customers_words(
    signed_in, agent, car, maintenance, workshop, oil
):
    appointment = _arrived(agent, car, maintenance)

    response = signed_in.post(
        reverse("appointments:work-order-open", args=[appointment.pk]),
        {"customer_words": "  ", "payment_method": "cash"},
    )

    assert response.status_code == 400
    assert response.context["reception"]["open_form"].errors["customer_words"]
    assert not WorkOrder.objects.exists() and not WorkOrderItem.objects.exists()


def test_suggestions_follow_the_last_time_it_was_done_and_the_age(agent, car, oil):
    from rapport.appointments.suggestions import suggestions_for

    car.purchased_on = date(2024, 1, 15)
    car.save()
    _open(agent, car, [wo.ItemIn(price_item=oil)], mileage_km=28_000, now=NOW - timedelta(days=40))

    found = {s.rule.code: s for s in suggestions_for(asset=car, mileage_km=31_000)}

    assert "oil" not in found  # 3,000 km and one month since the oil change
    assert "36" in found["brake-fluid"].reason  # 2024-01-15 → 2027-02-01: 36 months
    assert "spark-plugs" not in found  # 31,000 km < 40,000, and no age rule

    later = {s.rule.code for s in suggestions_for(asset=car, mileage_km=33_000)}
    assert "oil" in later  # 5,000 km since the last oil change at 28,000
