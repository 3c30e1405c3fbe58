"""URL reversing kept per process (rapport.core.urls) and the {% url %} builtin that uses it."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from rapport.core import urls
from rapport.core.templatetags.fast_url import KeptURLNode


@pytest.fixture(autouse=True)
def fresh():
    urls.forget()
    yield
    urls.forget()
    set_script_prefix("/")


def test_the_same_url_as_reverse_and_kept_after_the_first_time():
    assert urls.reverse_kept("tickets:detail", args=[5]) == reverse("tickets:detail", args=[5])
    assert urls.reverse_kept("tickets:detail", kwargs={"ticket_id": 6}) == "/tickets/6/"
    assert urls.reverse_kept("web:home") == "/"
    kept = len(urls._KEPT)
    assert kept == 3
    assert urls.reverse_kept("tickets:detail", args=[5]) == "/tickets/5/"
    assert len(urls._KEPT) == kept


def test_the_script_prefix_is_part_of_the_key():
    assert urls.reverse_kept("tickets:detail", args=[5]) == "/tickets/5/"
    set_script_prefix("/rapport/")
    assert urls.reverse_kept("tickets:detail", args=[5]) == "/rapport/tickets/5/"


def test_arguments_that_reverse_through_their_str_are_not_kept():
    class Changing:
        def __init__(self, value):
            self.value = value

        def __str__(self):
            return str(self.value)

    arg = Changing(7)
    assert urls.reverse_kept("tickets:detail", args=[arg]) == "/tickets/7/"
    arg.value = 8
    assert urls.reverse_kept("tickets:detail", args=[arg]) == "/tickets/8/"
    assert urls._KEPT == {}


def test_no_match_is_raised_and_not_kept():
    with pytest.raises(NoReverseMatch):
        urls.reverse_kept("tickets:detail", args=["x/y"])
    with pytest.raises(NoReverseMatch):
        urls.reverse_kept("no-such-view")
    assert urls._KEPT == {}


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(urls, "MAX_KEPT", 3)
    for n in range(5):
        assert urls.reverse_kept("tickets:detail", args=[n]) == f"/tickets/{n}/"
    assert len(urls._KEPT) <= 3


def test_changing_the_url_configuration_forgets_what_was_kept():
    urls.reverse_kept("tickets:detail", args=[5])
    with override_settings(ROOT_URLCONF="rapport.urls"):
        assert urls._KEPT == {}


def test_the_url_tag_is_the_kept_one_in_every_template_with_djangos_behaviour():
    template = Template(
        '{% url "tickets:detail" 5 %}|{% url "tickets:detail" ticket_id=n %}|'
        '{% url "no-such-view" as missing %}[{{ missing }}]|{% url name 9 as u %}{{ u }}'
    )
    assert any(isinstance(node, KeptURLNode) for node in template.nodelist)
    rendered = template.render(Context({"n": 6, "name": "tickets:detail"}))
    assert rendered == "/tickets/5/|/tickets/6/|[]|/tickets/9/"
    kept = len(urls._KEPT)
    assert kept == 3  # the literal view names are safe strings: kept as well
    template.render(Context({"n": 6, "name": "tickets:detail"}))
    assert len(urls._KEPT) == kept
    with pytest.raises(NoReverseMatch):
        Template('{% url "no-such-view" %}').render(Context())
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")
