"""A representative logs a call from the 360 page with the keyboard and finds it on the timeline."""

import os
from pathlib import Path

import pytest

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.models import Interaction
from rapport.staff.models import User
from rapport.staff.tests.factories import StaffFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium"),
]


@pytest.mark.django_db(transaction=True)
def test_representative_logs_a_call_with_the_keyboard(live_server):
    from playwright.sync_api import expect, sync_playwright

    StaffFactory(
        username="csr",
        role=User.Role.REPRESENTATIVE,
        password="rapport-test",
        display_name="陈客服",
    )
    customer = CustomerFactory(name="张伟")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", "csr")
            page.fill("#id_password", "rapport-test")
            page.click("button[type=submit]")
            page.goto(f"{live_server.url}/customers/{customer.pk}/")

            # The channel select has the focus; pick "outbound" and write the summary by keyboard.
            expect(page.locator("#ql-channel")).to_be_focused()
            page.keyboard.press("Tab")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            page.keyboard.press("Tab")
            expect(page.locator("#ql-summary")).to_be_focused()
            page.keyboard.type("回访:客户确认空调已恢复正常")
            page.keyboard.press("Control+Enter")

            entry = page.locator("#timeline-list .tl-interaction").first
            expect(entry).to_contain_text("回访:客户确认空调已恢复正常")
            expect(page.locator("#ql-summary")).to_have_value("")
        finally:
            browser.close()

    interaction = Interaction.objects.get()
    assert interaction.direction == "outbound"
    assert interaction.staff.username == "csr"
