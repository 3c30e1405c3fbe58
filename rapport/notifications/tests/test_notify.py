"""notify(): who gets what, once, in their own language, and what goes out by e-mail."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.notifications.models import Notification, NotificationPreference
from rapport.notifications.services import (
    notification_preferences_save,
    notification_recipients_supervisors,
    notify,
)
from rapport.notifications.tasks import digest_send_due
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english_agent(team):
    return StaffFactory(username="en_agent", language="en", teams=[team], email="en@x.example")


def _title():
    return format_lazy(_("Ticket {number} was assigned to you"), number="T000042")


def test_it_creates_one_row_per_recipient(agent, supervisor):
    created = notify(users=[agent, supervisor], kind="ticket_assigned", title=_title(), url="/t/")
    assert created == 2
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "agent",
        "supervisor",
    }


def test_same_dedupe_key_creates_nothing_the_second_time(agent):
    assert notify(users=[agent], kind="mention", title="x", dedupe_key="note:1") == 1
    assert notify(users=[agent], kind="mention", title="x", dedupe_key="note:1") == 0
    assert Notification.objects.filter(recipient=agent).count() == 1


def test_without_a_key_each_call_is_its_own_event(agent):
    notify(users=[agent], kind="mention", title="x")
    notify(users=[agent], kind="mention", title="x")
    assert Notification.objects.filter(recipient=agent).count() == 2


def test_deactivated_user_and_the_actor_get_nothing(agent, supervisor, team):
    gone = StaffFactory(username="gone", is_active=False, teams=[team])
    created = notify(users=[agent, supervisor, gone], kind="mention", title="x", actor=supervisor)
    assert created == 1
    assert list(Notification.objects.values_list("recipient_id", flat=True)) == [agent.pk]


def test_nobody_left_creates_nothing_and_runs_no_query(supervisor, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert notify(users=[supervisor], kind="mention", title="x", actor=supervisor) == 0


def test_each_reader_sees_the_title_in_their_own_language(agent, english_agent):
    notify(users=[agent, english_agent], kind="ticket_assigned", title=_title())
    chinese = Notification.objects.get(recipient=agent)
    english = Notification.objects.get(recipient=english_agent)
    with translation.override("zh-hans"):
        assert chinese.title == "工单 T000042 已分派给您"
    with translation.override("en"):
        assert english.title == "Ticket T000042 was assigned to you"
        assert chinese.title == "Ticket T000042 was assigned to you"  # stored once, read per reader
    assert chinese.title_key == "Ticket {number} was assigned to you"


def test_a_plain_string_title_is_kept_as_given(agent):
    notify(users=[agent], kind="mention", title="李娜：请看一下")
    with translation.override("en"):
        assert Notification.objects.get().title == "李娜：请看一下"


def test_unregistered_kind_is_a_programming_error(agent):
    with pytest.raises(KeyError):
        notify(users=[agent], kind="no_such_kind", title="x")


def test_rows_roll_back_with_the_callers_transaction(agent):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(users=[agent], kind="mention", title="x")
        raise RuntimeError
    assert not Notification.objects.exists()


def test_email_goes_out_after_commit_in_the_readers_language(
    english_agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[english_agent], kind="ticket_assigned", title=_title(), url="/tickets/42/")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Ticket T000042 was assigned to you"
    assert mailoutbox[0].to == ["en@x.example"]
    assert "/tickets/42/" in mailoutbox[0].body
    assert Notification.objects.get().emailed_at is not None


def test_email_is_sent_once_when_the_task_runs_twice(
    english_agent, mailoutbox, django_capture_on_commit_callbacks
):
    from rapport.notifications.tasks import notifications_email

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[english_agent], kind="ticket_assigned", title="x", dedupe_key="k")
    notifications_email.call("k", [english_agent.pk])
    assert len(mailoutbox) == 1


def test_deactivated_after_the_event_gets_no_email(
    english_agent, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[english_agent], kind="ticket_assigned", title="x")
    User.objects.filter(pk=english_agent.pk).update(is_active=False)
    for callback in callbacks:
        callback()
    assert mailoutbox == []


def test_preferences_turn_channels_off(
    english_agent, mailoutbox, django_capture_on_commit_callbacks
):
    notification_preferences_save(
        user=english_agent,
        choices={"ticket_assigned": {"app": False, "email": True}, "mention": {}},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(users=[english_agent], kind="ticket_assigned", title="x") == 1
        assert notify(users=[english_agent], kind="mention", title="y") == 0
    row = Notification.objects.get()
    assert row.read_at is not None  # not in the bell, only e-mailed
    assert len(mailoutbox) == 1


def test_unknown_kind_in_preferences_is_refused_by_name(agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        notification_preferences_save(user=agent, choices={"bogus": {"app": True}})
    assert "kind" in exc.value.error_dict
    assert not NotificationPreference.objects.exists()


def test_supervisors_of_a_team_or_else_the_managers(team, other_team, supervisor, agent):
    manager = StaffFactory(username="mgr", role=User.Role.MANAGER)
    assert notification_recipients_supervisors(team=team) == [supervisor]
    assert notification_recipients_supervisors(team=other_team) == [manager]
    assert notification_recipients_supervisors(team=None) == [manager]


def test_daily_digest_goes_out_once(english_agent, mailoutbox):
    notification_preferences_save(
        user=english_agent, choices={"mention": {"app": True, "digest": True}}
    )
    notify(users=[english_agent], kind="mention", title="Look at T000001")
    local = timezone.localtime()
    morning = local.replace(hour=9, minute=0) + timedelta(days=1 if local.hour >= 9 else 0)
    assert digest_send_due(now=morning) == 1
    assert digest_send_due(now=morning + timedelta(hours=1)) == 0
    assert len(mailoutbox) == 1
    assert "Look at T000001" in mailoutbox[0].body
    assert digest_send_due(now=morning.replace(hour=6) + timedelta(days=1)) == 0  # before 8:00
