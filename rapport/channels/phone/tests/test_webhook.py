"""The call-event webhook: signature, replay window, duplicates, order, and what it records."""

import base64
import json
import time

import pytest

from rapport.channels.models import ChannelAccount
from rapport.channels.phone.models import Call, CallEvent
from rapport.channels.phone.tests.conftest import event, signed_post
from rapport.channels.webhook_api import webhook_signature
from rapport.customers.models import Customer
from rapport.interactions.models import FollowUpTask, Interaction
from rapport.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_ringing_matches_the_caller_and_the_representative(client, phone_account, caller, desk):
    response = signed_post(client, phone_account.pk, event())

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "ringing" and body["duplicate"] is False
    call = Call.objects.get()
    assert call.customer == caller and call.agent == desk
    assert call.customer_number == "+8613800138000"
    assert call.masked_number == "138****8000"
    assert not Interaction.objects.exists()


def test_a_wrong_signature_is_refused_and_nothing_is_stored(client, phone_account, caller):
    body = json.dumps(event()).encode()
    ts = str(int(time.time()))
    bad = webhook_signature("not-the-secret", ts, body)

    response = signed_post(client, phone_account.pk, body, timestamp=ts, signature=bad)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert not Call.objects.exists() and not CallEvent.objects.exists()


def test_a_replayed_request_older_than_five_minutes_is_refused(client, phone_account):
    stale = str(int(time.time()) - 301)

    response = signed_post(client, phone_account.pk, event(), timestamp=stale)

    assert response.status_code == 401
    assert not CallEvent.objects.exists()


def test_unknown_and_email_accounts_look_like_a_bad_signature(client, phone_account, team):
    mail = ChannelAccount.objects.create(
        kind="email", name="邮箱", address="s@x.example", default_team=team
    )
    assert signed_post(client, 999999, event()).status_code == 401
    assert signed_post(client, mail.pk, event()).status_code == 401


def test_a_duplicate_event_is_one_record(client, phone_account, caller, desk):
    first = signed_post(client, phone_account.pk, event())
    again = signed_post(client, phone_account.pk, event())

    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["event_id"] == first.json()["event_id"]
    assert CallEvent.objects.count() == 1 and Call.objects.count() == 1


def test_a_full_call_records_one_interaction_for_the_representative(
    client, phone_account, caller, desk
):
    for kind, extra in [
        ("ringing", {}),
        ("answered", {}),
        ("ended", {"duration": 192, "hangup_side": "customer"}),
        ("ended", {"duration": 192}),  # a retry of the end
    ]:
        assert signed_post(client, phone_account.pk, event(kind=kind, **extra)).status_code == 200

    call = Call.objects.get()
    assert call.state == Call.State.ENDED
    assert call.duration_seconds == 192 and call.hangup_side == "customer"
    interaction = Interaction.objects.get()
    assert call.interaction == interaction
    assert interaction.channel == "phone" and interaction.direction == "inbound"
    assert interaction.duration_seconds == 192
    assert interaction.staff == desk and interaction.customer == caller
    assert "3 分 12 秒" in interaction.summary or "3 min 12 s" in interaction.summary
    assert not FollowUpTask.objects.exists()


def test_ended_before_answered_still_records_the_call_once(client, phone_account, caller, desk):
    signed_post(client, phone_account.pk, event(kind="ended", duration=60))
    late = signed_post(client, phone_account.pk, event(kind="answered"))
    ringing = signed_post(client, phone_account.pk, event(kind="ringing"))

    assert late.json()["outcome"] == "late" and ringing.json()["outcome"] == "late"
    call = Call.objects.get()
    assert call.state == Call.State.ENDED and call.duration_seconds == 60
    assert call.answered_at is not None
    assert Interaction.objects.count() == 1
    assert not FollowUpTask.objects.exists()


def test_a_missed_call_creates_one_call_back_task(client, phone_account, caller, desk):
    signed_post(client, phone_account.pk, event())
    signed_post(client, phone_account.pk, event(kind="missed"))
    signed_post(client, phone_account.pk, event(kind="missed"))
    after = signed_post(client, phone_account.pk, event(kind="ended", duration=0))

    assert after.json()["outcome"] == "ignored"
    call = Call.objects.get()
    assert call.state == Call.State.MISSED
    task = FollowUpTask.objects.get()
    assert call.callback_task == task
    assert task.customer == caller and task.assignee == desk
    assert task.assignee_team == phone_account.default_team
    assert "138****8000" in task.title and "13800138000" not in task.title
    assert Interaction.objects.get().pk == task.interaction_id
    # …and the representative is told in the bell, once per call and kind.
    told = Notification.objects.filter(recipient=desk).order_by("id")
    assert [n.kind for n in told] == ["incoming_call", "call_missed"]


