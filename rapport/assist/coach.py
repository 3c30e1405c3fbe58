"""The phrasing coach: discouraged wording in a representative's draft, with the preferred form.

    coach_check("我们尽可能帮你查一下，你必须先提供订单号")
    == [CoachFlag(rule="try_best", start=0, end=5, ...), CoachFlag(rule="must", start=10, end=13, ...)]

The rules are CoachRule rows (an administrator edits, tests and switches them off); they are
compiled once per process and recompiled when one is saved here, or after RULES_TTL seconds
when another process saved it. A rule whose pattern does not compile is skipped, never raised:
one bad row must not stop the coach for everyone (the admin form refuses such rows anyway).
"""

import logging
import re
import time
from dataclasses import asdict, dataclass

from rapport.assist.text import mask_customer_words, normalise, sentence_start
from rapport.core.memo import ProcessMemo

logger = logging.getLogger(__name__)

RULES_TTL = 30.0
BEFORE_WINDOW = 80  # "preceded by": within the same sentence, at most this far back
AFTER_WINDOW = 160  # "followed in the same reply": this many characters after the match
AROUND_WINDOW = 240  # "an error the reply names and fixes" / "an answer that was checked"
LANGUAGES = ("zh-hans", "en")
MAX_PATTERN_CHARS = 2000
MAX_FLAGS_PER_RULE = 50  # a text with more is not a draft; the coach stays fast on it


class RuleError(ValueError):
    """A rule's pattern (or one of its exceptions) cannot be used; the message says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CoachFlag:
    rule: str
    start: int
    end: int
    text: str
    message: str
    suggestion: str
    language: str = "zh-hans"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class CompiledRule:
    code: str
    language: str
    pattern: re.Pattern
    unless_before: re.Pattern | None
    unless_after: re.Pattern | None
    unless_anywhere: re.Pattern | None
    preferred: str
    explanation: str


# Nested quantifiers such as (a+)+ or (\w*)* can take exponential time on a long draft.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)[+*{]")


def compile_pattern(field: str, source: str) -> re.Pattern | None:
    """Compile one pattern of a rule, or raise RuleError naming the field and the reason."""
    source = (source or "").strip()
    if not source:
        return None
    if len(source) > MAX_PATTERN_CHARS:
        raise RuleError(field, f"The pattern is longer than {MAX_PATTERN_CHARS} characters.")
    if _NESTED_QUANTIFIER.search(source):
        raise RuleError(
            field, "A repeated group that itself repeats, like (a+)+, can hang the coach."
        )
    try:
        compiled = re.compile(source, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise RuleError(field, f"Invalid regular expression: {exc}") from None
    if compiled.search("") is not None and field == "pattern":
        raise RuleError(field, "The pattern matches empty text, so it would flag every draft.")
    return compiled


def compile_rule(rule) -> CompiledRule:
    """Compile a CoachRule (or anything with its attributes); raises RuleError."""
    pattern = compile_pattern("pattern", rule.pattern)
    if pattern is None:
        raise RuleError("pattern", "A rule needs a pattern.")
    compiled = CompiledRule(
        code=rule.code,
        language=rule.language,
        pattern=pattern,
        unless_before=compile_pattern("unless_before", rule.unless_before),
        unless_after=compile_pattern("unless_after", rule.unless_after),
        unless_anywhere=compile_pattern("unless_anywhere", rule.unless_anywhere),
        preferred=rule.preferred,
        explanation=rule.explanation,
    )
    long_draft = (
        "感谢您的耐心，我会马上处理好。" * 1000 + "Thank you, I will call you today. " * 150
    )
    # The pattern's own work, in this thread's CPU time: on a busy machine the wall clock also
    # counts the time spent waiting for a core, and a seeded rule was skipped for it.
    started = time.thread_time()
    _apply(long_draft, long_draft, [compiled])
    if time.thread_time() - started > 0.05:
        raise RuleError("pattern", "The pattern is too slow on a long draft (over 50 ms).")
    return compiled


_compiled = ProcessMemo("assist.coach_rules", ttl=RULES_TTL)


def rules_changed() -> None:
    """Forget the compiled rules (called after a rule is saved or deleted)."""
    _compiled.forget()


def active_rules() -> list[CompiledRule]:
    return _compiled.get("enabled", _load_rules)


def _load_rules() -> list[CompiledRule]:
    from rapport.assist.models import CoachRule

    compiled = []
    for row in CoachRule.objects.filter(enabled=True).order_by("code", "language", "pk"):
        try:
            compiled.append(compile_rule(row))
        except RuleError as exc:
            logger.warning("Coach rule %s (%s) skipped: %s", row.code, row.language, exc)
    return compiled


def run_rules(text: str, rules: list[CompiledRule]) -> list[CoachFlag]:
    if not text or not text.strip():
        return []
    return _apply(text, mask_customer_words(normalise(text)), rules)


_LATIN = re.compile(r"[a-z]")


def _apply(text: str, view: str, rules: list[CompiledRule]) -> list[CoachFlag]:
    flags: list[CoachFlag] = []
    has_latin = _LATIN.search(view) is not None
    for rule in rules:
        if rule.language == "en" and not has_latin:
            continue  # English patterns cost a scan each and cannot match a Chinese-only draft
        last_end, found = -1, 0
        for match in rule.pattern.finditer(view):
            if found >= MAX_FLAGS_PER_RULE:
                break
            start, end = match.span()
            if end <= start or start < last_end:
                continue
            if _excepted(rule, view, start, end):
                continue
            last_end, found = end, found + 1
            flags.append(
                CoachFlag(
                    rule=rule.code,
                    start=start,
                    end=end,
                    text=text[start:end],
                    message=rule.explanation,
                    suggestion=rule.preferred,
                    language=rule.language,
                )
            )
    flags.sort(key=lambda flag: (flag.start, flag.end, flag.rule))
    return flags


def _excepted(rule: CompiledRule, view: str, start: int, end: int) -> bool:
    if rule.unless_before is not None:
        window_start = max(0, start - BEFORE_WINDOW)
        if rule.unless_before.search(
            view[window_start + sentence_start(view[window_start:start]) : start]
        ):
            return True
    if rule.unless_after is not None and rule.unless_after.search(view[end : end + AFTER_WINDOW]):
        return True
    if rule.unless_anywhere is not None:
        around = view[max(0, start - AROUND_WINDOW) : end + AROUND_WINDOW]
        if rule.unless_anywhere.search(around):
            return True
    return False


def coach_check(text: str, *, language: str = "zh-hans") -> list[CoachFlag]:
    """The discouraged phrasings in a draft, in order, each with its rule and preferred form.

    `language` is the draft's main language; rules of both languages run, since drafts mix
    them (each rule's pattern only matches its own script). Never raises on any text.
    """
    if language not in LANGUAGES:
        raise ValueError(f"Unknown language {language!r}")
    return run_rules(text or "", active_rules())
