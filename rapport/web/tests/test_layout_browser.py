"""In a real browser: the staff layout holds at 1024 px (the queue's subject column keeps a
readable width, the sidebar runs the height of a long page, nothing scrolls sideways) and on a
390 px phone (the header search keeps a usable width, the page does not scroll sideways)."""

import os

import pytest

from rapport.testing.browser import launch, require_chromium
from rapport.tickets.tests.factories import in_progress

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "保养后仪表盘故障灯反复亮起，客户要求彻底检查发动机与变速箱并书面说明原因和处理结果"


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "rapport-test")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _sideways(page) -> int:
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_the_layout_holds_at_1024_px_and_on_a_390_px_phone(live_server, agent):
    require_chromium()
    from playwright.sync_api import sync_playwright

    for _ in range(30):
        in_progress(agent, subject=LONG)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            desk = browser.new_page(viewport={"width": 1024, "height": 700})
            _sign_in(desk, live_server.url, agent.username)
            desk.goto(f"{live_server.url}/tickets/?queue=all")
            subject = desk.locator("#results tbody tr td.wrap").first.bounding_box()
            assert subject["width"] >= 180, subject  # never squeezed to a few characters
            assert _sideways(desk) <= 0

            desk.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            height = desk.evaluate("document.documentElement.scrollHeight")
            assert height > 700  # a long page
            side = desk.locator(".sidebar").bounding_box()
            assert side["y"] <= 1 and side["y"] + side["height"] >= 699  # still beside the rows

            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            _sign_in(phone, live_server.url, agent.username)
            search = phone.locator("#global-q").bounding_box()
            assert search["width"] >= 200
            assert _sideways(phone) <= 0
            phone.goto(f"{live_server.url}/tickets/?queue=all")
            assert _sideways(phone) <= 0  # the table scrolls in its card, not the page
        finally:
            browser.close()
