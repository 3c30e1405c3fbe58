"""What the reply views of higher layers call, one line each (tickets, the inbox)."""

from django.http import HttpRequest

from rapport.assist.coach import coach_check
from rapport.assist.services import coach_record_sent

SHOWN_FIELD = (
    "coach_shown"  # filled by assist/coach.js: the rules shown while the draft was written
)


def coach_record_reply(
    request: HttpRequest, *, channel: str, text: str, reference: str = ""
) -> None:
    """Record the flags shown on a reply that was just sent and whether each was fixed.

    Never raises into the caller: the reply is sent whatever happens here."""
    shown = [
        code for value in request.POST.getlist(SHOWN_FIELD)[:5] for code in value.split(",")[:100]
    ]
    remaining = [flag.rule for flag in coach_check(text or "")]
    if shown or remaining:
        coach_record_sent(
            agent=request.user,
            channel=channel,
            shown=shown,
            remaining=remaining,
            reference=reference,
        )


def coach_reply_fields(ticket, data: dict) -> dict:
    """The channel and reference a ticket reply is recorded under (e-mail replies as e-mail)."""
    return {
        "channel": "email" if data.get("channel") == "email" else "ticket",
        "text": data.get("body", ""),
        "reference": getattr(ticket, "number", ""),
    }
