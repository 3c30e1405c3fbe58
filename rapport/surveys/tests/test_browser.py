"""A customer answers the post-ticket survey on a phone-sized screen, without logging in."""

import importlib
import os
import secrets

import pytest

from rapport.surveys.models import SurveyResponse, SurveyTemplate
from rapport.surveys.selectors import link_signer
from rapport.surveys.tests.factories import SendFactory
from rapport.testing.browser import launch, require_chromium

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still sync.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ready_templates(db):
    """The ready questionnaires come from a data migration; an earlier transactional test's flush
    may have removed them, so put them back the way the migration does."""
    from django.apps import apps

    if not SurveyTemplate.objects.exists():
        importlib.import_module("rapport.surveys.migrations.0002_ready_templates").seed(apps, None)


@pytest.fixture
def current_styles(settings):
    """Serve today's stylesheet from the source tree, not a hashed copy an older collectstatic
    left behind, so the layout checked is the one in this commit."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def test_a_customer_answers_a_survey_on_a_phone(live_server, current_styles, ready_templates):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    token = link_signer().sign(secrets.token_urlsafe(24))
    send = SendFactory(token=token, subject="T000042 空调不制冷")
    url = f"{live_server.url}/s/{token}/"

    with sync_playwright() as p:
        browser = launch(p)
        try:
            # A customer's phone in China asks for Chinese; the page follows the browser.
            page = browser.new_page(
                viewport={"width": 390, "height": 844}, is_mobile=True, locale="zh-CN"
            )
            page.goto(url)
            expect(page.locator("h1")).to_have_text("服务满意度回访")
            expect(page.locator(".public-head")).to_contain_text("瑞泰汽车服务有限公司")
            # nothing wider than the phone: no sideways scrolling
            assert page.evaluate("document.documentElement.scrollWidth") <= 390

            # sending without answers names the two required questions
            page.get_by_role("button", name="提交回答").click()
            expect(page.locator(".q-error")).to_have_count(2)
            expect(page.locator("#q-csat .field-error")).to_have_text("请回答这个问题。")

            page.locator("#q-csat label.pick", has_text="非常满意").click()
            page.locator("#q-solved label.pick", has_text="是").click()
            page.get_by_label("人:接待和维修人员").check()
            page.locator("#q-comment textarea").fill("顾问很耐心,<b>谢谢</b>")
            box = page.locator("#q-csat label.pick").first.bounding_box()
            assert box["height"] >= 44  # a thumb-sized target
            page.get_by_role("button", name="提交回答").click()
            expect(page.locator("h1")).to_have_text("谢谢您！")

            # the same link shows the answers for editing, and a change replaces them
            page.goto(url)
            expect(page.locator("#q-csat input[value='5']")).to_be_checked()
            page.locator("#q-csat label.pick", has_text="满意").nth(0).click()
            page.get_by_role("button", name="保存修改").click()
            expect(page.locator("h1")).to_have_text("谢谢您！")
        finally:
            browser.close()

    response = SurveyResponse.objects.get(send=send)
    assert response.edit_count == 1
    assert response.answers.get(question__code="comment").text == "顾问很耐心,<b>谢谢</b>"
