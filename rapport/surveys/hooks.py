"""Where surveys meet tickets (issue 4). Surveys read tickets and open tickets through tickets'
services; tickets never import surveys.

* `survey_send_for_ticket_closed` sends the post-ticket survey for a closed ticket; the sweep in
  rapport/surveys/periodic.py calls it for each ticket closed since its last run.
* `survey_open_follow_up` closes the loop on an unhappy answer with a follow-up ticket owned by
  the original owner, the answers attached as the customer's words.
"""

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.errors import Conflict
from rapport.customers.models import Identity
from rapport.surveys import selectors
from rapport.surveys.models import SurveyResponse, SurveySend, SurveyTemplate
from rapport.tickets.models import Ticket, defuse_markup, validate_no_markup
from rapport.tickets.services import ticket_create

POST_TICKET_TEMPLATE = "post_ticket_csat"


def survey_send_for_ticket_closed(*, ticket_id: int) -> SurveySend | None:
    """Send the post-ticket survey for a closed ticket (event key ``ticket:<id>``), copying its
    owner (first responder), team, channel and type, and crediting each transfer handler.

    Returns None — and sends nothing — when the ticket is not closed, its owner has left, the
    event already had its survey, or a rule (fatigue, opt-out, another open high-priority
    complaint, …) stops it: a closed ticket never waits for a survey it may not get."""
    from rapport.surveys.services import SurveyRefused, survey_send

    found = selectors.ticket_for_survey(ticket_id=ticket_id)
    if found is None:
        return None
    ticket, handlers = found
    if SurveyResponse.objects.filter(follow_up_ticket=ticket).exists():
        return None  # the follow-up of a survey answer is not surveyed again
    owner = ticket.first_responder or ticket.assignee
    if owner is None or not owner.is_active:
        return None
    template = SurveyTemplate.objects.filter(code=POST_TICKET_TEMPLATE, is_active=True).first()
    if template is None:
        return None
    try:
        return survey_send(
            template=template,
            customer=ticket.customer,
            trigger=SurveySend.Trigger.TICKET_CLOSED,
            trigger_key=f"ticket:{ticket.pk}",
            by=owner,
            subject=f"{ticket.number} {ticket.subject}",
            ticket_id=ticket.pk,
            owner=owner,
            team=ticket.team,
            channel=ticket.interaction.channel if ticket.interaction else _source_channel(ticket),
            ticket_type=ticket.ticket_type.code if ticket.ticket_type else "",
            transfer_handlers=[h for h in handlers if h.is_active],
        )
    except (SurveyRefused, Conflict, ValidationError):
        return None


def _source_channel(ticket: Ticket) -> str:
    return {Ticket.Source.PUBLIC_FORM: "web_form"}.get(ticket.source, "")


def _answers_text(response: SurveyResponse) -> str:
    """The answers as the customer gave them, one line per question, in Chinese and English
    labels of the staff member's language."""
    lines = []
    for answer in response.answers.select_related("question").order_by("question__position"):
        q = answer.question
        if q.kind in ("servqual", "kano"):
            value = f"{answer.value} / {answer.value_b}"
        elif answer.choices:
            labels = dict(q.option_items())
            value = ", ".join(labels.get(c, c) for c in answer.choices)
        elif answer.text:
            value = answer.text
        elif q.kind == "solved":
            value = _("Yes") if answer.value else _("No")
        else:
            value = str(answer.value)
        lines.append(f"{q.text}: {value}")
    return "\n".join(lines)


def _contact(response: SurveyResponse) -> dict:
    values = dict(
        Identity.objects.filter(customer=response.send.customer, kind__in=["phone", "email"])
        .order_by("kind", "is_primary", "id")
        .values_list("kind", "value")
    )
    return {"contact_phone": values.get("phone", ""), "contact_email": values.get("email", "")}


def survey_open_follow_up(*, response: SurveyResponse) -> Ticket:
    """Open the follow-up ticket for an unhappy answer, owned by the send's owner (or its sender
    when no one owns it), the answers attached. Call inside the response's transaction.

    The customer's own words are their answers verbatim; a free-text answer carrying HTML is
    left out there (it stays on the survey response) because tickets refuse markup."""
    send = response.send
    owner = send.owner or send.sent_by
    with translation.override(owner.language or "zh-hans"):
        answers = _answers_text(response)
        try:
            validate_no_markup(answers)
        except ValidationError:
            answers = _("The answers contain HTML; read them on the survey response.")
        description = _(
            "Satisfaction survey “%(survey)s” answered on %(date)s with a low score or an "
            "unsolved problem. Call the customer back, find the root cause and record it."
        ) % {
            "survey": send.template.name,
            "date": f"{timezone.localtime(response.submitted_at):%Y-%m-%d %H:%M}",
        }
        if send.subject:
            description += "\n" + _("About: %(subject)s") % {"subject": defuse_markup(send.subject)}
        # A name carrying markup is quoted, not a reason to refuse the follow-up (issue 15 #24).
        name = defuse_markup(send.customer.name)
        subject = _("Survey follow-up: %(customer)s") % {"customer": name}
        where = _("Satisfaction survey")
    return ticket_create(
        by=owner,
        customer=send.customer,
        kind=Ticket.Kind.COMPLAINT,
        source=Ticket.Source.SURVEY,
        subject=subject[:120],
        description=description,
        customer_words=answers,
        contact_name=name[:100],
        occurred_at=response.submitted_at,
        occurred_where=where,
        interaction=selectors.invitation_interaction(send),
        **_contact(response),
    )
