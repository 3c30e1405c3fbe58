from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.interactions.idempotency import (
    IdempotencyKeyReused,
    idempotency_purge,
    idempotent_call,
    request_hash,
)
from rapport.interactions.models import IdempotencyRecord

pytestmark = pytest.mark.django_db


def test_the_action_runs_once_per_key(agent):
    calls = []

    def action():
        calls.append(1)
        return 201, {"id": len(calls)}

    first = idempotent_call(user=agent, endpoint="e", key="k", payload={"a": 1}, action=action)
    second = idempotent_call(user=agent, endpoint="e", key="k", payload={"a": 1}, action=action)

    assert first == (201, {"id": 1}, False)
    assert second == (201, {"id": 1}, True)
    assert len(calls) == 1


def test_without_a_key_the_action_always_runs(agent):
    calls = []

    def action():
        calls.append(1)
        return 200, {}

    idempotent_call(user=agent, endpoint="e", key=None, payload={}, action=action)
    idempotent_call(user=agent, endpoint="e", key="", payload={}, action=action)

    assert len(calls) == 2
    assert not IdempotencyRecord.objects.exists()


def test_same_key_on_another_endpoint_is_independent(agent):
    idempotent_call(user=agent, endpoint="a", key="k", payload={}, action=lambda: (201, {"n": 1}))

    _status, body, replayed = idempotent_call(
        user=agent, endpoint="b", key="k", payload={}, action=lambda: (201, {"n": 2})
    )

    assert (body, replayed) == ({"n": 2}, False)


def test_same_key_with_another_payload_is_refused(agent):
    idempotent_call(user=agent, endpoint="e", key="k", payload={"a": 1}, action=lambda: (201, {}))

    with pytest.raises(IdempotencyKeyReused):
        idempotent_call(
            user=agent, endpoint="e", key="k", payload={"a": 2}, action=lambda: (201, {})
        )


def test_a_failing_action_leaves_no_record(agent):
    def action():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        idempotent_call(user=agent, endpoint="e", key="k", payload={}, action=action)

    assert not IdempotencyRecord.objects.exists()


def test_the_hash_ignores_key_order():
    assert request_hash({"a": 1, "b": 2}) == request_hash({"b": 2, "a": 1})


def test_purge_forgets_old_records(agent):
    idempotent_call(user=agent, endpoint="e", key="old", payload={}, action=lambda: (201, {}))
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    idempotent_call(user=agent, endpoint="e", key="new", payload={}, action=lambda: (201, {}))

    deleted = idempotency_purge(older_than=timezone.now() - timedelta(days=1))

    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
