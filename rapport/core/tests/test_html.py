"""fmt and esc read exactly as Django's format_html and conditional_escape."""

from datetime import date
from decimal import Decimal

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from rapport.core import html
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


@given(values)
def test_the_template_engines_escaping_is_djangos_conditional_escape(value):
    got = html.conditional_escape(value)
    assert got == conditional_escape(value)
    assert type(got) is type(conditional_escape(value))


def test_templates_escape_with_it_and_show_what_they_showed(monkeypatch):
    from django.template import Context, Template, base

    assert base.conditional_escape is html.conditional_escape
    template = Template("{{ a }}|{{ b }}|{{ c }}|{{ d }}|{{ e }}|{{ f|safe }}")
    context = {
        "a": "<张&李>",
        "b": mark_safe("<i>x</i>"),
        "c": Shown(),
        "d": 5,
        "e": gettext_lazy("Customer"),
        "f": "<b>",
    }
    shown = template.render(Context(context))
    monkeypatch.setattr(base, "conditional_escape", conditional_escape)  # Django's own
    assert shown == template.render(Context(context))
    assert shown.startswith("&lt;张&amp;李&gt;|<i>x</i>|&lt;张 &amp; &quot;李&quot;&gt;|5|")
