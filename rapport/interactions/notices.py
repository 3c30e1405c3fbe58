"""Follow-up tasks tell their assignee when they fall due (task_due, rapport.notifications)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rapport.interactions.models import FollowUpTask
from rapport.notifications.services import notification_team_members, notify

# A task that fell due longer ago than this when the sweep first sees it (the sweep was off,
# or the database was restored) is not announced: the task list shows it as overdue anyway.
DUE_WINDOW = timedelta(days=1)


def follow_up_tasks_announce_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Tell the assignee (or, for a team's task, the team's members) of each open task that
    has fallen due, once: each task is claimed with a conditional UPDATE of
    `due_announced_at`, so two workers or a repeated sweep tell nobody twice. Returns how many
    tasks were announced."""
    now = now or timezone.now()
    due = FollowUpTask.objects.filter(
        status=FollowUpTask.Status.OPEN,
        due_announced_at__isnull=True,
        due_at__lte=now,
        due_at__gt=now - DUE_WINDOW,
    )
    announced = 0
    for task_id in list(due.order_by("due_at").values_list("id", flat=True)[:limit]):
        with transaction.atomic():
            claimed = FollowUpTask.objects.filter(
                pk=task_id, status=FollowUpTask.Status.OPEN, due_announced_at__isnull=True
            ).update(due_announced_at=now)
            if not claimed:
                continue
            task = FollowUpTask.objects.select_related("assignee", "assignee_team").get(pk=task_id)
            people = (
                [task.assignee]
                if task.assignee_id
                else notification_team_members(team=task.assignee_team)
            )
            notify(
                users=people,
                kind="task_due",
                title=format_lazy(_("Follow-up task due: {title}"), title=task.title),
                url=reverse("interactions:tasks"),
                dedupe_key=f"task_due:{task.pk}",
            )
            announced += 1
    return announced