def test_an_ended_call_nobody_answered_is_a_missed_call(client, phone_account, caller, desk):
    signed_post(client, phone_account.pk, event())
    signed_post(client, phone_account.pk, event(kind="ended", duration=0))

    assert Call.objects.get().state == Call.State.MISSED
    assert FollowUpTask.objects.count() == 1


def test_an_unknown_event_type_is_recorded_with_the_reason(client, phone_account, caller):
    response = signed_post(client, phone_account.pk, event(kind="transferred"))

    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    row = CallEvent.objects.get()
    assert row.event_type == "transferred" and "transferred" in row.reason
    assert not Call.objects.exists()


def test_an_unknown_caller_becomes_a_potential_customer_at_the_end(client, phone_account, desk):
    number = {"from": "010-6552 9988"}
    signed_post(client, phone_account.pk, event(**number))
    assert Call.objects.get().customer is None

    signed_post(client, phone_account.pk, event(kind="answered", **number))
    signed_post(client, phone_account.pk, event(kind="ended", duration=30, **number))

    call = Call.objects.get()
    assert call.customer.tier == Customer.Tier.POTENTIAL
    assert call.customer.identities.get().value == "+861065529988"
    assert call.interaction.customer == call.customer


@pytest.mark.parametrize(
    "raw",
    ["+8613800138000", "8613800138000", "008613800138000", "138 0013 8000", "138-0013-8000"],
)
def test_the_caller_is_matched_in_any_format(client, phone_account, caller, raw):
    signed_post(client, phone_account.pk, event(**{"from": raw}))

    assert Call.objects.get().customer == caller


def test_a_landline_with_or_without_the_area_code_zero_matches(client, phone_account):
    from rapport.customers.services import IdentityInput, customer_create

    firm = customer_create(
        by=None, name="瑞丰科技", identities=[IdentityInput("phone", "010 6552 9988")]
    )
    for n, raw in enumerate(["01065529988", "+86 10 6552 9988", "861065529988"]):
        signed_post(client, phone_account.pk, event(call_id=f"l{n}", **{"from": raw}))

    assert set(Call.objects.values_list("customer", flat=True)) == {firm.pk}


def test_an_outbound_call_matches_the_called_number(client, phone_account, caller, desk):
    payload = event(direction="outbound", **{"from": "8001", "to": "13800138000"})
    signed_post(client, phone_account.pk, payload)

    call = Call.objects.get()
    assert call.direction == "outbound" and call.customer == caller


def test_the_agent_is_matched_through_the_accounts_mapping(client, phone_account, caller, desk):
    phone_account.config = {"agents": {"seat-7@tccc": desk.username}}
    phone_account.save()

    signed_post(client, phone_account.pk, event(agent={"id": "seat-7@tccc"}))

    assert Call.objects.get().agent == desk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"not json", "body"),
        (b"[1, 2]", "body"),
        (b"", "body"),
        (json.dumps({"event": "ringing"}).encode(), "call_id"),
        (json.dumps({"call_id": "x"}).encode(), "event"),
        (json.dumps({"call_id": "x", "event": "ended", "duration": -5}).encode(), "duration"),
        (json.dumps({"call_id": "x", "event": "ended", "duration": "abc"}).encode(), "duration"),
        (json.dumps({"call_id": "x" * 200, "event": "ringing"}).encode(), "call_id"),
        (json.dumps({"call_id": "x", "event": "ringing", "direction": "up"}).encode(), "direction"),
        (
            json.dumps({"call_id": "x", "event": "ringing", "occurred_at": "soon"}).encode(),
            "occurred_at",
        ),
        (
            json.dumps(
                {"call_id": "x", "event": "recording", "recording_url": "javascript:alert(1)"}
            ).encode(),
            "recording_url",
        ),
        (json.dumps({"call_id": "x", "event": "ringing", "agent": "8001"}).encode(), "agent"),
        (json.dumps({"call_id": ["x"], "event": "ringing"}).encode(), "call_id"),
        (b'{"call_id": "x", "event": "ended", "duration": 1e400}', "duration"),
        (b'{"call_id": "x", "event": "ended", "duration": NaN}', "body"),
        (b'{"call_id": "x", "event": "ringing", "note": "a\\u0000b"}', "body"),
        (
            b'{"call_id": "x", "event": "ringing", "deep": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
            "body",
        ),
        (b"\xff\xfe not utf-8", "body"),
        (
            json.dumps({"call_id": "x", "event": "recording", "recording_url": "http://"}).encode(),
            "recording_url",
        ),
    ],
)
def test_bad_input_is_a_field_named_422_and_stores_nothing(client, phone_account, payload, field):
    response = signed_post(client, phone_account.pk, payload)

    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not CallEvent.objects.exists() and not Call.objects.exists()


