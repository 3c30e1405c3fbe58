"""Writes for surveys: sending (with the fatigue rules), delivering the link, recording answers,
campaigns and saved segments.

Every function is one transaction, takes keyword arguments, and raises ValidationError (keyed by
field), Conflict for a second send about the same event, or SurveyRefused naming the rule."""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.channels.models import OutboxMessage
from rapport.channels.services import outbox_queue
from rapport.channels.services.choice import channel_addresses, channel_choose
from rapport.core.errors import Conflict, DomainError, Forbidden
from rapport.customers.models import Customer
from rapport.staff.models import Team, User
from rapport.surveys import hooks, selectors
from rapport.surveys.models import (
    Answer,
    Question,
    SavedSegment,
    SurveyCredit,
    SurveyResponse,
    SurveySend,
    SurveySettings,
    SurveyTemplate,
)
from rapport.surveys.rollups import rollup_touch
from rapport.surveys.selectors import INVITATION_SOURCE

logger = logging.getLogger(__name__)


class SurveyRefused(DomainError):
    """A rule says this customer gets no survey now; `code` names the rule."""

    status = 409


@dataclass
class AnswerInput:
    question: Question
    value: int | None = None
    value_b: int | None = None
    text: str = ""
    choices: list[str] = field(default_factory=list)


def _require(user: User, capability: str, message: str) -> None:
    if not user.can(capability):
        raise Forbidden(message)


def survey_refusal(
    *, customer: Customer, ticket_id: int | None = None, now=None
) -> SurveyRefused | None:
    """The first rule that stops a survey to this customer now, or None (DOMAIN.md §4, §6)."""
    now = now or timezone.now()
    if customer.merged_into_id is not None:
        return SurveyRefused(_("This customer was merged into another file."), code="merged")
    if customer.is_deceased:
        return SurveyRefused(_("The customer is deceased."), code="deceased")
    if customer.do_not_contact:
        return SurveyRefused(_("The customer asked not to be contacted."), code="do_not_contact")
    if customer.marketing_opt_out:
        return SurveyRefused(_("The customer opted out of surveys."), code="opted_out")
    if selectors.customer_has_open_high_priority_complaint(
        customer_id=customer.pk, except_ticket_id=ticket_id
    ):
        return SurveyRefused(
            _("The customer has an open high-priority complaint."), code="open_complaint"
        )
    days = SurveySettings.current().fatigue_days
    if (
        days
        and SurveySend.objects.filter(customer=customer, created_at__gt=now - timedelta(days=days))
        .exclude(status=SurveySend.Status.UNDELIVERABLE)
        .exists()
    ):
        return SurveyRefused(
            _("The customer already had a survey in the last %(days)s days.") % {"days": days},
            code="fatigue",
        )
    return None


@transaction.atomic
def survey_send(
    *,
    template: SurveyTemplate,
    customer: Customer,
    trigger: str,
    trigger_key: str,
    by: User,
    subject: str = "",
    ticket_id: int | None = None,
    owner: User | None = None,
    team: Team | None = None,
    channel: str = "",
    ticket_type: str = "",
    transfer_handlers: list[User] | tuple = (),
    segment: SavedSegment | None = None,
) -> SurveySend:
    """Create the one send for an event and deliver its link after commit.

    Raises Forbidden without `surveys.send`; ValidationError for a template without questions or
    inactive; Conflict when the event already has its survey; SurveyRefused when a rule stops it.
    """
    _require(by, "surveys.send", _("You may not send surveys."))
    if not template.is_active or not template.questions.exists():
        raise ValidationError({"template": [_("This template has no questions or is not in use.")]})
    if SurveySend.objects.filter(trigger_key=trigger_key).exists():
        raise Conflict(_("A survey was already sent for this event."), code="already_sent")
    refusal = survey_refusal(customer=customer, ticket_id=ticket_id)
    if refusal is not None:
        raise refusal
    send = SurveySend(
        template=template,
        customer=customer,
        trigger=trigger,
        trigger_key=trigger_key,
        subject=(subject or "").strip()[:200],
        ticket_id=ticket_id,
        owner=owner,
        team=team,
        channel=channel,
        ticket_type=ticket_type,
        segment=segment,
        language=customer.language or settings.LANGUAGE_CODE,
        sent_by=by,
    )
    send.full_clean(exclude=["token_digest"])
    try:
        with transaction.atomic():
            send.save()
    except IntegrityError as exc:  # a concurrent send for the same event won
        raise Conflict(_("A survey was already sent for this event."), code="already_sent") from exc
    credits = [SurveyCredit(send=send, staff=owner, role=SurveyCredit.Role.OWNER)] if owner else []
    credits += [
        SurveyCredit(send=send, staff=h, role=SurveyCredit.Role.TRANSFER)
        for h in {h.pk: h for h in transfer_handlers}.values()
    ]
    SurveyCredit.objects.bulk_create(credits)
    rollup_touch(created_at=send.created_at)
    transaction.on_commit(lambda: _enqueue_delivery(send.pk))
    return send


