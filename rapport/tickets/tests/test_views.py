from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions.tests.factories import InteractionFactory
from rapport.tickets import services
from rapport.tickets.models import Remedy, Ticket, TicketAttachment
from rapport.tickets.tests.factories import in_progress, open_ticket, resolved, ticket_type

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def _create_data(**overrides):
    data = {
        "kind": "complaint",
        "description": "客户反映刹车异响",
        "customer_words": "刹车的时候吱吱响,太吓人了!",
        "contact_name": "李女士",
        "contact_phone": "13900001111",
        "occurred_at": _local(timezone.now() - timedelta(hours=3)),
        "occurred_where": "京港澳高速",
    }
    data.update(overrides)
    return data


def test_intake_from_the_360_page_opens_the_ticket(agent, as_user):
    customer = CustomerFactory()

    response = as_user(agent).post(f"/tickets/new/?customer={customer.pk}", _create_data())

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.pk}/"
    assert ticket.customer_words == "刹车的时候吱吱响,太吓人了!"
    assert ticket.first_responder == agent


def test_intake_from_an_interaction_links_it(agent, as_user):
    interaction = InteractionFactory(staff=agent)

    page = as_user(agent).get(f"/tickets/new/?interaction={interaction.pk}")
    response = as_user(agent).post(f"/tickets/new/?interaction={interaction.pk}", _create_data())

    assert interaction.summary in page.content.decode()
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.interaction, ticket.customer, ticket.source) == (
        interaction,
        interaction.customer,
        "interaction",
    )


