import pytest
from django.urls import reverse

from rapport.assist.models import CoachRule

pytestmark = pytest.mark.django_db


def _form(rule: CoachRule, **changes) -> dict:
    data = {
        field: getattr(rule, field)
        for field in (
            "code",
            "language",
            "pattern",
            "unless_before",
            "unless_after",
            "unless_anywhere",
            "preferred",
            "replacement",
            "explanation",
            "examples_flagged",
            "examples_clean",
        )
    }
    data["enabled"] = "on"
    data.update(changes)
    return data


def test_an_invalid_pattern_is_refused_with_the_error(admin_user, as_user):
    rule = CoachRule.objects.get(code="must", language="zh-hans")
    url = reverse("admin:assist_coachrule_change", args=[rule.pk])
    response = as_user(admin_user).post(url, _form(rule, pattern="您必须(("))
    assert response.status_code == 200
    assert "Invalid regular expression" in response.content.decode()
    assert CoachRule.objects.get(pk=rule.pk).pattern != "您必须(("


def test_a_rule_is_edited_and_its_examples_tried(admin_user, as_user):
    rule = CoachRule.objects.get(code="must", language="zh-hans")
    url = reverse("admin:assist_coachrule_change", args=[rule.pk])
    response = as_user(admin_user).post(url, _form(rule, pattern="您必须"), follow=True)
    assert response.status_code == 200
    assert CoachRule.objects.get(pk=rule.pk).pattern == "您必须"
    assert "你必须先提供订单号" in response.content.decode()  # an example it now misses


def test_rules_are_switched_off_in_bulk(admin_user, as_user):
    ids = list(CoachRule.objects.filter(code="vague").values_list("pk", flat=True))
    url = reverse("admin:assist_coachrule_changelist")
    as_user(admin_user).post(url, {"action": "switch_off", "_selected_action": ids})
    assert not CoachRule.objects.filter(code="vague", enabled=True).exists()
