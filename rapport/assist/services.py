"""Writes of the assistance app: coach rules, what the coach showed on sent drafts, and upset
assessments of inbound messages and interaction summaries."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.assist.coach import RuleError, compile_rule, rules_changed, run_rules
from rapport.assist.models import CoachRecord, CoachRule, UpsetAssessment
from rapport.assist.rules import CODES
from rapport.assist.upset import UpsetResult, detect_upset
from rapport.core.rawsql import insert_row


@dataclass(frozen=True)
class RuleTrial:
    """A rule tried on its own examples: the lines it should flag but did not, and the reverse."""

    missed: list[str]
    wrongly_flagged: list[str]

    @property
    def passed(self) -> bool:
        return not self.missed and not self.wrongly_flagged


def coach_rule_try(*, rule: CoachRule) -> RuleTrial:
    """Compile the rule and run it on its examples; raises ValidationError naming the field."""
    try:
        compiled = compile_rule(rule)
    except RuleError as exc:
        raise ValidationError({exc.field: [str(exc)]}) from None
    missed = [line for line in _lines(rule.examples_flagged) if not run_rules(line, [compiled])]
    wrong = [line for line in _lines(rule.examples_clean) if run_rules(line, [compiled])]
    return RuleTrial(missed=missed, wrongly_flagged=wrong)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@transaction.atomic
def coach_rule_save(*, rule: CoachRule) -> RuleTrial:
    """Save a rule that compiles and is fast enough; every process picks it up within RULES_TTL.

    Raises ValidationError naming the field for an invalid, empty-matching or slow pattern (the
    rule is not saved). A rule that misses its own examples is saved; the trial says which."""
    rule.full_clean()
    trial = coach_rule_try(rule=rule)
    rule.updated_at = timezone.now()
    rule.save()
    transaction.on_commit(rules_changed)
    return trial


def coach_record_sent(
    *, agent, channel: str, shown: Iterable[str], remaining: Iterable[str], reference: str = ""
) -> list[CoachRecord]:
    """Record, for a reply just sent, each rule the coach showed while it was written and whether
    the representative fixed it (it is no longer in the text sent). Unknown rule codes (a forged
    form) are ignored; the records are written in the caller's transaction."""
    if channel not in CoachRecord.Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    shown_counts: dict[str, int] = {}
    for code in shown:
        if code in CODES:
            shown_counts[code] = shown_counts.get(code, 0) + 1
    remaining_codes = {code for code in remaining if code in CODES}
    for code in remaining_codes:
        shown_counts.setdefault(code, 1)
    now = timezone.now()
    records = [
        CoachRecord(
            agent=agent,
            rule=code,
            shown=min(count, 1000),
            fixed=code not in remaining_codes,
            channel=channel,
            reference=str(reference)[:60],
            at=now,
        )
        for code, count in sorted(shown_counts.items())
    ]
    return CoachRecord.objects.bulk_create(records)


def upset_assess(
    *, source: str, source_id: int, text: str, ticket_id: int | None = None
) -> tuple[UpsetAssessment, bool]:
    """Assess one inbound message or interaction summary, once: a second delivery of the same
    source returns the stored assessment and False."""
    # Insert first, read only on a conflict: a second delivery is rare, and reading first cost
    # every inbound message a query (the unique constraint decides either way).
    result: UpsetResult = detect_upset(text or "")
    assessment = UpsetAssessment(
        source=source,
        source_id=source_id,
        ticket_id=ticket_id,
        upset=result.upset,
        intensity=result.intensity,
        risk=result.risk,
        reasons=result.reasons[:20],
    )
    # Written once (rapport.core.rawsql): made for every message. A second or concurrent
    # delivery finds the row stored first (the unique constraint, no savepoint needed).
    if insert_row(connections[UpsetAssessment.objects.db], assessment, skip_conflict=True) is None:
        return UpsetAssessment.objects.get(source=source, source_id=source_id), False
    return assessment, True
