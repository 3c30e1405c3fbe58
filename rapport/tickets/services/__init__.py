"""Writes for tickets. Every function is one transaction, takes keyword arguments, checks the
action against rapport.tickets.transitions.ACTIONS, validates before it saves and records a
TicketEvent; on a refusal nothing is saved.

Errors: ValidationError keyed by field for bad input; TransitionNotAllowed (code
`transition_not_allowed`) for an action the ticket's state or the actor's role does not allow;
Forbidden / Conflict for the rest.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.errors import Conflict, DomainError, Forbidden
from rapport.customers import services as customer_services
from rapport.customers.errors import DuplicateIdentity
from rapport.customers.models import Asset, Customer
from rapport.customers.selectors import customer_find_by_identity
from rapport.interactions import services as interaction_services
from rapport.interactions.models import Interaction, Purpose
from rapport.staff.models import Team, User
from rapport.tickets import clocks, knowledge, notices
from rapport.tickets.models import (
    MAX_COMPENSATION,
    CaseLesson,
    Impact,
    ImprovementAction,
    Priority,
    PriorityRule,
    PublicSubmission,
    Remedy,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketInvestigation,
    TicketSettings,
    TicketType,
    validate_no_markup,
)
from rapport.tickets.submissions import submission_digest, submission_replayed
from rapport.tickets.transitions import ACTIONS, action_allowed

S = Ticket.Status
E = TicketEvent.Kind
CHECK_BACK_AFTER = timedelta(days=1)
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS_PER_TICKET = 10
# Extension → (content type, magic bytes at the start of the file).
ALLOWED_FILES = {
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".webp": ("image/webp", (b"RIFF",)),
    ".pdf": ("application/pdf", (b"%PDF-",)),
}
EDITABLE_FIELDS = (
    "subject",
    "description",
    "contact_name",
    "contact_phone",
    "contact_email",
    "occurred_at",
    "occurred_where",
    "asset",
)
# 客户愤怒时: the four steps (seeds 001, 003), with the wording the texts recommend.
UPSET_STEPS = [
    ("thank", "感谢您提供给我的信息!"),
    ("apologise", "我很抱歉!"),
    ("understand", "我非常理解您现在的心情,换作是我也会着急。"),
    ("responsibility", "这件事由我来负责跟进,我会一直跟到问题解决。"),
    ("solution", "我现在马上为您处理,您看这样解决可以吗?"),
]


# Actions of the table with a service of their own (rapport.tickets.services.merge).
OWN_SERVICE_ACTIONS = ("merge", "split")


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"
    status = 409


@dataclass
class UploadedFile:
    """A file to attach: a name, and a readable binary file object with its size."""

    name: str
    file: Any
    size: int


# -- Helpers ------------------------------------------------------------------------------------


def _check(ticket: Ticket, by: User | None, action: str) -> None:
    spec = ACTIONS.get(action)
    if spec is None:
        raise TransitionNotAllowed(
            _("“%(action)s” is not an action on tickets.") % {"action": action}, field="action"
        )
    if action_allowed(status=ticket.status, action=action, staff=by):
        return
    if ticket.status not in spec.sources:
        raise TransitionNotAllowed(
            _("“%(action)s” is not possible while the ticket is %(status)s.")
            % {"action": spec.label, "status": ticket.get_status_display()},
            field="action",
        )
    error = TransitionNotAllowed(
        _("Your role may not “%(action)s” on tickets.") % {"action": spec.label}, field="action"
    )
    error.status = 403
    raise error


def _locked(ticket: Ticket, by: User | None, action: str) -> Ticket:
    """Re-read the ticket under a row lock and check the action against its current state."""
    fresh = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _check(fresh, by, action)
    return fresh


def _event(ticket: Ticket, kind: str, by: User | None, now: datetime, **fields) -> TicketEvent:
    if texts := site_texts(fields.get("body")):
        fields["data"] = {**(fields.get("data") or {}), **texts}
    event = TicketEvent(ticket=ticket, kind=kind, actor=by, at=now, **fields)
    event.full_clean(exclude=["ticket", "actor"])
    event.save()
    notices.ticket_event_announce(event)
    return event


def _yuan(amount) -> str:
    return f"¥{amount:,.2f}" if amount else ""


class SiteText(str):
    """Text the system writes (an event's body, a task's title): the string itself is in the
    site's language (Chinese first), whoever acted and whatever language they had chosen, and
    `translations` holds it in each language of the site, so the timeline can show each reader
    theirs (TicketEvent.text). Stripping and slicing keep the translations."""

    translations: dict[str, str]

    @classmethod
    def of(cls, translations: dict[str, str]) -> "SiteText":
        text = cls(translations.get(settings.LANGUAGE_CODE, ""))
        text.translations = translations
        return text

    def strip(self, chars=None) -> "SiteText":
        return SiteText.of({k: v.strip(chars) for k, v in self.translations.items()})

    def __getitem__(self, key):
        if isinstance(key, slice):
            return SiteText.of({k: v[key] for k, v in self.translations.items()})
        return str.__getitem__(self, key)


def _site_text(build) -> SiteText:
    """`build()` in each language of the site (it runs once per language)."""
    translations = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translations[code] = str(build())
    return SiteText.of(translations)


def site_texts(body) -> dict:
    """{"texts": {language: text}} for an event's data when `body` is a SiteText that reads
    differently by language; else nothing (the body is all there is)."""
    translations = getattr(body, "translations", None)
    if not translations or len(set(translations.values())) < 2:
        return {}
    return {"texts": dict(translations)}


def _save(ticket: Ticket, by: User | None, now: datetime, fields: list[str]) -> None:
    """Save changed fields; the first staff member to act on a ticket without one becomes its
    first responder (首问负责制) and, while nobody else holds it, its assignee."""
    if by is not None and ticket.first_responder_id is None:
        ticket.first_responder = by
        fields.append("first_responder")
        if ticket.assignee_id is None:
            ticket.assignee = by
            fields.append("assignee")
        if ticket.team_id is None:
            ticket.team = by.teams.order_by("id").first()
            fields.append("team")
    ticket.updated_at = now
    # The table's check constraints, its references to people, teams and tickets (the services
    # set them from rows they have just read) and the tracking token (never changed) are
    # enforced by the database; checking them in Python too cost a query each (a check
    # constraint two more, for its savepoint) on every ticket write: 22 of 29 queries of a note.
    ticket.full_clean(
        exclude=[
            "customer",
            "asset",
            "interaction",
            "ticket_type",
            "repeat_of",
            "first_responder",
            "assignee",
            "team",
            "merged_into",
            "split_from",
            "public_token",
        ],
        validate_constraints=False,
    )
    ticket.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    if clocks.GROUPED_BY.intersection(fields):
        clocks.clocks_regrouped([ticket.pk])


def _required(errors: dict, field: str, value, message: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else value
    if not text:
        errors[field] = [message]
    return text


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _markup(errors: dict, **texts: str) -> None:
    for field, text in texts.items():
        try:
            validate_no_markup(text or "")
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)


def priority_for(*, ticket_type: TicketType | None, impact: str, tier: str) -> int:
    """The priority matrix: the most specific rule matching type (or its parent type), impact and
    customer tier; normal when nothing matches."""
    type_ids = {None}
    if ticket_type is not None:
        type_ids |= {ticket_type.pk, ticket_type.parent_id}
    best = None
    for rule in PriorityRule.objects.all():
        if rule.ticket_type_id not in type_ids:
            continue
        if rule.impact and rule.impact != impact:
            continue
        if rule.tier and rule.tier != tier:
            continue
        score = rule.specificity + (
            1 if ticket_type and rule.ticket_type_id == ticket_type.pk else 0
        )
        if best is None or score > best[0]:
            best = (score, rule.priority)
    return best[1] if best else Priority.NORMAL


def _owner_follow_up(ticket: Ticket, by: User, to_staff: User, now: datetime) -> None:
    """After a hand-off the first responder checks back with the customer (首问负责制)."""
    owner = ticket.first_responder
    if owner is None or owner.pk == to_staff.pk or not owner.is_active:
        return
    interaction_services.follow_up_task_create(
        by=by,
        customer=ticket.customer,
        title=_site_text(
            lambda: (
                _("Check back with the customer on %(number)s after the hand-off to %(name)s")
                % {"number": ticket.number, "name": to_staff.name}
            )
        ),
        due_at=now + CHECK_BACK_AFTER,
        assignee=owner,
    )


# -- Intake -------------------------------------------------------------------------------------


def _subject_from(description: str) -> str:
    first = (description or "").strip().splitlines()[0] if (description or "").strip() else ""
    return first[:60] + ("…" if len(first) > 60 else "")


def _validate_files(files: list[UploadedFile], existing: int = 0) -> list[tuple]:
    """(file, name, content type, size) for each file, or ValidationError on `attachments`."""
    errors: list[str] = []
    checked = []
    if existing + len(files) > MAX_ATTACHMENTS_PER_TICKET:
        errors.append(
            _("At most %(n)s attachments per ticket.") % {"n": MAX_ATTACHMENTS_PER_TICKET}
        )
    for item in files:
        name = (item.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if item.size > MAX_ATTACHMENT_BYTES:
            errors.append(_("%(name)s is too large: at most 5 MB per file.") % {"name": name})
            continue
        if not item.size:
            errors.append(_("%(name)s is an empty file.") % {"name": name})
            continue
        if ext not in ALLOWED_FILES:
            errors.append(
                _("%(name)s is not allowed: attach JPEG, PNG, WebP images or PDF files.")
                % {"name": name}
            )
            continue
        content_type, magics = ALLOWED_FILES[ext]
        head = item.file.read(16)
        item.file.seek(0)
        if not any(head.startswith(m) for m in magics):
            errors.append(
                _("%(name)s does not look like a %(ext)s file.") % {"name": name, "ext": ext}
            )
            continue
        checked.append((item, name, content_type, item.size, ext))
    if errors:
        raise ValidationError({"attachments": errors})
    return checked


def _store_files(ticket: Ticket, checked: list[tuple], by: User | None, now: datetime) -> list:
    saved = []
    for item, name, content_type, size, ext in checked:
        path = default_storage.save(
            f"tickets/{now:%Y/%m}/{ticket.pk}-{uuid.uuid4().hex}{ext}", File(item.file)
        )
        saved.append(
            TicketAttachment.objects.create(
                ticket=ticket,
                file=path,
                name=name,
                content_type=content_type,
                size=size,
                uploaded_by=by,
                created_at=now,
            )
        )
    return saved


# The relations ticket_create sets from loaded objects (or leaves empty).
NEW_TICKET_SET = [
    "customer",
    "asset",
    "interaction",
    "ticket_type",
    "first_responder",
    "assignee",
    "team",
    "repeat_of",
    "merged_into",
    "split_from",
]


@transaction.atomic
def ticket_create(
    *,
    by: User | None,
    customer: Customer,
    description: str,
    customer_words: str,
    contact_name: str,
    occurred_at: datetime | None,
    occurred_where: str,
    kind: str = Ticket.Kind.COMPLAINT,
    source: str = Ticket.Source.STAFF,
    subject: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    asset: Asset | None = None,
    interaction: Interaction | None = None,
    attachments: list[UploadedFile] | None = None,
    team: Team | None = None,
) -> Ticket:
    """Take a complaint, request or inquiry with a complete record (接收与记录).

    `by` becomes the first responder (首问负责制); a public submission (`by=None`) gets one when
    the first staff member acts on it. The customer's words are stored exactly as given.
    The team is `by`'s, else `team`, else the customer's service team. Without `by` the ticket
    goes to the agent the team's routing picks (rapport.tickets.services.assignment), if any.
    Raises Forbidden without `tickets.create`; ValidationError naming the field for a missing
    description, customer's words, contact, time or place, a time in the future, an asset or
    interaction of another customer, markup in text, or a refused attachment.
    """
    if by is not None and not by.can("tickets.create"):
        raise Forbidden(_("You may not open tickets."))
    errors: dict[str, list[str]] = {}
    description = _required(errors, "description", description, _("Say what happened."))
    if not (customer_words or "").strip():
        errors["customer_words"] = [
            _("Write down the customer's own words (顾客原话), exactly as they said them.")
        ]
    contact_name = _required(errors, "contact_name", contact_name, _("Who should we contact?"))
    occurred_where = _required(
        errors, "occurred_where", occurred_where, _("Say where the problem arose.")
    )
    if occurred_at is None:
        errors["occurred_at"] = [_("Say when the problem arose.")]
    if customer.merged_into_id is not None:
        errors["customer"] = [_("This customer was merged into another file.")]
    if kind not in Ticket.Kind.values:
        errors["kind"] = [_("Choose complaint, service request or inquiry.")]
    if interaction is not None and interaction.customer_id != customer.pk:
        errors["interaction"] = [_("That interaction is another customer's.")]
    checked = []
    try:
        checked = _validate_files(attachments or [])
    except ValidationError as exc:
        errors.update(exc.error_dict)
    _raise(errors)
    now = timezone.now()
    staff_taken = by is not None and source in (Ticket.Source.STAFF, Ticket.Source.INTERACTION)
    ticket = Ticket(
        kind=kind,
        status=S.NEW,
        is_open=True,
        source=source,
        customer=customer,
        asset=asset,
        interaction=interaction,
        subject=(subject or "").strip() or _subject_from(description),
        description=description,
        customer_words=customer_words,  # verbatim: not even stripped
        contact_name=contact_name,
        contact_phone=(contact_phone or "").strip(),
        contact_email=(contact_email or "").strip(),
        occurred_at=occurred_at,
        occurred_where=occurred_where,
        first_responder=by,
        assignee=by,
        team=(by.teams.order_by("id").first() if by else None) or team or customer.service_team,
        created_at=now,
        updated_at=now,
        first_responded_at=now if staff_taken else None,
    )
    # Fields and the model's own rules, not the reads that cannot fail here: the related rows
    # are the loaded objects above, the public token is random (its unique index still holds)
    # and the check constraints hold by construction (the database still enforces them).
    # Together these were 23 of a new ticket's 59 queries.
    ticket.full_clean(exclude=NEW_TICKET_SET, validate_unique=False, validate_constraints=False)
    ticket.save()
    _event(
        ticket,
        E.CREATED,
        by,
        now,
        to_status=S.NEW,
        is_public=True,
        data={"source": source, "interaction_id": interaction.pk if interaction else None},
    )
    clocks.clocks_start(ticket)
    if checked:
        saved = _store_files(ticket, checked, by, now)
        _event(ticket, E.ATTACHMENT, by, now, body=", ".join(a.name for a in saved))
    if by is None:
        from rapport.tickets.services.assignment import ticket_route

        ticket_route(ticket=ticket)
    return ticket


def _customer_for_public(*, name: str, phone: str, email: str) -> Customer:
    """The customer a public submission belongs to: matched by phone, then e-mail, else created
    as a potential customer (潜在客户)."""
    for kind, raw in (("phone", phone), ("email", email)):
        if raw:
            found = customer_find_by_identity(kind=kind, raw=raw)
            if found is not None:
                return found
    identities = [
        customer_services.IdentityInput(kind, raw)
        for kind, raw in (("phone", phone), ("email", email))
        if raw
    ]
    try:
        with transaction.atomic():
            return customer_services.customer_create(
                by=None,
                name=name,
                identities=identities,
                tier=Customer.Tier.POTENTIAL,
                lifecycle_stage=Customer.Stage.POTENTIAL,
            )
    except DuplicateIdentity as exc:  # created by a concurrent submission a moment ago
        return Customer.objects.get(pk=exc.existing_customer_id)


def ticket_create_public(
    *,
    submission_key: str,
    name: str,
    phone: str,
    email: str,
    description: str,
    customer_words: str,
    occurred_at: datetime | None,
    occurred_where: str,
    kind: str = Ticket.Kind.COMPLAINT,
    source: str = Ticket.Source.PUBLIC_FORM,
    attachments: list[UploadedFile] | None = None,
) -> tuple[Ticket, bool]:
    """A submission from the public form or its API endpoint: (ticket, created).

    The `submission_key` (the form's one-time token or the client's Idempotency-Key) makes a
    replay return the first ticket and create nothing, also when two replays race each other:
    the loser's work is rolled back and it answers with the winner's ticket, on every database.
    The same key with other details raises IdempotencyKeyReused. Phone and e-mail are checked
    before any customer is created, so a refused submission leaves no customer behind.
    """
    details = {
        "name": name,
        "phone": phone,
        "email": email,
        "kind": kind,
        "description": description,
        "customer_words": customer_words,
        "occurred_at": occurred_at,
        "occurred_where": occurred_where,
    }
    digest = submission_digest(**details)
    ticket = submission_replayed(key=submission_key, digest=digest)
    if ticket is not None:
        return ticket, False
    try:
        ticket = _ticket_create_public(
            submission_key=submission_key,
            digest=digest,
            source=source,
            attachments=attachments,
            **details,
        )
    except IntegrityError:
        # A concurrent submission with the same key committed first; ours was rolled back.
        ticket = submission_replayed(key=submission_key, digest=digest)
        if ticket is None:
            raise
        return ticket, False
    return ticket, True


@transaction.atomic
def _ticket_create_public(
    *,
    submission_key: str,
    digest: str,
    name: str,
    phone: str,
    email: str,
    description: str,
    customer_words: str,
    occurred_at: datetime | None,
    occurred_where: str,
    kind: str = Ticket.Kind.COMPLAINT,
    source: str = Ticket.Source.PUBLIC_FORM,
    attachments: list[UploadedFile] | None = None,
) -> Ticket:
    """The work of ticket_create_public, in one transaction. Raises IntegrityError when another
    submission with the same key committed since the caller looked."""
    errors: dict[str, list[str]] = {}
    name = _required(errors, "name", name, _("Tell us your name."))
    _markup(errors, name=name)
    if not (phone or email):
        errors["phone"] = [_("Give a phone number or an e-mail address so we can reply.")]
    from rapport.customers.identities import normalize_identity

    for field, raw in (("phone", phone), ("email", email)):
        if raw:
            try:
                normalize_identity(field, raw)
            except ValidationError as exc:
                errors[field] = exc.messages
    _raise(errors)
    customer = _customer_for_public(name=name, phone=phone, email=email)
    ticket = ticket_create(
        by=None,
        customer=customer,
        kind=kind,
        source=source,
        description=description,
        customer_words=customer_words,
        contact_name=name,
        contact_phone=phone,
        contact_email=email,
        occurred_at=occurred_at,
        occurred_where=occurred_where,
        attachments=attachments,
    )
    # No savepoint: a duplicate key rolls back the whole submission (customer, ticket, files).
    PublicSubmission.objects.create(key=submission_key, ticket=ticket, request_hash=digest)
    return ticket


# -- Transitions --------------------------------------------------------------------------------


def _classify(ticket: Ticket, by: User, now: datetime, fields: dict, errors: dict) -> list:
    ticket_type = fields.get("ticket_type")
    impact = fields.get("impact") or ""
    if not isinstance(ticket_type, TicketType) or not ticket_type.is_active:
        errors["ticket_type"] = [_("Choose the type of problem.")]
    if impact not in Impact.values:
        errors["impact"] = [_("Choose the impact.")]
    _raise(errors)
    ticket.ticket_type, ticket.impact = ticket_type, impact
    if fields.get("kind"):
        if fields["kind"] not in Ticket.Kind.values:
            raise ValidationError({"kind": [_("Choose complaint, service request or inquiry.")]})
        ticket.kind = fields["kind"]
    if not ticket.priority_overridden:
        ticket.priority = priority_for(
            ticket_type=ticket_type, impact=impact, tier=ticket.customer.tier
        )
    _event(
        ticket,
        E.CLASSIFIED,
        by,
        now,
        body=_site_text(
            lambda: (
                f"{ticket_type} · {ticket.get_impact_display()} · {ticket.get_priority_display()}"
            )
        ),
        data={"ticket_type": ticket_type.pk, "impact": impact, "priority": ticket.priority},
    )
    changed = ["ticket_type", "impact", "kind", "priority"]
    earlier = _earlier_same_problem(ticket, now)
    if earlier is not None:
        ticket.is_repeat, ticket.repeat_of = True, earlier
        before = ticket.priority
        ticket.priority = min(ticket.priority + 1, Priority.URGENT)
        _event(
            ticket,
            E.REPEAT,
            by,
            now,
            body=_site_text(
                lambda: (
                    _("Same problem as %(number)s: priority raised; apologise first.")
                    % {"number": earlier.number}
                )
            ),
            data={"repeat_of": earlier.pk, "from": before, "to": ticket.priority},
        )
        changed += ["is_repeat", "repeat_of"]
    return changed


def _earlier_same_problem(ticket: Ticket, now: datetime) -> Ticket | None:
    """The customer's latest earlier ticket of the same type (and asset, when there is one)
    within the repeat window (返修/重复投诉)."""
    window = TicketSettings.current().repeat_window_days
    qs = Ticket.objects.filter(
        customer_id=ticket.customer_id,
        ticket_type_id=ticket.ticket_type_id,
        created_at__gte=now - timedelta(days=window),
    ).exclude(pk=ticket.pk)
    if ticket.asset_id:
        qs = qs.filter(asset_id=ticket.asset_id)
    return qs.order_by("-created_at", "-id").first()


def _resolve(ticket: Ticket, by: User, now: datetime, fields: dict, errors: dict) -> list:
    resolution = _required(
        errors, "resolution", fields.get("resolution"), _("Say how the problem was resolved.")
    )
    _markup(errors, resolution=resolution)
    root_cause = (fields.get("root_cause") or "").strip() or ticket.root_cause
    if ticket.source == Ticket.Source.SURVEY and not root_cause:
        # An unhappy answer is closed only when we know why it happened (DOMAIN.md §6).
        errors["root_cause"] = [_("Record the root cause of the customer's unhappy answer.")]
    _markup(errors, root_cause=root_cause)
    _raise(errors)
    remedies = list(ticket.remedies.all())
    chosen = next((r for r in remedies if r.is_chosen), None)
    if ticket.kind == Ticket.Kind.COMPLAINT and chosen is None:
        raise ValidationError(
            {"remedy": [_("Record the remedy the customer chose before resolving.")]}
        )
    if chosen is not None and chosen.approval == Remedy.Approval.PENDING:
        raise ValidationError(
            {"remedy": [_("The chosen remedy is waiting for a supervisor's approval.")]}
        )
    if chosen is not None and chosen.approval == Remedy.Approval.REJECTED:
        raise ValidationError({"remedy": [_("The chosen remedy was rejected; choose another.")]})
    ticket.resolution, ticket.resolved_at = resolution, now
    ticket.root_cause = root_cause[:2000]
    return ["resolution", "resolved_at", "root_cause"]


def _revisit_task(ticket: Ticket, by: User | None, now: datetime) -> None:
    """A revisit (回访) a set number of days after close, for the owner."""
    owner = ticket.first_responder or ticket.assignee
    if owner is None or not owner.is_active:
        return
    days = TicketSettings.current().revisit_days
    interaction_services.follow_up_task_create(
        by=by if by is not None else owner,
        customer=ticket.customer,
        title=_site_text(
            lambda: _("Revisit (回访) %(number)s: did the fix hold?") % {"number": ticket.number}
        ),
        due_at=now + max(timedelta(days=days), timedelta(hours=1)),
        assignee=owner,
    )


@transaction.atomic
def ticket_transition(*, ticket: Ticket, by: User | None, action: str, **fields) -> Ticket:
    """Move the ticket along the table in rapport.tickets.transitions.

    Fields by action: classify(ticket_type, impact, kind?), wait(waiting_on, reason),
    resolve(resolution), close(satisfaction), reopen(reason), start/resume/auto_close(none);
    `note` on any of them is kept on the event. Raises TransitionNotAllowed when the table
    refuses, ValidationError naming the field for missing or invalid fields.
    """
    spec = ACTIONS.get(action)
    if spec is None or not spec.is_transition or action in OWN_SERVICE_ACTIONS:
        raise TransitionNotAllowed(
            _("“%(action)s” is not a transition.") % {"action": action}, field="action"
        )
    ticket = _locked(ticket, by, action)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    before = ticket.status
    changed: list[str] = ["status", "is_open"]
    body = (fields.get("note") or "").strip()
    _markup(errors, note=body)
    if action == "classify":
        changed += _classify(ticket, by, now, fields, errors)
    elif action == "start":
        _raise(errors)
        if ticket.assignee_id is None:
            ticket.assignee = by
            changed.append("assignee")
    elif action == "wait":
        waiting_on = fields.get("waiting_on") or ""
        if waiting_on not in (Ticket.WaitingOn.CUSTOMER, Ticket.WaitingOn.THIRD_PARTY):
            errors["waiting_on"] = [_("Say whether you wait on the customer or a third party.")]
        reason = _required(errors, "reason", fields.get("reason"), _("Say what you wait for."))
        _markup(errors, reason=reason)
        _raise(errors)
        ticket.waiting_on, ticket.waiting_reason, ticket.waiting_since = waiting_on, reason, now
        body = body or reason
        changed += ["waiting_on", "waiting_reason", "waiting_since"]
    elif action in ("resume", "customer_answered"):
        _raise(errors)
        ticket.waiting_on, ticket.waiting_reason, ticket.waiting_since = "", "", None
        changed += ["waiting_on", "waiting_reason", "waiting_since"]
    elif action == "resolve":
        changed += _resolve(ticket, by, now, fields, errors)
    elif action in ("close", "auto_close", "customer_confirmed"):
        satisfaction = {
            "auto_close": Ticket.Satisfaction.NO_ANSWER,
            "customer_confirmed": Ticket.Satisfaction.YES,
        }.get(action) or fields.get("satisfaction")
        if satisfaction not in (
            Ticket.Satisfaction.YES,
            Ticket.Satisfaction.NO,
            Ticket.Satisfaction.NO_ANSWER,
        ):
            errors["satisfaction"] = [_("Did the customer confirm they are satisfied?")]
        _raise(errors)
        ticket.satisfaction, ticket.closed_at = satisfaction, now
        changed += ["satisfaction", "closed_at"]
    elif action in ("reopen", "customer_reopened"):
        reason = _required(errors, "reason", fields.get("reason"), _("Say why it is reopened."))
        _markup(errors, reason=reason)
        _raise(errors)
        body = body or reason
        ticket.reopened_count += 1
        ticket.closed_at = ticket.resolved_at = None
        ticket.satisfaction = ""
        changed += ["reopened_count", "closed_at", "resolved_at", "satisfaction"]
        if ticket.merged_into_id:  # a duplicate reopened stands on its own again
            fields["unmerged_from"] = ticket.merged_into_id
            ticket.merged_into = None
            changed.append("merged_into")
    ticket.status = spec.target
    ticket.is_open = spec.target != S.CLOSED
    _save(ticket, by, now, changed)
    _event(
        ticket,
        E.TRANSITION,
        by,
        now,
        action=action,
        from_status=before,
        to_status=ticket.status,
        body=body,
        is_public=True,
        data={
            k: str(v)
            for k, v in fields.items()
            if k in ("waiting_on", "satisfaction", "unmerged_from")
        },
    )
    clocks.clocks_after_transition(ticket, action, now)
    if action in ("close", "auto_close", "customer_confirmed"):
        _revisit_task(ticket, by, now)
    return ticket


def tickets_auto_close_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Close tickets resolved but unconfirmed for the set number of days. Each row is claimed
    with a conditional UPDATE, so two workers never close the same ticket twice; running it
    again finds nothing to do."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=TicketSettings.current().auto_close_days)
    ids = list(
        Ticket.objects.filter(status=S.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at")
        .values_list("id", flat=True)[:limit]
    )
    closed = 0
    for ticket_id in ids:
        with transaction.atomic():
            claimed = Ticket.objects.filter(
                pk=ticket_id, status=S.RESOLVED, resolved_at__lt=cutoff
            ).update(
                status=S.CLOSED,
                is_open=False,
                closed_at=now,
                satisfaction=Ticket.Satisfaction.NO_ANSWER,
                updated_at=now,
            )
            if not claimed:
                continue
            ticket = Ticket.objects.select_related("customer", "first_responder", "assignee").get(
                pk=ticket_id
            )
            _event(
                ticket,
                E.TRANSITION,
                None,
                now,
                action="auto_close",
                from_status=S.RESOLVED,
                to_status=S.CLOSED,
                is_public=True,
                data={"satisfaction": Ticket.Satisfaction.NO_ANSWER},
            )
            _revisit_task(ticket, None, now)
            closed += 1
    return closed


# -- Work on a ticket ---------------------------------------------------------------------------


@transaction.atomic
def ticket_update(*, ticket: Ticket, by: User, **fields) -> Ticket:
    """Correct the intake record. The customer's own words are never edited."""
    if "customer_words" in fields:
        raise ValidationError(
            {"customer_words": [_("The customer's own words are kept exactly as given.")]}
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    ticket = _locked(ticket, by, "edit")
    changed = {k: v for k, v in fields.items() if getattr(ticket, k) != v}
    if not changed:
        return ticket
    now = timezone.now()
    before = {k: str(getattr(ticket, k)) for k in changed}
    for key, value in changed.items():
        setattr(ticket, key, value)
    ticket.full_clean(exclude=["customer", "interaction", "ticket_type", "repeat_of"])
    _save(ticket, by, now, list(changed))
    _event(
        ticket,
        E.EDITED,
        by,
        now,
        body=_site_text(
            lambda: ", ".join(str(Ticket._meta.get_field(k).verbose_name) for k in changed)
        ),
        data={"before": before, "after": {k: str(v) for k, v in changed.items()}},
    )
    return ticket


@transaction.atomic
def ticket_note(*, ticket: Ticket, by: User, body: str) -> TicketEvent:
    """An internal note: never shown to the customer."""
    ticket = _locked(ticket, by, "note")
    errors: dict = {}
    body = _required(errors, "body", body, _("Write the note."))
    _markup(errors, body=body)
    _raise(errors)
    now = timezone.now()
    _save(ticket, by, now, [])
    return _event(ticket, E.NOTE, by, now, body=body[:4000])


REPLY_CHANNELS = ("auto", "phone", "email", "sms", "wechat", "face_to_face", "letter")


# Channels a reply is sent on through the outbox; on the others it is only recorded as told.
# "auto": the outbox picks the customer's reachable channel (channel_choose) and says why.
SENT_CHANNELS = ("email", "auto")


@transaction.atomic
def ticket_reply(*, ticket: Ticket, by: User, body: str, channel: str = "phone") -> TicketEvent:
    """Tell the customer: shown on the tracking page. By e-mail the reply is queued in the outbox
    in the customer's thread (the outbox records the outbound interaction when it is sent); on
    the other channels it records that the customer was told, as an outbound interaction."""
    ticket = _locked(ticket, by, "reply")
    errors: dict = {}
    body = _required(errors, "body", body, _("Write the reply."))
    _markup(errors, body=body)
    if channel not in REPLY_CHANNELS:
        errors["channel"] = [_("Choose how the customer was told.")]
    _raise(errors)
    now = timezone.now()
    data: dict[str, Any] = {"channel": channel}
    if channel not in SENT_CHANNELS:
        purpose = (
            Purpose.objects.filter(code="complaint").first()
            or Purpose.objects.filter(is_active=True).order_by("sort_order", "id").first()
        )
        interaction = interaction_services.interaction_log(
            by=by,
            customer=ticket.customer,
            channel=channel,
            direction=Interaction.Direction.OUTBOUND,
            purpose=purpose,
            summary=f"{ticket.number} {body}"[:4000],
            asset=ticket.asset,
        )
        data["interaction_id"] = interaction.pk
    fields: list[str] = []
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        fields.append("first_responded_at")
    _save(ticket, by, now, fields)
    clocks.clocks_first_response(ticket, now)
    event = _event(ticket, E.REPLY, by, now, body=body[:4000], is_public=True, data=data)
    if channel in SENT_CHANNELS:
        from rapport.tickets.messaging import reply_queue  # messaging builds on these services

        outbox = reply_queue(ticket=ticket, by=by, body=body, event_id=event.pk, channel=channel)
        event.data["outbox_id"] = outbox.pk
        event.save(update_fields=["data"])
    return event


def _active_worker(errors: dict, field: str, staff: User | None) -> None:
    if staff is None:
        errors[field] = [_("Choose a staff member.")]
    elif not staff.is_active:
        errors[field] = [_("This staff member is no longer active.")]
    elif not staff.can("tickets.work"):
        errors[field] = [_("This staff member does not work on tickets.")]


@transaction.atomic
def ticket_assign(*, ticket: Ticket, by: User, to_staff: User, reason: str = "") -> Ticket:
    """Hand the ticket to a colleague. The first responder stays the owner and gets a task to
    check back with the customer."""
    ticket = _locked(ticket, by, "assign")
    errors: dict = {}
    _active_worker(errors, "to_staff", to_staff)
    if to_staff is not None and to_staff.pk == ticket.assignee_id:
        errors["to_staff"] = [_("The ticket is already with %(name)s.") % {"name": to_staff}]
    _markup(errors, reason=reason)
    _raise(errors)
    return _hand_off(ticket, by, to_staff, (reason or "").strip(), E.ASSIGNED)


def _hand_off(ticket: Ticket, by: User, to_staff: User, reason: str, kind: str) -> Ticket:
    now = timezone.now()
    before = ticket.assignee
    ticket.assignee = to_staff
    _save(ticket, by, now, ["assignee"])
    _event(
        ticket,
        kind,
        by,
        now,
        body=reason,
        data={"from": before.pk if before else None, "to": to_staff.pk},
    )
    _owner_follow_up(ticket, by, to_staff, now)
    clocks.clocks_reassign(ticket)
    return ticket


def supervisor_for(ticket: Ticket, *, exclude: User | None = None) -> User | None:
    """A supervisor of the ticket's team, else any supervisor or manager."""
    qs = User.objects.filter(
        is_active=True, role__in=[User.Role.SUPERVISOR, User.Role.MANAGER]
    ).order_by("role", "id")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if ticket.team_id:
        in_team = qs.filter(teams=ticket.team_id, role=User.Role.SUPERVISOR).first()
        if in_team:
            return in_team
    return qs.first()


@transaction.atomic
def ticket_escalate(
    *, ticket: Ticket, by: User, reason: str = "", supervisor: User | None = None
) -> Ticket:
    """Hand to a supervisor when the customer cannot be calmed (交上级主管)."""
    ticket = _locked(ticket, by, "escalate")
    supervisor = supervisor or supervisor_for(ticket, exclude=by)
    errors: dict = {}
    if supervisor is None or supervisor.role not in (User.Role.SUPERVISOR, User.Role.MANAGER):
        errors["supervisor"] = [_("There is no supervisor to hand this ticket to.")]
    elif supervisor.pk == ticket.assignee_id:
        errors["supervisor"] = [_("The ticket is already with %(name)s.") % {"name": supervisor}]
    _markup(errors, reason=reason)
    _raise(errors)
    return _hand_off(ticket, by, supervisor, (reason or "").strip(), E.ESCALATED)


@transaction.atomic
def ticket_prioritise(*, ticket: Ticket, by: User, priority: int, reason: str) -> Ticket:
    """Override the matrix's priority by hand; the reason is recorded."""
    ticket = _locked(ticket, by, "prioritise")
    errors: dict = {}
    try:
        priority = int(priority)
    except (TypeError, ValueError):
        priority = 0
    if priority not in Priority.values:
        errors["priority"] = [_("Choose a priority.")]
    elif priority == ticket.priority:
        errors["priority"] = [_("The ticket already has this priority.")]
    reason = _required(errors, "reason", reason, _("Say why the priority changes."))
    _markup(errors, reason=reason)
    _raise(errors)
    now = timezone.now()
    before = ticket.priority
    ticket.priority, ticket.priority_overridden = priority, True
    _save(ticket, by, now, ["priority", "priority_overridden"])
    _event(
        ticket,
        E.PRIORITY,
        by,
        now,
        body=reason,
        data={"from": before, "to": priority},
    )
    clocks.clocks_retarget(ticket)
    return ticket


@transaction.atomic
def ticket_flag_upset(*, ticket: Ticket, by: User, upset: bool = True) -> Ticket:
    ticket = _locked(ticket, by, "flag_upset")
    if ticket.customer_upset == bool(upset):
        return ticket
    now = timezone.now()
    ticket.customer_upset = bool(upset)
    _save(ticket, by, now, ["customer_upset"])
    _event(
        ticket,
        E.FLAG,
        by,
        now,
        action="flag_upset",
        body=_site_text(lambda: _("Customer upset") if upset else _("Customer calmed down")),
        data={"upset": bool(upset)},
    )
    return ticket


@transaction.atomic
def ticket_cannot_meet(*, ticket: Ticket, by: User, reason: str, note: str) -> Ticket:
    """A request that cannot be met: technical (explain why) or resources (needs approval)."""
    ticket = _locked(ticket, by, "cannot_meet")
    errors: dict = {}
    if reason not in (Ticket.CannotMeet.TECHNICAL, Ticket.CannotMeet.RESOURCES):
        errors["reason"] = [_("Say whether it is a technical or a resources question.")]
    note = _required(errors, "note", note, _("Explain why the request cannot be met as asked."))
    _markup(errors, note=note)
    _raise(errors)
    now = timezone.now()
    ticket.cannot_meet, ticket.cannot_meet_note = reason, note[:500]
    _save(ticket, by, now, ["cannot_meet", "cannot_meet_note"])
    _event(ticket, E.FLAG, by, now, action="cannot_meet", body=note, data={"reason": reason})
    return ticket


@transaction.atomic
def ticket_partner(*, ticket: Ticket, by: User, partner_name: str, partner_contact: str) -> Ticket:
    """A partner's responsibility: record the partner and the contact given; keep helping."""
    ticket = _locked(ticket, by, "partner")
    errors: dict = {}
    partner_name = _required(errors, "partner_name", partner_name, _("Name the partner."))
    partner_contact = _required(
        errors, "partner_contact", partner_contact, _("Give the partner's contact.")
    )
    _markup(errors, partner_name=partner_name, partner_contact=partner_contact)
    _raise(errors)
    now = timezone.now()
    ticket.partner_name, ticket.partner_contact = partner_name[:100], partner_contact[:200]
    _save(ticket, by, now, ["partner_name", "partner_contact"])
    _event(
        ticket,
        E.FLAG,
        by,
        now,
        action="partner",
        body=f"{ticket.partner_name} · {ticket.partner_contact}",
    )
    return ticket


@transaction.atomic
def attachment_add(*, ticket: Ticket, by: User, files: list[UploadedFile]) -> list:
    ticket = _locked(ticket, by, "attach")
    if not files:
        raise ValidationError({"attachments": [_("Choose a file.")]})
    checked = _validate_files(files, existing=ticket.attachments.count())
    now = timezone.now()
    saved = _store_files(ticket, checked, by, now)
    _save(ticket, by, now, [])
    _event(ticket, E.ATTACHMENT, by, now, body=", ".join(a.name for a in saved))
    return saved


# -- Investigations -----------------------------------------------------------------------------


@transaction.atomic
def investigation_request(
    *, ticket: Ticket, by: User, team: Team | None, question: str, due_at: datetime | None
) -> TicketInvestigation:
    """Ask a department (technical, operations, …) to investigate by a due date."""
    ticket = _locked(ticket, by, "investigate")
    errors: dict = {}
    if team is None:
        errors["team"] = [_("Choose the department.")]
    question = _required(
        errors, "question", question, _("Say what the department should find out.")
    )
    now = timezone.now()
    if due_at is None:
        errors["due_at"] = [_("Give a due date.")]
    elif due_at < now:
        errors["due_at"] = [_("The due date cannot be in the past.")]
    _raise(errors)
    investigation = TicketInvestigation(
        ticket=ticket,
        team=team,
        question=question[:500],
        due_at=due_at,
        requested_by=by,
        created_at=now,
    )
    investigation.full_clean(exclude=["ticket", "team", "requested_by"])
    investigation.save()
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.INVESTIGATION,
        by,
        now,
        body=f"{team}: {question}",
        data={"investigation": investigation.pk, "team": team.pk},
    )
    return investigation


