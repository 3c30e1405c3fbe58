"""Actor fixtures shared by every app's tests."""

import pytest
from django.test import Client

from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory, TeamFactory


@pytest.fixture(autouse=True)
def _plain_settings(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    return TeamFactory(name="客服一组")


@pytest.fixture
def other_team(db):
    return TeamFactory(name="客服二组")


@pytest.fixture
def agent(team):
    return StaffFactory(username="agent", role=User.Role.REPRESENTATIVE, teams=[team])


@pytest.fixture
def other_team_agent(other_team):
    return StaffFactory(username="other_agent", role=User.Role.REPRESENTATIVE, teams=[other_team])


@pytest.fixture
def specialist(db):
    return StaffFactory(username="specialist", role=User.Role.SPECIALIST)


@pytest.fixture
def supervisor(team):
    return StaffFactory(username="supervisor", role=User.Role.SUPERVISOR, teams=[team])


@pytest.fixture
def manager(team, other_team):
    return StaffFactory(username="manager", role=User.Role.MANAGER, teams=[team, other_team])


@pytest.fixture
def kam(db):
    return StaffFactory(username="kam", role=User.Role.KEY_ACCOUNT_MANAGER)


@pytest.fixture
def admin_user(db):
    return StaffFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True)


ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]


@pytest.fixture
def as_user():
    """as_user(user) -> a test client logged in as that staff member."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_client(db):
    """api_client(user) -> a client sending that user's bearer token."""
    from rapport.staff.services import api_token_create

    def make(user: User) -> Client:
        _token, raw = api_token_create(user=user)
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make
