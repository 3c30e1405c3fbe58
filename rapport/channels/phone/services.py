"""Writes for calls: recording a pushed call event, click-to-call, dismissing the banner.

`call_event_record` is the one way events change a call, whichever format they arrived in:
the same call id and event type is one record (a retry returns the first), an unknown type is
kept with the reason it was ignored, and events may arrive in any order — an `answered` after
`ended` fills in the answer time and changes nothing else. When a call ends, its interaction is
recorded once (channel phone, direction, duration, the representative); an inbound call nobody
answered also gets one call-back task.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.channels.models import ChannelAccount
from rapport.channels.phone import dialers
from rapport.channels.phone.events import CallEventData
from rapport.channels.phone.models import Call, CallEvent
from rapport.channels.phone.numbers import caller_e164
from rapport.channels.services.outbox import interaction_purpose
from rapport.core.errors import DomainError, NotFound
from rapport.customers.models import Customer
from rapport.customers.selectors import customer_find_by_identity
from rapport.customers.services import customer_get_or_create_from_contact
from rapport.interactions.models import Interaction
from rapport.interactions.services import follow_up_task_create, interaction_log
from rapport.notifications.services import notify
from rapport.staff.models import User

# A provider clock may run a little ahead of ours; beyond this, or absurdly old, the time an
# event says it happened is replaced by the time we received it.
CLOCK_SKEW = timedelta(minutes=5)
OLDEST_EVENT = timedelta(days=7)
DEFAULT_CALLBACK_MINUTES = 120

S = Call.State
FINISHED = (S.ENDED, S.MISSED)


@dataclass(frozen=True)
class EventResult:
    event: CallEvent
    duplicate: bool


def _when(event: CallEventData, now: datetime) -> datetime:
    when = event.occurred_at
    if when is None or when > now + CLOCK_SKEW or when < now - OLDEST_EVENT:
        return now
    return min(when, now)


def _match_agent(account: ChannelAccount, event: CallEventData) -> User | None:
    """By the account's mapping of provider agent ids to user names, else by extension."""
    mapping = account.config.get("agents") if isinstance(account.config, dict) else None
    active = User.objects.filter(is_active=True)
    if isinstance(mapping, dict):
        for ref in (event.agent_id, event.agent_extension):
            username = mapping.get(ref) if ref else None
            if isinstance(username, str) and username:
                found = active.filter(username=username).first()
                if found is not None:
                    return found
    refs = [r for r in (event.agent_extension, event.agent_id) if r]
    if not refs:
        return None
    return active.filter(phone_extension__in=refs).order_by("id").first()


def _resolve(customer: Customer | None) -> Customer | None:
    while customer is not None and customer.merged_into_id:
        customer = customer.merged_into
    return customer


def _fill(call: Call, event: CallEventData, account: ChannelAccount, created: bool) -> None:
    """Take what the event knows and the call does not yet."""
    if event.direction and (created or not (call.from_number or call.to_number)):
        call.direction = event.direction
    if event.from_number and not call.from_number:
        call.from_number = event.from_number
    if event.to_number and not call.to_number:
        call.to_number = event.to_number
    if not call.customer_number:
        call.customer_number = caller_e164(call.customer_side_raw)
    if call.customer_id is None and call.customer_number:
        call.customer = customer_find_by_identity(kind="phone", raw=call.customer_number)
    if event.agent_id or event.agent_extension:
        if call.agent_id is None or event.event_type == "answered":
            # Whoever answers is the representative, even if it rang at someone else first.
            agent = _match_agent(account, event)
            if agent is not None:
                call.agent = agent
        if not call.agent_ref or event.event_type == "answered":
            call.agent_ref = event.agent_id or event.agent_extension
    if event.recording_url:
        call.recording_url = event.recording_url


def _lock_call(account: ChannelAccount, event: CallEventData, when: datetime) -> tuple[Call, bool]:
    locked = Call.objects.select_for_update()
    call = locked.filter(account=account, provider_call_id=event.call_id).first()
    if call is not None:
        return call, False
    try:
        with transaction.atomic():
            call = Call.objects.create(
                account=account,
                provider_call_id=event.call_id,
                direction=event.direction or Call.Direction.INBOUND,
                started_at=when,
                created_at=when,
                updated_at=timezone.now(),
            )
        return call, True
    except IntegrityError:  # the same call's first event arrived twice at once; theirs won
        return locked.get(account=account, provider_call_id=event.call_id), False


