from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from rapport.customers.tests.factories import CustomerFactory
from rapport.interactions import views
from rapport.interactions.models import (
    AgentStatusInterval,
    FollowUpTask,
    Interaction,
    InteractionRevision,
    Purpose,
    Transfer,
)
from rapport.interactions.rollups import rollup_rebuild
from rapport.interactions.tests.factories import (
    FollowUpTaskFactory,
    InteractionFactory,
    purpose,
)

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
HTMX = {"HX-Request": "true"}


def _quick_log(customer, **overrides):
    data = {
        "channel": "phone",
        "direction": "inbound",
        "purpose": purpose("after_sales").pk,
        "summary": "客户反映空调不制冷,已预约明早检测",
    }
    data.update(overrides)
    return data


def test_360_page_shows_the_timeline_and_the_quick_log_form(agent, as_user):
    customer = CustomerFactory()
    InteractionFactory(customer=customer, staff=agent, summary="上次来电咨询保养")

    response = as_user(agent).get(f"/customers/{customer.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="quick-log"' in body
    assert "上次来电咨询保养" in body
    assert "autofocus" in body


def test_quick_log_without_js_records_and_redirects_to_the_timeline(agent, as_user):
    customer = CustomerFactory()

    response = as_user(agent).post(
        f"/interactions/customers/{customer.pk}/log/", _quick_log(customer, duration_minutes=3)
    )

    assert response.status_code == 302
    assert response["Location"] == f"/customers/{customer.pk}/#timeline"
    interaction = Interaction.objects.get()
    assert (interaction.staff, interaction.purpose.code, interaction.duration_seconds) == (
        agent,
        "after_sales",
        180,
    )


def test_quick_log_with_htmx_returns_the_refreshed_panel(agent, as_user):
    customer = CustomerFactory()

    response = as_user(agent).post(
        f"/interactions/customers/{customer.pk}/log/",
        _quick_log(customer, follow_up="明天回电确认"),
        headers=HTMX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "interaction-logged"
    assert body.lstrip().startswith('<section class="card" id="timeline"')
    assert "<html" not in body
    assert "客户反映空调不制冷" in body
    assert "明天回电确认" in body
    task = FollowUpTask.objects.get()
    assert task.assignee == agent and task.due_at > timezone.now()


def test_quick_log_with_missing_summary_shows_the_error_and_saves_nothing(agent, as_user):
    customer = CustomerFactory()

    response = as_user(agent).post(
        f"/interactions/customers/{customer.pk}/log/",
        _quick_log(customer, summary=""),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert "HX-Trigger" not in response
    assert not Interaction.objects.exists()


def test_quick_log_with_past_follow_up_due_names_the_field(agent, as_user):
    customer = CustomerFactory()
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    response = as_user(agent).post(
        f"/interactions/customers/{customer.pk}/log/",
        _quick_log(customer, follow_up="回电", follow_up_due=past),
    )

    assert response.status_code == 200  # the form page again, with the error on the field
    assert "field-error" in response.content.decode()
    assert not Interaction.objects.exists()


def test_quick_log_for_an_unknown_customer_is_404(agent, as_user):
    response = as_user(agent).post("/interactions/customers/999999/log/", _quick_log(None))

    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_timeline_filter_returns_the_partial(agent, as_user):
    customer = CustomerFactory()
    InteractionFactory(customer=customer, staff=agent, channel="wechat", summary="微信咨询")
    InteractionFactory(customer=customer, staff=agent, channel="phone", summary="电话咨询")

    response = as_user(agent).get(
        f"/interactions/customers/{customer.pk}/timeline/", {"channel": "wechat"}, headers=HTMX
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="timeline-list">')
    assert "微信咨询" in body and "电话咨询" not in body


def test_older_entries_come_as_list_items_to_append(agent, as_user):
    customer = CustomerFactory()
    for n in range(25):
        InteractionFactory(
            customer=customer, staff=agent, started_at=timezone.now() - timedelta(minutes=n + 1)
        )
    first = as_user(agent).get(f"/customers/{customer.pk}/").content.decode()
    cursor = first.split("cursor=")[1].split('"')[0]

    response = as_user(agent).get(
        f"/interactions/customers/{customer.pk}/timeline/", {"cursor": cursor}, headers=HTMX
    )

    body = response.content.decode()
    assert body.count('class="tl-interaction"') == 5
    assert "tl-more" not in body


def test_360_page_query_count_does_not_grow_with_the_timeline(
    agent, as_user, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for _ in range(40):
        i = InteractionFactory(customer=customer, staff=agent)
        FollowUpTaskFactory(customer=customer, interaction=i, assignee=agent)
    client = as_user(agent)

    with django_assert_max_num_queries(22):
        client.get(f"/customers/{customer.pk}/")


def test_timeline_partial_query_count_is_pinned(agent, as_user, django_assert_num_queries):
    customer = CustomerFactory()
    for _ in range(30):
        InteractionFactory(customer=customer, staff=agent)
    client = as_user(agent)

    # session, user, customer and the three timeline queries
    with django_assert_num_queries(6):
        client.get(f"/interactions/customers/{customer.pk}/timeline/", headers=HTMX)


def test_my_tasks_lists_overdue_first_and_completes_with_htmx(agent, as_user):
    now = timezone.now()
    later = FollowUpTaskFactory(assignee=agent, title="晚些", due_at=now + timedelta(days=2))
    overdue = FollowUpTaskFactory(assignee=agent, title="已逾期", due_at=now - timedelta(hours=3))
    client = as_user(agent)

    page = client.get("/tasks/").content.decode()
    response = client.post(f"/tasks/{overdue.pk}/complete/", headers=HTMX)

    assert page.index("已逾期") < page.index("晚些")
    assert response.content.decode().lstrip().startswith(f'<tr id="task-{overdue.pk}"')
    overdue.refresh_from_db()
    assert overdue.status == "done" and overdue.completed_by == agent
    assert FollowUpTask.objects.get(pk=later.pk).status == "open"


def test_cancel_without_js_redirects_back(agent, as_user):
    task = FollowUpTaskFactory(assignee=agent)

    response = as_user(agent).post(f"/tasks/{task.pk}/cancel/", {"next": "/tasks/?status=open"})

    assert response.status_code == 302 and response["Location"] == "/tasks/?status=open"
    assert FollowUpTask.objects.get().status == "cancelled"


def test_closing_someone_elses_task_is_404(agent, other_team_agent, as_user):
    task = FollowUpTaskFactory(assignee=other_team_agent)

    response = as_user(agent).post(f"/tasks/{task.pk}/complete/")

    assert response.status_code == 404
    assert FollowUpTask.objects.get().status == "open"


def test_tasks_list_query_count_is_pinned(agent, as_user, django_assert_num_queries):
    for _ in range(20):
        FollowUpTaskFactory(assignee=agent)
    client = as_user(agent)

    # session, user, count, rows (one join), agent status in the header
    with django_assert_num_queries(5):
        client.get("/tasks/")


def test_interaction_page_shows_history_and_transfers(agent, specialist, as_user):
    interaction = InteractionFactory(staff=agent, summary="原始记录")
    client = as_user(agent)
    client.post(
        f"/interactions/{interaction.pk}/correct/",
        {
            "channel": "phone",
            "direction": "inbound",
            "purpose": interaction.purpose_id,
            "started_at": timezone.localtime(interaction.started_at).strftime("%Y-%m-%dT%H:%M"),
            "duration_seconds": interaction.duration_seconds,
            "summary": "更正后的记录",
            "outcome": "",
            "reason": "补充细节",
        },
    )
    client.post(
        f"/interactions/{interaction.pk}/transfer/",
        {"to_staff": specialist.pk, "kind": "to_specialist", "reason": "需要技师判断"},
    )

    body = client.get(f"/interactions/{interaction.pk}/").content.decode()

    assert "更正后的记录" in body and "原始记录" in body and "补充细节" in body
    assert "需要技师判断" in body
    assert InteractionRevision.objects.count() == 1
    assert Transfer.objects.get().to_staff == specialist


def test_transfer_to_oneself_shows_the_error_on_the_field(agent, as_user):
    interaction = InteractionFactory(staff=agent)

    response = as_user(agent).post(
        f"/interactions/{interaction.pk}/transfer/",
        {"to_staff": agent.pk, "kind": "to_specialist", "reason": "x"},
    )

    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not Transfer.objects.exists()


def test_correcting_someone_elses_interaction_is_404(agent, other_team_agent, as_user):
    interaction = InteractionFactory(staff=other_team_agent)

    assert as_user(agent).get(f"/interactions/{interaction.pk}/correct/").status_code == 404


def test_agent_status_switch_with_htmx_and_without(agent, as_user):
    client = as_user(agent)

    swapped = client.post("/status/", {"status": "break"}, headers=HTMX)
    plain = client.post("/status/", {"status": "available", "next": "/tasks/"})

    assert 'id="agent-status"' in swapped.content.decode()
    assert "status-break" in swapped.content.decode()
    assert plain.status_code == 302 and plain["Location"] == "/tasks/"
    assert list(AgentStatusInterval.objects.order_by("id").values_list("status", flat=True)) == [
        "break",
        "available",
    ]


def test_header_shows_the_current_status(agent, as_user):
    AgentStatusInterval.objects.create(staff=agent, status="training")

    body = as_user(agent).get("/tasks/").content.decode()

    assert 'class="status-dot status-training"' in body


def test_home_shows_my_tasks(agent, as_user):
    FollowUpTaskFactory(
        assignee=agent, title="给张先生回电话", due_at=timezone.now() - timedelta(hours=1)
    )

    body = as_user(agent).get("/").content.decode()

    assert "给张先生回电话" in body
    assert "badge-danger" in body


def test_measures_page_shows_figures_formulas_and_drilldown(supervisor, agent, specialist, as_user):
    InteractionFactory(
        staff=agent,
        started_at=timezone.now() - timedelta(minutes=5),
        escalated=True,
        summary="升级处理的投诉",
    )
    InteractionFactory(staff=agent, started_at=timezone.now() - timedelta(minutes=6))
    client = as_user(supervisor)

    page = client.get("/measures/").content.decode()
    drill = client.get("/measures/", {"drill": "empowerment", "period": "current"}, headers=HTMX)

    assert "50.0%" in page  # (2 − 1) ÷ 2
    assert "(2 − 1) ÷ 2" in page
    assert "—" in page  # last month is empty
    assert drill.content.decode().lstrip().startswith('<section class="card" id="drill">')
    assert "升级处理的投诉" in drill.content.decode()


def test_each_drill_down_opens_in_place_under_its_own_address(supervisor, agent, as_user):
    import re

    InteractionFactory(
        staff=agent, started_at=timezone.now() - timedelta(minutes=5), escalated=True
    )
    client = as_user(supervisor)

    page = client.get("/measures/").content.decode()
    links = re.findall(r'<a [^>]*hx-target="#drill"[^>]*>', page)
    assert len(links) >= 6
    assert all('hx-push-url="true"' in link for link in links)
    # The address pushed, visited again when htmx has no copy of it, is the whole page.
    restored = client.get(
        "/measures/",
        {"drill": "empowerment", "period": "current"},
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    ).content.decode()
    assert "<html" in restored and 'id="drill"' in restored


def test_measures_page_query_count_is_pinned(supervisor, agent, as_user, django_assert_num_queries):
    # Mid-month, so this month holds whole past days (on the 1st it holds none: fewer queries).
    with time_machine.travel(datetime(2026, 12, 16, 10, tzinfo=SHANGHAI), tick=False):
        for days in range(0, 70, 7):
            InteractionFactory(staff=agent, started_at=timezone.now() - timedelta(days=days))
        client = as_user(supervisor)

        # session, user, per month the current days, contacts, status time inside and at the
        # edges, turnover (nothing rolled up yet: all live); teams and people for the filter,
        # status in the header
        with django_assert_num_queries(15):
            client.get("/measures/")
        rollup_rebuild()
        # this month: the current days, the rolled-up contacts and status time, today's
        # contacts and status time live (three), turnover; last month: the current days, its
        # month rows' version, the two rolled-up sums, turnover
        with django_assert_num_queries(17):
            client.get("/measures/")


def test_a_drill_down_over_years_is_paged_and_counts_at_most_its_cap(
    supervisor, agent, as_user, monkeypatch
):
    monkeypatch.setattr(views, "DRILL_CAP", 3)
    for days in (1, 200, 400, 800):
        InteractionFactory(
            staff=agent, started_at=timezone.now() - timedelta(days=days), escalated=True
        )
    today = timezone.localdate()
    query = {"date_from": today - timedelta(days=1000), "date_to": today, "drill": "empowerment"}

    response = as_user(supervisor).get("/measures/", query, headers=HTMX)

    page = response.context["drill_page"]
    assert page.paginator.count_is_capped and page.paginator.count == 3
    assert response.context["current"].escalated == 4


ALL_ROLES = ["agent", "specialist", "supervisor", "manager", "kam", "admin_user"]
LEADS = {"supervisor", "manager", "admin_user"}


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    ("page", "allowed"),
    [
        ("/tasks/", set(ALL_ROLES)),
        ("/measures/", LEADS),
        ("timeline", set(ALL_ROLES)),
        ("interaction", set(ALL_ROLES)),
        ("correct", LEADS),
    ],
)
def test_page_permissions_for_every_role(request, as_user, role, page, allowed, other_team_agent):
    user = request.getfixturevalue(role)
    interaction = InteractionFactory(staff=other_team_agent)
    url = {
        "timeline": f"/interactions/customers/{interaction.customer_id}/timeline/",
        "interaction": f"/interactions/{interaction.pk}/",
        "correct": f"/interactions/{interaction.pk}/correct/",
    }.get(page, page)

    response = as_user(user).get(url)

    assert response.status_code == (200 if role in allowed else (404 if page == "correct" else 403))


def test_pages_need_a_login(client):
    assert client.get("/tasks/").status_code == 302
    assert client.post("/status/", {"status": "break"}).status_code == 302


def test_it_shows_measures_for_a_chosen_period_beside_the_days_before(supervisor, agent, as_user):
    today = timezone.localdate()
    at = timezone.make_aware(datetime.combine(today - timedelta(days=20), time(10)))
    InteractionFactory(staff=agent, started_at=at, escalated=True, summary="期内升级")
    InteractionFactory(staff=agent, started_at=at + timedelta(hours=1))
    InteractionFactory(staff=agent, started_at=at - timedelta(days=10), summary="前一段")
    InteractionFactory(staff=agent, started_at=at + timedelta(days=15))  # after the period
    client = as_user(supervisor)
    first, last = today - timedelta(days=25), today - timedelta(days=16)

    response = client.get("/measures/", {"date_from": first, "date_to": last})
    drill = client.get(
        "/measures/",
        {
            "date_from": first,
            "date_to": last,
            "drill": "channel",
            "period": "previous",
            "channel": "phone",
            "direction": "inbound",
        },
        headers=HTMX,
    )

    current, previous = response.context["current"], response.context["previous"]
    assert (current.interactions, current.escalated) == (2, 1)
    assert previous.interactions == 1  # the ten days before the period
    body = response.content.decode()
    assert f"date_from={first}&amp;date_to={last}" in body  # the drill links keep the period
    assert "前一段" in drill.content.decode() and "期内升级" not in drill.content.decode()


def test_it_refuses_a_period_that_ends_before_it_starts(supervisor, as_user):
    today = timezone.localdate()

    response = as_user(supervisor).get(
        "/measures/", {"date_from": today, "date_to": today - timedelta(days=1)}
    )

    assert response.status_code == 400
    assert "结束日期不能早于开始日期。" in response.content.decode()


def test_the_quick_log_offers_a_purpose_added_or_retired_at_once(agent, as_user):
    customer = CustomerFactory()
    client = as_user(agent)
    client.get(f"/customers/{customer.pk}/")  # the active purposes are now kept
    added = Purpose.objects.create(code="recall_check", name_zh="召回核查", name_en="Recall check")

    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f'<option value="{added.pk}"' in page and "召回核查" in page

    added.is_active = False
    added.save()
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f'<option value="{added.pk}"' not in page


def test_it_shows_a_chosen_period_of_years_and_refuses_one_longer_than_five(supervisor, as_user):
    today = timezone.localdate()
    first = today.replace(year=today.year - 5) + timedelta(days=1)
    client = as_user(supervisor)

    five_years = client.get("/measures/", {"date_from": first, "date_to": today})
    longer = client.get("/measures/", {"date_from": first - timedelta(days=1), "date_to": today})

    assert five_years.status_code == 200 and five_years.context["chosen_period"]
    assert longer.status_code == 400
    assert longer.context["form"].errors["date_to"] == ["请选择不超过 5 年的期间。"]
