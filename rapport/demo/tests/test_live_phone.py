"""While `rapport demo` serves, the phone rings the demo representative now and then."""

import random

import pytest

from rapport.channels.models import Call
from rapport.customers.services import IdentityInput, customer_create
from rapport.demo.phone import LIVE_CALLS, build_phone, live_call_step
from rapport.interactions.models import FollowUpTask
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_line(db):
    from rapport.staff.tests.factories import TeamFactory

    team = TeamFactory(name="客服一组")
    StaffFactory(username="chenxm", role=User.Role.REPRESENTATIVE, teams=[team])
    for n in range(3):
        customer_create(
            by=None, name=f"客户{n}", identities=[IdentityInput("phone", f"1380013800{n}")]
        )
    build_phone(rng=random.Random(1), users={}, customers=[])


def test_the_demo_line_has_history_that_does_not_greet_the_representative(demo_line):
    assert Call.objects.filter(state="ended", interaction__isnull=False).count() == 1
    missed = Call.objects.get(state="missed")
    assert missed.callback_task is not None
    assert not Call.objects.filter(banner_dismissed_at__isnull=True).exists()


def test_each_tick_rings_then_ends_a_call_until_the_script_ends(demo_line):
    rung = live_call_step()
    assert rung.state == "ringing" and rung.agent.username == "chenxm"
    assert rung.banner_dismissed_at is None and rung.customer is not None

    ended = live_call_step()
    assert ended.pk == rung.pk and ended.state == "ended" and ended.interaction is not None

    for _ in range(2 * LIVE_CALLS):
        live_call_step()
    live = Call.objects.filter(provider_call_id__startswith="demo-live-call-")
    assert live.count() == LIVE_CALLS
    assert not live.filter(state="ringing").exists()
    assert live_call_step() is None
    assert FollowUpTask.objects.filter(title__contains="未接来电").count() >= 2
