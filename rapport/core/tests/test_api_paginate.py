"""A capped API count covers the page asked for and says when there are more."""

import pytest

from rapport.core.api import PageParams, paginate
from rapport.core.models import BusinessCalendar

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("offset", "limit", "count", "capped"),
    [(0, 5, 10, True), (8, 5, 20, True), (20, 5, 30, True), (40, 5, 45, False)],
)
def test_a_capped_count_reaches_past_the_page(offset, limit, count, capped):
    BusinessCalendar.objects.bulk_create(BusinessCalendar(name=f"历{i:02d}") for i in range(45))
    page = paginate(
        BusinessCalendar.objects.filter(name__startswith="历").order_by("name"),
        PageParams(offset=offset, limit=limit),
        count_cap=10,
    )
    assert (page["count"], page["count_capped"]) == (count, capped)
    assert [c.name for c in page["results"]] == [
        f"历{i:02d}" for i in range(offset, min(offset + limit, 45))
    ]