def test_intake_without_the_customer_words_shows_the_error(agent, as_user):
    customer = CustomerFactory()
    response = as_user(agent).post(
        f"/tickets/new/?customer={customer.pk}", _create_data(customer_words="")
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_oversized_or_disallowed_attachment_is_refused(agent, as_user, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    customer = CustomerFactory()
    client = as_user(agent)
    big = SimpleUploadedFile("big.png", PNG + b"\0" * (5 * 1024 * 1024), "image/png")
    exe = SimpleUploadedFile("virus.exe", b"MZ\0\0", "application/octet-stream")
    fake = SimpleUploadedFile("photo.jpg", b"<html>", "image/jpeg")

    for bad in (big, exe, fake):
        response = client.post(
            f"/tickets/new/?customer={customer.pk}", {**_create_data(), "attachments": [bad]}
        )
        assert response.status_code == 200
        assert "field-error" in response.content.decode()
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()


def test_an_attachment_is_stored_and_served_only_to_who_may_see_it(
    agent, other_team_agent, as_user, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    customer = CustomerFactory()
    as_user(agent).post(
        f"/tickets/new/?customer={customer.pk}",
        {**_create_data(), "attachments": [SimpleUploadedFile("刹车.png", PNG, "image/png")]},
    )
    attachment = TicketAttachment.objects.get()

    mine = as_user(agent).get(f"/tickets/attachments/{attachment.pk}/")
    theirs = as_user(other_team_agent).get(f"/tickets/attachments/{attachment.pk}/")

    assert mine.status_code == 200 and mine["Content-Type"] == "image/png"
    assert b"".join(mine.streaming_content) == PNG
    assert theirs.status_code == 404
    assert not str(tmp_path).startswith(str(settings.STATIC_ROOT))


def test_detail_shows_verbatim_words_escaped_and_only_allowed_actions(agent, as_user):
    ticket = open_ticket(agent, customer_words="<b>太差了</b> & 不满意")

    body = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()

    assert "&lt;b&gt;太差了&lt;/b&gt; &amp; 不满意" in body
    assert "/form/classify/" in body  # offered; its form is fetched when opened
    for refused in ("resolve", "close"):
        assert f"/act/{refused}/" not in body and f"/form/{refused}/" not in body


def test_action_forms_are_built_when_opened_not_with_the_page(agent, as_user):
    ticket = open_ticket(agent)
    client = as_user(agent)

    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'name="classify-ticket_type"' not in page
    assert 'name="reply-body"' in page  # the reply, what the page is for, is always there

    part = client.get(f"/tickets/{ticket.pk}/form/classify/", headers={"HX-Request": "true"})
    assert part.status_code == 200
    html = part.content.decode()
    assert 'name="classify-ticket_type"' in html and f"/tickets/{ticket.pk}/act/classify/" in html
    assert "<html" not in html


def test_without_javascript_an_action_form_opens_on_the_page(agent, as_user):
    ticket = open_ticket(agent)
    client = as_user(agent)

    response = client.get(f"/tickets/{ticket.pk}/form/classify/")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.pk}/?form=classify#act-classify"
    page = client.get(f"/tickets/{ticket.pk}/?form=classify").content.decode()
    assert 'id="act-classify" open' in page and 'name="classify-ticket_type"' in page


def test_the_form_of_an_action_not_allowed_now_is_404(agent, other_team_agent, as_user):
    ticket = open_ticket(agent)
    htmx = {"HX-Request": "true"}
    assert as_user(agent).get(f"/tickets/{ticket.pk}/form/close/", headers=htmx).status_code == 404
    assert as_user(agent).get(f"/tickets/{ticket.pk}/form/nope/", headers=htmx).status_code == 404
    theirs = as_user(other_team_agent).get(f"/tickets/{ticket.pk}/form/classify/", headers=htmx)
    assert theirs.status_code == 404


def test_a_ticket_of_another_team_is_404(agent, other_team_agent, as_user):
    ticket = open_ticket(agent)
    assert as_user(other_team_agent).get(f"/tickets/{ticket.pk}/").status_code == 404
    response = as_user(other_team_agent).post(f"/tickets/{ticket.pk}/act/note/", {"note-body": "x"})
    assert response.status_code == 404
    assert ticket.events.count() == 1


def test_a_ticket_number_beyond_any_id_is_404_not_an_error(agent, as_user):
    """The detail read is a statement compiled once (rapport.core.prepared); an id no integer
    column can hold is "no such ticket", as it was through the ORM."""
    open_ticket(agent)
    client = as_user(agent)
    assert client.get(f"/tickets/{2**63}/").status_code == 404
    assert client.get(f"/tickets/{10**30}/").status_code == 404
    assert client.get(f"/tickets/{2**63 - 1}/").status_code == 404


def test_an_action_with_htmx_returns_the_refreshed_main_region(agent, as_user):
    ticket = open_ticket(agent)

    response = as_user(agent).post(
        f"/tickets/{ticket.pk}/act/classify/",
        {
            "classify-kind": "complaint",
            "classify-ticket_type": ticket_type().pk,
            "classify-impact": "safety",
        },
        headers=HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "ticket-changed"
    assert body.lstrip().startswith('<div id="ticket-main"') and "<html" not in body
    ticket.refresh_from_db()
    assert (ticket.status, ticket.impact, ticket.priority) == ("classified", "safety", 4)


def test_an_action_without_js_redirects_to_the_timeline(agent, as_user):
    ticket = open_ticket(agent)
    response = as_user(agent).post(f"/tickets/{ticket.pk}/act/note/", {"note-body": "已致电客户"})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    assert ticket.events.filter(kind="note").exists()


def test_a_refused_action_shows_the_message_and_changes_nothing(agent, as_user):
    ticket = in_progress(agent)
    response = as_user(agent).post(
        f"/tickets/{ticket.pk}/act/resolve/", {"resolve-resolution": "处理好了"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "field-error" in response.content.decode() or "errorlist" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_an_action_not_allowed_now_is_refused(agent, as_user):
    ticket = open_ticket(agent)
    response = as_user(agent).post(
        f"/tickets/{ticket.pk}/act/close/", {"close-satisfaction": "yes"}, headers=HTMX
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert as_user(agent).post(f"/tickets/{ticket.pk}/act/teleport/").status_code == 404


def test_compensation_and_approval_through_the_page(agent, supervisor, as_user):
    ticket = in_progress(agent)
    as_user(agent).post(
        f"/tickets/{ticket.pk}/act/offer_remedy/",
        {"offer_remedy-kind": "compensation", "offer_remedy-amount": "-5"},
    )
    assert not Remedy.objects.exists()
    as_user(agent).post(
        f"/tickets/{ticket.pk}/act/offer_remedy/",
        {"offer_remedy-kind": "compensation", "offer_remedy-amount": "1200"},
    )
    remedy = Remedy.objects.get()
    as_user(agent).post(
        f"/tickets/{ticket.pk}/act/decide_remedy/",
        {"decide_remedy-remedy": remedy.pk, "decide_remedy-decision": "approve"},
    )
    remedy.refresh_from_db()
    assert remedy.approval == "pending"  # a representative may not approve
    as_user(supervisor).post(
        f"/tickets/{ticket.pk}/act/decide_remedy/",
        {"decide_remedy-remedy": remedy.pk, "decide_remedy-decision": "approve"},
    )
    remedy.refresh_from_db()
    assert remedy.approval == "approved" and remedy.decided_by == supervisor


def test_upset_flag_shows_the_four_steps_with_the_wording(agent, as_user):
    ticket = in_progress(agent)
    services.ticket_flag_upset(ticket=ticket, by=agent)
    body = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    for words in ("感谢您提供给我的信息", "我很抱歉", "/act/escalate/"):
        assert words in body


def test_queue_lists_my_open_tickets_with_htmx_partial(agent, as_user):
    mine = open_ticket(agent, subject="空调异响甲一")
    closed = services.ticket_transition(
        ticket=resolved(agent, subject="车门划痕乙二"), by=agent, action="close", satisfaction="yes"
    )

    page = as_user(agent).get("/tickets/").content.decode()
    partial = as_user(agent).get("/tickets/?queue=mine&sort=newest", headers=HTMX).content.decode()

    assert mine.subject in page and closed.subject not in page
    assert partial.lstrip().startswith('<div id="results">')


# session, user, teams, count, three queue counts, agent status, rows (no rows query when the
# queue is empty: here nothing is unassigned or waiting). Three more than before bulk work: the
# action bar's staff to assign to, the saved views, and the teams a view may be shared with.
# The type tree of the filter is kept per process (TYPE_TREE_MEMO), read once for all requests,
# and so are the action bar's staff options (views_bulk.WORK_STAFF_OPTIONS).
QUEUE_QUERIES = {
    "mine": 11,
    "owned": 11,
    "team": 11,
    "investigating": 10,
    "unassigned": 10,
    "waiting": 10,
    "all": 11,
}


@pytest.mark.parametrize("queue", list(QUEUE_QUERIES))
def test_queue_query_count_is_pinned(agent, as_user, queue, django_assert_num_queries):
    for _ in range(3):
        in_progress(agent)
    client = as_user(agent)
    client.get(f"/tickets/?queue={queue}")  # warm the session
    with django_assert_num_queries(QUEUE_QUERIES[queue]):
        client.get(f"/tickets/?queue={queue}")


# session, user, teams, ticket, which optional parts it has (remedies, investigations,
# improvements, attachments, the archived lesson: one query), the remedies it has, events,
# identities, interactions, other tickets, status, service-level clocks and their pauses, messages
# to the customer that did not arrive (the outbox rows behind replies are one more query when there
# are any). An optional part without rows costs no query of its own; the selects of the action
# forms (types, staff ×2) are read when a form is opened, not with the page; the desk's settings
# (approval threshold) are kept per process.
DETAIL_QUERIES = 14


def test_detail_query_count_does_not_grow_with_the_timeline(agent, as_user):
    ticket = in_progress(agent)
    services.remedy_offer(ticket=ticket, by=agent, kind="refund", amount="10")
    client = as_user(agent)
    client.get(f"/tickets/{ticket.pk}/")
    with CaptureQueriesContext(connection) as before:
        client.get(f"/tickets/{ticket.pk}/")
    for n in range(6):  # more remedies and events, the timeline still short enough to show whole
        services.ticket_note(ticket=ticket, by=agent, body=f"备注 {n}")
        services.remedy_offer(ticket=ticket, by=agent, kind="refund", amount="10")
    with CaptureQueriesContext(connection) as after:
        client.get(f"/tickets/{ticket.pk}/")
    assert len(after) == len(before)
    assert len(after) == DETAIL_QUERIES, [q["sql"][:80] for q in after.captured_queries]
    # A long timeline reads its start, its event ids and its latest events: two more queries,
    # and no more however long it grows.
    for n in range(20):
        services.ticket_note(ticket=ticket, by=agent, body=f"跟进 {n}")
    with CaptureQueriesContext(connection) as long:
        client.get(f"/tickets/{ticket.pk}/")
    for n in range(40):
        services.ticket_note(ticket=ticket, by=agent, body=f"再跟进 {n}")
    with CaptureQueriesContext(connection) as longer:
        client.get(f"/tickets/{ticket.pk}/")
    assert len(long) == len(longer) == DETAIL_QUERIES + 2


def test_a_ticket_without_remedies_reads_none(agent, as_user, django_assert_num_queries):
    ticket = in_progress(agent)
    client = as_user(agent)
    client.get(f"/tickets/{ticket.pk}/")
    with django_assert_num_queries(DETAIL_QUERIES - 1):
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="remedies"' in page and 'id="investigations"' not in page


def test_improvements_page_lists_actions_for_managers(agent, manager, as_user):
    ticket = in_progress(agent)
    services.improvement_add(
        ticket=ticket,
        by=agent,
        kind="process",
        description="配件到货提前通知客户",
        owner=agent,
        due_on=timezone.localdate() + timedelta(days=7),
    )
    assert "配件到货提前通知客户" in as_user(manager).get("/tickets/improvements/").content.decode()


def test_360_page_has_the_ticket_panel_and_new_ticket_button(agent, as_user):
    ticket = open_ticket(agent, subject="面板里的工单")
    client = as_user(agent)
    page = client.get(f"/customers/{ticket.customer_id}/").content.decode()
    panel = client.get(f"/tickets/customers/{ticket.customer_id}/panel/", headers=HTMX)
    assert f"/tickets/new/?customer={ticket.customer_id}" in page
    assert f"/tickets/customers/{ticket.customer_id}/panel/" in page
    assert panel.content.decode().lstrip().startswith('<div id="customer-tickets"')
    assert "面板里的工单" in panel.content.decode()


def test_the_360_panel_shows_only_tickets_the_staff_member_may_see(
    agent, other_team_agent, as_user
):
    ticket = open_ticket(agent, subject="面板里的工单")
    panel = as_user(other_team_agent).get(f"/tickets/customers/{ticket.customer_id}/panel/")
    assert panel.status_code == 200 and "面板里的工单" not in panel.content.decode()


def test_the_investigating_queue_lists_what_my_department_was_asked(agent, specialist, as_user):
    from rapport.staff.tests.factories import TeamFactory

    tech = TeamFactory(name="技术支持部")
    specialist.teams.set([tech])
    ticket = in_progress(agent, subject="请技术部检测异响")
    services.investigation_request(
        ticket=ticket,
        by=agent,
        team=tech,
        question="检测异响",
        due_at=timezone.now() + timedelta(days=1),
    )
    body = as_user(specialist).get("/tickets/?queue=investigating").content.decode()
    assert "请技术部检测异响" in body
    assert as_user(specialist).get(f"/tickets/{ticket.pk}/").status_code == 200


def test_edit_corrects_the_record_but_not_the_customer_words(agent, as_user):
    ticket = open_ticket(agent)
    data = {
        "edit-subject": "更正后的标题",
        "edit-description": ticket.description,
        "edit-contact_name": ticket.contact_name,
        "edit-contact_phone": ticket.contact_phone,
        "edit-contact_email": "",
        "edit-occurred_at": _local(ticket.occurred_at),
        "edit-occurred_where": "上海店",
        "edit-customer_words": "篡改",
    }
    as_user(agent).post(f"/tickets/{ticket.pk}/act/edit/", data)
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.occurred_where) == ("更正后的标题", "上海店")
    assert ticket.customer_words == "我的车空调一点都不凉,上周刚修过!  你们怎么修的?"
    assert ticket.events.filter(kind="edited").exists()


def test_home_panel_selector_counts_my_tickets_and_approvals(agent, supervisor):
    from rapport.tickets.selectors import home_panel_for_staff

    ticket = in_progress(agent)
    remedy = services.remedy_offer(ticket=ticket, by=agent, kind="compensation", amount="900")
    assert home_panel_for_staff(staff=agent)["my_tickets_open"] == 1
    # Waiting for a decision once the customer has chosen it (an option not taken needs none).
    assert home_panel_for_staff(staff=supervisor)["approvals_waiting"] == 0
    services.remedy_choose(remedy=remedy, by=agent)
    assert home_panel_for_staff(staff=supervisor)["approvals_waiting"] == 1


def test_the_timeline_shows_each_event_kind_escaped_with_its_details(agent, as_user):
    """The timeline entries are rendered in Python (tickets.event_items): kinds, the reply's
    channel, a transition's statuses, who and when, what the customer sees, the text escaped."""
    from rapport.tickets.models import TicketEvent

    ticket = in_progress(agent)
    services.ticket_reply(ticket=ticket, by=agent, body="<i>已致电</i>\n明天回访", channel="phone")
    TicketEvent.objects.create(
        ticket=ticket, kind="customer_message", body="x", data={"automatic": True}, is_public=True
    )
    body = as_user(agent).get(f"/tickets/{ticket.pk}/").content.decode()
    assert body.count('<li class="tk-ev tk-ev-') == ticket.events.count()
    assert "&lt;i&gt;已致电&lt;/i&gt;<br>明天回访" in body
    assert "电话" in body and 'class="badge badge-ok"' in body  # a reply, by phone
    assert "<strong>" in body and 'class="badge badge-new"' in body  # a transition → status
    assert "自动邮件" in body or "Automatic mail" in body
    assert agent.display_name in body or agent.username in body


def test_a_long_timeline_shows_its_start_and_latest_and_fetches_the_rest(agent, as_user):
    from rapport.tickets.models import TicketEvent
    from rapport.tickets.selectors import TIMELINE_HEAD, TIMELINE_TAIL

    ticket = in_progress(agent)
    for i in range(40):
        services.ticket_act(ticket=ticket, by=agent, action="note", body=f"第{i:02d}次跟进")
    events = list(ticket.events.order_by("at", "id"))
    total = len(events)
    client = as_user(agent)
    body = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert body.count('<li class="tk-ev tk-ev-') == TIMELINE_HEAD + TIMELINE_TAIL + 1
    hidden = total - TIMELINE_HEAD - TIMELINE_TAIL
    assert "第39次跟进" in body and "第00次跟进" not in body  # the latest shown, the middle not
    after, before = events[TIMELINE_HEAD - 1].pk, events[-TIMELINE_TAIL].pk
    url = f"/tickets/{ticket.pk}/events/?after={after}&amp;before={before}"
    assert url in body and str(hidden) in body
    part = client.get(url.replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
    assert part.count('<li class="tk-ev tk-ev-') == hidden
    assert "第00次跟进" in part and "第39次跟进" not in part
    everything = client.get(f"/tickets/{ticket.pk}/?events=all").content.decode()
    assert everything.count('<li class="tk-ev tk-ev-') == total
    # Without htmx the button's link opens the page with every event.
    assert client.get(url.replace("&amp;", "&"))["Location"].endswith("?events=all#timeline")
    stale = f"/tickets/{ticket.pk}/events/?after={after}&before=999999"
    assert client.get(stale, HTTP_HX_REQUEST="true").status_code == 404
    assert (
        client.get(f"/tickets/{ticket.pk}/events/?after=x", HTTP_HX_REQUEST="true").status_code
        == 404
    )
    assert TicketEvent.objects.filter(ticket=ticket).count() == total  # reading changed nothing