def _apply(call: Call, event: CallEventData, created: bool, when: datetime) -> tuple[str, str]:
    """Move the call on by one event; returns (outcome, reason)."""
    applied, late, ignored = (
        CallEvent.Outcome.APPLIED,
        CallEvent.Outcome.LATE,
        CallEvent.Outcome.IGNORED,
    )
    kind = event.event_type
    state_word = call.get_state_display()
    if kind == "ringing":
        call.started_at = when if created else min(call.started_at, when)
        if created or call.state == S.RINGING:
            return applied, ""
        return late, _("Arrived after the call was %(state)s.") % {"state": state_word}
    if kind == "answered":
        if call.answered_at is None:
            call.answered_at = when
        call.started_at = min(call.started_at, when)
        if call.state == S.RINGING:
            call.state = S.ANSWERED
            return applied, ""
        if call.state == S.MISSED and call.interaction_id is None:
            call.state = S.ANSWERED
            return applied, ""
        return late, _("Arrived after the call was %(state)s.") % {"state": state_word}
    if kind == "recording":
        if not event.recording_url:
            return ignored, _("The event carries no recording link.")
        return applied, ""
    if call.state in FINISHED:
        return ignored, _("The call was already %(state)s.") % {"state": state_word}
    if kind == "missed":
        if call.state == S.ANSWERED:
            return ignored, _("The call was answered; a missed event cannot undo that.")
        call.state, call.ended_at = S.MISSED, when
        return applied, ""
    # ended
    call.ended_at = when
    if event.hangup_side:
        call.hangup_side = event.hangup_side
    if event.duration_seconds is not None:
        call.duration_seconds = event.duration_seconds
    elif call.answered_at is not None:
        call.duration_seconds = max(0, int((when - call.answered_at).total_seconds()))
    talked = call.answered_at is not None or call.duration_seconds > 0
    if talked and call.answered_at is None:  # ended arrived before answered
        call.answered_at = when - timedelta(seconds=call.duration_seconds)
    call.started_at = min(call.started_at, call.answered_at or when)
    call.state = S.ENDED if talked else S.MISSED
    return applied, ""


def _duration_words(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return _("%(seconds)s s") % {"seconds": rest}
    return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}


def _summary(call: Call) -> str:
    inbound = call.direction == Call.Direction.INBOUND
    if call.state == S.MISSED:
        return (
            _("Missed call; to be called back.") if inbound else _("Outbound call, not answered.")
        )
    words = _duration_words(call.duration_seconds)
    if inbound:
        return _("Inbound call, %(duration)s. Summary to be written.") % {"duration": words}
    return _("Outbound call, %(duration)s. Summary to be written.") % {"duration": words}


def _record_interaction(call: Call) -> None:
    """The call on the customer's timeline, once. An unknown caller becomes a potential
    customer, as an e-mail from a stranger does; a withheld number is noted on the call."""
    if not call.customer_number:
        call.note = _("No caller number; the call is on no customer's timeline.")[:300]
        return
    customer = _resolve(call.customer) or customer_find_by_identity(
        kind="phone", raw=call.customer_number
    )
    try:
        if customer is None:
            customer, _created = customer_get_or_create_from_contact(
                kind="phone", value=call.customer_number
            )
        by = call.agent if call.agent is not None and call.agent.can("interactions.log") else None
        with translation.override(settings.LANGUAGE_CODE):
            summary = _summary(call)
        call.customer = customer
        call.interaction = interaction_log(
            by=by,
            customer=customer,
            channel=Interaction.Channel.PHONE,
            direction=call.direction,
            purpose=interaction_purpose("information"),
            summary=summary,
            started_at=call.answered_at or call.started_at,
            duration_seconds=call.duration_seconds,
        )
    except ValidationError as exc:
        call.note = (
            _("Not recorded on the timeline: %(reason)s") % {"reason": "; ".join(exc.messages)}
        )[:300]


def _create_callback_task(call: Call, now: datetime) -> None:
    if call.customer is None or call.callback_task_id is not None:
        return
    account = call.account
    minutes = (
        account.config.get("callback_within_minutes") if isinstance(account.config, dict) else None
    )
    if not isinstance(minutes, int) or not 1 <= minutes <= 7 * 24 * 60:
        minutes = DEFAULT_CALLBACK_MINUTES
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Call back %(number)s (missed call)") % {"number": call.masked_number}
    agent = call.agent if call.agent is not None and call.agent.is_active else None
    try:
        call.callback_task = follow_up_task_create(
            by=None,
            customer=call.customer,
            interaction=call.interaction,
            title=title,
            due_at=now + timedelta(minutes=minutes),
            assignee=agent,
            assignee_team=account.default_team,
        )
    except ValidationError as exc:
        call.note = (_("No call-back task: %(reason)s") % {"reason": "; ".join(exc.messages)})[:300]


def _notify_agent(call: Call, kind: str) -> None:
    """The representative it rang at hears of it in the bell too (once per call and kind)."""
    if call.agent is None or call.direction != Call.Direction.INBOUND:
        return
    who = call.customer.name if call.customer is not None else call.masked_number
    if kind == "incoming_call":
        title = format_lazy(gettext_lazy("Incoming call: {who}"), who=who)
        url = reverse("customers:detail", args=[call.customer_id]) if call.customer_id else ""
    else:
        title = format_lazy(gettext_lazy("Missed call: {who}"), who=who)
        url = reverse("interactions:tasks")
    notify(users=[call.agent], kind=kind, title=title, url=url, dedupe_key=f"call:{call.pk}:{kind}")


