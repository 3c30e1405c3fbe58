"""Reads for surveys, scoped to what the staff member may see. Outside scope looks like missing."""

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from rapport.channels.models import OutboxMessage
from rapport.core.errors import NotFound
from rapport.customers.models import Customer
from rapport.customers.selectors import customer_list
from rapport.interactions.models import Interaction
from rapport.staff.models import User
from rapport.surveys.models import SavedSegment, SurveyResponse, SurveySend, SurveyTemplate
from rapport.tickets.models import Priority, Ticket, TicketEvent

# The outbox source of survey invitations; the row's key is "survey_invitation:<send id>".
INVITATION_SOURCE = "survey_invitation"


def invitation_interaction(send: SurveySend) -> Interaction | None:
    """The timeline entry of the send's invitation: the send's link, else the one the outbox
    wrote when it sent it (its listener has not run yet); None while it is not sent."""
    if send.interaction_id:
        return send.interaction
    return Interaction.objects.filter(
        pk__in=OutboxMessage.objects.filter(
            idempotency_key=f"{INVITATION_SOURCE}:{send.pk}"
        ).values("interaction_id")
    ).first()


LINK_SALT = "rapport.surveys.link"


def link_signer() -> signing.Signer:
    return signing.Signer(salt=LINK_SALT, sep=".")


def send_visible_qs(*, staff: User) -> QuerySet[SurveySend]:
    """Managers and administrators see every send; others the sends about their own work or
    their teams' (owner, credited handler, sender or team)."""
    if not staff.can("surveys.view"):
        return SurveySend.objects.none()
    if staff.can("surveys.analyse_all"):
        return SurveySend.objects.all()
    team_ids = list(staff.teams.values_list("pk", flat=True))
    return SurveySend.objects.filter(
        Q(owner=staff) | Q(sent_by=staff) | Q(team_id__in=team_ids) | Q(credits__staff=staff)
    ).distinct()


def send_list(*, staff: User, status: str = "", template: str = "") -> QuerySet[SurveySend]:
    qs = send_visible_qs(staff=staff)
    if status:
        qs = qs.filter(status=status)
    if template:
        qs = qs.filter(template__code=template)
    return qs.select_related("template", "customer", "owner", "response").order_by(
        "-created_at", "-id"
    )


def send_get_for_staff(*, staff: User, send_id: int) -> SurveySend:
    try:
        return send_list(staff=staff).get(pk=send_id)
    except (SurveySend.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such survey.")) from exc


def response_list(*, staff: User, template: str = "") -> QuerySet[SurveyResponse]:
    qs = SurveyResponse.objects.filter(send__in=send_visible_qs(staff=staff))
    if template:
        qs = qs.filter(send__template__code=template)
    return qs.select_related("send", "send__template", "send__customer").prefetch_related(
        "answers__question"
    )


def template_list(*, active_only: bool = True) -> QuerySet[SurveyTemplate]:
    qs = SurveyTemplate.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("id")


def template_get(*, template_id: int | None = None, code: str = "") -> SurveyTemplate:
    try:
        if code:
            return SurveyTemplate.objects.get(code=code)
        return SurveyTemplate.objects.get(pk=template_id)
    except (SurveyTemplate.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such survey template.")) from exc


def segment_list() -> QuerySet[SavedSegment]:
    return SavedSegment.objects.order_by("name")


def segment_get(*, segment_id: int) -> SavedSegment:
    try:
        return SavedSegment.objects.get(pk=segment_id)
    except (SavedSegment.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(_("No such segment.")) from exc


def segment_customers(*, segment: SavedSegment, staff: User) -> QuerySet[Customer]:
    """The segment's customers, through the customer list's own filters."""
    return customer_list(staff=staff, tier=segment.tier, stage=segment.stage, tag=segment.tag)


def send_for_token(*, token: str) -> SurveySend | None:
    """The send a public link points at, or None for a tampered or unknown link (the two look
    the same to the visitor). The signature is checked before the database is asked."""
    try:
        link_signer().unsign(token or "")
    except signing.BadSignature:
        return None
    return (
        SurveySend.objects.select_related("template", "customer", "response")
        .filter(token_digest=SurveySend.digest(token))
        .first()
    )


def customer_has_open_high_priority_complaint(
    *, customer_id: int, except_ticket_id: int | None = None
) -> bool:
    """True while the customer has an open complaint of high or urgent priority other than
    `except_ticket_id` (DOMAIN.md §4 outreach guard)."""
    return (
        Ticket.objects.filter(
            customer_id=customer_id,
            kind=Ticket.Kind.COMPLAINT,
            is_open=True,
            priority__gte=Priority.HIGH,
        )
        .exclude(pk=except_ticket_id)
        .exists()
    )


def tickets_closed_after(*, after, after_id: int, until, limit: int) -> list[tuple[int, object]]:
    """(id, closed_at) of tickets closed after the cursor (after, after_id) and by `until`,
    in cursor order — what the closed-ticket sweep sends surveys for."""
    return list(
        Ticket.objects.filter(
            Q(closed_at__gt=after) | Q(closed_at=after, pk__gt=after_id),
            status=Ticket.Status.CLOSED,
            closed_at__lte=until,
        )
        .order_by("closed_at", "id")
        .values_list("pk", "closed_at")[:limit]
    )


def ticket_for_survey(*, ticket_id: int) -> tuple[Ticket, list[User]] | None:
    """The closed ticket with what its survey copies (owner, team, type, channel), and the staff
    who handled a transfer of it (assigned or escalated to them), owner excluded."""
    ticket = (
        Ticket.objects.select_related(
            "customer", "first_responder", "assignee", "team", "ticket_type", "interaction"
        )
        .filter(pk=ticket_id, status=Ticket.Status.CLOSED)
        .first()
    )
    if ticket is None:
        return None
    handler_ids = {
        e.data.get("to")
        for e in ticket.events.filter(
            kind__in=[TicketEvent.Kind.ASSIGNED, TicketEvent.Kind.ESCALATED]
        )
    }
    handler_ids.discard(None)
    handler_ids.discard(ticket.first_responder_id)
    handlers = list(User.objects.filter(pk__in=handler_ids).order_by("pk"))
    return ticket, handlers