def _enqueue_delivery(send_id: int) -> None:
    from rapport.surveys.tasks import survey_deliver_task

    survey_deliver_task.enqueue(send_id=send_id)


def survey_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("surveys:respond", args=[token])


@transaction.atomic
def survey_deliver(*, send_id: int) -> str | None:
    """Make the send's link and queue it in the outbox in the customer's language.

    Idempotent: a send no longer waiting is left alone (returns None). Returns the link's token,
    which is stored nowhere else — only its SHA-256 is kept. A customer without an e-mail address
    is marked undeliverable. The rules are checked again, as they may have changed since.

    The timeline entry is the outbox's, written once when the invitation is actually sent; its
    text is the `summary` given here, never the e-mail (which carries the token). The send is
    linked to that entry by on_invitation_sent."""
    send = (
        SurveySend.objects.select_for_update(of=("self",))
        .select_related("template", "customer", "sent_by")
        .filter(pk=send_id, status=SurveySend.Status.PENDING)
        .first()
    )
    if send is None:
        return None
    customer = send.customer
    # The channel the outbox will use (WeChat if bound, else SMS, else e-mail, or the customer's
    # own preference): a customer with only a mobile number or a WeChat binding is invited too.
    # Undeliverable only when no address at all reaches the customer; an address whose channel
    # has no active account is queued, and the outbox refuses it with that reason, visibly.
    reachable = channel_addresses(customer=customer)
    choice = channel_choose(customer=customer, purpose="service")
    if not reachable or not customer.may_receive_outreach or customer.marketing_opt_out:
        send.status = SurveySend.Status.UNDELIVERABLE
        send.save(update_fields=["status"])
        rollup_touch(created_at=send.created_at)
        return None
    now = timezone.now()
    token = selectors.link_signer().sign(secrets.token_urlsafe(24))
    send.token_digest = SurveySend.digest(token)
    send.sent_at = now
    send.expires_at = now + timedelta(days=SurveySettings.current().link_valid_days)
    send.status = SurveySend.Status.SENT
    with translation.override(send.language):
        context = {"send": send, "link": survey_link(token), "company": settings.COMPANY_NAME}
        subject = _("%(company)s: %(survey)s") % {
            "company": settings.COMPANY_NAME,
            "survey": send.template.name,
        }
        # E-mail gets the letter; SMS and chat a short line with the link.
        short = choice.to_address and choice.channel != "email"
        template = "surveys/short.txt" if short else "surveys/email.txt"
        body = render_to_string(template, context).strip()
    # For the staff who read the timeline (the site's language), without the link.
    summary = _("Survey invitation: %(survey)s") % {"survey": send.template.name_zh}
    if send.subject:
        summary += f" — {send.subject}"
    summary += "\n" + _("Link valid until %(date)s") % {
        "date": timezone.localtime(send.expires_at).strftime("%Y-%m-%d %H:%M")
    }
    send.save(update_fields=["token_digest", "sent_at", "expires_at", "status"])
    rollup_touch(created_at=send.created_at)
    # Through the outbox, which picks the channel that reaches the customer and checks the stop
    # conditions again when it sends; the key makes a repeated delivery one message.
    outbox_queue(
        customer=customer,
        purpose="service",
        source=INVITATION_SOURCE,
        subject=subject,
        body=body,
        summary=summary,
        idempotency_key=f"{INVITATION_SOURCE}:{send.pk}",
        by=send.sent_by,
    )
    return token


