"""`{% reveal_form customer what target label %}`: the reveal button that asks why first."""

from django import template

from rapport.customers.services import RevealReason

register = template.Library()


@register.inclusion_tag("customers/_reveal.html", takes_context=True)
def reveal_form(context, customer, what: str, target: str, label: str, button: str = "btn-link"):
    error = context.get("reveal_error") or {}
    posted = context.get("reveal_posted") or {}
    mine = error.get("what") == what
    return {
        "customer": customer,
        "what": what,
        "target": target,
        "label": label,
        "button": button,
        "reasons": RevealReason.choices,
        "error": error.get("message", "") if mine else "",
        "chosen": posted.get("reason", "") if mine else "",
        "note": posted.get("note", "") if mine else "",
        "csrf_token": context.get("csrf_token"),
    }
