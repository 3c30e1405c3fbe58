"""URL reversing kept per process.

Django's `reverse` walks the URL patterns for every call (25–90 µs here); a page reverses 40–50
URLs (the navigation, every link and action), 2–3 ms of CPU on the ticket page. The URL a name
and its arguments give depends only on the URL configuration and the script prefix, so it is
kept per process, keyed by both. Only plain arguments (int and str, also a template's safe
strings) are kept: a model instance or a lazy string reverses through its `str`, which can
change, so those are reversed every time. `{% url %}` uses this too (`rapport.core.templatetags.fast_url`, a
template builtin that replaces Django's tag with the same syntax and behaviour).
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import SafeString

_KEPT: dict[tuple, str] = {}
MAX_KEPT = 20_000
# A template's string literals and filtered strings are SafeString: the same text.
_PLAIN = (int, str, SafeString)


def _plain(values) -> bool:
    return all(type(value) in _PLAIN for value in values)


def reverse_kept(viewname: str, args=None, kwargs=None, current_app: str | None = None) -> str:
    """`reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)`, kept."""
    args = tuple(args) if args else ()
    if type(viewname) not in _PLAIN or not _plain(args) or (kwargs and not _plain(kwargs.values())):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    key = (
        viewname,
        args,
        tuple(sorted(kwargs.items())) if kwargs else (),
        current_app,
        get_script_prefix(),
        get_urlconf(),
    )
    url = _KEPT.get(key)
    if url is None:
        url = reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
        if len(_KEPT) >= MAX_KEPT:
            _KEPT.clear()
        _KEPT[key] = url
    return url


def forget() -> None:
    _KEPT.clear()


@receiver(setting_changed)
def _urlconf_changed(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        forget()
