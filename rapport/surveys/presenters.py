"""Turn an analysis summary into what the page shows: SVG charts and their tables."""

from django.utils.translation import gettext as _

from rapport.surveys import charts, maths
from rapport.surveys.exports import CHARTS, chart_rows, feature_label, kano_label, verdict_label
from rapport.surveys.models import Dimension

DIM_CSS = {d: f"dim-{i}" for i, d in enumerate(maths.DIMENSIONS)}
VERDICT_CSS = {"dissatisfied": "bad", "satisfied": "mid", "delighted": "good", None: "none"}
KANO_CSS = {
    "A": "kano-a",
    "O": "kano-o",
    "M": "kano-m",
    "I": "kano-i",
    "R": "kano-r",
    "Q": "kano-q",
}


def analysis_context(summary: dict) -> dict:
    dims = dict(Dimension.choices)
    c, n, sq = summary["csat"], summary["nps"], summary["servqual"]
    gaps = sq["dimensions"]
    svg = {
        "csat": charts.bars(
            _("CSAT distribution"),
            [(str(s), c["counts"][s], f"csat-{s}") for s in range(1, 6)],
        ),
        "nps": charts.stacked(
            _("Promoters, passives and detractors"),
            [
                (_("Detractors"), n["detractors"], "bad"),
                (_("Passives"), n["passives"], "mid"),
                (_("Promoters"), n["promoters"], "good"),
            ],
        ),
        "servqual": charts.grouped(
            _("Expectation and perception by dimension"),
            [
                (
                    str(dims[g.dimension]),
                    [
                        (_("Expectation"), g.expectation, "exp"),
                        (_("Perception"), g.perception, "per"),
                    ],
                )
                for g in gaps
            ],
            y0=1,
            y1=7,
        ),
        "gaps": charts.diverging(
            _("Gap P − E by dimension"),
            [(str(dims[g.dimension]), g.gap, VERDICT_CSS[g.verdict]) for g in gaps],
        ),
        "trend": charts.lines(
            _("Gap P − E per quarter"),
            summary["trend"]["quarters"],
            [
                (
                    str(dims[d]),
                    [summary["trend"]["gaps"][q].get(d) for q in summary["trend"]["quarters"]],
                    DIM_CSS[d],
                )
                for d in maths.DIMENSIONS
            ],
        ),
        "kano": charts.kano_map(
            _("KANO: Better against Worse"),
            [
                (
                    feature_label(f["question"]),
                    f["better"],
                    -f["worse"],
                    KANO_CSS.get(f["category"], "kano-q"),
                )
                for f in summary["kano"]
                if f["better"] is not None
            ],
        ),
    }
    tables = {chart: chart_rows(summary, chart) for chart in CHARTS if chart in summary}
    weakest = sq["weakest"]
    return {
        "summary": summary,
        "svg": svg,
        "tables": tables,
        "weakest": weakest,
        "weakest_label": dims[weakest.dimension] if weakest else None,
        "gaps": [
            {
                "label": dims[g.dimension],
                "gap": g,
                "verdict": verdict_label(g.verdict),
                "css": VERDICT_CSS[g.verdict],
            }
            for g in gaps
        ],
        "kano_rows": [
            {
                "feature": f,
                "name": feature_label(f["question"]),
                "label": kano_label(f["category"]),
                "css": KANO_CSS.get(f["category"], ""),
            }
            for f in summary["kano"]
        ],
        "dim_legend": [(dims[d], DIM_CSS[d]) for d in maths.DIMENSIONS],
        "gap_tolerance": maths.GAP_TOLERANCE,
    }


def loyalty_context(summary: dict) -> dict:
    return {"tables": {"loyalty": chart_rows(summary, "loyalty")}}
