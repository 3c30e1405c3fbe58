"""In a real browser: a representative is on the home page; a call rings at their extension and
the banner with the caller's name appears without reloading, linking to the 360 page."""

import os

import pytest

from rapport.channels.models import ChannelAccount
from rapport.channels.phone.events import CallEventData
from rapport.channels.phone.services import call_event_record
from rapport.customers.services import IdentityInput, customer_create
from rapport.testing.browser import launch, require_chromium

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_banner_pops_up_when_a_call_rings(live_server, agent, team):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    agent.phone_extension = "8001"
    agent.save(update_fields=["phone_extension"])
    caller = customer_create(
        by=None, name="周女士", identities=[IdentityInput("phone", "13800138000")]
    )
    account = ChannelAccount.objects.create(
        kind="phone", name="客服热线", address="4008001234", default_team=team, provider="fake"
    )
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", agent.username)
            page.fill("#id_password", "rapport-test")
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
            banner = page.locator("#call-banner")
            expect(banner).to_be_hidden()

            call_event_record(
                account=account,
                event=CallEventData(
                    call_id="b-1",
                    event_type="ringing",
                    direction="inbound",
                    from_number="+86 138 0013 8000",
                    agent_extension="8001",
                ),
            )

            expect(banner).to_contain_text("周女士", timeout=8000)
            expect(banner).to_contain_text("来电")
            expect(banner).to_contain_text("138****8000")
            banner.get_by_role("link", name="打开客户全景").click()
            page.wait_for_url(f"**/customers/{caller.pk}/")
            expect(page.locator("#phone-panel")).to_contain_text("138****8000")
        finally:
            browser.close()
