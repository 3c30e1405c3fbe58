"""Scores of the coach and the upset detector on the project's own labelled examples.

The examples live in eval/*.jsonl, split once (by a hash of the text, before any rule was written)
into `dev`, which rules may be tuned on, and `heldout`, which is only ever measured.

Coach: per rule, a true positive is a rule in both the labelled and the found set of an example,
a false positive a rule found but not labelled ("wrong flag"), a false negative a rule labelled but
not found. Recall = TP / (TP + FN); wrong flags = FP / (TP + FP) = 1 − precision.
Upset: an example is upset when its labelled intensity is ≥ 1; F1 of that decision, plus the
accuracy of the intensity, and of intensity 3 (regulator/media risk or abuse) on its own.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from rapport.assist.coach import coach_check
from rapport.assist.rules import CODES
from rapport.assist.upset import detect_upset

EVAL_DIR = Path(__file__).resolve().parent / "eval"


def load(name: str, split: str) -> list[dict]:
    path = EVAL_DIR / f"{name}_{split}.jsonl"
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class CoachReport:
    split: str
    examples: int
    per_rule: dict[str, Score]
    overall: Score
    errors: list[dict] = field(default_factory=list)
    ms_per_draft: float = 0.0


@dataclass
class UpsetReport:
    split: str
    examples: int
    score: Score
    intensity_exact: float
    severe: Score
    errors: list[dict] = field(default_factory=list)
    ms_per_message: float = 0.0


def evaluate_coach(split: str = "heldout") -> CoachReport:
    examples = load("coach", split)
    per_rule = {code: Score() for code in CODES}
    overall = Score()
    errors = []
    started = time.perf_counter()
    for example in examples:
        found = {flag.rule for flag in coach_check(example["text"], language=example["language"])}
        wanted = set(example["rules"])
        for code in found | wanted:
            score = per_rule.setdefault(code, Score())
            if code in found and code in wanted:
                score.tp += 1
                overall.tp += 1
            elif code in found:
                score.fp += 1
                overall.fp += 1
            else:
                score.fn += 1
                overall.fn += 1
        if found != wanted:
            errors.append(
                {
                    "id": example["id"],
                    "text": example["text"],
                    "wanted": sorted(wanted),
                    "found": sorted(found),
                }
            )
    elapsed = (time.perf_counter() - started) * 1000 / max(1, len(examples))
    return CoachReport(split, len(examples), per_rule, overall, errors, elapsed)


def evaluate_upset(split: str = "heldout") -> UpsetReport:
    examples = load("upset", split)
    score, severe = Score(), Score()
    exact = 0
    errors = []
    started = time.perf_counter()
    for example in examples:
        result = detect_upset(example["text"])
        wanted = example["intensity"]
        for s, got, want in (
            (score, result.upset, wanted > 0),
            (severe, result.intensity == 3, wanted == 3),
        ):
            if got and want:
                s.tp += 1
            elif got:
                s.fp += 1
            elif want:
                s.fn += 1
        exact += result.intensity == wanted
        if result.intensity != wanted:
            errors.append(
                {
                    "id": example["id"],
                    "text": example["text"],
                    "wanted": wanted,
                    "found": result.intensity,
                    "reasons": result.reasons,
                }
            )
    elapsed = (time.perf_counter() - started) * 1000 / max(1, len(examples))
    return UpsetReport(
        split, len(examples), score, exact / max(1, len(examples)), severe, errors, elapsed
    )