@transaction.atomic
def investigation_answer(
    *, investigation: TicketInvestigation, by: User, finding: str
) -> TicketInvestigation:
    ticket = _locked(investigation.ticket, by, "answer_investigation")
    investigation = TicketInvestigation.objects.select_for_update().get(pk=investigation.pk)
    if investigation.status != TicketInvestigation.Status.OPEN:
        raise Conflict(_("This investigation was already answered."), code="already_answered")
    errors: dict = {}
    finding = _required(errors, "finding", finding, _("Write what was found."))
    _markup(errors, finding=finding)
    _raise(errors)
    now = timezone.now()
    investigation.status = TicketInvestigation.Status.DONE
    investigation.finding, investigation.answered_by, investigation.answered_at = (
        finding[:4000],
        by,
        now,
    )
    investigation.save(update_fields=["status", "finding", "answered_by", "answered_at"])
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.INVESTIGATION_DONE,
        by,
        now,
        body=f"{investigation.team}: {finding}",
        data={"investigation": investigation.pk},
    )
    return investigation


# -- Remedies and approval ----------------------------------------------------------------------


def _amount(errors: dict, value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError):
        errors["amount"] = [_("Enter an amount in yuan, e.g. 300 or 1280.50.")]
        return Decimal("0")
    if not amount.is_finite():
        errors["amount"] = [_("Enter an amount in yuan, e.g. 300 or 1280.50.")]
        return Decimal("0")
    if amount < 0:
        errors["amount"] = [_("The amount cannot be negative.")]
    elif amount > MAX_COMPENSATION:
        errors["amount"] = [
            _("The amount cannot exceed ¥%(max)s.") % {"max": f"{MAX_COMPENSATION:,.0f}"}
        ]
    elif amount != amount.quantize(Decimal("0.01")):
        errors["amount"] = [_("Give the amount to the fen (two decimals).")]
    return amount


