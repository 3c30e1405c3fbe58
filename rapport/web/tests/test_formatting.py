from datetime import timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone

from rapport.web.templatetags.rapport import masked_phone, phone, reltime, ymd_hm, yuan


def test_amounts_are_yuan_with_thousands_and_cents():
    assert yuan(1280) == "¥1,280.00"
    assert yuan(Decimal("-3.5")) == "-¥3.50"
    assert yuan(None) == ""


def test_phones_are_grouped_and_masked():
    assert phone("+8613800138000") == "138 0013 8000"
    assert masked_phone("+8613800138000") == "138****8000"


@time_machine.travel("2026-11-23 06:05:00+00:00", tick=False)
def test_dates_are_local_and_relative_times_carry_the_exact_time():
    now = timezone.now()
    assert ymd_hm(now) == "2026-11-23 14:05"  # Asia/Shanghai
    html = reltime(now - timedelta(hours=3))
    assert 'title="2026-11-23 11:05"' in html
    assert "3" in html
    assert "刚刚" in reltime(now - timedelta(seconds=10))
