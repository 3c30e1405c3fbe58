"""Reads of the channels app. Access-checked where the caller passes a staff member: "not
allowed" looks exactly like "not found". Higher layers (tickets' inbox page) add their own
context on top of these."""

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from rapport.channels.models import (
    Conversation,
    InboundMessage,
    Message,
    MessageAttachment,
    OutboxMessage,
)
from rapport.core.errors import NotFound
from rapport.staff.models import User


def conversation_visible_qs(*, staff: User) -> QuerySet[Conversation]:
    """Leads (`inbox.see_all`) see every conversation; others those of their teams and those
    they claimed; staff without `inbox.work` none."""
    if not staff.can("inbox.work"):
        return Conversation.objects.none()
    if staff.can("inbox.see_all"):
        return Conversation.objects.all()
    team_ids = list(staff.teams.values_list("id", flat=True))
    return Conversation.objects.filter(Q(team_id__in=team_ids) | Q(claimed_by=staff))


def conversation_inbox(*, staff: User, state: str = Conversation.State.UNASSIGNED):
    """The team inbox: conversations in `state` the staff member may see, newest message
    first, each with its customer, account, team, claimer and the last inbound message's
    sender and reply text (`last_sender`, `last_text`) — one query however long the page."""
    last = Message.objects.filter(
        conversation=OuterRef("pk"), direction=Message.Direction.INBOUND
    ).order_by("-created_at", "-id")
    return (
        conversation_visible_qs(staff=staff)
        .filter(state=state)
        .select_related("customer", "account", "team", "claimed_by")
        .annotate(
            last_text=Subquery(last.values("reply_text")[:1]),
            last_sender=Subquery(last.values("sender")[:1]),
        )
        .order_by("-last_message_at", "-id")
    )


def conversation_get_for_staff(*, staff: User, conversation_id) -> Conversation:
    try:
        return (
            conversation_visible_qs(staff=staff)
            .select_related("customer", "account", "team", "claimed_by", "closed_by")
            .get(pk=conversation_id)
        )
    except (Conversation.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such conversation.")) from exc


def conversation_messages(*, conversation: Conversation) -> list[Message]:
    """The conversation's messages, oldest first, with attachments and the outbox row of each
    outbound one (its delivery state) — three queries."""
    return list(
        conversation.messages.select_related("outbox", "sent_by")
        .prefetch_related(
            Prefetch("attachments", queryset=MessageAttachment.objects.order_by("id"))
        )
        .order_by("created_at", "id")
    )


def inbound_quarantine() -> QuerySet[InboundMessage]:
    """Quarantined messages, newest first, for the administrators' page."""
    return (
        InboundMessage.objects.filter(state=InboundMessage.State.QUARANTINED)
        .select_related("account")
        .defer("raw_bytes")
        .order_by("-received_at", "-id")
    )


def outbox_for_ticket(*, ticket_id: int) -> QuerySet[OutboxMessage]:
    """The messages sent (or on their way) about a ticket, newest first, with their state."""
    return OutboxMessage.objects.filter(ticket_id=ticket_id).order_by("-created_at", "-id")


CHAT_KINDS = ("wechat", "wecom")


def chat_window(*, conversation: Conversation, now=None) -> dict | None:
    """The 48-hour customer-service window of a WeChat/WeCom conversation (None for e-mail):
    open, ends_at, seconds_left, sent, quota, followed, template (a template message can still
    go out after it closes). One query."""
    from django.utils import timezone

    from rapport.channels.models import ChatSession
    from rapport.channels.models.chat import WINDOW_QUOTA

    account = conversation.account
    if account.kind not in CHAT_KINDS:
        return None
    now = now or timezone.now()
    session = (
        ChatSession.objects.filter(account=account, customer_id=conversation.customer_id)
        .order_by("-last_inbound_at", "-id")
        .only("last_inbound_at", "window_sent", "followed", "kf_state")
        .first()
    )
    ends_at = session.window_ends_at() if session is not None else None
    seconds_left = max(0, int((ends_at - now).total_seconds())) if ends_at else 0
    return {
        "kind": account.kind,
        "open": seconds_left > 0,
        "ends_at": ends_at,
        "seconds_left": seconds_left,
        "hours_left": seconds_left // 3600,
        "minutes_left": (seconds_left % 3600) // 60,
        "sent": session.window_sent if session is not None else 0,
        "quota": WINDOW_QUOTA,
        "remaining": max(0, WINDOW_QUOTA - (session.window_sent if session is not None else 0)),
        "followed": session.followed if session is not None else True,
        "template": bool((account.config or {}).get("template_id")),
        "kf_state": session.get_kf_state_display()
        if session and session.kf_state is not None
        else "",
    }