@transaction.atomic
def remedy_offer(
    *,
    ticket: Ticket,
    by: User,
    kind: str,
    amount=None,
    description: str = "",
    needs_resources: bool = False,
) -> Remedy:
    """Record a remedy offered to the customer. It needs a supervisor's approval when its amount
    is above the admin-set threshold, when it needs resources, or when the request was marked
    as needing resources."""
    ticket = _locked(ticket, by, "offer_remedy")
    errors: dict = {}
    if kind not in Remedy.Kind.values:
        errors["kind"] = [_("Choose the kind of remedy.")]
    amount = _amount(errors, amount)
    if kind == Remedy.Kind.COMPENSATION and not errors.get("amount") and amount <= 0:
        errors["amount"] = [_("A compensation needs an amount.")]
    _markup(errors, description=description)
    _raise(errors)
    now = timezone.now()
    needs_resources = bool(needs_resources) or ticket.cannot_meet == Ticket.CannotMeet.RESOURCES
    threshold = TicketSettings.current().approval_threshold
    remedy = Remedy(
        ticket=ticket,
        kind=kind,
        amount=amount,
        description=(description or "").strip()[:500],
        needs_resources=needs_resources,
        approval=Remedy.Approval.PENDING
        if needs_resources or amount > threshold
        else Remedy.Approval.NOT_NEEDED,
        offered_by=by,
        created_at=now,
    )
    remedy.full_clean(exclude=["ticket", "offered_by"])
    remedy.save()
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.REMEDY,
        by,
        now,
        body=_site_text(
            lambda: " ".join(
                p for p in (remedy.get_kind_display(), _yuan(amount), remedy.description) if p
            )
        ),
        data={"remedy": remedy.pk, "approval": remedy.approval},
    )
    return remedy


