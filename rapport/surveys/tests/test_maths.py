"""The measures against hand-computed examples."""

from datetime import date

import pytest

from rapport.surveys import maths

LIKE, MUST_BE, NEUTRAL, LIVE_WITH, DISLIKE = 1, 2, 3, 4, 5

# All 25 cells of the standard Kano evaluation table, written out by hand.
KANO_CELLS = {
    (LIKE, LIKE): "Q",
    (LIKE, MUST_BE): "A",
    (LIKE, NEUTRAL): "A",
    (LIKE, LIVE_WITH): "A",
    (LIKE, DISLIKE): "O",
    (MUST_BE, LIKE): "R",
    (MUST_BE, MUST_BE): "I",
    (MUST_BE, NEUTRAL): "I",
    (MUST_BE, LIVE_WITH): "I",
    (MUST_BE, DISLIKE): "M",
    (NEUTRAL, LIKE): "R",
    (NEUTRAL, MUST_BE): "I",
    (NEUTRAL, NEUTRAL): "I",
    (NEUTRAL, LIVE_WITH): "I",
    (NEUTRAL, DISLIKE): "M",
    (LIVE_WITH, LIKE): "R",
    (LIVE_WITH, MUST_BE): "I",
    (LIVE_WITH, NEUTRAL): "I",
    (LIVE_WITH, LIVE_WITH): "I",
    (LIVE_WITH, DISLIKE): "M",
    (DISLIKE, LIKE): "R",
    (DISLIKE, MUST_BE): "R",
    (DISLIKE, NEUTRAL): "R",
    (DISLIKE, LIVE_WITH): "R",
    (DISLIKE, DISLIKE): "Q",
}


def test_the_table_has_all_25_combinations():
    assert len(KANO_CELLS) == 25


@pytest.mark.parametrize(("pair", "category"), sorted(KANO_CELLS.items()))
def test_kano_classify_follows_the_standard_table(pair, category):
    assert maths.kano_classify(*pair) == category


@pytest.mark.parametrize("pair", [(0, 3), (6, 1), (3, 0)])
def test_kano_classify_refuses_answers_outside_one_to_five(pair):
    with pytest.raises(ValueError, match="1"):
        maths.kano_classify(*pair)


def test_kano_feature_better_and_worse_by_hand():
    # 4 A, 3 O, 2 M, 1 I, 1 R, 1 Q: base A+O+M+I = 10.
    answers = (
        [(LIKE, NEUTRAL)] * 4
        + [(LIKE, DISLIKE)] * 3
        + [(NEUTRAL, DISLIKE)] * 2
        + [(NEUTRAL, NEUTRAL)]
        + [(DISLIKE, LIKE)]
        + [(LIKE, LIKE)]
    )
    result = maths.kano_feature(answers)
    assert result["counts"] == {"A": 4, "O": 3, "M": 2, "I": 1, "R": 1, "Q": 1}
    assert result["n"] == 12
    assert result["category"] == "A"
    assert result["better"] == pytest.approx(0.7)  # (4 + 3) / 10
    assert result["worse"] == pytest.approx(-0.5)  # −(3 + 2) / 10
    assert result["shares"]["A"] == pytest.approx(4 / 12)


def test_kano_feature_ties_go_must_be_before_one_dimensional_before_attractive():
    tie = [(NEUTRAL, DISLIKE), (LIKE, DISLIKE), (LIKE, NEUTRAL)]
    assert maths.kano_feature(tie)["category"] == "M"
    assert maths.kano_feature(tie[1:])["category"] == "O"


def test_kano_feature_with_only_reverse_and_questionable_has_no_coefficients():
    result = maths.kano_feature([(DISLIKE, LIKE), (LIKE, LIKE), (DISLIKE, LIKE)])
    assert result["category"] == "R"
    assert result["better"] is None and result["worse"] is None


def test_kano_feature_of_nobody():
    assert maths.kano_feature([])["category"] is None


def test_nps_by_hand():
    # 10 answers: 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 6, 5).
    result = maths.nps([9, 10, 10, 9, 7, 8, 8, 0, 6, 5])
    assert (result["promoters"], result["passives"], result["detractors"]) == (4, 3, 3)
    assert result["score"] == pytest.approx(10.0)  # 40 % − 30 %


def test_nps_boundaries_and_extremes():
    assert maths.nps_category(6) == "detractor"
    assert maths.nps_category(7) == "passive"
    assert maths.nps_category(8) == "passive"
    assert maths.nps_category(9) == "promoter"
    assert maths.nps([10, 9])["score"] == 100
    assert maths.nps([0, 6])["score"] == -100
    assert maths.nps([])["score"] is None


def test_csat_keeps_the_full_distribution_and_the_mean():
    result = maths.csat_distribution([5, 5, 4, 3, 1, 1, 2, 5])
    assert result["counts"] == {1: 2, 2: 1, 3: 1, 4: 1, 5: 3}
    assert result["mean"] == pytest.approx(26 / 8)
    assert result["n"] == 8
    assert maths.csat_distribution([])["mean"] is None


def test_response_rate():
    assert maths.response_rate(answered=30, delivered=120) == 0.25
    assert maths.response_rate(answered=0, delivered=0) is None


def test_servqual_gaps_by_hand():
    pairs = [
        ("responsiveness", 7, 4),
        ("responsiveness", 6, 4),  # E 6.5, P 4.0 → −2.5
        ("tangibles", 5, 6),
        ("tangibles", 5, 6),  # +1.0
        ("empathy", 6, 6),  # 0
        ("reliability", 6, 5),  # −1.0
    ]
    gaps = {g.dimension: g for g in maths.servqual_gaps(pairs)}
    assert gaps["responsiveness"].expectation == 6.5
    assert gaps["responsiveness"].perception == 4.0
    assert gaps["responsiveness"].gap == -2.5
    assert gaps["responsiveness"].verdict == "dissatisfied"
    assert gaps["tangibles"].gap == 1.0
    assert gaps["tangibles"].verdict == "delighted"
    assert gaps["empathy"].verdict == "satisfied"
    assert gaps["assurance"].gap is None and gaps["assurance"].n == 0
    weakest = maths.weakest_dimension(list(gaps.values()))
    assert weakest.dimension == "responsiveness"


def test_a_gap_within_the_tolerance_counts_as_satisfied():
    assert maths.gap_class(0.04) == "satisfied"
    assert maths.gap_class(-0.05) == "satisfied"
    assert maths.gap_class(-0.06) == "dissatisfied"
    assert maths.gap_class(0.06) == "delighted"
    assert maths.gap_class(None) is None


def test_weakest_dimension_ties_go_to_the_earlier_dimension_and_none_without_data():
    gaps = maths.servqual_gaps([("empathy", 6, 5), ("tangibles", 6, 5)])
    assert maths.weakest_dimension(gaps).dimension == "tangibles"
    assert maths.weakest_dimension(maths.servqual_gaps([])) is None


def test_quarter_label():
    assert maths.quarter_of(date(2026, 11, 23)) == "2026-Q4"
    assert maths.quarter_of(date(2026, 1, 1)) == "2026-Q1"


def test_the_csat_figure_is_the_share_of_four_and_five():
    assert maths.csat_distribution([5, 5, 4, 3, 1, 1, 2, 5])["satisfied_share"] == 0.5
    assert maths.csat_distribution([3, 3])["satisfied_share"] == 0.0
    assert maths.csat_distribution([])["satisfied_share"] is None
