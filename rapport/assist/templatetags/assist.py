from django import template
from django.utils.translation import gettext_lazy as _

from rapport.assist.models import UpsetAssessment

register = template.Library()

REASON_KINDS = {
    "external": _("Going outside the company"),
    "abuse": _("Abuse"),
    "anger": _("Anger"),
    "sarcasm": _("Sarcasm"),
    "mild": _("Annoyance"),
    "emphasis": _("Emphasis"),
    "over": _("Anger over"),
    "self": _("Irritated at themselves"),
}


@register.simple_tag
def upset_assessments(ticket_id, limit: int = 3):
    """The latest upset assessments that concern a ticket (one query)."""
    return list(
        UpsetAssessment.objects.filter(ticket_id=ticket_id, upset=True).order_by(
            "-assessed_at", "-pk"
        )[:limit]
    )


@register.filter
def upset_reason(reason: str) -> str:
    kind, _sep, words = str(reason).partition(":")
    label = REASON_KINDS.get(kind)
    return f"{label}：{words}" if label else str(reason)


@register.simple_tag
def upset_for_messages(messages):
    """The strongest upset assessment among a thread's messages (one query), or None."""
    ids = [m.pk for m in messages if getattr(m, "direction", "inbound") == "inbound"][-200:]
    if not ids:
        return None
    return (
        UpsetAssessment.objects.filter(source="message", source_id__in=ids, upset=True)
        .order_by("-intensity", "-assessed_at")
        .first()
    )
