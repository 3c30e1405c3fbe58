"""Relative times: the same words as Django's timesince gives, translated once per process."""

from datetime import UTC, datetime, timedelta
from datetime import timezone as tz

from django.utils import translation
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core import times


def _reference(value, now) -> str:
    """reltime's text as it was worked out before: timesince itself, translated every time."""
    if abs((now - value).total_seconds()) < 60:
        return _("just now")
    if value <= now:
        return _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    return _("in %(time)s") % {"time": timesince(now, value, depth=1)}


_MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
    max_value=datetime(2040, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
_ZONES = st.sampled_from([UTC, tz(timedelta(hours=8)), tz(timedelta(hours=-5))])


@settings(max_examples=400, deadline=None)
@given(
    _MOMENTS,
    st.one_of(
        st.integers(-3 * 366 * 86400, 3 * 366 * 86400),
        st.integers(-7200, 7200),
        st.sampled_from([59, 60, 61, 3599, 3600, 86399, 86400, 604799, 604800]),
    ),
    _ZONES,
    st.sampled_from(["zh-hans", "en"]),
)
def test_the_words_are_timesinces_in_every_language(value, seconds, zone, language):
    now = (value + timedelta(seconds=seconds)).astimezone(zone)
    with translation.override(language):
        html = str(times.reltime(value, now))
        assert f">{_reference(value, now)}</time>" in html


def test_month_ends_and_leap_days_count_as_timesince_counts_them():
    cases = [
        (datetime(2024, 1, 31, 10, tzinfo=UTC), datetime(2024, 2, 29, 9, tzinfo=UTC)),
        (datetime(2024, 2, 29, 10, tzinfo=UTC), datetime(2025, 2, 28, 11, tzinfo=UTC)),
        (datetime(2023, 12, 31, 23, 59, tzinfo=UTC), datetime(2024, 1, 31, 23, 59, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), datetime(2024, 4, 30, tzinfo=UTC)),
    ]
    with translation.override("zh-hans"):
        for value, now in cases:
            assert f">{_reference(value, now)}</time>" in str(times.reltime(value, now))
            assert f">{_reference(now, value)}</time>" in str(times.reltime(now, value))


def test_the_words_are_kept_per_language():
    value, now = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC)
    with translation.override("en"):
        english = str(times.reltime(value, now))
    with translation.override("zh-hans"):
        chinese = str(times.reltime(value, now))
    assert ">3\xa0days ago<" in english and ">3\xa0日前<" in chinese
