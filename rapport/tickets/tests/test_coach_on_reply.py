"""The phrasing coach on the ticket reply box: the box carries it, and a sent reply records the
flags shown and whether each was fixed (rapport.assist.hooks)."""

import pytest
from django.urls import reverse

from rapport.assist.hooks import SHOWN_FIELD
from rapport.assist.models import CoachRecord
from rapport.customers.services import customer_create
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db


def test_a_sent_ticket_reply_records_the_flags_shown_and_whether_they_were_fixed(
    agent, team, as_user
):
    customer = customer_create(by=agent, name="王芳", service_team=team)
    ticket = in_progress(agent, customer)
    response = as_user(agent).post(
        reverse("tickets:act", args=[ticket.pk, "reply"]),
        {
            "reply-body": "我会帮您查一下，你必须先提供订单号",
            "reply-channel": "phone",
            SHOWN_FIELD: "try_best,must",
        },
    )
    assert response.status_code == 302
    records = {r.rule: r for r in CoachRecord.objects.filter(agent=agent)}
    assert set(records) == {"try_best", "must"}
    assert records["try_best"].fixed and not records["must"].fixed
    assert records["must"].channel == "ticket" and records["must"].reference == ticket.number


def test_a_forged_shown_field_records_nothing_unknown(agent, team, as_user):
    customer = customer_create(by=agent, name="王芳", service_team=team)
    ticket = in_progress(agent, customer)
    as_user(agent).post(
        reverse("tickets:act", args=[ticket.pk, "reply"]),
        {
            "reply-body": "我会马上处理。",
            "reply-channel": "phone",
            SHOWN_FIELD: "nope,<script>," + "x" * 5000,
        },
    )
    assert not CoachRecord.objects.exists()


def test_the_reply_box_carries_the_coach(agent, team, as_user):
    customer = customer_create(by=agent, name="王芳", service_team=team)
    ticket = in_progress(agent, customer)
    page = as_user(agent).get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-coach="ticket"' in page and f'data-customer="{customer.pk}"' in page
    assert "assist/coach.js" in page
