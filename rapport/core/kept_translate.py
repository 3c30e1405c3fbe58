"""`{% translate "literal" %}` rendered once per language and process.

A page shows 70–80 translated literals; Django's TranslateNode builds a lazy string for each on
every render, then evaluates, localizes and escapes it: about 10 µs each, a millisecond a page.
What a literal renders to depends only on the active language (the catalogues are read once per
process) and on autoescaping, so the node keeps its output per both. Only the plain form is
kept: a literal with no filters, a literal context or none, no `as`; anything else renders as
Django renders it. `install` puts this node behind Django's own `translate`/`trans` tags (the
i18n library every template loads), so templates are unchanged.
"""

from weakref import WeakSet

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags import i18n
from django.utils.translation import get_language

_NODES: WeakSet["KeptTranslateNode"] = WeakSet()
_DJANGO_TRANSLATE = i18n.do_translate


def _literal(expression) -> bool:
    """A FilterExpression of a constant: a string (as a parsed constant is kept) or a literal
    Variable (as TranslateNode makes of it), with no filters."""
    if expression is None or expression.filters:
        return False
    return isinstance(expression.var, str) or getattr(expression.var, "literal", None) is not None


class KeptTranslateNode(i18n.TranslateNode):
    def __init__(self, node: i18n.TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        context_ok = self.message_context is None or _literal(self.message_context)
        self.kept: dict | None = (
            {} if self.asvar is None and _literal(self.filter_expression) and context_ok else None
        )
        if self.kept is not None:
            _NODES.add(self)

    def render(self, context):
        if self.kept is None:
            return super().render(context)
        key = (get_language(), context.autoescape)
        value = self.kept.get(key)
        if value is None:
            value = self.kept[key] = super().render(context)
        return value


def kept_translate(parser, token):
    return KeptTranslateNode(_DJANGO_TRANSLATE(parser, token))


def install() -> None:
    i18n.register.tags["translate"] = i18n.register.tags["trans"] = kept_translate


def forget() -> None:
    for node in list(_NODES):
        node.kept.clear()


@receiver(setting_changed)
def _languages_changed(*, setting, **kwargs) -> None:
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "USE_I18N"}:
        forget()