@transaction.atomic
def remedy_choose(*, remedy: Remedy, by: User) -> Remedy:
    """The remedy the customer chose; any earlier choice is replaced."""
    ticket = _locked(remedy.ticket, by, "choose_remedy")
    remedy = Remedy.objects.select_for_update().get(pk=remedy.pk)
    if remedy.approval == Remedy.Approval.REJECTED:
        raise ValidationError({"remedy": [_("A rejected remedy cannot be chosen.")]})
    if remedy.is_chosen:
        return remedy
    now = timezone.now()
    Remedy.objects.filter(ticket=ticket, is_chosen=True).update(is_chosen=False)
    remedy.is_chosen = True
    remedy.save(update_fields=["is_chosen"])
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.REMEDY_CHOSEN,
        by,
        now,
        body=_site_text(lambda: f"{remedy.get_kind_display()} {_yuan(remedy.amount)}".strip()),
        data={"remedy": remedy.pk},
    )
    return remedy


@transaction.atomic
def remedy_decide(*, remedy: Remedy, by: User, approve: bool, comment: str = "") -> Remedy:
    """A supervisor approves or rejects a remedy awaiting approval; a rejection needs a comment."""
    ticket = _locked(remedy.ticket, by, "decide_remedy")
    # A supervisor decides for their own teams' tickets (the approvals inbox shows no others);
    # managers and administrators for any team.
    if (
        by.role == User.Role.SUPERVISOR
        and not by.is_superuser
        and not by.teams.filter(pk=ticket.team_id).exists()
    ):
        raise Forbidden(_("You decide remedies for your own teams' tickets only."))
    remedy = Remedy.objects.select_for_update().get(pk=remedy.pk)
    if remedy.approval != Remedy.Approval.PENDING:
        raise Conflict(_("This remedy is not waiting for approval."), code="not_pending")
    errors: dict = {}
    comment = (comment or "").strip()
    if not approve and not comment:
        errors["comment"] = [_("Say why the remedy is rejected.")]
    _markup(errors, comment=comment)
    _raise(errors)
    now = timezone.now()
    remedy.approval = Remedy.Approval.APPROVED if approve else Remedy.Approval.REJECTED
    remedy.decided_by, remedy.decided_at, remedy.decision_comment = by, now, comment[:500]
    fields = ["approval", "decided_by", "decided_at", "decision_comment"]
    if not approve and remedy.is_chosen:
        remedy.is_chosen = False
        fields.append("is_chosen")
    remedy.save(update_fields=fields)
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.APPROVAL,
        by,
        now,
        action="approve" if approve else "reject",
        body=_site_text(
            lambda: (
                f"{remedy.get_kind_display()} ¥{remedy.amount:,.2f} — "
                f"{remedy.get_approval_display()}{': ' + comment if comment else ''}"
            )
        ),
        data={"remedy": remedy.pk, "approved": bool(approve)},
    )
    return remedy


