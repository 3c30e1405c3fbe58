"""Words Django and the task backend leave in English are named in Chinese (core's ready())."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    body = re.sub(
        r"<script.*?</script>|<style.*?</style>", "", response.content.decode(), flags=re.S
    )
    return re.sub(r"<[^>]+>", " ", body)


def test_the_empty_choice_of_a_select_is_chinese(admin_user, as_user):
    response = as_user(admin_user).get("/admin/assist/coachrule/")  # the actions select

    assert response.status_code == 200
    body = response.content.decode()
    assert "Select an option" not in body
    assert '<option value="" selected>请选择…</option>' in body


def test_a_model_forms_empty_choice_is_chinese():
    from django.db import models
    from django.utils import translation

    field = models.CharField(max_length=8, choices=[("a", "A")], blank=True).formfield()
    with translation.override("zh-hans"):
        assert str(field.choices[0][1]) == "请选择…"
    with translation.override("en"):
        assert str(field.choices[0][1]) == "Choose…"


def test_the_admin_index_names_every_app_in_chinese(admin_user, as_user):
    text = _text(as_user(admin_user).get("/admin/"))

    assert "后台任务" in text and "任务结果" in text
    assert "Rapport 管理后台" in text
    words = {w.strip() for w in re.findall(r"[A-Za-z][A-Za-z ]{3,}", text)}
    assert words - {"API", "Rapport", admin_user.username} == set()
