import pytest
from django.utils import timezone

from rapport.care.engine import care_evaluate
from rapport.care.models import CareAction, Program, Segment
from rapport.surveys.care_hooks import csat_since
from rapport.surveys.models import SurveyResponse
from rapport.surveys.tests.factories import SendFactory

pytestmark = pytest.mark.django_db


def test_a_low_survey_answer_starts_a_care_program_once(team):
    low = SendFactory()
    SurveyResponse.objects.create(send=low, csat=1)
    high = SendFactory()
    SurveyResponse.objects.create(send=high, csat=5)
    Program.objects.create(
        name="低分回访", segment=Segment.objects.get(name="全部客户"), team=team,
        trigger="survey_low", action="call", script_text="您好", holdout_percent=0,
        status="active", starts_on=timezone.localdate(),
    )  # fmt: skip
    care_evaluate()
    Program.objects.update(evaluated_through=None)
    care_evaluate()
    assert list(CareAction.objects.values_list("customer_id", flat=True)) == [low.customer_id]


def test_csat_for_care_results_is_on_a_hundred_point_scale():
    send = SendFactory()
    SurveyResponse.objects.create(send=send, csat=4)
    since = timezone.now().replace(year=2000)
    assert csat_since([send.customer_id], since) == (75.0, 1)