def on_invitation_sent(outbox: OutboxMessage) -> None:
    """Outbox listener: link a send to the timeline entry the outbox wrote when it sent the
    invitation (the follow-up ticket of a poor answer points at it)."""
    if outbox.source != INVITATION_SOURCE or not outbox.interaction_id:
        return
    send_id = outbox.idempotency_key.removeprefix(f"{INVITATION_SOURCE}:")
    if send_id.isdigit():
        SurveySend.objects.filter(pk=int(send_id), interaction__isnull=True).update(
            interaction_id=outbox.interaction_id
        )


def _headline(answers: list[AnswerInput]) -> dict:
    out: dict = {"csat": None, "nps": None, "solved": None}
    for a in answers:
        kind = a.question.kind
        if kind == Question.Kind.CSAT and out["csat"] is None:
            out["csat"] = a.value
        elif kind == Question.Kind.NPS and out["nps"] is None:
            out["nps"] = a.value
        elif kind == Question.Kind.SOLVED and out["solved"] is None and a.value is not None:
            out["solved"] = bool(a.value)
    return out


RANGES = {
    Question.Kind.CSAT: (1, 5),
    Question.Kind.NPS: (0, 10),
    Question.Kind.SERVQUAL: (1, 7),
    Question.Kind.KANO: (1, 5),
    Question.Kind.SOLVED: (0, 1),
}


PAIRS = (Question.Kind.SERVQUAL, Question.Kind.KANO)
CHOICES = (Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.TOUCHPOINT)


def _answer_error(q: Question, a: AnswerInput | None) -> str | None:
    """What is wrong with one answer, in words for the customer; None when it is fine."""
    low_high = RANGES.get(q.kind)
    values = [] if a is None else ([a.value, a.value_b] if q.kind in PAIRS else [a.value])
    if low_high:
        empty = a is None or all(v is None for v in values)
    else:
        empty = a is None or not (a.text.strip() or a.choices)
    if empty:
        return _("Please answer this question.") if q.required else None
    if low_high and any(v is None or not low_high[0] <= v <= low_high[1] for v in values):
        if q.kind in PAIRS and any(v is None for v in values):
            return _("Please answer both parts of this question.")
        return _("Choose a value from %(low)s to %(high)s.") % {
            "low": low_high[0],
            "high": low_high[1],
        }
    allowed = {str(o["value"]) for o in q.options}
    too_many = q.kind == Question.Kind.SINGLE and len(a.choices) > 1
    if q.kind in CHOICES and (too_many or not set(a.choices) <= allowed):
        return _("Choose from the options shown.")
    return None


