"""The signed-in user and the session are read with statements compiled once: what they let in
is what Django's own backend and database store let in."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session

from rapport.staff.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_page_reads_the_session_and_user_and_an_expired_session_signs_out(client):
    user = StaffFactory(username="xiaowang", password="s3cret-pass!")
    assert client.login(username="xiaowang", password="s3cret-pass!")
    assert client.get("/tasks/").status_code == 200
    session = Session.objects.get()
    with time_machine.travel(session.expire_date + timedelta(seconds=1)):
        response = client.get("/tasks/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.login(username="xiaowang", password="s3cret-pass!")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/tasks/").status_code == 302  # a deactivated account is signed out


def test_a_wrong_password_or_an_unknown_session_key_lets_nobody_in(client):
    StaffFactory(username="xiaoli", password="s3cret-pass!")
    assert not client.login(username="xiaoli", password="wrong")
    client.cookies["sessionid"] = "x" * 32
    assert client.get("/tasks/").status_code == 302
    client.cookies["sessionid"] = "short"  # not a key the store accepts
    assert client.get("/tasks/").status_code == 302