# -- Improvement actions and the archive --------------------------------------------------------


@transaction.atomic
def improvement_add(
    *,
    ticket: Ticket,
    by: User,
    kind: str,
    description: str,
    owner: User | None,
    due_on: date | None,
) -> ImprovementAction:
    """Raise an improvement action (training, process change) with an owner and a due date."""
    ticket = _locked(ticket, by, "improve")
    errors: dict = {}
    if kind not in ImprovementAction.Kind.values:
        errors["kind"] = [_("Choose the kind of improvement.")]
    description = _required(errors, "description", description, _("Say what will change."))
    if owner is None:
        errors["owner"] = [_("Choose who owns it.")]
    elif not owner.is_active:
        errors["owner"] = [_("This staff member is no longer active.")]
    if due_on is None:
        errors["due_on"] = [_("Give a due date.")]
    elif due_on < timezone.localdate():
        errors["due_on"] = [_("The due date cannot be in the past.")]
    _raise(errors)
    now = timezone.now()
    improvement = ImprovementAction(
        ticket=ticket,
        kind=kind,
        description=description[:500],
        owner=owner,
        due_on=due_on,
        created_by=by,
        created_at=now,
    )
    improvement.full_clean(exclude=["ticket", "owner", "created_by"])
    improvement.save()
    _save(ticket, by, now, [])
    _event(
        ticket,
        E.IMPROVEMENT,
        by,
        now,
        body=_site_text(
            lambda: f"{improvement.get_kind_display()}: {description} → {owner} ({due_on:%Y-%m-%d})"
        ),
        data={"improvement": improvement.pk},
    )
    return improvement


