"""Work outside the request: fetch by id, call a service. Idempotent."""

from django.tasks import task

from rapport.surveys.services import survey_deliver


@task()
def survey_deliver_task(*, send_id: int) -> None:
    survey_deliver(send_id=send_id)
