"""WeCom work outside the request."""

from django.tasks import task

from rapport.channels.wecom.sync import wecom_sync


@task()
def wecom_sync_task(*, account_id: int, token: str = "") -> None:
    wecom_sync(account_id=account_id, token=token)