def improvement_can_complete(*, staff: User, improvement: ImprovementAction) -> bool:
    return improvement.owner_id == staff.pk or staff.can("tickets.improvements")


@transaction.atomic
def improvement_complete(*, improvement: ImprovementAction, by: User) -> ImprovementAction:
    """Mark an improvement done (its owner or a manager). It lives on after the ticket closes."""
    if not improvement_can_complete(staff=by, improvement=improvement):
        raise Forbidden(_("Only the owner or a manager may complete this improvement action."))
    now = timezone.now()
    updated = ImprovementAction.objects.filter(
        pk=improvement.pk, status=ImprovementAction.Status.OPEN
    ).update(status=ImprovementAction.Status.DONE, completed_at=now)
    if not updated:
        raise Conflict(_("This improvement action is already done."), code="already_done")
    improvement.status, improvement.completed_at = ImprovementAction.Status.DONE, now
    return improvement


@transaction.atomic
def ticket_archive(
    *, ticket: Ticket, by: User, problem: str, cause: str, remedy: str
) -> CaseLesson:
    """Archive a resolved or closed ticket as a case: the problem, its cause and the remedy."""
    ticket = _locked(ticket, by, "archive")
    if CaseLesson.objects.filter(ticket=ticket).exists():
        raise Conflict(_("This ticket is already archived as a case."), code="already_archived")
    errors: dict = {}
    problem = _required(errors, "problem", problem, _("Describe the problem."))
    cause = _required(errors, "cause", cause, _("Describe the cause."))
    remedy = _required(errors, "remedy", remedy, _("Describe the remedy."))
    _raise(errors)
    now = timezone.now()
    lesson = CaseLesson(
        ticket=ticket, problem=problem, cause=cause, remedy=remedy, created_by=by, created_at=now
    )
    lesson.full_clean(exclude=["ticket", "created_by"])
    lesson.save()
    _event(ticket, E.ARCHIVED, by, now, body=problem[:200], data={"lesson": lesson.pk})
    knowledge.index_case_after_commit(ticket.pk)
    return lesson


