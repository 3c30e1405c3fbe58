"""Django's form renderer, with its plainest widget templates written in Python.

A select of 20 options is 40 template includes (an option and its attributes each); a queue page
with six filter selects spent about 4 ms of its CPU in them, and every page with a form pays for
its inputs and text areas the same way. `FormRenderer` renders the stock templates of inputs,
text areas and selects (`django/forms/widgets/…`) here, character for character as the
templates do — the same escaping, localisation and time-zone conversion of values
(`rapport/core/tests/test_form_renderer.py` compares the two over generated widgets) — and hands
every other template, and any widget whose options use another template, to Django's renderer.
"""

from django.forms.renderers import DjangoTemplates
from django.template.defaultfilters import stringformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

_INPUT_TYPES = (
    "input",
    "text",
    "email",
    "number",
    "date",
    "datetime",
    "time",
    "hidden",
    "search",
    "tel",
    "url",
    "password",
    "checkbox",
    "color",
)
_WIDGETS = "django/forms/widgets/"
_OPTION = _WIDGETS + "select_option.html"


def _text(value) -> str:
    """`{{ value }}` in a template (render_value_in_context, autoescaping on)."""
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def _string(value) -> str:
    """`{{ value|stringformat:'s' }}` (a safe value stays safe: the filter is is_safe)."""
    text = stringformat(value, "s")
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is not False:
            out.append(f" {_text(name)}" if value is True else f' {_text(name)}="{_string(value)}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{_string(value)}"' if value is not None else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _textarea(widget: dict) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{_text(value) if value else ''}</textarea>"
    )


def _select(widget: dict) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION:
                return None  # options of their own template: Django renders the select
            parts.append(
                f'\n  <option value="{_string(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"  # the template file's own newline
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_FAST = {
    **{f"{_WIDGETS}{name}.html": _input for name in _INPUT_TYPES},
    f"{_WIDGETS}textarea.html": _textarea,
    f"{_WIDGETS}select.html": _select,
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        fast = _FAST.get(template_name)
        if fast is not None and "widget" in context:
            html = fast(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request=request)
