"""The approvals inbox: only what the lead may decide, inline and in bulk, errors where they look."""

import pytest

from rapport.tickets import services
from rapport.tickets.models import Remedy, TicketEvent
from rapport.tickets.tests.factories import in_progress

pytestmark = pytest.mark.django_db


def _waiting(by, *, chosen: bool = True, amount: int = 5000) -> Remedy:
    ticket = in_progress(by)
    remedy = services.remedy_offer(ticket=ticket, by=by, kind="compensation", amount=amount)
    if chosen:
        services.remedy_choose(remedy=remedy, by=by)
    return remedy


def test_the_inbox_lists_only_what_the_supervisor_may_decide(
    as_user, supervisor, agent, other_team_agent
):
    mine = [_waiting(agent) for _ in range(3)]
    _waiting(agent, chosen=False)  # offered, not chosen by the customer
    _waiting(agent, amount=100)  # below the approval amount: nothing to decide
    _waiting(other_team_agent)  # another team's
    closed = _waiting(agent)
    type(closed.ticket).objects.filter(pk=closed.ticket_id).update(
        is_open=False, status="closed", closed_at=closed.created_at
    )

    page = as_user(supervisor).get("/approvals/").context["page"]

    assert [r.pk for r in page] == [r.pk for r in reversed(mine)]  # newest first


def test_the_inbox_is_paginated(as_user, supervisor, agent):
    for _ in range(27):
        _waiting(agent)

    client = as_user(supervisor)
    first = client.get("/approvals/").context["page"]
    second = client.get("/approvals/?page=2").context["page"]

    assert first.paginator.count == 27
    assert len(first) == 25 and len(second) == 2


def test_a_reject_without_a_comment_says_so_in_the_row(as_user, supervisor, agent):
    remedy = _waiting(agent)

    response = as_user(supervisor).post(
        "/approvals/decide/",
        {"remedy": remedy.pk, "decision": "reject", "comment": "", "row": "1"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200  # htmx swaps it: the error is seen
    body = response.content.decode()
    assert f'id="approval-{remedy.pk}"' in body
    assert f'id="ape-{remedy.pk}" role="alert"' in body
    remedy.refresh_from_db()
    assert remedy.approval == Remedy.Approval.PENDING


def test_approve_inline_returns_the_decided_row(as_user, supervisor, agent):
    remedy = _waiting(agent)

    response = as_user(supervisor).post(
        "/approvals/decide/",
        {"remedy": remedy.pk, "decision": "approve", "row": "1"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    remedy.refresh_from_db()
    assert remedy.approval == Remedy.Approval.APPROVED and remedy.decided_by == supervisor
    assert TicketEvent.objects.filter(ticket=remedy.ticket, kind="approval").count() == 1


def test_a_bulk_decision_does_each_and_says_what_was_refused(as_user, supervisor, agent):
    waiting = [_waiting(agent) for _ in range(20)]
    already = waiting[0]
    services.remedy_decide(remedy=already, by=supervisor, approve=True)
    ids = [r.pk for r in waiting] + [999_999]

    response = as_user(supervisor).post(
        "/approvals/decide/", {"remedy": ids, "decision": "approve"}, follow=True
    )

    texts = [str(m) for m in response.context["messages"]]
    assert texts[0] == "已批准：19 项。"
    assert len(texts) == 3  # one line per reason, naming the items
    assert any(t.startswith("未处理（1 项）：") and already.ticket.number in t for t in texts)
    assert any(t.startswith("未处理（1 项）：") and "999999" in t for t in texts)
    assert Remedy.objects.filter(approval="approved").count() == 20


def test_a_bulk_reject_needs_a_comment_and_changes_nothing_without(as_user, supervisor, agent):
    waiting = [_waiting(agent) for _ in range(3)]

    as_user(supervisor).post(
        "/approvals/decide/", {"remedy": [r.pk for r in waiting], "decision": "reject"}
    )

    assert Remedy.objects.filter(approval="pending").count() == 3


def test_hundreds_of_ids_are_refused_by_field(as_user, supervisor, agent):
    response = as_user(supervisor).post(
        "/approvals/decide/", {"remedy": list(range(1, 502)), "decision": "approve"}
    )

    assert response.status_code == 400
    assert "500" in response.content.decode()


def test_a_supervisor_cannot_decide_another_teams_remedy(as_user, supervisor, other_team_agent):
    theirs = _waiting(other_team_agent)

    as_user(supervisor).post("/approvals/decide/", {"remedy": theirs.pk, "decision": "approve"})

    theirs.refresh_from_db()
    assert theirs.approval == Remedy.Approval.PENDING


def test_a_representative_has_no_inbox(as_user, agent):
    assert as_user(agent).get("/approvals/").status_code == 403
    assert as_user(agent).post("/approvals/decide/", {}).status_code == 403


def test_the_ticket_page_shows_a_reject_without_comment_beside_the_remedy(
    as_user, supervisor, agent
):
    remedy = _waiting(agent)

    response = as_user(supervisor).post(
        f"/tickets/{remedy.ticket_id}/act/decide_remedy/",
        {"decide_remedy-remedy": remedy.pk, "decide_remedy-decision": "reject"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert 'class="field-error" role="alert"' in response.content.decode()
