"""Charts as inline SVG drawn on the server: no CDN, no JavaScript. Each chart has a <title> and
a table beside it in the page, so the numbers never depend on seeing colours."""

import math

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

W, H = 560, 220
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 16, 36


def _h(template: str, *args) -> str:
    """format_html for drawing: text is escaped, numbers keep their format specs."""
    return template.format(*[conditional_escape(a) if isinstance(a, str) else a for a in args])


def _svg(title: str, body: str, width: int = W, height: int = H) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMidYMid meet"><title>{}</title>{}</svg>',
        width,
        height,
        title,
        title,
        mark_safe(body),
    )


def _axis(y0: float, y1: float, ticks: list[float], fmt=lambda v: f"{v:g}") -> str:
    """Horizontal gridlines with labels for a y range mapped to the plot area."""
    parts = []
    for v in ticks:
        y = _y(v, y0, y1)
        parts.append(
            _h(
                '<line class="grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>'
                '<text class="tick" x="{}" y="{:.1f}" text-anchor="end">{}</text>',
                PAD_L,
                W - PAD_R,
                y,
                y,
                PAD_L - 6,
                y + 4,
                fmt(v),
            )
        )
    return "".join(parts)


def _y(v: float, y0: float, y1: float) -> float:
    return PAD_T + (H - PAD_T - PAD_B) * (1 - (v - y0) / (y1 - y0 or 1))


def bars(
    title: str, items: list[tuple[str, float, str]], *, y_max: float | None = None
) -> SafeString:
    """Vertical bars: (label, value, css class)."""
    highest = y_max or max([v for _l, v, _c in items] + [1])
    top = max(4, math.ceil(highest / 4) * 4)  # whole-number ticks for counts
    ticks = [top * i // 4 for i in range(5)]
    slot = (W - PAD_L - PAD_R) / max(len(items), 1)
    body = [_axis(0, top, ticks, lambda v: f"{v:g}")]
    for i, (label, value, css) in enumerate(items):
        x = PAD_L + i * slot + slot * 0.18
        y = _y(value, 0, top)
        body.append(
            _h(
                '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"><title>{}: {}</title></rect>'
                '<text class="label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>'
                '<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">{}</text>',
                css,
                x,
                y,
                slot * 0.64,
                H - PAD_B - y,
                label,
                f"{value:g}",
                x + slot * 0.32,
                H - PAD_B + 16,
                label,
                x + slot * 0.32,
                y - 4,
                f"{value:g}",
            )
        )
    return _svg(title, "".join(body))


def stacked(title: str, parts: list[tuple[str, float, str]]) -> SafeString:
    """One horizontal 100 % bar: (label, count, css class)."""
    total = sum(v for _l, v, _c in parts) or 1
    height, x = 64, 0.0
    body = []
    for label, value, css in parts:
        width = (W - 2) * value / total
        if width > 0:
            body.append(
                _h(
                    '<rect class="{}" x="{:.1f}" y="8" width="{:.1f}" height="28"><title>{}: {}</title></rect>',
                    css,
                    x + 1,
                    width,
                    label,
                    f"{value:g}",
                )
            )
            if width > 60:
                body.append(
                    _h(
                        '<text class="label" x="{:.1f}" y="54" text-anchor="middle">{} {:.0f}%</text>',
                        x + 1 + width / 2,
                        label,
                        100 * value / total,
                    )
                )
        x += width
    return _svg(title, "".join(body), height=height)


def grouped(
    title: str,
    groups: list[tuple[str, list[tuple[str, float | None, str]]]],
    *,
    y0: float,
    y1: float,
) -> SafeString:
    """Groups of bars (e.g. expectation and perception per dimension) on a fixed scale."""
    slot = (W - PAD_L - PAD_R) / max(len(groups), 1)
    body = [_axis(y0, y1, [y0 + (y1 - y0) * i / 4 for i in range(5)])]
    for i, (label, series) in enumerate(groups):
        bar_w = slot * 0.7 / max(len(series), 1)
        for j, (name, value, css) in enumerate(series):
            if value is None:
                continue
            x = PAD_L + i * slot + slot * 0.15 + j * bar_w
            y = _y(value, y0, y1)
            body.append(
                _h(
                    '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"><title>{} · {}: {:.2f}</title></rect>',
                    css,
                    x,
                    y,
                    bar_w - 2,
                    _y(y0, y0, y1) - y,
                    label,
                    name,
                    value,
                )
            )
        body.append(
            _h(
                '<text class="label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>',
                PAD_L + i * slot + slot / 2,
                H - PAD_B + 16,
                label,
            )
        )
    return _svg(title, "".join(body))


def diverging(
    title: str, items: list[tuple[str, float | None, str]], *, limit: float = 2.0
) -> SafeString:
    """Bars from a zero line, up for positive and down for negative (SERVQUAL gaps)."""
    top = max([limit] + [abs(v) for _l, v, _c in items if v is not None])
    slot = (W - PAD_L - PAD_R) / max(len(items), 1)
    body = [
        _axis(-top, top, [-top, -top / 2, 0, top / 2, top], lambda v: f"{v:+.1f}" if v else "0")
    ]
    zero = _y(0, -top, top)
    for i, (label, value, css) in enumerate(items):
        x = PAD_L + i * slot + slot * 0.2
        if value is not None:
            y = _y(value, -top, top)
            body.append(
                _h(
                    '<rect class="{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}"><title>{}: {:+.2f}</title></rect>'
                    '<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">{:+.2f}</text>',
                    css,
                    x,
                    min(y, zero),
                    slot * 0.6,
                    max(abs(zero - y), 1),
                    label,
                    value,
                    x + slot * 0.3,
                    (y - 4) if value >= 0 else (y + 12),
                    value,
                )
            )
        body.append(
            _h(
                '<text class="label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>',
                x + slot * 0.3,
                H - PAD_B + 16,
                label,
            )
        )
    body.append(
        _h(
            '<line class="zero" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>',
            PAD_L,
            W - PAD_R,
            zero,
            zero,
        )
    )
    return _svg(title, "".join(body))


def lines(
    title: str,
    x_labels: list[str],
    series: list[tuple[str, list[float | None], str]],
    *,
    limit: float = 2.0,
) -> SafeString:
    """One line per series over the x labels (SERVQUAL gap per quarter)."""
    values = [v for _n, vs, _c in series for v in vs if v is not None]
    top = max([limit] + [abs(v) for v in values])
    step = (W - PAD_L - PAD_R - 20) / max(len(x_labels) - 1, 1)
    body = [
        _axis(-top, top, [-top, -top / 2, 0, top / 2, top], lambda v: f"{v:+.1f}" if v else "0")
    ]
    for i, label in enumerate(x_labels):
        body.append(
            _h(
                '<text class="label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>',
                PAD_L + 10 + i * step,
                H - PAD_B + 16,
                label,
            )
        )
    for name, vs, css in series:
        points = [
            (PAD_L + 10 + i * step, _y(v, -top, top)) for i, v in enumerate(vs) if v is not None
        ]
        if not points:
            continue
        body.append(
            _h(
                '<polyline class="{}" points="{}"><title>{}</title></polyline>',
                css,
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points),
                name,
            )
        )
        body.extend(
            _h('<circle class="{}" cx="{:.1f}" cy="{:.1f}" r="3"/>', css, x, y) for x, y in points
        )
    return _svg(title, "".join(body))


