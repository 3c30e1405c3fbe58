"""The demo's phone line: a call-centre account on the fake provider, extensions for the staff,
an answered call on a customer's timeline and a missed call with its call-back task — all
through the same `call_event_record` the webhook uses. While `rapport demo` runs, the live loop
(`live_call_step`) rings 陈晓敏 now and then, so the incoming-call banner shows within a minute.
"""

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from rapport.channels.models import ChannelAccount
from rapport.channels.phone.events import CallEventData
from rapport.channels.phone.models import Call
from rapport.channels.phone.services import call_event_record
from rapport.customers.models import Identity
from rapport.staff.models import Team, User

DEMO_HOTLINE = "4008001234"
DEMO_PHONE_SECRET = "demo-phone-webhook-secret"
EXTENSIONS = {
    "admin": "8000",
    "chenxm": "8001",
    "liuyang": "8002",
    "zhoujing": "8003",
    "lizg": "8010",
    "zhaozg": "8011",
    "sunqiang": "8020",
    "hemin": "8030",
}
LIVE_AGENT = "chenxm"
LIVE_PREFIX = "demo-live-call-"
LIVE_CALLS = 8  # then the loop stops ringing


def phone_account() -> ChannelAccount | None:
    return ChannelAccount.objects.filter(kind=ChannelAccount.Kind.PHONE, is_active=True).first()


def _play(account, call_id, steps, *, number, extension, start) -> Call:
    for offset, kind, extra in steps:
        call_event_record(
            account=account,
            event=CallEventData(
                call_id=call_id,
                event_type=kind,
                occurred_at=start + timedelta(seconds=offset),
                direction="inbound",
                from_number=number,
                to_number=DEMO_HOTLINE,
                agent_extension=extension,
                **extra,
            ),
        )
    return Call.objects.get(account=account, provider_call_id=call_id)


def build_phone(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    for username, extension in EXTENSIONS.items():
        User.objects.filter(username=username).update(phone_extension=extension)
    account, created = ChannelAccount.objects.get_or_create(
        name="客服热线",
        defaults={
            "kind": ChannelAccount.Kind.PHONE,
            "address": DEMO_HOTLINE,
            "default_team": Team.objects.get(name="客服一组"),
            "provider": ChannelAccount.Provider.FAKE,
            "is_default": True,
            "config": {"callback_within_minutes": 60},
        },
    )
    if not created:
        return
    account.set_secrets({"webhook_secret": DEMO_PHONE_SECRET})
    account.save(update_fields=["secrets"])
    phones = list(
        Identity.objects.filter(kind="phone", customer__merged_into__isnull=True).order_by("id")[
            :40
        ]
    )
    if len(phones) < 2:
        return
    answered, missed = rng.sample(phones, 2)
    now = timezone.now()
    talk = [
        (0, "ringing", {}),
        (6, "answered", {}),
        (251, "ended", {"duration_seconds": 245, "hangup_side": "customer"}),
    ]
    ring_only = [(0, "ringing", {}), (30, "missed", {})]
    calls = [
        _play(
            account,
            "demo-answered-1",
            talk,
            number=answered.value,
            extension="8001",
            start=now - timedelta(hours=2),
        ),
        _play(
            account,
            "demo-missed-1",
            ring_only,
            number=missed.value,
            extension="8001",
            start=now - timedelta(minutes=50),
        ),
    ]
    # Seeded calls are history: they do not greet the representative in the header.
    Call.objects.filter(pk__in=[c.pk for c in calls]).update(banner_dismissed_at=now)


def live_call_step() -> Call | None:
    """One step of the live demo: end the call that rang last time (answered, or now and then
    missed), else ring the demo representative with the next customer."""
    account = phone_account()
    agent = User.objects.filter(username=LIVE_AGENT, is_active=True).first()
    if account is None or agent is None or not agent.phone_extension:
        return None
    live = Call.objects.filter(
        account=account, provider_call_id__startswith=LIVE_PREFIX, state=Call.State.RINGING
    ).first()
    if live is not None:
        number = live.customer_number or live.from_number
        n = int(live.provider_call_id.removeprefix(LIVE_PREFIX).split("-")[0] or 0)
        steps = (
            [(0, "missed", {})]
            if n % 3 == 2
            else [(0, "answered", {}), (95, "ended", {"duration_seconds": 95})]
        )
        return _play(
            account,
            live.provider_call_id,
            steps,
            number=number,
            extension=agent.phone_extension,
            start=timezone.now() - timedelta(seconds=100),
        )
    done = Call.objects.filter(account=account, provider_call_id__startswith=LIVE_PREFIX).count()
    if done >= LIVE_CALLS:
        return None
    phones = Identity.objects.filter(kind="phone", customer__merged_into__isnull=True)
    known = min(phones.count(), 20)
    if not known:
        return None
    identity = phones.order_by("-id")[done % known]
    return _play(
        account,
        f"{LIVE_PREFIX}{done}-{uuid.uuid4().hex[:6]}",
        [(0, "ringing", {})],
        number=identity.value,
        extension=agent.phone_extension,
        start=timezone.now(),
    )
