"""In a real browser: a notification arrives in the bell without a reload, and claiming an
unassigned ticket — won once, and lost to a colleague with a clear message."""

import os

import pytest

from rapport.customers.tests.factories import CustomerFactory
from rapport.notifications.models import Notification
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory
from rapport.testing.browser import launch, require_chromium
from rapport.tickets import services
from rapport.tickets.models import Ticket
from rapport.tickets.services.assignment import ticket_claim
from rapport.tickets.tests.factories import intake, open_ticket

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _unassigned(team, subject: str) -> Ticket:
    return services.ticket_create(
        by=None,
        customer=CustomerFactory(service_team=team),
        source=Ticket.Source.PUBLIC_FORM,
        **intake(subject=subject),
    )


def test_a_notification_arrives_without_reload_and_a_claim_is_won_or_lost(
    live_server, settings, agent, supervisor, team
):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    settings.RAPPORT_NOTIFY_POLL_SECONDS = 1
    colleague = StaffFactory(username="colleague", role=User.Role.REPRESENTATIVE, teams=[team])
    mine = _unassigned(team, "轮胎鼓包")
    lost = _unassigned(team, "仪表盘提示灯")
    handed = open_ticket(supervisor, subject="保养后异响")
    Notification.objects.all().delete()  # the team heard of the two public tickets already

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="zh-CN")
        page.goto(live_server.url + "/login/")
        page.fill("#id_username", "agent")
        page.fill("#id_password", "rapport-test")
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")
        page.goto(live_server.url + "/tickets/?queue=unassigned")
        page.wait_for_selector("#notification-bell[data-unread]")
        page.evaluate("window.__sameDocument = true")

        # The supervisor hands a ticket over: the bell shows it within a poll, no reload.
        services.ticket_assign(ticket=handed, by=supervisor, to_staff=agent)
        expect(page.get_by_test_id("bell-count")).to_have_text("1", timeout=10_000)
        assert page.evaluate("window.__sameDocument") is True
        page.click(".bell-button")
        expect(page.locator(".bell-list")).to_contain_text(f"工单 {handed.number} 已分派给您")

        # Claiming from the queue: the row's button, and the ticket is mine.
        page.click(f"form[action='/tickets/{mine.pk}/claim/'] button")
        expect(page.locator(".messages")).to_contain_text(f"{mine.number} 现在由您处理")
        assert page.url.endswith("/tickets/?queue=unassigned")

        # A colleague was quicker on the other one: the loser is told who won.
        page.goto(live_server.url + f"/tickets/{lost.pk}/")
        page.wait_for_selector("#ticket-claim")
        ticket_claim(ticket=lost, by=colleague)
        page.click("#ticket-claim button")
        expect(page.locator(".messages")).to_contain_text(f"{colleague} 已先认领了这个工单")
        expect(page.locator("#ticket-claim")).to_have_count(0)
        browser.close()

    assert Ticket.objects.get(pk=mine.pk).assignee == agent
    assert Ticket.objects.get(pk=lost.pk).assignee == colleague
