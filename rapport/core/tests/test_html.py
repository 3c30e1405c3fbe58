"""fmt and esc read exactly as Django's format_html and conditional_escape."""

from datetime import date
from decimal import Decimal

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.html import esc, fmt


class Shown:
    def __str__(self):
        return '<张 & "李">'


class Marked:
    def __html__(self):
        return "<b>marked</b>"


values = st.one_of(
    st.text(),
    st.sampled_from(["<script>", "a & b", "\"'", "张伟"]),
    st.builds(mark_safe, st.sampled_from(["<i>x</i>", "&amp;"])),
    st.integers(),
    st.none(),
    st.just(Decimal("1.50")),
    st.just(date(2026, 12, 7)),
    st.just(gettext_lazy("Customer")),
    st.just(Shown()),
    st.just(Marked()),
)


@given(values)
def test_esc_is_conditional_escape(value):
    assert esc(value) == conditional_escape(value)
    assert type(esc(value)) in (str, SafeString)


@given(st.lists(values, min_size=1, max_size=4), values)
def test_fmt_is_format_html(args, keyword):
    template = " | ".join("{}" for _ in args) + " <{k}>"
    got = fmt(template, *args, k=keyword)
    assert got == format_html(template, *args, k=keyword)
    assert isinstance(got, SafeString)
