"""What the team inbox tells staff (rapport.notifications): a customer writing again in a
conversation someone has claimed tells that person (customer_replied), once per message."""

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.channels.models import Conversation, Message
from rapport.notifications.services import notify

BODY_MAX = 200


def conversation_message_announce(*, conversation: Conversation, message: Message) -> int:
    """Tell the conversation's holder that the customer wrote; automatic mail tells nobody."""
    if message.auto or conversation.claimed_by_id is None or not conversation.is_open:
        return 0
    return notify(
        users=[conversation.claimed_by],
        kind="customer_replied",
        title=format_lazy(_("{customer} wrote again"), customer=conversation.customer.name),
        body=" ".join((message.reply_text or message.text or "").split())[:BODY_MAX],
        url=reverse("web:conversation", args=[conversation.pk]),
        dedupe_key=f"customer_replied:message:{message.pk}",
    )
