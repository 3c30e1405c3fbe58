"""The demo's WeChat Official Account (公众号) and WeCom customer service (微信客服): fake accounts
(nothing leaves the machine) with real keys, and customers' messages delivered through the real
signed and encrypted callbacks — a follower asking about an order, one who sends a photo, one
who gives a phone number and is bound to their existing customer file, a WeCom chat. The live
demo adds a WeChat message now and then, which the demo user can answer from the inbox.
"""

import base64
import hashlib
import random

from rapport.channels.models import ChannelAccount, InboundMessage
from rapport.customers.models import Identity
from rapport.staff.models import Team, User

WECHAT_NAME = "瑞泰汽车服务号"
WECOM_NAME = "瑞泰微信客服"
LIVE_PREFIX = "oDemoLive"


def _demo_key(label: str) -> str:
    return base64.b64encode(hashlib.sha256(f"rapport-demo:{label}".encode()).digest()).decode()[:43]


def demo_chat_accounts(team: Team) -> tuple[ChannelAccount, ChannelAccount]:
    wechat, created = ChannelAccount.objects.get_or_create(
        name=WECHAT_NAME,
        defaults={
            "kind": ChannelAccount.Kind.WECHAT,
            "address": "gh_ruitai0demo",
            "default_team": team,
            "provider": ChannelAccount.Provider.FAKE,
            "is_default": True,
            "config": {
                "appid": "wx00000000de5a0001",
                "mode": "safe",
                "template_id": "DEMO-TPL-service-reply",
                "template_fields": ["thing1", "thing2"],
            },
        },
    )
    if created:
        wechat.set_secrets(
            {"secret": "demo", "token": "rapportdemo", "encoding_aes_key": _demo_key("wechat")}
        )
        wechat.save(update_fields=["secrets"])
    wecom, created = ChannelAccount.objects.get_or_create(
        name=WECOM_NAME,
        defaults={
            "kind": ChannelAccount.Kind.WECOM,
            "address": "wkRuitaiDemoKf0001",
            "default_team": team,
            "provider": ChannelAccount.Provider.FAKE,
            "is_default": True,
            "config": {"corpid": "ww00000000de5a0002", "open_kfid": "wkRuitaiDemoKf0001"},
        },
    )
    if created:
        wecom.set_secrets(
            {"kf_secret": "demo", "token": "rapportdemo", "encoding_aes_key": _demo_key("wecom")}
        )
        wecom.save(update_fields=["secrets"])
    return wechat, wecom


def build_chat(*, rng: random.Random, users: dict[str, User], customers: list) -> None:
    from rapport.channels.wechat.simulate import simulate_inbound

    team = Team.objects.get(name="客服一组")
    wechat, wecom = demo_chat_accounts(team)
    if InboundMessage.objects.filter(account__in=[wechat, wecom]).exists():
        return
    script = [
        (wechat, "oDemoFollower00000000000001", "subscribe", ""),
        (
            wechat,
            "oDemoFollower00000000000001",
            "text",
            "你好，我上周在你们店买的行车记录仪不开机了",
        ),
        (wechat, "oDemoFollower00000000000001", "image", ""),
        (wechat, "oDemoFollower00000000000001", "text", "就是这个，插上电源也没反应"),
        (wecom, "wmDemoKfCustomer000000001", "subscribe", ""),
        (wecom, "wmDemoKfCustomer000000001", "text", "请问周末可以上门取车保养吗？"),
    ]
    # A follower who gives the phone number of an existing customer is bound to their file.
    with_phone = [
        c
        for c in customers
        if c.merged_into_id is None and Identity.objects.filter(customer=c, kind="phone").exists()
    ]
    if with_phone:
        known = rng.choice(with_phone)
        phone = Identity.objects.filter(customer=known, kind="phone").values_list(
            "value", flat=True
        )
        national = phone.first().removeprefix("+86")
        script += [
            (wechat, "oDemoFollower00000000000002", "text", f"在吗？我是 {national} 的车主"),
            (wechat, "oDemoFollower00000000000002", "text", "想问下我的车保养好了没有"),
        ]
    for account, user_id, kind, text in script:
        simulate_inbound(account=account, user_id=user_id, kind=kind, text=text)


LIVE_SCRIPT = [
    "你好，请问今天还能预约下午的洗车吗？",
    "刚才导航提示胎压低，附近有你们的门店吗？",
    "我想改一下明天的保养时间，改到后天上午可以吗？",
    "谢谢你们，问题已经解决了 👍",
]


def live_chat_deliver() -> InboundMessage | None:
    """The next scripted WeChat message through the demo account's real callback; None when done."""
    from rapport.channels.wechat.simulate import simulate_inbound

    account = ChannelAccount.objects.filter(name=WECHAT_NAME, is_active=True).first()
    if account is None:
        return None
    step = InboundMessage.objects.filter(account=account, summary__startswith=LIVE_PREFIX).count()
    if step >= len(LIVE_SCRIPT):
        return None
    user_id = f"{LIVE_PREFIX}{step:018d}"
    _status, _answer, inbound = simulate_inbound(
        account=account, user_id=user_id, text=LIVE_SCRIPT[step]
    )
    return inbound
