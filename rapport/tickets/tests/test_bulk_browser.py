"""In a real browser: tick tickets on the queue, reassign them from the action bar."""

import os

import pytest

from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.testing.browser import launch, require_chromium
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import in_progress

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_select_all_and_reassign_from_the_action_bar(live_server, supervisor, team):
    require_chromium()
    from playwright.sync_api import sync_playwright

    colleague = StaffFactory(
        username="colleague", display_name="王芳", role=User.Role.REPRESENTATIVE, teams=[team]
    )
    ids = [in_progress(supervisor).pk for _ in range(3)]

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "supervisor")
        page.fill("#id_password", "rapport-test")
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/tickets/?queue=mine")
        page.wait_for_load_state("networkidle")

        page.check("[data-select-all]")
        assert page.inner_text("[data-bulk-count]") == "3"
        page.select_option("#bulk-action", "assign")
        assert page.is_visible("#bulk-to-staff") and not page.is_visible("#bulk-priority")
        page.select_option("#bulk-to-staff", str(colleague.pk))
        page.click("#bulk-form button[type=submit]")
        page.wait_for_selector("#bulk-summary .bulk-summary")
        assert "3" in page.inner_text("#bulk-summary")
        browser.close()

    assert Ticket.objects.filter(pk__in=ids, assignee=colleague).count() == 3
