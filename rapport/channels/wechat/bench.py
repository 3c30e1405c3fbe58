"""WeChat callback timings for `make bench` (`python -m rapport.bench --only wechat`).

Answer time: 50 threads POST signed, encrypted text messages to the callback URL at once, `TOTAL`
callbacks in all after a warm-up, each a call of the WSGI application the servers run
(`rapport.wsgi.application`, as a gunicorn worker calls it, without the socket); the time is the
call: signature check, decryption, storing the raw message, queueing its processing and
answering "success" — WeChat's 5-second limit applies to exactly this. The threads are started,
with their database connections open, before the burst, as a server's are; the callbacks in
flight together are stored together (the ingress's group commit).

End to end: one callback, then the inbound task run at once in the same process (what a worker
does when it picks the task up), until the message is on the customer's timeline (its
Interaction exists). The queue's pick-up delay is not in it.
"""

import io
import statistics
import sys
import time

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
    from urllib.parse import urlencode

    from rapport.channels.wechat.simulate import signed_callback

    fields = {
        "ToUserName": account.address,
        "FromUserName": f"oBench{run}{n % 40:04d}xxxxxxxx",
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": f"压测消息 {n}：我的订单什么时候发货？",
        "MsgId": int(run) * 100_000 + n,
    }
    query, body = signed_callback(account, fields, nonce=str(n))
    return f"/api/v1/channels/wechat/{account.pk}?{urlencode(query)}", body


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _post(url: str, body: bytes) -> tuple[str, bytes]:
    """One POST through the WSGI application, as a gunicorn worker makes it."""
    from rapport.wsgi import application

    path, _sep, query = url.partition("?")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "text/xml",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
    }
    seen = []
    content = b"".join(application(environ, lambda status, headers, exc=None: seen.append(status)))
    return seen[0], content


def callback_answer_times(*, concurrency: int = CONCURRENCY, total: int = TOTAL) -> dict:
    """`concurrency` threads, started with their database connections open, each posting the
    next callback as soon as its last was answered, until `total` were answered."""
    import threading
    from collections import deque

    from django.db import connections

    account = _account()
    run = f"{int(time.time()) % 100000}"
    requests = [_request(account, n, run) for n in range(total + 20)]
    failures: list[str] = []

    def post(item) -> float:
        started = time.perf_counter()
        status, content = _post(*item)
        elapsed = time.perf_counter() - started
        if not status.startswith("200") or content != b"success":
            failures.append(status)
        return elapsed

    for item in requests[:20]:  # warm-up
        post(item)
    pending = deque(requests[20:])
    times: list[float] = []
    ready = threading.Barrier(concurrency + 1)

    def client() -> None:
        # A server's threads are started, with their database connections, before the burst.
        connections["default"].ensure_connection()
        ready.wait()
        try:
            while True:
                try:
                    item = pending.popleft()
                except IndexError:
                    return
                times.append(post(item))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client) for _n in range(concurrency)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
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
    from rapport.channels.models import InboundMessage
    from rapport.channels.services import inbound_process

    account = _account()
    run = f"{int(time.time()) % 100000 + 1}"
    ms = []
    for i in range(n):
        url, body = _request(account, 90_000 + i, run)
        started = time.perf_counter()
        _post(url, body)
        inbound = InboundMessage.objects.filter(account=account).order_by("-id").first()
        inbound_process(inbound_id=inbound.pk)
        inbound.refresh_from_db()
        assert inbound.message is not None and inbound.message.interaction_id, inbound.error
        ms.append((time.perf_counter() - started) * 1000)
    return {"messages": n, "p50_ms": statistics.median(ms), "p99_ms": _percentile(ms, 99)}


def chat_bench() -> dict:
    return {"callback": callback_answer_times(), "end_to_end": end_to_end_times()}
