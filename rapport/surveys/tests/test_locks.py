"""Row locks take the row they mean, not the rows joined to it.

`select_for_update()` with `select_related` locks every joined row on PostgreSQL: delivering a
survey locked its owner's staff row, so a concurrent insert naming that owner (its foreign-key
check takes KEY SHARE on the row at COMMIT) deadlocked against the delivery waiting on the
day's rollup row (the survey sweep's kill drill, 2026-12-07). SQLite has no row locks, so this
runs on PostgreSQL only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rapport.surveys import services
from rapport.surveys.tests.factories import SendFactory
from rapport.surveys.tests.test_services import _answers, _send, customer  # noqa: F401
from rapport.testing.locks import joined_locks

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL"),
]


def test_delivering_and_answering_a_survey_lock_only_the_send(
    agent,
    customer,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with CaptureQueriesContext(connection) as queries:
        with django_capture_on_commit_callbacks(execute=True):
            _send(agent, customer)
        send = SendFactory(owner=agent)
        services.survey_respond(send=send, answers=_answers(send))
    assert any("FOR UPDATE OF" in q["sql"] for q in queries.captured_queries)
    assert joined_locks(queries.captured_queries) == []
