"""In a real browser: a customer complains through the public form on a phone, a representative
classifies and answers it, and the customer's tracking page shows the answer but no internal note."""

import os

import pytest
from django.core.cache import cache

from rapport.testing.browser import launch, require_chromium
from rapport.tickets.models import Ticket
from rapport.tickets.tests.factories import ensure_seed_data, ticket_type

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_complaint_to_tracking_page_with_the_staff_reply(live_server, agent):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    cache.clear()
    ensure_seed_data()
    with sync_playwright() as p:
        browser = launch(p)
        try:
            # A customer's phone in China asks for Chinese; public pages follow the browser.
            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            phone.goto(f"{live_server.url}/support/new/")
            phone.fill("#id_name", "孙先生")
            phone.fill("#id_phone", "13700001234")
            phone.fill("#id_customer_words", "保养后发动机故障灯亮了,太不负责任了")
            phone.fill("#id_occurred_where", "朝阳店")
            phone.click("button[type=submit]")
            phone.wait_for_url("**/support/t/**")
            expect(phone.locator(".pub-status")).to_contain_text("已受理")
            tracking = phone.url

            ticket = Ticket.objects.get()
            desk = browser.new_page()
            desk.goto(f"{live_server.url}/login/")
            desk.fill("#id_username", "agent")
            desk.fill("#id_password", "rapport-test")
            desk.click("button[type=submit]")
            desk.goto(f"{live_server.url}/tickets/{ticket.pk}/")
            expect(desk.locator(".tk-words")).to_contain_text("保养后发动机故障灯亮了")

            desk.click("summary:has-text('分类')")
            desk.select_option("#id_classify-ticket_type", str(ticket_type("pq_powertrain").pk))
            desk.select_option("#id_classify-impact", "safety")
            desk.click("details[open] button[type=submit]")
            expect(desk.locator(".tk-head-meta")).to_contain_text("紧急")

            desk.click("summary:has-text('内部备注')")
            desk.fill("#id_note-body", "内部:客户脾气急")
            desk.click("details[open] button[type=submit]")
            expect(desk.locator("#timeline")).to_contain_text("内部:客户脾气急")

            desk.click("summary:has-text('答复客户')")
            desk.fill("#id_reply-body", "感谢您提供给我的信息!我很抱歉,明天上午为您免费复检。")
            desk.click("details[open] button[type=submit]")
            expect(desk.locator("#timeline")).to_contain_text("明天上午为您免费复检")
            assert f"/tickets/{ticket.pk}/" in desk.url  # in place with htmx, else redirected back

            phone.goto(tracking)
            expect(phone.locator(".pub-updates")).to_contain_text("明天上午为您免费复检")
            assert "客户脾气急" not in phone.content()
        finally:
            browser.close()

    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.first_responder) == ("classified", 4, agent)
