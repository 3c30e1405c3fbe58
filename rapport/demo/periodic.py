"""The live demo's sweep (rapport.demo.live), run only while `rapport demo` serves."""

from datetime import timedelta

from django.conf import settings

from rapport.core.periodic import register
from rapport.demo.live import LIVE_CHAT_EVERY, LIVE_EVERY

# A call rings the demo representative for about this long, then ends; then the next one rings.
LIVE_CALL_EVERY = timedelta(seconds=45)


def demo_live_mail() -> None:
    from rapport.demo.live import live_mail_deliver

    live_mail_deliver()


def demo_live_chat() -> None:
    from rapport.demo.chat import live_chat_deliver

    live_chat_deliver()


def demo_live_call() -> None:
    from rapport.demo.phone import live_call_step

    live_call_step()


if settings.RAPPORT_DEMO_LIVE:  # a production worker never registers the demo's sweep
    register("demo.live_mail", every=LIVE_EVERY)(demo_live_mail)
    register("demo.live_chat", every=LIVE_CHAT_EVERY)(demo_live_chat)
    register("demo.live_call", every=LIVE_CALL_EVERY)(demo_live_call)
