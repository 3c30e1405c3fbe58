"""Policies are edited in hours and minutes with chosen matchers; urgent beats normal by default."""

import pytest
from django.core.exceptions import ValidationError

from rapport.core.models import BusinessCalendar
from rapport.sla.forms import SlaPolicyForm
from rapport.sla.models import SlaPolicy
from rapport.sla.services import policy_for

pytestmark = pytest.mark.django_db


def _data(**over):
    calendar = BusinessCalendar.objects.order_by("id").first()
    data = {
        "name": "夜间热线",
        "calendar": calendar.pk,
        "ticket_kind": "complaint",
        "priority": "4",
        "channel": "phone",
        "customer_tier": "vip",
        "first_response_seconds_0": "0",
        "first_response_seconds_1": "45",
        "resolution_seconds_0": "12",
        "resolution_seconds_1": "30",
        "warn_share": "0.80",
        "precedence": "5",
        "is_active": "on",
    }
    data.update(over)
    return data


def test_hours_and_minutes_become_seconds():
    form = SlaPolicyForm(data=_data())
    assert form.is_valid(), form.errors
    policy = form.save()
    assert (policy.first_response_seconds, policy.resolution_seconds) == (45 * 60, 12 * 3600 + 1800)
    assert policy.next_reply_seconds is None and policy.priority == 4
    again = SlaPolicyForm(instance=policy)  # shown back as 0 h 45 min, 12 h 30 min
    html = str(again["resolution_seconds"])
    assert 'value="12"' in html and 'value="30"' in html


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"ticket_kind": "complain"}, "ticket_kind"),  # a typo is refused, not silently unmatched
        ({"customer_tier": "VIP "}, "customer_tier"),
        ({"priority": "9"}, "priority"),
        ({"resolution_seconds_1": "75"}, "resolution_seconds"),
        ({"first_response_seconds_1": "-5"}, "first_response_seconds"),
        ({"resolution_seconds_0": "0", "resolution_seconds_1": "0"}, "resolution_seconds"),
    ],
)
def test_bad_values_are_named(over, field):
    form = SlaPolicyForm(data=_data(**over))
    assert not form.is_valid()
    assert field in form.errors


def test_a_policy_without_any_target_is_refused():
    form = SlaPolicyForm(
        data=_data(
            first_response_seconds_0="",
            first_response_seconds_1="",
            resolution_seconds_0="",
            resolution_seconds_1="",
        )
    )
    assert not form.is_valid()
    assert "__all__" in form.errors


def test_the_model_refuses_unknown_codes_from_any_path():
    policy = SlaPolicy(
        name="x",
        calendar=BusinessCalendar.objects.first(),
        channel="telegram",
        resolution_seconds=3600,
    )
    with pytest.raises(ValidationError) as exc:
        policy.full_clean()
    assert "channel" in exc.value.message_dict


def test_urgent_targets_are_shorter_than_normal_ones_by_default():
    def targets(**facts):
        policy = policy_for(**{"channel": "phone", "customer_tier": "regular", **facts})
        return policy.first_response_seconds, policy.resolution_seconds

    for kind in ("complaint", "service_request"):
        urgent, high, normal = (targets(ticket_kind=kind, priority=p) for p in (4, 3, 2))
        assert urgent[0] < normal[0] and urgent[1] < normal[1], kind
        assert urgent[1] < high[1] and high[1] <= normal[1], kind
