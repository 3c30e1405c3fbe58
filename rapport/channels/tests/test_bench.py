import pytest

from rapport.channels import bench
from rapport.channels.models import Conversation, FakeSentMessage, Message

pytestmark = pytest.mark.django_db


def test_the_benchmarks_run_the_whole_pipeline(team):
    inbound = bench.inbound_throughput(6)
    assert inbound["messages"] == 6 and inbound["per_second"] > 0
    # Half are replies by Message-ID: they join the conversation their first mail opened.
    assert Message.objects.filter(direction="inbound").count() == 6
    assert Conversation.objects.count() == 4  # 2 senders: 4 new threads, 2 replies
    outbox = bench.outbox_throughput(4)
    assert outbox["messages"] == 4
    assert FakeSentMessage.objects.filter(idempotency_key__startswith="bench:").count() == 4


def test_batches_report_the_fastest_with_the_median_and_the_slowest():
    rates = iter([50.0, 120.0, 90.0])

    def measure(n):
        rate = next(rates)
        return {
            "messages": n,
            "seconds": n / rate,
            "per_second": rate,
            "cpu_seconds": 1.0,
            "per_cpu_second": rate,
        }

    result = bench.batches(measure, 10, count=3)
    assert result["per_second"] == 120.0 and result["seconds"] == 10 / 120.0
    assert (result["median_per_second"], result["slowest_per_second"]) == (90.0, 50.0)
    assert result["batches"] == 3
