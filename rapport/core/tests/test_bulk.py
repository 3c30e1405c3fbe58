from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rapport.core.bulk import MAX_BULK_ITEMS, bulk_ids, bulk_run
from rapport.core.errors import Conflict
from rapport.core.models import PeriodicRun

pytestmark = pytest.mark.django_db


def _runs(*names):
    now = timezone.now()
    return {r.pk: r for r in (PeriodicRun.objects.create(name=n, next_run_at=now) for n in names)}


def _delay(run):
    """A stand-in service: writes, then refuses the runs named 'refuse' after writing."""
    run.next_run_at += timedelta(hours=1)
    run.save(update_fields=["next_run_at"])
    if run.name.startswith("refuse"):
        raise Conflict("Already claimed by another worker.")
    if run.name.startswith("invalid"):
        raise ValidationError({"next_run_at": ["Pick a later time."]})


def test_it_says_what_happened_to_each_item_in_the_order_given():
    found = _runs("a", "refuse-b", "invalid-c", "d")
    ids = [*found, 999_999]

    result = bulk_run(ids=ids, found=found, act=_delay, label=lambda r: r.name)

    assert [o.item_id for o in result.outcomes] == ids
    assert [o.ok for o in result.outcomes] == [True, False, False, True, False]
    assert result.done_count == 2 and result.refused_count == 3
    refused = {o.label: (o.code, o.reason) for o in result.refused}
    assert refused["refuse-b"] == ("conflict", "Already claimed by another worker.")
    assert refused["invalid-c"] == ("invalid", "Pick a later time.")
    assert refused["999999"][0] == "not_found"


def test_a_refused_item_keeps_nothing_of_what_its_service_wrote():
    found = _runs("a", "refuse-b", "invalid-c")
    before = {pk: r.next_run_at for pk, r in found.items()}

    bulk_run(ids=list(found), found=found, act=_delay)

    after = dict(PeriodicRun.objects.values_list("pk", "next_run_at"))
    a, b, c = found
    assert after[a] == before[a] + timedelta(hours=1)
    assert after[b] == before[b]
    assert after[c] == before[c]


def test_a_database_conflict_refuses_only_that_item():
    found = _runs("a", "b")
    a, b = found

    def rename_to_a(run):
        run.name = "a"
        run.save(update_fields=["name"])

    result = bulk_run(ids=[a, b], found=found, act=rename_to_a)

    assert [o.ok for o in result.outcomes] == [True, False]
    assert result.outcomes[1].code == "conflict"
    assert set(PeriodicRun.objects.values_list("name", flat=True)) == {"a", "b"}


def test_refusals_group_by_reason_most_frequent_first():
    found = _runs("refuse-1", "refuse-2", "invalid-3")

    groups = bulk_run(ids=list(found), found=found, act=_delay).refused_by_reason()

    assert [(reason, len(items)) for reason, items in groups] == [
        ("Already claimed by another worker.", 2),
        ("Pick a later time.", 1),
    ]


def test_bulk_ids_keeps_order_and_drops_repeats():
    assert bulk_ids(["3", 1, " 2 ", "3"]) == [3, 1, 2]


@pytest.mark.parametrize("raw", [[], None, ["x"], ["-1"], ["0"], ["1.5"], ["9" * 30]])
def test_bulk_ids_refuses_bad_input_naming_the_field(raw):
    with pytest.raises(ValidationError) as exc:
        bulk_ids(raw)
    assert list(exc.value.message_dict) == ["ids"]


def test_bulk_ids_refuses_more_than_the_limit_with_the_count():
    with pytest.raises(ValidationError) as exc:
        bulk_ids(range(1, MAX_BULK_ITEMS + 2))
    (message,) = exc.value.message_dict["ids"]
    assert str(MAX_BULK_ITEMS) in message and str(MAX_BULK_ITEMS + 1) in message


def test_bulk_ids_refuses_thousands_of_ids_without_reading_them_all():
    with pytest.raises(ValidationError) as exc:
        bulk_ids([str(i) for i in range(1, 100_001)], field_name="ticket_ids")
    (message,) = exc.value.message_dict["ticket_ids"]
    assert "100000" in message
