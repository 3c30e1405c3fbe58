"""In a real browser: a supervisor's dashboard counts a breach that happens while it is open
(polling, no reload), its figure opens the list of exactly those tickets, and a reject without
a reason in the approvals inbox shows its error in the row."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from rapport.sla.models import ServiceClock
from rapport.testing.browser import launch, require_chromium
from rapport.tickets import services
from rapport.tickets.tests.factories import in_progress

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _breach(ticket) -> None:
    now = timezone.now()
    ServiceClock.objects.filter(ticket=ticket, kind=ServiceClock.Kind.RESOLUTION).update(
        state=ServiceClock.State.RUNNING,
        due_at=now - timedelta(hours=3),
        breached_at=now - timedelta(hours=3),
    )


def test_the_dashboard_follows_the_floor_and_its_figures_open_their_items(
    live_server, supervisor, agent, monkeypatch
):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setattr("rapport.web.dashboard.POLL_SECONDS", 1)
    first = in_progress(agent)
    _breach(first)
    remedy = services.remedy_offer(ticket=first, by=agent, kind="compensation", amount=5000)
    services.remedy_choose(remedy=remedy, by=agent)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", supervisor.username)
            page.fill("#id_password", "rapport-test")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            page.goto(f"{live_server.url}/dashboard/")
            expect(page.locator("#fig-breached .value")).to_have_text("1")

            second = in_progress(agent)  # breaches while the supervisor watches
            _breach(second)
            expect(page.locator("#fig-breached .value")).to_have_text("2", timeout=8000)

            page.click("#fig-breached")
            page.wait_for_url("**/dashboard/breached/")
            expect(page.locator("#items tbody tr")).to_have_count(2)
            expect(page.locator("#items")).to_contain_text(second.number)

            page.goto(f"{live_server.url}/dashboard/")
            expect(page.locator("#fig-approvals .value")).to_have_text("1")
            page.click("#fig-approvals")
            page.wait_for_url("**/approvals/")
            row = page.locator(f"#approval-{remedy.pk}")
            row.locator("button[value=reject]").click()
            expect(page.locator(f"#ape-{remedy.pk}")).to_be_visible()  # said where they look
            page.fill(f"#apc-{remedy.pk}", "金额超出标准，请改为免费保养")
            page.locator(f"#approval-{remedy.pk} button[value=reject]").click()
            expect(page.locator(f"#approval-{remedy.pk} .badge-danger")).to_be_visible()
        finally:
            browser.close()
    remedy.refresh_from_db()
    assert remedy.approval == "rejected"
