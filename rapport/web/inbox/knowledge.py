"""A conversation's text for the knowledge suggestions panel (rapport.knowledge.registry)."""

from rapport.channels.models import Message
from rapport.channels.selectors import conversation_get_for_staff
from rapport.knowledge import registry
from rapport.staff.models import User


def _conversation_context(*, staff: User, pk: int) -> registry.SuggestContext:
    conversation = conversation_get_for_staff(staff=staff, conversation_id=pk)
    # What the customer wrote most recently says most about what they need now.
    recent = (
        conversation.messages.filter(direction=Message.Direction.INBOUND)
        .order_by("-created_at", "-id")
        .values_list("reply_text", "text")[:3]
    )
    texts = [conversation.subject or ""] + [(short or full)[:2000] for short, full in recent]
    return registry.SuggestContext(
        text="\n".join(t for t in texts if t),
        reply_field="id_body",
        is_open=conversation.is_open,
    )


def register() -> None:
    registry.register_suggest_context("conversation", _conversation_context)
