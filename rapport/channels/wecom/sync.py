"""Pulling WeCom customer-service messages (微信客服 `kf/sync_msg`) with the stored cursor.

The callback only says "there is something" (event kf_msg_or_event with a Token); this reads
pages of messages from the cursor, stores each with `inbound_receive` (provider id = msgid) and
moves the cursor in the same transaction as the page's rows — so a sync killed half-way resumes
where the last committed page ended: nothing is skipped, and a page read twice is the same
records (msgid is unique per account). One worker syncs an account at a time (a claimed row); a
callback arriving meanwhile asks it to read once more.
"""

import json
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from rapport.channels.models import ChannelAccount, WeComSyncState
from rapport.channels.services import inbound_receive
from rapport.channels.wechat import http
from rapport.channels.wechat.client import ApiError, api_call, chat_settings

logger = logging.getLogger(__name__)

SYNC_LEASE = timedelta(minutes=2)
MAX_PAGES = 50
PAGE_LIMIT = 1000


def provider_id_for(msg: dict) -> str:
    return f"kf:{msg.get('msgid', '')}"[:255]


def _read_pages(account: ChannelAccount, state: WeComSyncState, token: str, open_kfid: str) -> int:
    stored = 0
    for _page in range(MAX_PAGES):
        cursor = WeComSyncState.objects.values_list("cursor", flat=True).get(pk=state.pk)
        payload = {"cursor": cursor, "limit": PAGE_LIMIT}
        if token:
            payload["token"] = token
        if open_kfid:
            payload["open_kfid"] = open_kfid
        data = api_call(account, "/cgi-bin/kf/sync_msg", payload)
        now = timezone.now()
        with transaction.atomic():
            for msg in data.get("msg_list") or []:
                if not isinstance(msg, dict) or not msg.get("msgid"):
                    logger.warning("WeCom account %s: a message without msgid skipped", account.pk)
                    continue
                raw = json.dumps(msg, ensure_ascii=False, sort_keys=True).encode()
                inbound_receive(account=account, provider_id=provider_id_for(msg), raw=raw)
                stored += 1
            WeComSyncState.objects.filter(pk=state.pk).update(
                cursor=str(data.get("next_cursor") or cursor),
                pages=F("pages") + 1,
                last_synced_at=now,
                claimed_until=now + SYNC_LEASE,
                last_error="",
            )
        if not data.get("has_more"):
            break
    return stored


def wecom_sync(*, account_id: int, token: str = "", now=None) -> int:
    """Read all new messages of the account; returns how many were stored (new or repeated).

    When another worker holds the account, asks it to read once more and returns 0."""
    account = ChannelAccount.objects.filter(
        pk=account_id, kind=ChannelAccount.Kind.WECOM, is_active=True
    ).first()
    if account is None:
        return 0
    now = now or timezone.now()
    state, _created = WeComSyncState.objects.get_or_create(account=account)
    claimed = (
        WeComSyncState.objects.filter(pk=state.pk)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + SYNC_LEASE, rerun=False)
    )
    if not claimed:
        WeComSyncState.objects.filter(pk=state.pk).update(
            rerun=True, **({"callback_token": token[:255]} if token else {})
        )
        return 0
    stored = 0
    try:
        open_kfid = chat_settings(account).open_kfid
        for _round in range(10):
            stored += _read_pages(account, state, token, open_kfid)
            again = WeComSyncState.objects.filter(pk=state.pk, rerun=True).update(rerun=False)
            if not again:
                break
            token = WeComSyncState.objects.values_list("callback_token", flat=True).get(pk=state.pk)
    except (ApiError, http.HttpError) as exc:
        logger.warning("WeCom sync of account %s: %s", account.pk, exc)
        WeComSyncState.objects.filter(pk=state.pk).update(last_error=str(exc)[:2000])
    finally:
        WeComSyncState.objects.filter(pk=state.pk).update(claimed_until=None)
    return stored


def wecom_sync_due() -> list[int]:
    """Active WeCom accounts no one is syncing (the periodic safety net behind the callback)."""
    now = timezone.now()
    busy = WeComSyncState.objects.filter(claimed_until__gte=now).values_list(
        "account_id", flat=True
    )
    return list(
        ChannelAccount.objects.filter(kind=ChannelAccount.Kind.WECOM, is_active=True)
        .exclude(pk__in=busy)
        .values_list("pk", flat=True)
    )