@transaction.atomic
def call_event_record(
    *, account: ChannelAccount, event: CallEventData, received_at: datetime | None = None
) -> EventResult:
    """Record one pushed event and move its call on. Never raises for the event's content:
    what cannot be applied is recorded with the reason."""
    now = received_at or timezone.now()
    when = _when(event, now)
    call: Call | None
    if event.is_known:
        call, created = _lock_call(account, event, when)
    else:
        call = Call.objects.filter(account=account, provider_call_id=event.call_id).first()
        created = False
    existing = CallEvent.objects.filter(
        account=account, provider_call_id=event.call_id, event_type=event.event_type
    ).first()
    if existing is not None:
        return EventResult(existing, True)
    if call is None or not event.is_known:
        outcome = CallEvent.Outcome.IGNORED
        reason = _("Unknown event type “%(type)s”; recorded, nothing changed.") % {
            "type": event.event_type
        }
    else:
        outcome, reason = _apply(call, event, created, when)
        _fill(call, event, account, created)
        if call.state in FINISHED and call.interaction_id is None and not call.note:
            _record_interaction(call)
        if (
            call.state == S.MISSED
            and call.direction == Call.Direction.INBOUND
            and call.callback_task_id is None
        ):
            _create_callback_task(call, now)
        call.updated_at = timezone.now()
        call.full_clean(exclude=["account", "customer", "agent", "interaction", "callback_task"])
        call.save()
        if call.state == S.RINGING and event.event_type == "ringing":
            _notify_agent(call, "incoming_call")
        elif call.state == S.MISSED:
            _notify_agent(call, "call_missed")
    try:
        with transaction.atomic():
            row = CallEvent.objects.create(
                account=account,
                call=call,
                provider_call_id=event.call_id,
                event_type=event.event_type,
                occurred_at=event.occurred_at,
                payload=event.payload,
                outcome=outcome,
                reason=reason[:300],
                received_at=now,
            )
    except IntegrityError:  # the same unknown event twice at once
        row = CallEvent.objects.get(
            account=account, provider_call_id=event.call_id, event_type=event.event_type
        )
        return EventResult(row, True)
    return EventResult(row, False)


def call_link_customer(*, call: Call) -> Call:
    """After a representative filed the unknown caller as a customer: the call is theirs."""
    if call.customer_id is None and call.customer_number:
        customer = customer_find_by_identity(kind="phone", raw=call.customer_number)
        if customer is not None:
            Call.objects.filter(pk=call.pk, customer=None).update(
                customer=customer, updated_at=timezone.now()
            )
            call.customer = customer
    return call


def call_banner_dismiss(*, call: Call, by: User) -> None:
    """The representative closes the banner of a call that rang at them."""
    if call.agent_id != by.pk:
        raise NotFound(_("No such call."))
    Call.objects.filter(pk=call.pk, banner_dismissed_at=None).update(
        banner_dismissed_at=timezone.now()
    )


class DialRefused(DomainError):
    code = "dial_refused"
    status = 409


class DialFailed(DomainError):
    """The call centre could not be reached or refused the call."""

    code = "provider_error"
    status = 502


def phone_account_for_dialing() -> ChannelAccount | None:
    """The default active phone account, else the first active one."""
    return (
        ChannelAccount.objects.filter(kind=ChannelAccount.Kind.PHONE, is_active=True)
        .order_by("-is_default", "id")
        .first()
    )


def call_dial(*, by: User, customer: Customer, identity_id: int) -> Call:
    """Ask the call centre to ring `by`'s extension and connect it to the customer's number.

    The number is looked up here by the identity id; it never travels through the browser.
    Raises NotFound for an identity that is not one of this customer's phone numbers,
    DialRefused (no extension, no phone account, a customer who may not be contacted),
    DialFailed when the call centre is down or refuses.
    """
    identity = customer.identities.filter(pk=identity_id, kind="phone").first()
    if identity is None:
        raise NotFound(_("No such phone number."))
    extension = (by.phone_extension or "").strip()
    if not extension:
        raise DialRefused(
            _("You have no phone extension yet; ask an administrator to set it."),
            code="no_extension",
            field="phone_extension",
        )
    if customer.do_not_contact or customer.is_deceased:
        raise DialRefused(
            _("This customer may not be contacted."), code="do_not_contact", field="customer"
        )
    account = phone_account_for_dialing()
    if account is None:
        raise DialRefused(_("No phone account is set up for calling out."), code="no_phone_account")
    dialer = dialers.dialer_for(account)
    if dialer is None:
        raise DialRefused(
            _("Click-to-call is not available through this call centre."), code="not_supported"
        )
    # The call centre is asked outside any transaction: no row is locked while it answers.
    result = dialer(account=account, extension=extension, number=identity.value)
    if not result.ok:
        raise DialFailed(
            _("The call centre did not place the call: %(reason)s") % {"reason": result.reason}
        )
    with transaction.atomic():
        call, _created = Call.objects.select_for_update().get_or_create(
            account=account,
            provider_call_id=result.call_id,
            defaults={"direction": Call.Direction.OUTBOUND},
        )
        call.direction = Call.Direction.OUTBOUND
        call.from_number = call.from_number or extension
        call.to_number = identity.value
        call.customer_number = identity.value
        call.customer = customer
        call.agent = by
        call.agent_ref = extension
        call.updated_at = timezone.now()
        call.save()
    return call
