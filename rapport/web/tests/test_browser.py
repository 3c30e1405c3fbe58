"""In a real browser: log in to the Chinese UI, find a customer by phone, edit a field in place."""

import os

import pytest

from rapport.customers.models import Customer
from rapport.customers.services import IdentityInput, customer_create
from rapport.testing.browser import launch, require_chromium

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_find_customer_by_phone_and_edit_city_in_place(live_server, agent, team):
    require_chromium()
    from playwright.sync_api import sync_playwright

    customer = customer_create(
        by=agent,
        name="张伟",
        identities=[IdentityInput("phone", "13800138000")],
        service_team=team,
        city="北京",
    )
    customer_create(by=agent, name="李娜", identities=[IdentityInput("phone", "13912345678")])

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(locale="en-US")
        page.goto(live_server.url + "/login/")
        assert "登录" in page.content()  # Chinese first, whatever the browser asks for
        page.fill("#id_username", "agent")
        page.fill("#id_password", "rapport-test")
        page.click("button[type=submit]")
        page.wait_for_url(live_server.url + "/")

        page.fill("#global-q", "0013 8000")
        # The header's dropdown answers first (htmx), then Enter opens the results page: one
        # request at a time, as the live server's in-memory SQLite wants (under load, the two at
        # once timed out in CI).
        page.wait_for_selector("#global-results >> text=张伟")
        with page.expect_navigation() as results:
            page.press("#global-q", "Enter")
        assert results.value.ok, results.value.status
        page.wait_for_selector("#results >> text=张伟")
        assert "李娜" not in page.inner_text("#results")
        page.click("text=张伟")
        page.wait_for_url(f"**/customers/{customer.pk}/")

        page.wait_for_load_state("networkidle")  # htmx has bound the page's links
        with page.expect_response(
            lambda r: r.url.endswith(f"/customers/{customer.pk}/edit/")
        ) as edit:
            page.click("#profile >> text=编辑")
        assert edit.value.ok, edit.value.status  # a failed htmx request would leave no form
        page.wait_for_selector("#profile form")
        page.fill("#id_city", "杭州")
        page.click("#profile button[type=submit]")
        page.wait_for_selector("#profile dd:has-text('杭州')")
        assert page.url.endswith(f"/customers/{customer.pk}/")  # edited in place, no reload
        browser.close()

    assert Customer.objects.get(pk=customer.pk).city == "杭州"
