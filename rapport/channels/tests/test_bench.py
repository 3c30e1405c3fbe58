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
