"""The bell, the list and the preferences page, through HTTP."""

import pytest
from django.urls import reverse

from rapport.notifications.models import Notification, NotificationPreference
from rapport.notifications.services import notify

pytestmark = pytest.mark.django_db

BELL = "/notifications/bell/"


def _notify(user, title="有新的工作", url="/tickets/1/", key=""):
    notify(users=[user], kind="mention", title=title, url=url, dedupe_key=key)
    return Notification.objects.filter(recipient=user).latest("id")


def test_bell_unchanged_answers_204_with_one_query_beyond_the_session(
    agent, as_user, django_assert_num_queries
):
    n = _notify(agent)
    client = as_user(agent)
    # session + user + the one aggregate over the unread index
    with django_assert_num_queries(3):
        response = client.get(BELL, {"seen": f"1-{n.pk}"})
    assert response.status_code == 204


def test_bell_changed_renders_count_and_latest(agent, as_user, django_assert_num_queries):
    first = _notify(agent, title="第一条")
    client = as_user(agent)
    _notify(agent, title="第二条")
    with django_assert_num_queries(4):  # + the latest eight for the dropdown
        response = client.get(BELL, {"seen": f"1-{first.pk}"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-unread="2"' in body
    assert "第二条" in body
    assert "bell-arrived" in body  # a new one came since the page looked


def test_bell_with_nothing_is_quiet(agent, as_user):
    response = as_user(agent).get(BELL)
    assert response.status_code == 200
    assert 'data-unread="0"' in response.content.decode()
    assert as_user(agent).get(BELL, {"seen": "0-0"}).status_code == 204


def test_bell_needs_sign_in(client):
    assert client.get(BELL).status_code == 302


def test_header_has_the_bell_slot_without_a_query(agent, as_user):
    body = as_user(agent).get("/").content.decode()
    assert 'id="notification-bell"' in body
    assert BELL in body


def test_open_marks_read_and_goes_to_the_item(agent, as_user):
    n = _notify(agent, url="/tickets/7/")
    response = as_user(agent).get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/tickets/7/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_open_never_redirects_off_site(agent, as_user):
    n = _notify(agent, url="https://evil.example/")
    response = as_user(agent).get(reverse("notifications:open", args=[n.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_someone_elses_notification_is_not_found(agent, supervisor, as_user):
    n = _notify(supervisor)
    client = as_user(agent)
    assert client.get(reverse("notifications:open", args=[n.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_one_read_with_htmx_returns_the_row(agent, as_user):
    n = _notify(agent)
    response = as_user(agent).post(
        reverse("notifications:read", args=[n.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert f'id="notification-{n.pk}"' in response.content.decode()
    assert response["HX-Trigger"] == "notifications-changed"


def test_mark_all_read_leaves_one_that_arrived_meanwhile(agent, as_user):
    seen = _notify(agent, key="a")
    later = _notify(agent, key="b")
    as_user(agent).post(reverse("notifications:read-all"), {"up_to": seen.pk})
    seen.refresh_from_db()
    later.refresh_from_db()
    assert seen.read_at is not None and later.read_at is None


def test_list_pins_its_queries_and_shows_unread(agent, as_user, django_assert_max_num_queries):
    for i in range(30):
        _notify(agent, title=f"通知{i}")
    client = as_user(agent)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert "通知29" in response.content.decode()
    unread = client.get(reverse("notifications:list"), {"unread": "1"})
    assert unread.status_code == 200


def test_preferences_page_saves_choices(agent, as_user):
    client = as_user(agent)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    assert 'name="mention-app"' in page.content.decode()
    client.post(reverse("notifications:preferences"), {"mention-email": "on"})
    pref = NotificationPreference.objects.get(user=agent, kind="mention")
    assert (pref.in_app, pref.by_email, pref.by_wecom) == (False, True, False)
    assigned = NotificationPreference.objects.get(user=agent, kind="ticket_assigned")
    assert not assigned.in_app  # every kind is saved as shown: unticked is off
