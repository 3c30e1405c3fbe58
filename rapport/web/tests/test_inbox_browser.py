"""In a real browser: an administrator simulates a customer's e-mail, a representative finds it in
the inbox, claims it and replies, and the fake provider sends the reply."""

import os

import pytest

from rapport.channels import services as channel_services
from rapport.channels.models import ChannelAccount, FakeSentMessage, OutboxMessage
from rapport.testing.browser import launch, require_chromium

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "rapport-test")
    page.click("button[type=submit]")


def test_simulated_mail_is_claimed_answered_and_sent(live_server, agent, admin_user, team):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    account = ChannelAccount.objects.create(
        kind="email",
        name="客服邮箱",
        address="service@ruitai.example.cn",
        default_team=team,
        provider=ChannelAccount.Provider.FAKE,
        is_default=True,
    )
    with sync_playwright() as p:
        browser = launch(p)
        try:
            admin = browser.new_page()
            _login(admin, live_server.url, admin_user.username)
            admin.goto(f"{live_server.url}/inbox/simulate/")
            admin.select_option("#id_account", str(account.pk))
            admin.fill("#id_from_name", "周女士")
            admin.fill("#id_from_address", "zhou@example.cn")
            admin.fill("#id_subject", "刹车有异响")
            admin.fill("#id_body", "您好，刹车时有吱吱声，能帮忙看看吗？")
            admin.click("button:has-text('收到这封邮件')")
            admin.wait_for_url("**/inbox/**")

            desk = browser.new_page(viewport={"width": 1366, "height": 900})
            _login(desk, live_server.url, agent.username)
            desk.click("nav.sidebar a:has-text('收件箱')")
            row = desk.locator("tr", has_text="刹车有异响")
            expect(row).to_contain_text("周女士")
            row.locator("button:has-text('认领')").click()
            expect(desk.locator(".messages")).to_contain_text("认领")
            expect(desk.locator(".conv-thread")).to_contain_text("刹车时有吱吱声")

            desk.fill("#id_body", "周女士您好，请周六上午来店免费检查。")
            desk.click("button:has-text('发送回复')")
            expect(desk.locator(".messages")).to_contain_text("回复")
        finally:
            browser.close()

    outbox = OutboxMessage.objects.get(source="conversation_reply")
    if outbox.state == OutboxMessage.State.QUEUED:  # no worker in the test: send it as one would
        channel_services.outbox_send(outbox_id=outbox.pk)
        outbox.refresh_from_db()
    assert outbox.state == OutboxMessage.State.SENT
    sent = FakeSentMessage.objects.get(outbox_id=outbox.pk)
    assert sent.to_address == "zhou@example.cn" and "免费检查" in sent.body
