from datetime import timedelta

from django.utils import timezone

from rapport.core import periodic
from rapport.core.models import PeriodicRun


def test_a_periodic_job_is_claimed_once_per_interval(db, monkeypatch):
    calls = []
    monkeypatch.setattr(periodic, "_registry", {})
    periodic.register("test-sweep", timedelta(minutes=1))(lambda: calls.append(1))
    now = timezone.now()

    first = periodic.run_due_jobs(now)
    second = periodic.run_due_jobs(now + timedelta(seconds=30))  # another worker, same minute
    third = periodic.run_due_jobs(now + timedelta(seconds=61))

    assert (first, second, third) == (["test-sweep"], [], ["test-sweep"])
    assert len(calls) == 2
    assert PeriodicRun.objects.get(name="test-sweep").next_run_at == now + timedelta(seconds=121)


def test_a_failing_job_does_not_stop_the_others(db, monkeypatch):
    monkeypatch.setattr(periodic, "_registry", {})
    ran = []

    def broken():
        raise RuntimeError("boom")

    periodic.register("broken", timedelta(minutes=1))(broken)
    periodic.register("fine", timedelta(minutes=1))(lambda: ran.append("fine"))
    assert periodic.run_due_jobs() == ["fine"]
    assert ran == ["fine"]
