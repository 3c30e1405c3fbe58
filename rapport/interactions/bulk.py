"""Complete or cancel many follow-up tasks at once, each through its own service."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rapport.core.bulk import BulkResult, bulk_ids, bulk_run
from rapport.interactions import services
from rapport.interactions.selectors import task_qs
from rapport.staff.models import User

TASK_ACTIONS = {
    "complete": services.follow_up_task_complete,
    "cancel": services.follow_up_task_cancel,
}


def tasks_bulk(*, staff: User, action: str, ids) -> BulkResult:
    """`complete` or `cancel` each task of `ids` that `staff` may close; a task closed meanwhile
    or not theirs is refused on its own. ValidationError on `action` or `ids` does nothing."""
    errors: dict[str, list[str]] = {}
    if action not in TASK_ACTIONS:
        errors["action"] = [_("Choose whether to complete or cancel the tasks.")]
    try:
        task_ids = bulk_ids(ids)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    close = TASK_ACTIONS[action]
    found = {t.pk: t for t in task_qs(staff=staff).filter(pk__in=task_ids)}
    return bulk_run(
        ids=task_ids,
        found=found,
        act=lambda task: close(task=task, by=staff),
        label=lambda task: task.title,
        not_found=_("No such task, or not one you may close."),
    )
