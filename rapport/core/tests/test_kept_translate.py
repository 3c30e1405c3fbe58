"""{% translate %} of a literal is kept per language; every form renders as Django renders it."""

import pytest
from django.template import Context, Template
from django.templatetags import i18n
from django.utils import translation

from rapport.core import kept_translate

SOURCES = [
    '{% load i18n %}{% translate "Customer" %}',
    '{% load i18n %}{% translate "Service levels" context "ticket" %}',
    '{% load i18n %}{% trans "Customer" %}',
    '{% load i18n %}{% translate "Customer" noop %}',
    '{% load i18n %}{% translate "Customer"|upper %}',
    "{% load i18n %}{% translate word %}",
    '{% load i18n %}{% translate "Customer" as label %}[{{ label }}]',
    '{% load i18n %}{% translate "100%% sure <b>" %}',
    '{% load i18n %}{% autoescape off %}{% translate "a <b>" %}{% endautoescape %}',
]


def _djangos(source: str, context: dict) -> str:
    tags = dict(i18n.register.tags)
    try:
        i18n.register.tags["translate"] = i18n.register.tags["trans"] = i18n.do_translate
        return Template(source).render(Context(context))
    finally:
        i18n.register.tags.update(tags)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_form_renders_as_djangos_translate(source, language):
    context = {"word": "Customer"}
    template = Template(source)
    with translation.override(language):
        first, again = template.render(Context(context)), template.render(Context(context))
        assert first == again == _djangos(source, context)


def test_a_literal_is_kept_per_language():
    template = Template('{% load i18n %}{% translate "Customer" %}')
    node = next(n for n in template.nodelist if isinstance(n, kept_translate.KeptTranslateNode))
    with translation.override("zh-hans"):
        chinese = template.render(Context())
    with translation.override("en"):
        english = template.render(Context())
    assert (chinese, english) == ("客户", "Customer")
    assert node.kept == {("zh-hans", True): "客户", ("en", True): "Customer"}


def test_only_the_plain_form_is_kept():
    kept = Template('{% load i18n %}{% translate "Customer" context "x" %}').nodelist[-1]
    variable = Template("{% load i18n %}{% translate word %}").nodelist[-1]
    filtered = Template('{% load i18n %}{% translate "Customer"|upper %}').nodelist[-1]
    named = Template('{% load i18n %}{% translate "Customer" as c %}').nodelist[-1]
    assert kept.kept == {}
    assert variable.kept is None and filtered.kept is None and named.kept is None


def test_changing_the_languages_forgets_what_was_kept(settings):
    template = Template('{% load i18n %}{% translate "Customer" %}')
    with translation.override("en"):
        template.render(Context())
    node = template.nodelist[-1]
    assert node.kept
    settings.LANGUAGES = [("en", "English")]
    assert node.kept == {}
