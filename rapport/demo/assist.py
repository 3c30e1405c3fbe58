"""`make bench` scenarios for the phrasing coach and upset detection (goals: the coach ≤ 10 ms
per draft, the detector ≤ 20 ms per message)."""

from rapport.demo.benchmarks import Scenario

DRAFT = "王先生您好，感谢您提供的信息！我们尽可能帮你查一下，你必须先提供订单号。我会在今天下午五点前给您回电话。"
LONG_DRAFT = ("感谢您的耐心等待，我会马上为您处理，今天下午给您回复。" * 800)[:20_000]
MESSAGE = "你们到底能不能修好？这已经是第三次了！再不处理我就打12315投诉你们。"


def _coach(text: str):
    def call(ctx: dict, i: int):
        from rapport.assist.coach import coach_check

        return coach_check(text)

    return call


def _upset(ctx: dict, i: int):
    from rapport.assist.upset import detect_upset

    return detect_upset(MESSAGE)


def benchmarks() -> list[Scenario]:
    return [
        Scenario(
            "Coach: a typical draft (function)",
            "CALL",
            lambda ctx: "coach_check",
            call=_coach(DRAFT),
            target_ms=10,
        ),
        Scenario(
            "Coach: a 20,000-character draft (function)",
            "CALL",
            lambda ctx: "coach_check",
            call=_coach(LONG_DRAFT),
            target_ms=50,
        ),
        Scenario(
            "Coach as the representative types (POST)",
            "POST",
            lambda ctx: "/assist/coach/",
            body=lambda ctx, i: {"text": DRAFT[: 20 + i % 30]},
            target_ms=50,
        ),
        Scenario(
            "Upset: one message (function)",
            "CALL",
            lambda ctx: "detect_upset",
            call=_upset,
            target_ms=20,
        ),
    ]
