"""What surveys hand up to customer care (rapport.care.registry), registered in ready().

- the "survey answered low" occasion: answers with CSAT 1 or 2 (of 5) submitted on a day, read
  through the submitted_at index, one occurrence per answer;
- satisfaction for care results: the CSAT of the given customers' answers since a moment, as
  0–100 (1 → 0, 5 → 100).
"""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Sum
from django.utils import timezone

LOW = 2


def survey_low_occasions(day: date):
    from rapport.surveys.models import SurveyResponse

    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, zone)
    rows = SurveyResponse.objects.filter(
        submitted_at__gte=start, submitted_at__lt=start + timedelta(days=1), csat__lte=LOW
    ).values_list("id", "send__customer_id", "csat")
    for response_id, customer_id, csat in rows:
        yield customer_id, f"survey_low:{response_id}", f"满意度调查 {csat} 分（{day.isoformat()}）"


def csat_since(customer_ids: list[int], since: datetime) -> tuple[float, int]:
    from rapport.surveys.models import SurveyResponse

    row = SurveyResponse.objects.filter(
        send__customer_id__in=customer_ids, submitted_at__gte=since, csat__isnull=False
    ).aggregate(total=Sum("csat"), n=Count("id"))
    n = row["n"] or 0
    return ((row["total"] or 0) - n) * 25.0, n


def register() -> None:
    from rapport.care.registry import register_csat_source, register_occasion_source

    register_occasion_source("survey_low", survey_low_occasions)
    register_csat_source(csat_since)
