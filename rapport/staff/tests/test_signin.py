import threading
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rapport.staff import signin
from rapport.staff.models import LoginFailure

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password, addr="10.0.0.1", path="/login/"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=addr)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(agent):
    client = Client()
    for n in range(30):
        _sign_in(client, "agent", f"guess-{n}")

    response = _sign_in(client, "agent", "rapport-test")

    assert not _signed_in(client)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "登录失败次数过多" in response.content.decode()


def test_the_account_opens_again_once_the_failures_age_out(agent):
    client = Client()
    for n in range(10):
        _sign_in(client, "agent", f"guess-{n}")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))

    response = _sign_in(client, "agent", "rapport-test")

    assert response.status_code == 302 and _signed_in(client)
    assert not LoginFailure.objects.filter(username="agent").exists()


def test_a_few_mistakes_do_not_lock_anyone_out(agent):
    client = Client()
    for n in range(9):
        assert _sign_in(client, "agent", f"typo-{n}").status_code == 200

    response = _sign_in(client, "agent", "rapport-test")

    assert response.status_code == 302 and _signed_in(client)
    assert not LoginFailure.objects.filter(username="agent").exists()


def test_the_count_is_per_account_whatever_the_case_of_the_username(agent):
    client = Client()
    for n in range(10):
        _sign_in(client, "AGENT" if n % 2 else " agent", f"guess-{n}")

    assert _sign_in(client, "agent", "rapport-test").status_code == 429


def test_one_address_guessing_many_accounts_is_stopped_there_only(agent, other_team_agent):
    guesser = Client()
    for n in range(50):
        _sign_in(guesser, f"user{n}", "123456", addr="203.0.113.9")

    blocked = _sign_in(guesser, "agent", "rapport-test", addr="203.0.113.9")
    elsewhere = Client()
    allowed = _sign_in(elsewhere, "agent", "rapport-test", addr="198.51.100.1")

    assert blocked.status_code == 429 and not _signed_in(guesser)
    assert allowed.status_code == 302 and _signed_in(elsewhere)


def test_the_admin_sign_in_is_throttled_too(admin_user):
    client = Client()
    for n in range(10):
        _sign_in(client, "admin", f"guess-{n}", path="/admin/login/")

    _sign_in(client, "admin", "rapport-test", path="/admin/login/")

    assert not _signed_in(client)


def test_password_checks_run_one_at_a_time_per_process(settings):
    settings.RAPPORT_LOGIN_CONCURRENCY = 1
    signin._slots = None
    running, peak, lock = [0], [0], threading.Lock()

    def check():
        with signin.password_check_slot():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.02)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=check) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert peak[0] == 1
    signin._slots = None