def kano_map(title: str, features: list[tuple[str, float, float, str]]) -> SafeString:
    """Better against |Worse| in the unit square, quadrants named (the usual KANO plot):
    (label, better, worse as a positive number, css class)."""
    size, pad = 300, 36
    inner = size - 2 * pad

    def pos(better: float, worse: float) -> tuple[float, float]:
        return pad + worse * inner, pad + (1 - better) * inner

    body = [
        _h('<rect class="frame" x="{}" y="{}" width="{}" height="{}"/>', pad, pad, inner, inner),
        _h(
            '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            pad + inner / 2,
            pad + inner / 2,
            pad,
            pad + inner,
        ),
        _h(
            '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>',
            pad,
            pad + inner,
            pad + inner / 2,
            pad + inner / 2,
        ),
        _h(
            '<text class="tick" x="{}" y="{}" text-anchor="middle">|Worse|</text>',
            pad + inner / 2,
            size - 6,
        ),
        _h(
            '<text class="tick" x="10" y="{}" transform="rotate(-90 10 {})" text-anchor="middle">Better</text>',
            pad + inner / 2,
            pad + inner / 2,
        ),
    ]
    for label, better, worse, css in features:
        x, y = pos(better, worse)
        body.append(
            _h(
                '<circle class="{}" cx="{:.1f}" cy="{:.1f}" r="5"><title>{}: Better {:.2f}, Worse −{:.2f}</title></circle>'
                '<text class="label" x="{:.1f}" y="{:.1f}" text-anchor="{}">{}</text>',
                css,
                x,
                y,
                label,
                better,
                worse,
                x + 7 if x < size / 2 else x - 7,
                y + 4,
                "start" if x < size / 2 else "end",
                label,
            )
        )
    return _svg(title, "".join(body), width=size, height=size)
