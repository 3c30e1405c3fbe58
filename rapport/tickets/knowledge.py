"""What tickets hand down to the knowledge base (rapport.knowledge never imports tickets):
archived cases for its index and for "draft an article from this case", and a ticket's text for
the suggestions panel. Registered by TicketsConfig.ready()."""

from collections.abc import Iterator
from functools import partial

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from rapport.core.errors import NotFound
from rapport.knowledge import registry
from rapport.knowledge import search as knowledge_search
from rapport.staff.models import User
from rapport.tickets.models import CaseLesson, Ticket
from rapport.tickets.selectors import ticket_get_for_staff


def _outcome(ticket: Ticket) -> str:
    parts = [str(ticket.get_status_display())]
    if ticket.satisfaction:
        parts.append(str(ticket.get_satisfaction_display()))
    if ticket.resolution:
        parts.append(ticket.resolution[:120])
    return " · ".join(parts)


def case_document(lesson: CaseLesson) -> registry.CaseDocument:
    ticket = lesson.ticket
    return registry.CaseDocument(
        ticket_id=ticket.pk,
        number=ticket.number,
        title=ticket.subject,
        problem=lesson.problem,
        cause=lesson.cause,
        remedy=lesson.remedy,
        outcome=_outcome(ticket),
        url=reverse("tickets:detail", args=[ticket.pk]),
        products=(ticket.asset.model if ticket.asset_id and ticket.asset else ""),
    )


def _lessons():
    return CaseLesson.objects.select_related("ticket", "ticket__asset")


def _iter_all() -> Iterator[registry.CaseDocument]:
    for lesson in _lessons().order_by("id").iterator(chunk_size=2000):
        yield case_document(lesson)


def _get(ticket_id: int) -> registry.CaseDocument | None:
    lesson = _lessons().filter(ticket_id=ticket_id).first()
    return case_document(lesson) if lesson else None


def _get_for_staff(*, staff: User, ticket_id: int) -> registry.CaseDocument:
    ticket = ticket_get_for_staff(staff=staff, ticket_id=ticket_id)
    case = _get(ticket.pk)
    if case is None:
        raise NotFound(_("This ticket has not been archived as a case."))
    return case


def _ticket_context(*, staff: User, pk: int) -> registry.SuggestContext:
    ticket = ticket_get_for_staff(staff=staff, ticket_id=pk)
    text = "\n".join(p for p in (ticket.subject, ticket.description, ticket.customer_words) if p)
    return registry.SuggestContext(
        text=text, reply_field="id_reply-body", exclude_ticket_id=ticket.pk, is_open=ticket.is_open
    )


def index_case_after_commit(ticket_id: int) -> None:
    """Called by ticket_archive: the case is searchable once the archive is committed."""
    transaction.on_commit(partial(knowledge_search.case_index_by_ticket, ticket_id))


def register() -> None:
    registry.register_case_source(
        registry.CaseSource(iter_all=_iter_all, get=_get, get_for_staff=_get_for_staff)
    )
    registry.register_suggest_context("ticket", _ticket_context)