def _check_answers(questions: list[Question], answers: list[AnswerInput]) -> None:
    """The rules the public form shows, kept here so no caller can store a bad answer."""
    given = {a.question.pk: a for a in answers}
    errors = {}
    for q in questions:
        message = _answer_error(q, given.get(q.pk))
        if message:
            errors[q.code] = [message]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def survey_respond(*, send: SurveySend, answers: list[AnswerInput]) -> SurveyResponse:
    """Record the customer's answers, or replace them while the link is valid.

    Raises SurveyRefused (code `expired` or `not_sent`) and ValidationError keyed by question
    code. An unhappy answer (CSAT or NPS at or below the administrator's thresholds, or "not
    solved") opens one follow-up for the owner, however often the answer is edited."""
    send = (
        SurveySend.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=send.pk)
    )
    if send.status not in (SurveySend.Status.SENT, SurveySend.Status.ANSWERED):
        raise SurveyRefused(_("This survey has not been sent."), code="not_sent")
    if send.is_expired:
        raise SurveyRefused(_("This survey link has expired."), code="expired")
    questions = list(send.template.questions.order_by("position", "id"))
    _check_answers(questions, answers)
    now = timezone.now()
    headline = _headline(answers)
    response = SurveyResponse.objects.filter(send=send).first()
    if response is None:
        response = SurveyResponse(send=send, submitted_at=now)
    else:
        response.edit_count += 1
    response.updated_at = now
    for name, value in headline.items():
        setattr(response, name, value)
    config = SurveySettings.current()
    unhappy = (
        (response.csat is not None and response.csat <= config.low_csat)
        or (response.nps is not None and response.nps <= config.low_nps)
        or response.solved is False
    )
    response.needs_follow_up = response.needs_follow_up or unhappy
    response.full_clean(exclude=["send", "follow_up_ticket"])
    response.save()
    response.answers.all().delete()
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=a.question,
            value=a.value,
            value_b=a.value_b,
            text=(a.text or "").strip()[:2000],
            choices=list(a.choices),
        )
        for a in answers
    )
    if send.status != SurveySend.Status.ANSWERED:
        send.status = SurveySend.Status.ANSWERED
        send.save(update_fields=["status"])
    rollup_touch(created_at=send.created_at)
    if response.needs_follow_up and response.follow_up_ticket_id is None:
        _open_follow_up(response, send)
    return response


def _open_follow_up(response: SurveyResponse, send: SurveySend) -> None:
    """The customer's answer is kept even if the follow-up cannot be opened (say the customer's
    contact details were removed meanwhile): needs_follow_up stays set and the reason is kept
    in follow_up_error, shown on the list of sends — never dropped silently."""
    response.send = send
    try:
        with transaction.atomic():
            response.follow_up_ticket = hooks.survey_open_follow_up(response=response)
    except (ValidationError, DomainError) as exc:
        logger.error(
            "Survey response %s: no follow-up ticket could be opened: %s", response.pk, exc
        )
        response.follow_up_error = _error_text(exc)[:300]
        response.save(update_fields=["follow_up_error"])
        return
    response.follow_up_error = ""
    response.save(update_fields=["follow_up_ticket", "follow_up_error"])
    return response


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "；".join(
                f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
            )
        return " ".join(exc.messages)
    return str(exc)


@transaction.atomic
def segment_create(
    *, by: User, name: str, tier: str = "", stage: str = "", tag: str = ""
) -> SavedSegment:
    _require(by, "surveys.campaign", _("You may not manage campaigns."))
    segment = SavedSegment(
        name=(name or "").strip(), tier=tier, stage=stage, tag=tag.strip(), created_by=by
    )
    segment.full_clean()
    segment.save()
    return segment


def survey_campaign_send(
    *, segment: SavedSegment, template: SurveyTemplate, by: User, limit: int = 5000
) -> dict:
    """Send `template` to each customer of the segment the rules allow, one send per customer per
    campaign day. Returns {"sent": n, "skipped": {rule code: n}}. Each customer is its own
    transaction, so one refusal never undoes the others."""
    _require(by, "surveys.campaign", _("You may not run campaigns."))
    today = timezone.localdate().isoformat()
    sent, skipped = 0, {}
    customers = selectors.segment_customers(segment=segment, staff=by).prefetch_related(None)
    for customer in customers[:limit]:
        try:
            survey_send(
                template=template,
                customer=customer,
                trigger=SurveySend.Trigger.CAMPAIGN,
                trigger_key=f"campaign:{segment.pk}:{template.pk}:{today}:{customer.pk}",
                by=by,
                subject=segment.name,
                segment=segment,
            )
        except (SurveyRefused, Conflict) as exc:
            skipped[exc.code] = skipped.get(exc.code, 0) + 1
        else:
            sent += 1
    return {"sent": sent, "skipped": skipped}
