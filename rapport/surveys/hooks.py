"""Where surveys meet tickets (issue 4). Surveys may read tickets; tickets never import surveys.

* `survey_send_for_ticket_closed` is what a periodic sweep (rapport/surveys/periodic.py) will call
  for each ticket it claims as newly closed, once tickets' selectors exist.
* `survey_open_follow_up` closes the loop on an unhappy answer. Until tickets exist it opens a
  follow-up task (交办事项) for the original owner with the answer in its title; with tickets it is
  to open a follow-up ticket owned by the original owner, the answer attached, root cause
  required to close.
"""

from datetime import timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.interactions.models import FollowUpTask
from rapport.interactions.services import follow_up_task_create
from rapport.surveys.models import SurveyResponse

FOLLOW_UP_WITHIN = timedelta(days=1)


def survey_send_for_ticket_closed(*, ticket_id: int):
    """Send the post-ticket CSAT survey for a closed ticket (trigger key ``ticket:<id>``), with
    the ticket's owner, team, channel, type and transfer handlers copied onto the send.

    Not available until rapport.tickets has its models and selectors (issue 4)."""
    raise NotImplementedError("Needs rapport.tickets selectors (issue 4).")


def _answer_line(response: SurveyResponse) -> str:
    parts = []
    if response.csat is not None:
        parts.append(_("CSAT %(score)s/5") % {"score": response.csat})
    if response.nps is not None:
        parts.append(_("NPS %(score)s/10") % {"score": response.nps})
    if response.solved is False:
        parts.append(_("not solved"))
    return ", ".join(parts)


def survey_open_follow_up(*, response: SurveyResponse) -> FollowUpTask:
    """Open the follow-up for an unhappy answer, owned by the send's owner (or its sender when no
    one owns it), due within FOLLOW_UP_WITHIN. Call inside the response's transaction."""
    send = response.send
    owner = send.owner or send.sent_by
    with translation.override(owner.language or "zh-hans"):
        title = _("Call back %(customer)s about the survey: %(answer)s") % {
            "customer": send.customer.name,
            "answer": _answer_line(response),
        }
    return follow_up_task_create(
        by=owner,
        customer=send.customer,
        interaction=send.interaction,
        title=title[:200],
        due_at=timezone.now() + FOLLOW_UP_WITHIN,
        assignee=owner,
    )
