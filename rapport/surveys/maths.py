"""The measures as pure functions over plain numbers, so each is tested against hand-computed
examples (tests/test_maths.py). No database, no Django."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# A SERVQUAL gap is a difference of two means on a 1–7 scale. Within ±GAP_TOLERANCE of zero we
# call perception equal to expectation ("satisfied"): a twentieth of a scale point is well below
# what one answer can move a mean of a few dozen, so a gap that small is noise, not a finding.
GAP_TOLERANCE = 0.05

DIMENSIONS = ("responsiveness", "tangibles", "empathy", "assurance", "reliability")

# KANO answers: 1 like, 2 must-be, 3 neutral, 4 live-with, 5 dislike.
# The standard Kano evaluation table: rows the functional answer, columns the dysfunctional one.
# A attractive, O one-dimensional, M must-be, I indifferent, R reverse, Q questionable.
KANO_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
KANO_CATEGORIES = ("A", "O", "M", "I", "R", "Q")
# When two categories are equally frequent, the one that matters more for the customer wins:
# must-be before one-dimensional before attractive before indifferent (the usual M > O > A > I).
KANO_TIE_ORDER = ("M", "O", "A", "I", "R", "Q")


def mean(values: Iterable[float]) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


def csat_distribution(scores: Iterable[int]) -> dict:
    """Counts for each score 1–5 (never collapsed), the share of each, the mean, n, and the CSAT
    figure: the share of satisfied answers (4 or 5), None when nobody answered."""
    counts = Counter(scores)
    n = sum(counts[s] for s in range(1, 6))
    total = sum(s * counts[s] for s in range(1, 6))
    return {
        "counts": {s: counts[s] for s in range(1, 6)},
        "shares": {s: (counts[s] / n if n else 0.0) for s in range(1, 6)},
        "mean": total / n if n else None,
        "satisfied_share": (counts[4] + counts[5]) / n if n else None,
        "n": n,
    }


def nps_category(score: int) -> str:
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


def nps(scores: Iterable[int]) -> dict:
    """Promoters (9–10), passives (7–8), detractors (0–6); NPS = % promoters − % detractors,
    from −100 to 100. None when nobody answered."""
    counts = Counter(nps_category(s) for s in scores)
    n = sum(counts.values())
    promoters, passives, detractors = counts["promoter"], counts["passive"], counts["detractor"]
    return {
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "n": n,
        "score": (100 * (promoters - detractors) / n) if n else None,
    }


def response_rate(*, answered: int, delivered: int) -> float | None:
    return answered / delivered if delivered else None


def gap_class(gap: float | None, tolerance: float = GAP_TOLERANCE) -> str | None:
    """dissatisfied when perception falls short of expectation, delighted when it exceeds it,
    satisfied within the tolerance (DOMAIN.md §6)."""
    if gap is None:
        return None
    if gap < -tolerance:
        return "dissatisfied"
    if gap > tolerance:
        return "delighted"
    return "satisfied"


@dataclass
class DimensionGap:
    dimension: str
    expectation: float | None
    perception: float | None
    n: int

    @property
    def gap(self) -> float | None:
        if self.expectation is None or self.perception is None:
            return None
        return self.perception - self.expectation

    @property
    def verdict(self) -> str | None:
        return gap_class(self.gap)


def servqual_gaps(pairs: Iterable[tuple[str, int, int]]) -> list[DimensionGap]:
    """(dimension, expectation, perception) answers → per dimension mean E, mean P and gap P − E,
    in the fixed dimension order."""
    sums: dict[str, list[int]] = {d: [0, 0, 0] for d in DIMENSIONS}
    for dimension, expectation, perception in pairs:
        row = sums[dimension]
        row[0] += expectation
        row[1] += perception
        row[2] += 1
    return [
        DimensionGap(
            dimension=d,
            expectation=(sums[d][0] / sums[d][2]) if sums[d][2] else None,
            perception=(sums[d][1] / sums[d][2]) if sums[d][2] else None,
            n=sums[d][2],
        )
        for d in DIMENSIONS
    ]


def weakest_dimension(gaps: list[DimensionGap]) -> DimensionGap | None:
    """The barrel's shortest stave (木桶效应): the dimension with the most negative gap. Ties go
    to the earlier dimension in DIMENSIONS so the answer is stable."""
    measured = [g for g in gaps if g.gap is not None]
    if not measured:
        return None
    return min(measured, key=lambda g: (g.gap, DIMENSIONS.index(g.dimension)))


def kano_classify(functional: int, dysfunctional: int) -> str:
    """One respondent's category for one feature from the standard evaluation table."""
    if not (1 <= functional <= 5 and 1 <= dysfunctional <= 5):
        raise ValueError("KANO answers run from 1 (like) to 5 (dislike).")
    return KANO_TABLE[functional - 1][dysfunctional - 1]


def kano_feature(answers: Iterable[tuple[int, int]]) -> dict:
    """All respondents' pairs for one feature → counts and shares of each category, the feature's
    category (the most frequent, ties by KANO_TIE_ORDER), and the Better/Worse coefficients:
    Better = (A + O) / (A + O + M + I), Worse = −(O + M) / (A + O + M + I)."""
    counts = Counter(kano_classify(f, d) for f, d in answers)
    n = sum(counts.values())
    a, o, m, i = counts["A"], counts["O"], counts["M"], counts["I"]
    base = a + o + m + i
    category = None
    if n:
        category = max(KANO_CATEGORIES, key=lambda c: (counts[c], -KANO_TIE_ORDER.index(c)))
    return {
        "counts": {c: counts[c] for c in KANO_CATEGORIES},
        "shares": {c: (counts[c] / n if n else 0.0) for c in KANO_CATEGORIES},
        "n": n,
        "category": category,
        "better": (a + o) / base if base else None,
        "worse": -(o + m) / base if base else None,
    }


def quarter_of(value) -> str:
    return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
