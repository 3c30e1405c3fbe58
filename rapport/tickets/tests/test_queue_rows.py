"""The queue's rows rendered in Python show what the badge templates show on the other pages."""

import re
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from rapport.tickets.models import Ticket
from rapport.tickets.queue_rows import clock_badge, status_badges


def _same(a: str, b: str) -> None:
    squash = lambda s: re.sub(r"\s+", " ", str(s)).strip()  # noqa: E731
    assert squash(a) == squash(b)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", ["new", "in_progress", "waiting", "resolved"])
@pytest.mark.parametrize(("impact", "repeat"), [("normal", False), ("safety", True), ("", False)])
def test_status_badges_equal_the_template(language, status, impact, repeat):
    t = Ticket(pk=7, status=status, priority=3, impact=impact, is_repeat=repeat)
    with translation.override(language):
        _same(status_badges(t), render_to_string("tickets/badges.html", {"t": t}))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    ("state", "warned", "breached", "due_in"),
    [
        ("paused", False, False, 3),
        ("stopped", False, False, 3),
        ("stopped", False, True, -3),
        ("running", False, True, -30),
        ("running", True, False, 2),
        ("running", False, False, 50),
        ("running", False, False, None),
        (None, False, False, None),
    ],
)
def test_clock_badge_equals_the_template(language, state, warned, breached, due_in):
    now = timezone.now()
    due = now + timedelta(hours=due_in, minutes=20) if due_in is not None else None
    marks = {
        "state": state,
        "due": due,
        "warned": now if warned else None,
        "breached": now if breached else None,
    }
    with translation.override(language):
        _same(
            clock_badge(**marks, now=now),
            render_to_string("tickets/clock_badge.html", marks),
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_delivery_badge_is_drawn_as_its_template_draws_it(language):
    from datetime import UTC, datetime

    from rapport.channels.models import OutboxMessage
    from rapport.tickets.event_items import delivery_badge

    sent = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    cases = [
        {"state": "queued", "attempts": 0},
        {"state": "queued", "attempts": 1},
        {"state": "queued", "attempts": 3, "channel_reason": "客户偏好微信 & <绑定>"},
        {"state": "sending"},
        {"state": "sent", "sent_at": sent},
        {"state": "delivered", "sent_at": sent, "channel_reason": "bound"},
        {"state": "failed", "reason": "undeliverable", "error": "45009"},
        {"state": "failed", "error": "SMTP 550 <user unknown>"},
        {"state": "refused", "reason": "no_consent"},
    ]
    with translation.override(language):
        for fields in cases:
            o = OutboxMessage(channel="email", to_address="li@example.cn", **fields)
            assert str(delivery_badge(o)) + "\n" == render_to_string(
                "tickets/delivery_badge.html", {"o": o}
            ), fields
