"""The statements written once for the paths every message takes: the day markers of the
rollups (rollup_days), an INSERT as the ORM would make it (rawsql.insert_row), and a task queued
with its row (enqueue)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.tasks import task
from django.test.utils import CaptureQueriesContext

from rapport.core.enqueue import enqueue_for_row, enqueue_for_rows
from rapport.core.rawsql import insert_row, insert_rows
from rapport.core.rollup_days import touch_days
from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Interaction, InteractionRollupDay
from rapport.interactions.tests.factories import InteractionFactory
from rapport.sla.models import ComplianceRollupDay
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def test_touch_days_makes_missing_markers_and_counts_up_known_ones_in_one_statement():
    InteractionRollupDay.objects.create(day=DAY, version=5, built_version=5)
    with CaptureQueriesContext(connection) as queries:
        assert touch_days(InteractionRollupDay, [DAY + timedelta(days=1), DAY, DAY]) == 2
    assert len(queries) == 1
    versions = dict(InteractionRollupDay.objects.values_list("day", "version"))
    assert versions == {DAY: 6, DAY + timedelta(days=1): 1}
    # The build mark is left alone: the day now reads as changed.
    assert InteractionRollupDay.objects.get(day=DAY).built_version == 5
    touch_days(InteractionRollupDay, [DAY + timedelta(days=1)])
    assert InteractionRollupDay.objects.get(day=DAY + timedelta(days=1)).version == 2


def test_touch_days_of_nothing_writes_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert touch_days(ComplianceRollupDay, []) == 0
    assert len(queries) == 0


def test_touch_days_is_per_model():
    touch_days(ComplianceRollupDay, [DAY])
    touch_days(ComplianceRollupDay, [DAY])
    assert ComplianceRollupDay.objects.get(day=DAY).version == 2
    assert not InteractionRollupDay.objects.exists()


def _interaction() -> Interaction:
    return InteractionFactory.build(customer=CustomerFactory(), staff=StaffFactory())


def test_insert_row_writes_what_save_would():
    raw, orm = _interaction(), _interaction()
    with CaptureQueriesContext(connection) as queries:
        insert_row(connection, raw)
    assert len(queries) == 1
    orm.save()
    assert raw.pk is not None and raw.pk != orm.pk
    assert raw._state.adding is False and raw._state.db == "default"
    stored = Interaction.objects.get(pk=raw.pk)
    skip = {"id", "customer", "staff", "first_responder", "handler"}
    as_read = {k: v for k, v in model_to_dict(stored).items() if k not in skip}
    as_given = {k: v for k, v in model_to_dict(raw).items() if k not in skip}
    assert as_read == as_given
    assert stored.customer_id == raw.customer_id and stored.staff_id == raw.staff_id
    # The same columns as the ORM's own save wrote for the other row.
    assert set(model_to_dict(Interaction.objects.get(pk=orm.pk))) == set(model_to_dict(stored))


def test_insert_row_refuses_an_unsaved_related_row():
    interaction = _interaction()
    interaction.customer = CustomerFactory.build()
    with pytest.raises(ValueError):
        insert_row(connection, interaction)
    assert not Interaction.objects.exists()


calls: list[int] = []


@task()
def remember(*, n: int) -> None:
    calls.append(n)


def test_with_the_immediate_backend_the_task_runs_after_the_commit(
    django_capture_on_commit_callbacks,
):
    calls.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_for_row(remember, on_error=lambda: None, n=1)
        assert calls == []  # not before the row it is for is committed
    assert len(callbacks) == 1
    assert calls == [1]


def test_with_the_immediate_backend_a_rollback_runs_nothing(django_capture_on_commit_callbacks):
    calls.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        enqueue_for_row(remember, on_error=lambda: None, n=2)
        raise RuntimeError
    assert callbacks == [] and calls == []


def test_with_the_database_backend_the_task_is_written_in_the_callers_transaction(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_for_row(remember, on_error=lambda: None, n=3)
        assert DBTaskResult.objects.count() == before + 1  # already in this transaction
        raise RuntimeError
    assert DBTaskResult.objects.count() == before  # the rollback took it with the rows
    with transaction.atomic():
        enqueue_for_row(remember, on_error=lambda: None, n=4)
    assert DBTaskResult.objects.count() == before + 1


def test_the_task_row_is_the_one_the_backend_itself_writes(settings):
    """Guards the shortcut: an upgrade of django-tasks-db that writes its rows differently
    fails here."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    own = DBTaskResult.objects.get(pk=remember.enqueue(n=6).id)
    with transaction.atomic():
        enqueue_for_row(remember, on_error=lambda: None, n=6)
    ours = DBTaskResult.objects.exclude(pk=own.pk).get()
    skip = {"id", "enqueued_at"}
    fields = [f.attname for f in DBTaskResult._meta.concrete_fields if f.attname not in skip]
    assert {f: getattr(ours, f) for f in fields} == {f: getattr(own, f) for f in fields}
    assert ours.enqueued_at is not None
    assert ours.task_result.kwargs == {"n": 6} and ours.task_result.task.func is remember.func