# -- One entry point for pages and the API ------------------------------------------------------


def ticket_act(*, ticket: Ticket, by: User, action: str, **fields):
    """Do `action` from the table with its fields: transitions and the in-place actions alike."""
    spec = ACTIONS.get(action)
    if spec is None:
        _check(ticket, by, action)
    if action in OWN_SERVICE_ACTIONS:
        from rapport.tickets.services import merge  # merge builds on these services

        service = {"merge": merge.ticket_merge, "split": merge.ticket_split}[action]
        return service(ticket=ticket, by=by, **fields)
    if spec.is_transition:
        return ticket_transition(ticket=ticket, by=by, action=action, **fields)
    handlers = {
        "note": ticket_note,
        "reply": ticket_reply,
        "assign": ticket_assign,
        "escalate": ticket_escalate,
        "prioritise": ticket_prioritise,
        "flag_upset": ticket_flag_upset,
        "cannot_meet": ticket_cannot_meet,
        "partner": ticket_partner,
        "investigate": investigation_request,
        "offer_remedy": remedy_offer,
        "improve": improvement_add,
        "archive": ticket_archive,
        "edit": ticket_update,
    }
    if action not in handlers:
        raise TransitionNotAllowed(
            _("“%(action)s” needs its own request.") % {"action": spec.label}, field="action"
        )
    return handlers[action](ticket=ticket, by=by, **fields)