def test_a_body_over_the_limit_is_413(client, phone_account):
    body = json.dumps(event(padding="x" * 70_000)).encode()

    assert signed_post(client, phone_account.pk, body).status_code == 413


def test_a_recording_link_is_kept(client, phone_account, caller):
    signed_post(client, phone_account.pk, event())
    signed_post(
        client,
        phone_account.pk,
        event(kind="recording", recording_url="https://rec.example.cn/c-1.mp3"),
    )

    assert Call.objects.get().recording_url == "https://rec.example.cn/c-1.mp3"


def test_an_event_time_in_the_far_future_is_replaced_by_the_arrival_time(
    client, phone_account, caller, desk
):
    signed_post(client, phone_account.pk, event(occurred_at="2099-01-01T00:00:00+08:00"))
    signed_post(client, phone_account.pk, event(kind="ended", duration=5, occurred_at=4070880000))

    call = Call.objects.get()
    assert call.started_at.year < 2099 and call.interaction is not None


# -- Tencent Cloud Contact Center (TCCC) phone CDR push ---------------------------------------

TCCC_CDR = {
    "SdkAppId": 1400000000,
    "SessionId": "e97be0ab-1ef6-4ad2-a8c4-2b2bbfb18e55",
    "Caller": "008613800138000",
    "Callee": "4008001234",
    "Direction": 0,
    "CallType": 2,
    "StartTimestamp": int(time.time()) - 300,
    "RingTimestamp": int(time.time()) - 290,
    "AcceptTimestamp": int(time.time()) - 280,
    "EndedTimestamp": int(time.time()) - 100,
    "Duration": 180,
    "EndStatusString": "ok",
    "HungUpSide": "user",
    "SeatUser": {"UserId": "chenxm@example.cn", "StaffNumber": "8001", "Name": "陈晓敏"},
    "RecordURL": "https://ccc.example.tencent/record/e97be0ab.mp3",
}


def tccc_post(client, account_id, payload, user="tccc", password="pw-123"):
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    return client.post(
        f"/api/v1/channels/phone/{account_id}/tccc?action=cdr&version=1",
        data=json.dumps(payload),
        content_type="application/json;charset=utf8",
        headers={"Authorization": f"Basic {auth}", "X-TCCC-PUSH-UUID": "u-1"},
    )


def test_a_tccc_cdr_records_the_answered_call(client, phone_account, caller, desk):
    response = tccc_post(client, phone_account.pk, TCCC_CDR)

    assert response.status_code == 200 and response.json() == {"ErrCode": 0, "ErrMsg": ""}
    call = Call.objects.get()
    assert call.state == Call.State.ENDED and call.customer == caller and call.agent == desk
    assert call.duration_seconds == 180 and call.hangup_side == "customer"
    assert call.recording_url.endswith("e97be0ab.mp3")
    assert sorted(call.events.values_list("event_type", flat=True)) == [
        "answered",
        "ended",
        "ringing",
    ]
    assert Interaction.objects.get().duration_seconds == 180


def test_a_repeated_tccc_push_is_one_call(client, phone_account, caller, desk):
    tccc_post(client, phone_account.pk, TCCC_CDR)
    tccc_post(client, phone_account.pk, TCCC_CDR)

    assert Call.objects.count() == 1 and CallEvent.objects.count() == 3
    assert Interaction.objects.count() == 1


def test_a_tccc_cdr_nobody_answered_is_a_missed_call(client, phone_account, caller, desk):
    missed = {**TCCC_CDR, "AcceptTimestamp": 0, "Duration": 0, "EndStatusString": "ringingGiveUp"}

    tccc_post(client, phone_account.pk, missed)

    assert Call.objects.get().state == Call.State.MISSED
    assert FollowUpTask.objects.count() == 1


def test_tccc_with_the_wrong_password_is_refused(client, phone_account, caller):
    response = tccc_post(client, phone_account.pk, TCCC_CDR, password="guess")

    assert response.status_code == 401
    assert not Call.objects.exists()


def test_a_malformed_tccc_cdr_names_the_field(client, phone_account):
    response = tccc_post(client, phone_account.pk, {**TCCC_CDR, "Direction": 7})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Direction"
