"""Titles kept as message ids and parameters, so each reader sees their own language.

`title_encode` turns what a caller passed (a plain string, `gettext_lazy("…")`,
`pgettext_lazy(ctx, "…")`, or `format_lazy(gettext_lazy("… {number}"), number=…)` with lazy or
plain parameters) into JSON; `render_title` turns it back into text in the active language.
Anything else lazy is rendered once, in the language active when the notification is created.
"""

from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import _format_lazy


class _Missing(dict):
    def __missing__(self, key: str) -> str:  # a translation naming a parameter we do not have
        return "{" + key + "}"


def _lazy_parts(value: Promise) -> tuple[Any, tuple, dict] | None:
    try:
        _unpickle, (func, args, kw, *_classes) = value.__reduce__()
    except (TypeError, ValueError):
        return None
    return func, args, kw


def title_encode(value: Any) -> Any:
    """JSON for `value`: a string stays a string; known lazy strings become {"t": msgid},
    {"p": context, "t": msgid} or {"f": format, "a": [...], "k": {...}}."""
    if isinstance(value, Promise):
        parts = _lazy_parts(value)
        if parts is not None:
            func, args, kw = parts
            if func is translation.gettext and len(args) == 1:
                return {"t": str(args[0])}
            if func is translation.pgettext and len(args) == 2:
                return {"p": str(args[0]), "t": str(args[1])}
            if func is _format_lazy and args:
                return {
                    "f": title_encode(args[0]),
                    "a": [title_encode(a) for a in args[1:]],
                    "k": {k: title_encode(v) for k, v in kw.items()},
                }
        return str(value)
    if value is None:
        return ""
    return str(value)


def title_decode(spec: Any) -> str:
    """The text of an encoded title in the active language."""
    if isinstance(spec, str):
        return spec
    if not isinstance(spec, dict):
        return str(spec)
    if "f" in spec:
        template = title_decode(spec["f"])
        args = [title_decode(a) for a in spec.get("a", [])]
        kwargs = _Missing({k: title_decode(v) for k, v in spec.get("k", {}).items()})
        try:
            return template.format_map(kwargs) if not args else template.format(*args, **kwargs)
        except (IndexError, KeyError, ValueError):
            return template
    if "p" in spec:
        return translation.pgettext(spec["p"], spec.get("t", ""))
    return translation.gettext(spec.get("t", ""))


def title_key_of(spec: Any) -> str:
    """A readable key for the row (the untranslated text): the msgid of the template."""
    if isinstance(spec, dict):
        if "f" in spec:
            return title_key_of(spec["f"])
        return str(spec.get("t", ""))
    return str(spec)


def render_title(key: str, params: dict) -> str:
    if params and "spec" in params:
        return title_decode(params["spec"])
    return key
