import time

import pytest
from django.core.exceptions import ValidationError

from rapport.assist.coach import coach_check, rules_changed
from rapport.assist.models import CoachRule
from rapport.assist.rules import CODES
from rapport.assist.services import coach_rule_save

pytestmark = pytest.mark.django_db


def best_of(runs: int, call) -> float:
    """The fastest of several runs: the cost of the work, not of a loaded machine's scheduling."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return min(timings)


def rules_of(text, language="zh-hans"):
    return [flag.rule for flag in coach_check(text, language=language)]


def test_the_issue_example_gives_two_flags_with_preferred_forms():
    text = "我们尽可能帮你查一下，你必须先提供订单号"
    flags = coach_check(text)
    assert [f.rule for f in flags] == ["try_best", "must"]
    assert [text[f.start : f.end] for f in flags] == ["我们尽可能", "你必须"]
    assert flags[0].suggestion == "我会……"
    assert flags[1].suggestion == "您能……吗？"
    # Replacing both spans (what the two clicks do) leaves nothing to flag.
    fixed = text[: flags[1].start] + "您能" + text[flags[1].end :]
    fixed = fixed[: flags[0].start] + "我会" + fixed[flags[0].end :]
    assert coach_check(fixed) == []


def test_all_thirteen_rules_are_seeded_in_both_languages():
    seeded = set(CoachRule.objects.values_list("code", "language"))
    assert seeded == {(code, lang) for code in CODES for lang in ("zh-hans", "en")}


@pytest.mark.parametrize(
    "text,rule",
    [
        ("不行，这个不能退。", "flat_no"),
        ("对不起，请稍等。", "reflex_sorry"),
        ("你有发票吗？", "do_you_have"),
        ("这个我处理不了。", "cannot_handle"),
        ("这是个问题。", "negative_frame"),
        ("我从没听说过此事。", "never_heard"),
        ("没问题，刚才还好着哪。", "was_fine"),
        ("可能是网速问题，也许是你那边的问题。", "vague"),
        ("这不是我们的责任。", "not_our_fault"),
        ("我们很抱歉。", "we_apologise"),
        ("是你自己填错了地址。", "blame_you"),
        ("You must send us the receipt.", "must"),
        ("We will try our best.", "try_best"),
    ],
)
def test_each_rule_flags_its_phrasing(text, rule):
    assert rule in rules_of(text)


def test_the_customers_quoted_or_reported_words_are_never_flagged():
    assert rules_of("您说“你们必须给我退款”，我今天就办。") == []
    assert rules_of("客户说「这不是你们的责任吗」，我们来负责到底。") == []
    assert rules_of("您来电说您必须在周五前用车，我已经安排了周四交车。") == []
    assert rules_of('You said "you must fix it", and I will today.', "en") == []
    assert rules_of("> 你们必须退款！\n退款已经提交，今天到账。") == []


def test_context_rules():
    # A refusal followed by a concrete alternative is not a flat refusal.
    assert rules_of("这个不行，但是我们可以给您换新。") == []
    assert rules_of("不行，这个不能退。") == ["flat_no", "flat_no"]
    # 这是个问题 followed by a concrete next step.
    assert rules_of("这是个问题，我马上联系技术部，今天下午三点前给您答复。") == []
    # 对不起 for an error the reply names and fixes.
    assert rules_of("对不起，我把您的地址填错了，现在已经改正，快递明早派送。") == []
    # 可能 inside a checked answer.
    assert rules_of("经检测，可能是传感器故障，已订新件，周三更换。") == []


def test_disclaiming_responsibility_stays_a_flag_when_the_partners_number_follows():
    assert rules_of("这不是我们的责任，您可以联系万网，电话是6000000。") == ["not_our_fault"]


def test_bad_input_never_raises():
    assert coach_check("") == []
    assert coach_check("   \n ") == []
    assert rules_of("<p>我们<b>尽可能</b>帮您处理。</p><script>alert(1)</script>") == ["try_best"]
    assert rules_of("您必须先提供订单号😅🎉") == ["must"]
    assert rules_of("ＹＯＵ ＭＵＳＴ send the receipt first.", "en") == ["must"]
    assert rules_of("我們盡可能幫您處理。") == ["try_best"]
    assert rules_of("混合 text：We apologise，我们很抱歉") == ["we_apologise", "we_apologise"]
    with pytest.raises(ValueError):
        coach_check("x", language="fr")


def test_spans_point_into_the_original_text_with_markup_and_full_width():
    text = "<b>ＯＫ</b>，你必须先提供订单号"
    (flag,) = coach_check(text)
    assert text[flag.start : flag.end] == flag.text == "你必须"


def test_a_twenty_thousand_character_draft_is_fast():
    text = ("感谢您的耐心等待，我会马上为您处理，今天下午给您回复。" * 800)[:20_000] + "我们尽可能"
    flags = coach_check(text)
    assert [f.rule for f in flags] == ["try_best"]
    assert (
        best_of(5, lambda: coach_check(text)) < 0.25
    )  # ~30 ms unloaded; a shared CI core is slower


def test_a_normal_draft_takes_a_few_milliseconds():
    draft = "王先生您好，感谢您提供的信息！我们尽可能帮你查一下，你必须先提供订单号。我会在今天下午五点前给您回电话。"
    coach_check(draft)
    assert best_of(20, lambda: coach_check(draft)) < 0.01


def test_a_disabled_rule_is_not_applied():
    CoachRule.objects.filter(code="try_best").update(enabled=False)
    rules_changed()
    assert rules_of("我们尽可能帮你查一下") == []


def test_an_invalid_pattern_is_refused_with_the_error_and_nothing_changes():
    rule = CoachRule.objects.get(code="must", language="zh-hans")
    before = rule.pattern
    rule.pattern = "您必须(("
    with pytest.raises(ValidationError) as exc:
        coach_rule_save(rule=rule)
    assert "pattern" in exc.value.message_dict
    assert "Invalid regular expression" in exc.value.message_dict["pattern"][0]
    assert CoachRule.objects.get(pk=rule.pk).pattern == before


@pytest.mark.parametrize("pattern", ["(a+)+$", "x*", ""])
def test_patterns_that_would_hang_or_match_everything_are_refused(pattern):
    rule = CoachRule.objects.get(code="must", language="en")
    rule.pattern = pattern
    with pytest.raises(ValidationError) as exc:
        coach_rule_save(rule=rule)
    assert "pattern" in exc.value.message_dict


def test_a_broken_row_in_the_database_is_skipped_not_raised():
    CoachRule.objects.filter(code="must", language="zh-hans").update(pattern="((")
    rules_changed()
    assert rules_of("我们尽可能帮你查一下，你必须先提供订单号") == ["try_best"]


def test_a_saved_rule_reports_examples_it_misses_and_applies_at_once(
    django_capture_on_commit_callbacks,
):
    rule = CoachRule.objects.get(code="must", language="zh-hans")
    rule.pattern = r"您必须"
    rule.examples_flagged = "您必须来\n你必须来"
    with django_capture_on_commit_callbacks(execute=True):
        trial = coach_rule_save(rule=rule)
    assert trial.missed == ["你必须来"] and trial.wrongly_flagged == []
    assert rules_of("你必须来") == []
    assert rules_of("您必须来") == ["must"]


def test_a_rule_is_not_skipped_for_time_spent_waiting_for_a_core(monkeypatch):
    """The speed check counts the pattern's own CPU time: on a busy machine the wall clock also
    counts waiting for a core (CI skipped a seeded rule for it)."""
    from types import SimpleNamespace

    from rapport.assist import coach

    wall = iter(range(0, 10_000, 5))  # every wall-clock reading five seconds after the last
    monkeypatch.setattr(coach.time, "perf_counter", lambda: float(next(wall)))
    monkeypatch.setattr(coach.time, "monotonic", lambda: float(next(wall)))
    rule = SimpleNamespace(
        code="must",
        language="zh-hans",
        pattern="必须",
        unless_before="",
        unless_after="",
        unless_anywhere="",
        preferred="",
        explanation="",
    )
    assert coach.compile_rule(rule).code == "must"