def test_a_failure_to_queue_is_reported_and_leaves_the_transaction_usable(settings, monkeypatch):
    from rapport.core import enqueue

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    made = enqueue.task_row

    def out_of_range(task, backend, kwargs):
        row = made(task, backend, kwargs)
        row.priority = 10_000  # the table's check constraint refuses it
        return row

    monkeypatch.setattr(enqueue, "task_row", out_of_range)
    failures = []
    with transaction.atomic():
        enqueue_for_row(remember, on_error=lambda: failures.append(1), n=5)
        InteractionRollupDay.objects.create(day=DAY)  # the caller's transaction goes on
    assert failures == [1]
    assert InteractionRollupDay.objects.filter(day=DAY).exists()


def test_a_template_is_kept_per_process_and_a_save_here_is_used_at_once(account, customer):
    from rapport.channels.models import MessageTemplate
    from rapport.channels.services import outbox_queue

    def queue(key: str):
        return outbox_queue(
            customer=customer,
            purpose="service",
            source="test",
            template_code="acknowledgement",
            context={"subject": "刹车异响"},
            channel="email",
            idempotency_key=key,
        )

    template = MessageTemplate.objects.get(code="acknowledgement")
    first = queue("t1")
    with CaptureQueriesContext(connection) as queries:
        queue("t2")
    assert not any("channels_messagetemplate" in q["sql"] for q in queries.captured_queries)
    template.body_zh = "已收到：{{ subject }}"
    template.save()
    assert queue("t3").body == "已收到：刹车异响" != first.body
    template.is_active = False
    template.save()
    with pytest.raises(ValidationError) as refused:
        queue("t4")
    assert "template_code" in refused.value.message_dict


def test_insert_row_can_skip_a_row_that_breaks_a_unique_constraint():
    first = insert_row(connection, InteractionRollupDay(day=DAY, version=3), skip_conflict=True)
    assert first is not None and first.pk is not None
    with CaptureQueriesContext(connection) as queries:
        again = insert_row(connection, InteractionRollupDay(day=DAY, version=9), skip_conflict=True)
    assert again is None and len(queries) == 1  # no savepoint needed
    assert InteractionRollupDay.objects.get(day=DAY).version == 3


def test_insert_rows_writes_several_rows_in_one_statement_as_save_would():
    rows = [_interaction() for _n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        written = insert_rows(connection, rows)
    assert len(queries) == 1 and written == rows
    for row in rows:
        stored = Interaction.objects.get(pk=row.pk)
        assert (stored.customer_id, stored.summary) == (row.customer_id, row.summary)
        assert row._state.adding is False
    assert len({row.pk for row in rows}) == 3


def test_insert_rows_skipping_conflicts_tells_which_rows_were_written():
    insert_row(connection, InteractionRollupDay(day=DAY, version=3))
    later = DAY + timedelta(days=1)
    rows = [
        InteractionRollupDay(day=DAY, version=9),  # already there
        InteractionRollupDay(day=later, version=1),
        InteractionRollupDay(day=later, version=2),  # the same day again, in the same batch
    ]
    written = insert_rows(connection, rows, skip_conflict=True, match=("day",))
    assert written == [rows[1]] and rows[1].pk is not None
    assert rows[0].pk is None and rows[2].pk is None
    assert dict(InteractionRollupDay.objects.values_list("day", "version")) == {DAY: 3, later: 1}
    with pytest.raises(ValueError):
        insert_rows(connection, rows, skip_conflict=True)  # which rows? it must be told


def test_tasks_for_several_rows_are_written_together_and_a_failure_reported_once(
    settings, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    from rapport.core import enqueue

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        enqueue_for_rows(remember, [{"n": 7}, {"n": 8}], on_error=lambda: None)
    assert sum("INSERT" in q["sql"] for q in queries.captured_queries) == 1
    assert sorted(r.task_result.kwargs["n"] for r in DBTaskResult.objects.all()) == [7, 8]

    made = enqueue.task_row

    def out_of_range(task, backend, kwargs):
        row = made(task, backend, kwargs)
        row.priority = 10_000 if kwargs["n"] == 10 else row.priority
        return row

    monkeypatch.setattr(enqueue, "task_row", out_of_range)
    failures = []
    with transaction.atomic():
        enqueue_for_rows(remember, [{"n": 9}, {"n": 10}], on_error=lambda: failures.append(1))
    assert failures == [1] and DBTaskResult.objects.count() == 2  # none of that batch
