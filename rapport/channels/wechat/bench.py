"""WeChat callback timings for `make bench` (`python -m rapport.bench --only wechat`).

Answer time: 50 threads POST signed, encrypted text messages to the callback URL at once (each
its own Django test client, no socket), `TOTAL` callbacks in all after a warm-up; the time is the
request as the test client sees it: signature check, decryption, storing the raw message and
answering "success" — WeChat's 5-second limit applies to exactly this.

End to end: one callback, then the inbound task run at once in the same process (what a worker
does when it picks the task up), until the message is on the customer's timeline (its
Interaction exists). The queue's pick-up delay is not in it.
"""

import statistics
import time
from concurrent.futures import ThreadPoolExecutor

CONCURRENCY = 50
TOTAL = 500
END_TO_END = 40
GOAL_P99_MS = 50


def _account():
    from rapport.channels.models import ChannelAccount
    from rapport.staff.models import Team

    team = Team.objects.order_by("id").first() or Team.objects.create(name="bench")
    account, created = ChannelAccount.objects.get_or_create(
        name="bench-wechat",
        defaults={
            "kind": ChannelAccount.Kind.WECHAT,
            "address": "gh_bench",
            "default_team": team,
            "provider": ChannelAccount.Provider.FAKE,
            "config": {"appid": "wx00000000be4c0001", "mode": "safe"},
        },
    )
    if created:
        account.set_secrets(
            {
                "secret": "bench",
                "token": "benchtoken",
                "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            }
        )
        account.save(update_fields=["secrets"])
    return account


def _request(account, n: int, run: str) -> tuple[str, bytes]:
    from rapport.channels.wechat.client import chat_settings
    from rapport.channels.wechat.wxml import build_xml

    settings = chat_settings(account)
    crypto = settings.crypto()
    timestamp, nonce = str(int(time.time())), str(n)
    fields = {
        "ToUserName": account.address,
        "FromUserName": f"oBench{run}{n % 40:04d}xxxxxxxx",
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": f"压测消息 {n}：我的订单什么时候发货？",
        "MsgId": int(run) * 100_000 + n,
    }
    encrypted = crypto.encrypt(build_xml(fields))
    sig = crypto.sign(timestamp, nonce, encrypted)
    url = (
        f"/api/v1/channels/wechat/{account.pk}?timestamp={timestamp}&nonce={nonce}"
        f"&encrypt_type=aes&msg_signature={sig}"
    )
    return url, build_xml({"ToUserName": account.address, "Encrypt": encrypted}).encode()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def callback_answer_times(*, concurrency: int = CONCURRENCY, total: int = TOTAL) -> dict:
    import threading

    from django.db import connections
    from django.test import Client

    account = _account()
    run = f"{int(time.time()) % 100000}"
    requests = [_request(account, n, run) for n in range(total + 20)]
    local = threading.local()
    failures: list[int] = []

    def post(item) -> float:
        url, body = item
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = Client()
        started = time.perf_counter()
        answer = client.post(url, data=body, content_type="text/xml")
        elapsed = time.perf_counter() - started
        if answer.status_code != 200 or answer.content != b"success":
            failures.append(answer.status_code)
        return elapsed

    for item in requests[:20]:  # warm-up
        post(item)

    def close(_n) -> None:
        connections.close_all()

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        started = time.perf_counter()
        times = list(pool.map(post, requests[20:]))
        wall = time.perf_counter() - started
        list(pool.map(close, range(concurrency)))
    ms = [t * 1000 for t in times]
    return {
        "callbacks": total,
        "concurrency": concurrency,
        "p50_ms": statistics.median(ms),
        "p99_ms": _percentile(ms, 99),
        "max_ms": max(ms),
        "per_second": total / wall,
        "failures": len(failures),
    }


def end_to_end_times(*, n: int = END_TO_END) -> dict:
    from django.test import Client

    from rapport.channels.models import InboundMessage
    from rapport.channels.services import inbound_process

    account = _account()
    run = f"{int(time.time()) % 100000 + 1}"
    client = Client()
    ms = []
    for i in range(n):
        url, body = _request(account, 90_000 + i, run)
        started = time.perf_counter()
        client.post(url, data=body, content_type="text/xml")
        inbound = InboundMessage.objects.filter(account=account).order_by("-id").first()
        inbound_process(inbound_id=inbound.pk)
        inbound.refresh_from_db()
        assert inbound.message is not None and inbound.message.interaction_id, inbound.error
        ms.append((time.perf_counter() - started) * 1000)
    return {"messages": n, "p50_ms": statistics.median(ms), "p99_ms": _percentile(ms, 99)}


def chat_bench() -> dict:
    return {"callback": callback_answer_times(), "end_to_end": end_to_end_times()}
