import time

import pytest

from rapport.assist.upset import detect_upset


@pytest.mark.parametrize(
    "text,upset,intensity",
    [
        ("您好，我想预约下周二的保养。", False, 0),
        ("刹车突然失灵了，差点出事故，请尽快安排检查。", False, 0),  # serious, calm
        ("上次确实挺生气的，不过你们处理得很快，现在没事了，谢谢。", False, 0),  # anger over
        ("都怪我自己粗心，把钥匙锁在车里了，气死我了。", False, 0),  # at themselves
        ("这不是投诉，只是想问一下保养周期。", False, 0),  # negated
        ("仪表盘上的报警灯亮了，需要马上去店里吗？", False, 0),  # a warning light, not the police
        ("有点失望，本来以为今天能修好。", True, 1),
        ("太过分了！修了三次还是漏油！", True, 2),
        ("谢谢你们啊，让我等了整整三个星期，真是太感谢了。", True, 2),  # sarcasm
        ("真是感谢你们的“高效”服务。", True, 2),
        ("投拆你们！一直不给处理！", True, 2),  # typo
        ("😡😡😡 又坏了", True, 2),  # emoji
        ("This is unacceptable, third time the car broke down!", True, 2),
        ("太過分了！你們到底能不能修好？", True, 2),  # traditional
        ("你好，如果这周还没有结果，我会向市场监管局反映，谢谢。", True, 3),  # calm regulator
        ("我已经拨打了12315，他们让我先跟你们协商。", True, 3),
        ("我准备打1 2 3 1 5了。", True, 3),
        ("我会请律师处理这件事。", True, 3),
        ("这件事我会找媒体曝光。", True, 3),
        ("不给我退款我就报警。", True, 3),
        ("你们这群骗子！", True, 3),
    ],
)
def test_it_tells_anger_from_the_hard_cases(text, upset, intensity):
    result = detect_upset(text)
    assert (result.upset, result.intensity) == (upset, intensity), result.reasons


def test_intensity_three_from_outside_is_a_risk_with_the_reason():
    result = detect_upset("再不处理我就打12315投诉你们")
    assert result.risk and result.intensity == 3
    assert "external:12315" in result.reasons


def test_abuse_is_severe_but_not_a_regulator_risk():
    result = detect_upset("傻逼客服")
    assert result.intensity == 3 and not result.risk


@pytest.mark.parametrize(
    "text", ["", "   ", None, "<script>alert(1)</script>", "😀" * 5000, "！" * 30_000]
)
def test_bad_input_never_raises(text):
    result = detect_upset(text)
    assert 0 <= result.intensity <= 3


def test_each_message_takes_well_under_twenty_milliseconds():
    text = "你们到底能不能修好？这已经是第三次了！再不处理我就打12315。" * 20
    detect_upset(text)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        detect_upset(text)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.02  # the fastest run: the work's cost, not a loaded machine's
