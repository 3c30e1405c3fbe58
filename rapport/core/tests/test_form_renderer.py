"""The widgets rendered in Python read exactly as Django's templates render them."""

import datetime
from decimal import Decimal

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core.form_renderer import FormRenderer

FAST, TEMPLATES = FormRenderer(), DjangoTemplates()

texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["<b>&\"'", "张伟 & 李", "", " ", "a\nb", "0"]),
    st.builds(mark_safe, st.sampled_from(["<i>safe</i>", "&amp;"])),
)
values = st.one_of(
    st.none(),
    texts,
    st.integers(-(10**12), 10**12),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=2, max_value=10**6, min_value=-(10**6)
    ),
    st.dates(),
    st.datetimes(timezones=st.just(datetime.UTC)),
    st.booleans(),
)
attr_values = st.one_of(st.booleans(), texts, st.integers(0, 500))
attrs = st.dictionaries(
    st.sampled_from(["class", "id", "placeholder", "required", "data-x", "disabled", "max"]),
    attr_values,
    max_size=4,
)
labels = st.one_of(
    texts, st.integers(0, 99), st.just(gettext_lazy("Priority")), st.just(gettext_lazy("Customer"))
)
choices = st.lists(st.tuples(st.one_of(st.integers(0, 30), texts), labels), max_size=6)
grouped = st.lists(st.tuples(texts, choices), max_size=3)

WIDGETS = [
    forms.TextInput,
    forms.EmailInput,
    forms.NumberInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.HiddenInput,
    forms.PasswordInput,
    forms.URLInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.CheckboxInput,
    forms.Textarea,
]


def same(widget, value, name="field"):
    context = widget.get_context(name, value, None)
    template = widget.template_name
    assert FAST.render(template, context) == TEMPLATES.render(template, context)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(WIDGETS), values, attrs, st.sampled_from(["zh-hans", "en"]))
def test_inputs_and_text_areas_render_as_their_templates(widget_class, value, attrs, language):
    with translation.override(language):
        same(widget_class(attrs=attrs), value, name="q<&>")


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(choices, grouped), values, attrs, st.booleans(), st.sampled_from(["zh-hans", "en"])
)
def test_selects_with_groups_render_as_their_template(options, value, attrs, multiple, language):
    widget = (forms.SelectMultiple if multiple else forms.Select)(attrs=attrs, choices=options)
    with translation.override(language):
        same(widget, [value] if multiple else value)
        same(forms.NullBooleanSelect(attrs=attrs), value)


def test_a_select_whose_options_have_their_own_template_goes_to_django():
    class Marked(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = Marked(choices=[(1, "甲"), (2, "乙")])
    same(widget, 1)
    assert "<input" in FAST.render(widget.template_name, widget.get_context("f", 1, None))


def test_a_real_form_renders_as_before(settings):
    class Filters(forms.Form):
        q = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": "名称"}))
        priority = forms.TypedChoiceField(choices=[("", "—"), (1, "低"), (3, "高")], coerce=int)
        when = forms.DateField(initial=datetime.date(2026, 12, 7))
        amount = forms.DecimalField(initial=Decimal("12.50"))
        note = forms.CharField(widget=forms.Textarea, initial="<script>")

    form = Filters(data={"q": "张<", "priority": "3", "note": "a & b"})
    fast = str(form)
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    try:
        assert str(Filters(data={"q": "张<", "priority": "3", "note": "a & b"})) == fast
    finally:
        get_default_renderer.cache_clear()
