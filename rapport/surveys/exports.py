"""Each chart's table as rows, and those rows as CSV or Excel (openpyxl). The table view on the
page and both exports come from the same rows, so they always agree."""

from django.utils.translation import gettext as _

from rapport.core.exports import csv_text, xlsx_bytes
from rapport.customers.models import Customer
from rapport.surveys import maths
from rapport.surveys.models import Dimension

CHARTS = ("csat", "nps", "rates", "servqual", "trend", "kano", "loyalty", "credit")


def kano_label(category: str | None) -> str:
    labels = {
        "A": _("Attractive (兴奋质量)"),
        "O": _("One-dimensional (期望质量)"),
        "M": _("Must-be (基本质量)"),
        "I": _("Indifferent"),
        "R": _("Reverse"),
        "Q": _("Questionable"),
    }
    return labels.get(category or "", "—")


def feature_label(question) -> str:
    return question.heading


def nps_group_label(category: str) -> str:
    return {
        "promoter": _("Promoter"),
        "passive": _("Passive"),
        "detractor": _("Detractor"),
    }.get(category, category)


def verdict_label(verdict: str | None) -> str:
    return {
        "dissatisfied": _("Dissatisfied"),
        "satisfied": _("Satisfied"),
        "delighted": _("Delighted"),
    }.get(verdict or "", "—")


def _r(value, digits: int = 2):
    return None if value is None else round(value, digits)


def chart_rows(summary: dict, chart: str) -> tuple[list[str], list[list]]:
    """The header and rows of one chart's table."""
    dims = dict(Dimension.choices)
    if chart == "csat":
        c = summary["csat"]
        rows = [[s, c["counts"][s], _r(100 * c["shares"][s], 1)] for s in range(1, 6)]
        rows.append([_("Mean"), c["n"], _r(c["mean"])])
        share = c["satisfied_share"]
        rows.append([_("CSAT (4–5)"), c["n"], None if share is None else _r(100 * share, 1)])
        return [_("Score"), _("Answers"), _("Share %")], rows
    if chart == "nps":
        n = summary["nps"]
        rows = [[s, n["counts"][s], nps_group_label(maths.nps_category(s))] for s in range(11)]
        rows.append([_("NPS"), n["n"], _r(n["score"], 1)])
        return [_("Score"), _("Answers"), _("Group")], rows
    if chart == "rates":
        return [
            _("Questionnaire"),
            _("Delivered"),
            _("Answered"),
            _("No e-mail address"),
            _("Response rate %"),
        ], [
            [
                r["name_zh"],
                r["delivered"],
                r["answered"],
                r["undeliverable"],
                _r(100 * r["rate"], 1) if r["rate"] is not None else None,
            ]
            for r in summary["rates"]
        ]
    if chart == "servqual":
        return [
            _("Dimension"),
            _("Expectation"),
            _("Perception"),
            _("Gap (P − E)"),
            _("Verdict"),
            _("Answers"),
        ], [
            [
                str(dims[g.dimension]),
                _r(g.expectation),
                _r(g.perception),
                _r(g.gap),
                verdict_label(g.verdict),
                g.n,
            ]
            for g in summary["servqual"]["dimensions"]
        ]
    if chart == "trend":
        t = summary["trend"]
        return [_("Quarter"), *[str(dims[d]) for d in maths.DIMENSIONS]], [
            [q, *[_r(t["gaps"][q].get(d)) for d in maths.DIMENSIONS]] for q in t["quarters"]
        ]
    if chart == "kano":
        return [
            _("Feature"),
            "A",
            "O",
            "M",
            "I",
            "R",
            "Q",
            _("Class"),
            "Better",
            "Worse",
            _("Answers"),
        ], [
            [
                f["question"].text,
                *[f["counts"][c] for c in maths.KANO_CATEGORIES],
                kano_label(f["category"]),
                _r(f["better"]),
                _r(f["worse"]),
                f["n"],
            ]
            for f in summary["kano"]
        ]
    if chart == "loyalty":
        churn = dict(Customer.ChurnReason.choices)
        return [
            _("Said"),
            _("Customers"),
            _("Came back %"),
            _("Still active %"),
            _("Lost %"),
            _("Churn reasons"),
        ], [
            [
                band_label(b["band"]),
                b["n"],
                _r(100 * b["came_back_share"], 1) if b["came_back_share"] is not None else None,
                _r(100 * b["active_share"], 1) if b["active_share"] is not None else None,
                _r(100 * b["lost_share"], 1) if b["lost_share"] is not None else None,
                ", ".join(f"{churn.get(reason, reason)} {n}" for reason, n in b["churn"]),
            ]
            for b in summary["loyalty"]["bands"]
        ]
    if chart == "credit":
        rows = []
        for p in summary["credit"]:
            o, t = p["owner"] or {}, p["transfer"] or {}
            rows.append(
                [
                    p["name"],
                    o.get("n", 0),
                    _r(o.get("csat")),
                    _r(o.get("nps"), 1),
                    t.get("n", 0),
                    _r(t.get("csat")),
                    _r(t.get("nps"), 1),
                ]
            )
        return [
            _("Staff member"),
            _("As owner"),
            _("Owner CSAT"),
            _("Owner NPS"),
            _("Handled a transfer"),
            _("Transfer CSAT"),
            _("Transfer NPS"),
        ], rows
    raise KeyError(chart)


def band_label(band: str) -> str:
    return {
        "satisfied": _("Satisfied (CSAT 4–5 or promoter)"),
        "neutral": _("Neutral (CSAT 3 or passive)"),
        "dissatisfied": _("Dissatisfied (CSAT 1–2 or detractor)"),
    }[band]


def as_csv(header: list[str], rows: list[list]) -> str:
    return csv_text(header, rows)


def as_xlsx(title: str, header: list[str], rows: list[list]) -> bytes:
    return xlsx_bytes(title, header, rows)
