"""Random sequences of actions by random roles against the transition table (hypothesis).

Invariants after every step: only allowed transitions happen (the table and the outcome agree),
the first responder never changes, a closed ticket changes only by reopening, and every change
of the ticket has its event.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from rapport.core.errors import DomainError
from rapport.customers.tests.factories import CustomerFactory
from rapport.tickets import selectors, services
from rapport.tickets.models import Remedy, Ticket
from rapport.tickets.services import TransitionNotAllowed
from rapport.tickets.tests.factories import ensure_seed_data, open_ticket, ticket_type
from rapport.tickets.transitions import ACTIONS, action_allowed

pytestmark = pytest.mark.django_db
ROLES = ["agent", "other_team_agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
ACTION_NAMES = [*[a for a in ACTIONS if a != "edit"], "teleport"]
SNAPSHOT_EXCLUDE = {"updated_at"}


def snapshot(ticket: Ticket) -> dict:
    return {
        f.attname: getattr(ticket, f.attname)
        for f in Ticket._meta.concrete_fields
        if f.attname not in SNAPSHOT_EXCLUDE
    }


def fields_for(action: str, data, users: dict, team) -> dict:
    """Plausible fields for `action`; sometimes incomplete, so refusals are exercised too."""
    if action == "classify":
        return {
            "ticket_type": ticket_type(data.draw(st.sampled_from(["billing", "pq_body", "other"]))),
            "impact": data.draw(st.sampled_from(["safety", "group", "normal", ""])),
        }
    if action == "wait":
        return {
            "waiting_on": data.draw(st.sampled_from(["customer", "third_party", ""])),
            "reason": data.draw(st.sampled_from(["等配件", ""])),
        }
    if action == "resolve":
        return {"resolution": data.draw(st.sampled_from(["已更换", ""]))}
    if action == "close":
        return {"satisfaction": data.draw(st.sampled_from(["yes", "no", "no_answer", "maybe"]))}
    if action == "reopen":
        return {"reason": data.draw(st.sampled_from(["又坏了", ""]))}
    if action in ("note", "reply"):
        return {"body": data.draw(st.sampled_from(["已联系客户", "", "<script>x</script>"]))}
    if action == "assign":
        return {"to_staff": users[data.draw(st.sampled_from(ROLES))], "reason": "转交"}
    if action == "escalate":
        return {"reason": "客户情绪激动"}
    if action == "prioritise":
        return {"priority": data.draw(st.integers(0, 5)), "reason": "调整"}
    if action == "flag_upset":
        return {"upset": data.draw(st.booleans())}
    if action == "cannot_meet":
        return {
            "reason": data.draw(st.sampled_from(["technical", "resources", "x"])),
            "note": "说明",
        }
    if action == "partner":
        return {"partner_name": "安达物流", "partner_contact": "400-800-1234"}
    if action == "investigate":
        return {"team": team, "question": "查记录", "due_at": timezone.now() + timedelta(days=1)}
    if action == "offer_remedy":
        return {
            "kind": data.draw(st.sampled_from(["refund", "compensation", "apology", "bogus"])),
            "amount": data.draw(st.sampled_from(["0", "100", "800", "-5", "2000000"])),
            "needs_resources": data.draw(st.booleans()),
        }
    if action == "improve":
        return {
            "kind": "training",
            "description": "复训",
            "owner": users["manager"],
            "due_on": timezone.localdate() + timedelta(days=3),
        }
    if action == "archive":
        return {"problem": "问题", "cause": "原因", "remedy": "措施"}
    if action == "split":  # no customer message to split off: refused, nothing changes
        return {"message_ids": [], "subject": "拆分"}
    return {}


def test_random_actions_by_random_roles_keep_the_invariants(request, team):
    ensure_seed_data()
    users = {role: request.getfixturevalue(role) for role in ROLES}
    owner = users["agent"]
    reached: set[str] = set()

    class TicketMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ticket = open_ticket(owner, CustomerFactory(account_manager=users["kam"]))
            self.changes = 0

        def _act(self, action, user, data):
            ticket = self.ticket
            if action == "choose_remedy" or action == "decide_remedy":
                remedy = Remedy.objects.filter(ticket=ticket).order_by("-id").first()
                if remedy is None:
                    return
                if action == "choose_remedy":
                    services.remedy_choose(remedy=remedy, by=user)
                else:
                    services.remedy_decide(
                        remedy=remedy, by=user, approve=data.draw(st.booleans()), comment="意见"
                    )
            elif action == "answer_investigation":
                investigation = ticket.investigations.filter(status="open").first()
                if investigation is None:
                    return
                services.investigation_answer(investigation=investigation, by=user, finding="查明")
            elif action == "attach":
                services.attachment_add(ticket=ticket, by=user, files=[])
            elif action == "teleport":
                services.ticket_transition(ticket=ticket, by=user, action=action)
            elif action == "merge":  # into another open ticket of the same customer
                into = open_ticket(owner, ticket.customer)
                services.ticket_act(ticket=ticket, by=user, action=action, into=into)
            else:
                services.ticket_act(
                    ticket=ticket, by=user, action=action, **fields_for(action, data, users, team)
                )

        @rule(action=st.sampled_from(ACTION_NAMES), role=st.sampled_from(ROLES), data=st.data())
        def act(self, action, role, data):
            self._step(action, role, data)

        @rule(role=st.sampled_from(ROLES), data=st.data())
        def advance(self, role, data):
            """A move the table allows now, so sequences reach the later states too."""
            allowed = [
                a
                for a in ACTIONS
                if a != "edit"
                and action_allowed(status=self.ticket.status, action=a, staff=users[role])
            ]
            if allowed:
                self._step(data.draw(st.sampled_from(allowed)), role, data)

        def _step(self, action, role, data):
            user = users[role]
            try:  # pages and the API reach a ticket only through the access-checked selector
                selectors.ticket_get_for_staff(staff=user, ticket_id=self.ticket.pk)
            except DomainError:
                return
            before = Ticket.objects.get(pk=self.ticket.pk)
            before_events = before.events.count()
            allowed = action_allowed(status=before.status, action=action, staff=user)
            try:
                self._act(action, user, data)
                outcome = "done"
            except TransitionNotAllowed:
                outcome = "refused"
            except (ValidationError, DomainError):
                outcome = "invalid"
            after = Ticket.objects.get(pk=self.ticket.pk)
            events = after.events.count()

            if not allowed:
                assert outcome != "done" or (
                    snapshot(after) == snapshot(before) and events == before_events
                ), (action, role, before.status)
            if outcome == "refused":
                assert not allowed, (action, role, before.status)
            if outcome != "done":
                assert snapshot(after) == snapshot(before) and events == before_events
            spec = ACTIONS.get(action)
            if outcome == "done" and spec is not None and spec.is_transition:
                assert before.status in spec.sources and after.status == spec.target
            if outcome == "done" and spec is not None and not spec.is_transition:
                assert after.status == before.status
            if before.status == Ticket.Status.CLOSED and action != "reopen":
                assert snapshot(after) == snapshot(before)
            if snapshot(after) != snapshot(before) or after.updated_at != before.updated_at:
                assert events > before_events, (action, role)
            self.ticket = after

        def teardown(self):
            reached.add(self.ticket.status)

        @invariant()
        def first_responder_never_changes(self):
            assert self.ticket.first_responder_id == owner.pk

        @invariant()
        def open_flag_matches_status(self):
            assert self.ticket.is_open == (self.ticket.status != Ticket.Status.CLOSED)

    run_state_machine_as_test(
        TicketMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert len(reached) >= 3, reached  # the runs got past intake
