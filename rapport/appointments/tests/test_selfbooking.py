"""The public self-booking page: sign-in by mobile number and SMS code, then book, move, cancel."""

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rapport.appointments import capacity, services
from rapport.appointments.models import Appointment, CapacityBucket, SelfBookingCode
from rapport.channels.models import OutboxMessage
from rapport.customers.tests.factories import AssetFactory, CustomerFactory
from rapport.interactions.models import Interaction

from .conftest import NOW, at

pytestmark = pytest.mark.django_db
PHONE = "13800138000"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _ask(client, capture, phone=PHONE, **extra):
    with capture(execute=True):
        return client.post(reverse("appointments:selfbook"), {"phone": phone}, **extra)


def _code() -> str:
    body = OutboxMessage.objects.filter(source="selfbook_code").latest("pk").body
    return re.search(r"\d{6}", body).group()


def _verify(client, code, phone=PHONE, **extra):
    return client.post(
        reverse("appointments:selfbook-verify"), {"phone": phone, "code": code}, **extra
    )


@pytest.fixture
def signed_in(client, car, django_capture_on_commit_callbacks):
    _ask(client, django_capture_on_commit_callbacks)
    assert _verify(client, _code()).status_code == 302
    return client


def _page(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# -- the code ----------------------------------------------------------------------------------


def test_it_sends_a_code_through_the_outbox_and_keeps_only_its_hash(
    client, car, django_capture_on_commit_callbacks
):
    response = _ask(client, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    assert "如果该号码已在我们这里登记" in response.content.decode()
    sms = OutboxMessage.objects.get(source="selfbook_code")
    assert (sms.channel, sms.to_address, sms.customer_id) == (
        "sms",
        "+8613800138000",
        car.customer_id,
    )
    code = _code()
    assert code not in sms.summary
    row = SelfBookingCode.objects.get()
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at == NOW + timedelta(minutes=10)


def test_it_answers_an_unknown_number_exactly_like_a_known_one(
    client, car, django_capture_on_commit_callbacks
):
    with CaptureQueriesContext(connection) as known_queries:
        known = client.post(reverse("appointments:selfbook"), {"phone": PHONE})
    with CaptureQueriesContext(connection) as unknown_queries:
        unknown = client.post(reverse("appointments:selfbook"), {"phone": "13900001111"})

    assert known.status_code == unknown.status_code == 200
    assert _page(known).replace("13800138000", "N") == _page(unknown).replace("13900001111", "N")
    assert len(known_queries) == len(unknown_queries)
    with django_capture_on_commit_callbacks(execute=True):
        pass
    assert not OutboxMessage.objects.filter(customer__identities__value="+8613900001111").exists()
    # And its code is refused like any wrong code, never signing anyone in.
    response = _verify(client, "123456", phone="13900001111")
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()


def test_it_signs_in_with_the_code_once_only(client, car, django_capture_on_commit_callbacks):
    _ask(client, django_capture_on_commit_callbacks)
    code = _code()

    response = _verify(client, code)
    assert response.status_code == 302
    assert response.url == reverse("appointments:selfbook-home")
    assert client.get(reverse("appointments:selfbook-home")).status_code == 200

    other = client.__class__()
    again = _verify(other, code)
    assert again.status_code == 400
    assert "已失效" in again.content.decode()
    assert other.get(reverse("appointments:selfbook-home")).status_code == 302


def test_it_refuses_wrong_codes_and_stops_after_five(
    client, car, django_capture_on_commit_callbacks
):
    _ask(client, django_capture_on_commit_callbacks)
    code = _code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    first = _verify(client, wrong)
    assert first.status_code == 400 and "还可以试 4 次" in first.content.decode()
    for _ in range(4):
        _verify(client, wrong)
    last = _verify(client, code)  # the right code, too late

    assert last.status_code == 400 and "错误次数过多" in last.content.decode()
    assert SelfBookingCode.objects.get().used_at is None
    assert client.get(reverse("appointments:selfbook-home")).status_code == 302


def test_it_refuses_an_expired_code(client, car, django_capture_on_commit_callbacks, _frozen):
    _ask(client, django_capture_on_commit_callbacks)
    code = _code()
    _frozen.shift(timedelta(minutes=10, seconds=1))

    response = _verify(client, code)

    assert response.status_code == 400 and "已失效" in response.content.decode()


def test_it_rate_limits_code_requests_per_number_and_per_address(
    client, car, django_capture_on_commit_callbacks, _frozen
):
    assert _ask(client, django_capture_on_commit_callbacks).status_code == 200
    soon = _ask(client, django_capture_on_commit_callbacks)
    assert soon.status_code == 429 and "秒后" in soon.content.decode()
    for _ in range(4):
        _frozen.shift(timedelta(seconds=61))
        assert _ask(client, django_capture_on_commit_callbacks).status_code == 200
    _frozen.shift(timedelta(seconds=61))
    sixth = _ask(client, django_capture_on_commit_callbacks, REMOTE_ADDR="10.8.8.8")
    assert sixth.status_code == 429 and sixth["Retry-After"]
    assert SelfBookingCode.objects.count() == 5
    assert OutboxMessage.objects.filter(source="selfbook_code").count() == 5

    for n in range(15):  # other numbers from the same address: 20 an hour in all
        _ask(client, django_capture_on_commit_callbacks, phone=f"1390000{n:04d}")
    blocked = _ask(client, django_capture_on_commit_callbacks, phone="13911112222")
    assert blocked.status_code == 429
    assert not SelfBookingCode.objects.filter(phone="+8613911112222").exists()
    other_address = _ask(
        client, django_capture_on_commit_callbacks, phone="13911112222", REMOTE_ADDR="10.9.9.9"
    )
    assert other_address.status_code == 200


def test_the_per_number_limits_hold_in_every_process(
    client, car, django_capture_on_commit_callbacks, _frozen
):
    for _ in range(5):
        assert _ask(client, django_capture_on_commit_callbacks).status_code == 200
        _frozen.shift(timedelta(seconds=61))
    cache.clear()  # another web process: its own (empty) memory

    assert _ask(client, django_capture_on_commit_callbacks).status_code == 429


def test_it_rate_limits_code_checks_per_number(
    client, car, django_capture_on_commit_callbacks, _frozen
):
    for _ in range(2):
        _ask(client, django_capture_on_commit_callbacks)
        for _ in range(5):
            _verify(client, "000000")
        _frozen.shift(timedelta(seconds=61))

    assert _verify(client, "000000").status_code == 429


def test_it_signs_out(signed_in):
    response = signed_in.post(reverse("appointments:selfbook-logout"))

    assert response.status_code == 302
    assert SelfBookingCode.objects.get().ended_at == NOW
    assert signed_in.get(reverse("appointments:selfbook-home")).status_code == 302


def test_the_sign_in_expires(signed_in, _frozen):
    _frozen.shift(timedelta(minutes=31))

    assert signed_in.get(reverse("appointments:selfbook-home")).status_code == 302


# -- booking, moving, cancelling ----------------------------------------------------------------


def _need(maintenance, car, **extra):
    return {
        "service_type": maintenance.pk,
        "asset": car.pk,
        "customer_words": "刹车有点软",
        "wish": "2027-02-03",
        **extra,
    }


def test_it_shows_the_same_three_levelled_times_as_the_staff_page(
    signed_in, car, maintenance, workshop
):
    response = signed_in.get(reverse("appointments:selfbook-new"), _need(maintenance, car))

    assert response.status_code == 200
    expected = capacity.slot_proposals(service_type=maintenance, wish=date(2027, 2, 3))
    assert [p.starts_at for p in response.context["proposals"]] == [p.starts_at for p in expected]
    assert response.content.decode().count('name="starts_at"') == 3


def test_it_books_the_chosen_time_as_self_service_on_the_timeline(
    signed_in, car, maintenance, workshop
):
    when = at(date(2027, 2, 3), 9, 30)
    response = signed_in.post(
        reverse("appointments:selfbook-new"),
        _need(maintenance, car, starts_at=when.isoformat()),
    )

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.customer, appointment.asset, appointment.starts_at) == (
        car.customer,
        car,
        when,
    )
    assert (appointment.channel, appointment.booked_by, appointment.customer_words) == (
        "self",
        None,
        "刹车有点软",
    )
    entry = Interaction.objects.get(customer=car.customer, summary__contains="预约")
    assert (entry.channel, entry.direction) == ("web_form", "inbound")
    home = signed_in.get(reverse("appointments:selfbook-home"))
    assert appointment.number in home.content.decode()


def test_it_offers_the_next_times_when_the_slot_was_taken_meanwhile(
    signed_in, agent, car, big_job, workshop
):
    when = at(date(2027, 2, 3), 9)
    other = AssetFactory(customer=CustomerFactory(name="赵女士"))
    services.appointment_book(
        by=agent, customer=other.customer, asset=other, service_type=big_job, starts_at=when
    )
    buckets = list(CapacityBucket.objects.values_list("pk", "booked_minutes"))

    response = signed_in.post(
        reverse("appointments:selfbook-new"), _need(big_job, car, starts_at=when.isoformat())
    )

    assert response.status_code == 409
    assert (
        "以下是最近的空闲时间" in response.content.decode()
        or "另一个预约" in response.content.decode()
    )
    assert len(response.context["proposals"]) >= 1
    assert Appointment.objects.filter(customer=car.customer).count() == 0
    assert list(CapacityBucket.objects.values_list("pk", "booked_minutes")) == buckets


@pytest.mark.parametrize(
    ("starts_at", "words"),
    [
        (at(date(2027, 2, 9), 9), "春节"),  # a holiday
        (at(date(2027, 1, 29), 9), "已过去"),  # the past
    ],
)
def test_it_refuses_a_holiday_or_the_past_and_saves_nothing(
    signed_in, car, maintenance, workshop, starts_at, words
):
    response = signed_in.post(
        reverse("appointments:selfbook-new"),
        _need(maintenance, car, starts_at=starts_at.isoformat()),
    )

    assert response.status_code in (400, 409)
    assert words in response.content.decode()
    assert not Appointment.objects.exists()
    assert not CapacityBucket.objects.filter(booked_minutes__gt=0).exists()


def _booked(agent, car, service_type, when):
    return services.appointment_book(
        by=agent, customer=car.customer, asset=car, service_type=service_type, starts_at=when
    )


def test_it_moves_an_appointment_to_a_proposed_time(signed_in, agent, car, maintenance, workshop):
    old = _booked(agent, car, maintenance, at(date(2027, 2, 3), 9))
    page = signed_in.get(reverse("appointments:selfbook-move", args=[old.pk]))
    assert page.status_code == 200 and page.context["proposals"]
    new_time = at(date(2027, 2, 4), 10)

    response = signed_in.post(
        reverse("appointments:selfbook-move", args=[old.pk]), {"starts_at": new_time.isoformat()}
    )

    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == "rescheduled" and old.rescheduled_to.starts_at == new_time
    assert old.state_reason == "客户在线改期。"


def test_moving_a_booking_of_a_service_no_longer_offered_is_refused_not_an_error(
    signed_in, agent, car, maintenance, workshop
):
    old = _booked(agent, car, maintenance, at(date(2027, 2, 3), 9))
    maintenance.is_active = False
    maintenance.save(update_fields=["is_active"])

    response = signed_in.post(
        reverse("appointments:selfbook-move", args=[old.pk]),
        {"starts_at": at(date(2027, 2, 4), 10).isoformat()},
    )

    assert response.status_code == 400
    assert "该服务类型已停用" in response.content.decode()
    old.refresh_from_db()
    assert old.state == "booked" and old.rescheduled_to is None
    assert Appointment.objects.count() == 1


def test_it_cancels_with_a_reason_and_refuses_without(signed_in, agent, car, maintenance, workshop):
    appointment = _booked(agent, car, maintenance, at(date(2027, 2, 3), 9))
    url = reverse("appointments:selfbook-cancel", args=[appointment.pk])

    refused = signed_in.post(url, {"reason": ""})
    appointment.refresh_from_db()
    assert refused.status_code == 400 and appointment.state == "booked"

    response = signed_in.post(url, {"reason": "临时出差"})
    appointment.refresh_from_db()
    assert response.status_code == 302
    assert (appointment.state, appointment.state_reason) == ("cancelled", "临时出差")
    assert not CapacityBucket.objects.filter(booked_minutes__gt=0).exists()


def test_another_customers_appointment_is_not_found(signed_in, agent, maintenance, workshop):
    stranger = AssetFactory(customer=CustomerFactory(name="赵女士"))
    theirs = _booked(agent, stranger, maintenance, at(date(2027, 2, 3), 9))

    moved = signed_in.get(reverse("appointments:selfbook-move", args=[theirs.pk]))
    cancelled = signed_in.post(
        reverse("appointments:selfbook-cancel", args=[theirs.pk]), {"reason": "x"}
    )

    assert moved.status_code == cancelled.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == "booked"


# -- pinned query counts -----------------------------------------------------------------------


def test_the_public_pages_run_a_fixed_number_of_queries(
    client, signed_in, agent, car, maintenance, workshop, django_assert_num_queries
):
    _booked(agent, car, maintenance, at(date(2027, 2, 3), 9))
    _booked(agent, car, maintenance, at(date(2027, 2, 4), 9))
    anonymous = client.__class__()
    with django_assert_num_queries(0):
        assert anonymous.get(reverse("appointments:selfbook")).status_code == 200
    with django_assert_num_queries(5):
        assert signed_in.get(reverse("appointments:selfbook-home")).status_code == 200
    with django_assert_num_queries(10):
        signed_in.get(reverse("appointments:selfbook-new"), _need(maintenance, car))


def test_the_self_booking_pages_follow_the_browsers_language(
    client, car, django_capture_on_commit_callbacks
):
    english = {"Accept-Language": "en-US,en;q=0.9"}
    start = client.get(reverse("appointments:selfbook"), headers=english).content.decode()
    assert "Book a service visit" in start and "预约到店服务" not in start
    assert "预约到店服务" in client.get(reverse("appointments:selfbook")).content.decode()

    _ask(client, django_capture_on_commit_callbacks)
    assert _verify(client, _code()).status_code == 302
    mine = client.get(reverse("appointments:selfbook-home"), headers=english).content.decode()
    assert "My appointments" in mine and "我的预约" not in mine
