"""Actor fixtures shared by every app's tests."""

import importlib

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread

from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory, TeamFactory


def _live_server(*args, connections_override=None, **kwargs):
    """The live server serves one request at a time when it shares the test's in-memory SQLite
    connection. Django's threaded server hands that one connection to a thread per request, so
    a page and its htmx panels used it at once: a `.get(pk=…)` saw two rows and a 500 (CI,
    2026-12-07). Each response then says Connection: close; nothing here streams."""
    if connections_override:
        return WSGIServer(*args, **kwargs)
    return ThreadedWSGIServer(*args, connections_override=connections_override, **kwargs)


LiveServerThread.server_class = staticmethod(_live_server)


@pytest.fixture(autouse=True)
def _plain_settings(settings):
    from rapport.core.memo import clear_all

    clear_all()  # rows a rolled-back or flushed database took away without a save
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Plain static names: a manifest left by a local collectstatic must not change test pages,
    # and the live server serves the unhashed files from the apps.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


# Rows the data migrations ship (calendars, purposes, ticket types, policies, questionnaires).
# A transactional test (live server, threads) ends with a flush that removes them; they are put
# back after it so the next test in the same worker finds the database as migrated.
DATA_MIGRATIONS = [
    ("rapport.core.migrations.0004_default_calendars", "create_calendars"),
    ("rapport.interactions.migrations.0002_purposes_seed", "seed"),
    ("rapport.tickets.migrations.0002_types_priority_settings", "seed"),
    ("rapport.sla.migrations.0002_default_policies", "create"),
    ("rapport.surveys.migrations.0002_ready_templates", "seed"),
    ("rapport.surveys.migrations.0004_servqual_intro", "forwards"),
    ("rapport.channels.migrations.0002_message_templates", "seed"),
    ("rapport.care.migrations.0003_ready_made_programs", "seed"),
    ("rapport.care.migrations.0007_appointment_reminder_always_sent", "always_send"),
    ("rapport.care.migrations.0008_revisit_after_delivery", "seed"),
    ("rapport.care.migrations.0009_maintenance_by_mileage", "seed"),
    ("rapport.assist.migrations.0002_seed_phrases_and_rules", "seed"),
    ("rapport.appointments.migrations.0005_reminder_answers", "forwards"),
]


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


def _uses_db(request) -> bool:
    return bool(
        request.node.get_closest_marker("django_db")
        or {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _migrated_rows(request):
    """Put the shipped rows back when an earlier transactional test flushed them."""
    if not _uses_db(request):
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    from django.apps import apps
    from django.db import connection

    from rapport.core.models import BusinessCalendar

    if BusinessCalendar.objects.exists():
        return
    with connection.schema_editor(atomic=False) as editor:
        for module, function in DATA_MIGRATIONS:
            getattr(importlib.import_module(module), function)(apps, editor)


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
