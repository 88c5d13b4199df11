"""Server-rendered SVG charts: no JavaScript (CSP 'self'), readable by screen readers, with a data table beside.

Honest by construction: a forecast bar is hatched and outlined, never solid like an actual one; a hidden figure
(a suppressed "<5" or "x") is drawn as a dotted "hidden" marker labelled with the mark, never as an empty bar that
reads as zero; a cap is a dashed line across the plot; the legend names every style the chart uses; and every
chart comes with its data as a table (`Chart.rows`) under the same accessible name.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

ACTUAL = "actual"
FORECAST = "forecast"
HIDDEN_KIND = "hidden"

Value = int | float | Decimal | str | None


@dataclass
class ChartRow:
    label: str
    value: Value
    kind: str  # ACTUAL, FORECAST or HIDDEN_KIND


@dataclass
class Chart:
    title: str
    description: str
    svg: SafeString
    rows: list[ChartRow] = field(default_factory=list)
    cap: Decimal | None = None
    cap_label: str = ""

    def __str__(self) -> str:  # {{ chart }} in a template renders the picture
        return self.svg

    def __html__(self) -> str:
        return self.svg


def month_axis(
    counts: Iterable[tuple[datetime.date, Value]], *, start: datetime.date, end: datetime.date
) -> list[tuple[str, Value]]:
    """Every month from start to end as "MM/YYYY", with 0 for a month that has no row (empty months stay visible)."""
    by_month = {(day.year, day.month): value for day, value in counts}
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append((f"{month:02d}/{year}", by_month.get((year, month), 0)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _is_number(value) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def bar_chart(
    *,
    title: str,
    description: str,
    data: Sequence[tuple[str, Value] | tuple[str, Value, str]],
    width: int = 720,
    height: int = 260,
    peak: float | None = None,
    cap: Decimal | None = None,
    cap_label: str | None = None,
) -> Chart:
    """A vertical bar chart. `data` is (label, value) or (label, value, kind) with kind ACTUAL or FORECAST.

    A value that is not a number (a suppressed "<5" or "x") is drawn as a hidden marker. `peak` puts several
    charts on one scale; `cap` draws a dashed line at that value (and the scale reaches it).
    """
    rows = []
    for entry in data:
        label, value = entry[0], entry[1]
        kind = entry[2] if len(entry) > 2 else ACTUAL
        rows.append(ChartRow(str(label), value, HIDDEN_KIND if not _is_number(value) and value is not None else kind))
    cap_label = cap_label or _("Katto")
    left, bottom, top = 72, 40, 44  # room for the legend above the plot
    plot_w, plot_h = width - left - 10, height - bottom - top
    numbers = [float(row.value) for row in rows if _is_number(row.value)]
    peak = max(peak or 0, max(numbers, default=0), float(cap) if cap is not None else 0) or 1
    step = plot_w / max(len(rows), 1)
    label_every = max(1, -(-len(rows) // 12))
    slug = _slug(title)
    base = top + plot_h
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" '
            'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            width,
            height,
            slug,
            slug,
            slug,
            title,
            slug,
            description,
        ),
        format_html(
            '<defs><pattern id="{}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/>'
            '<line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern></defs>',
            slug,
        ),
        format_html('<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"/>', left, base, width - 10, base),
        format_html('<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>', left - 4, top + 10, _fmt(peak)),
        format_html('<text x="{}" y="{}" class="tick" text-anchor="end">0</text>', left - 4, base),
    ]
    for index, row in enumerate(rows):
        x = left + index * step + step * 0.1
        bar_w = step * 0.8
        if row.kind == HIDDEN_KIND:
            marker_h = plot_h * 0.25
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="bar-hidden"><title>{}: {} ({})</title></rect>'
                    '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>',
                    _px(x),
                    _px(base - marker_h),
                    _px(bar_w),
                    _px(marker_h),
                    row.label,
                    row.value,
                    _("piilotettu"),
                    _px(x + bar_w / 2),
                    _px(base - marker_h - 3),
                    row.value,
                )
            )
        else:
            value = float(row.value) if _is_number(row.value) else 0.0
            bar_h = plot_h * max(value, 0) / peak
            css = "bar-forecast" if row.kind == FORECAST else "bar"
            fill = format_html(' fill="url(#{}-hatch)"', slug) if row.kind == FORECAST else ""
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="{}"{}><title>{}: {}{}</title></rect>',
                    _px(x),
                    _px(base - bar_h),
                    _px(bar_w),
                    _px(bar_h),
                    css,
                    fill,
                    row.label,
                    _fmt(row.value),
                    f" ({_('ennuste')})" if row.kind == FORECAST else "",
                )
            )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>',
                    _px(x + bar_w / 2),
                    base + 16,
                    row.label,
                )
            )
    if cap is not None:
        y = base - plot_h * float(cap) / peak
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="cap-line"><title>{}: {}</title></line>'
                '<text x="{}" y="{}" class="tick" text-anchor="end">{} {}</text>',
                left,
                _px(y),
                width - 10,
                _px(y),
                cap_label,
                _fmt(cap),
                width - 12,
                _px(y - 4),
                cap_label,
                _fmt(cap),
            )
        )
    parts.append(_legend(slug, {row.kind for row in rows}, cap is not None, cap_label, left))
    parts.append(mark_safe("</svg>"))  # noqa: S308 - constant markup
    svg = mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part above is escaped
    return Chart(title=title, description=description, svg=svg, rows=rows, cap=cap, cap_label=cap_label)


def _legend(slug: str, kinds: set[str], has_cap: bool, cap_label: str, left: int) -> SafeString:
    entries = []
    if ACTUAL in kinds:
        entries.append(("bar", "", _("toteutunut")))
    if FORECAST in kinds:
        entries.append(("bar-forecast", format_html(' fill="url(#{}-hatch)"', slug), _("ennuste")))
    if HIDDEN_KIND in kinds:
        entries.append(("bar-hidden", "", _("piilotettu (<5 tai x)")))
    parts, x = [], left
    for css, fill, text in entries:
        parts.append(
            format_html(
                '<rect x="{}" y="8" width="14" height="14" class="{}"{}/>'
                '<text x="{}" y="19" class="tick legend-text">{}</text>',
                x,
                css,
                fill,
                x + 18,
                text,
            )
        )
        x += 26 + 7 * len(text)
    if has_cap:
        parts.append(
            format_html(
                '<line x1="{}" y1="15" x2="{}" y2="15" class="cap-line"/>'
                '<text x="{}" y="19" class="tick legend-text">{}</text>',
                x,
                x + 18,
                x + 22,
                cap_label,
            )
        )
    return mark_safe(f'<g class="legend">{"".join(str(p) for p in parts)}</g>')  # noqa: S308 - parts escaped


def bar_chart_svg(**kwargs) -> SafeString:
    """The picture alone (for callers that render their own data table)."""
    return bar_chart(**kwargs).svg


def _px(value: float) -> str:
    return f"{value:.1f}"


def _fmt(value) -> str:
    if not _is_number(value):
        return str(value)
    number = float(value)
    return f"{number:,.0f}".replace(",", "\u00a0") if number >= 1000 else f"{number:g}"


def _slug(text: str) -> str:
    return "chart-" + "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in escape(text).lower())[:40]


def meter_svg(
    *, title: str, parts: Sequence[tuple[str, Value]], total: Value, total_label: str, width: int = 220
) -> SafeString:
    """A small horizontal stacked bar of parts against a total (paid, approved, pending against the caps; children
    against the target). A part that is not a number is left out and the total then reads as "hidden"; the figures
    themselves are printed beside the meter, this only shows proportion."""
    height, bar_h = 26, 12
    slug = _slug(f"meter {title}")
    numbers = [(label, float(value)) for label, value in parts if _is_number(value)]
    scale = max(float(total) if _is_number(total) else 0, sum(v for _, v in numbers)) or 1
    out = [
        format_html(
            '<svg class="chart meter" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t" '
            'xmlns="http://www.w3.org/2000/svg"><title id="{}-t">{}</title>',
            width,
            height,
            slug,
            slug,
            title,
        ),
        format_html('<rect x="0" y="4" width="{}" height="{}" class="meter-track"/>', width, bar_h),
    ]
    x = 0.0
    for index, (label, value) in enumerate(numbers):
        w = width * max(value, 0) / scale
        out.append(
            format_html(
                '<rect x="{}" y="4" width="{}" height="{}" class="meter-part meter-part-{}"><title>{}: {}</title></rect>',
                _px(x),
                _px(w),
                bar_h,
                index,
                label,
                _fmt(value),
            )
        )
        x += w
    if _is_number(total):
        tx = width * float(total) / scale - 1
        out.append(
            format_html(
                '<line x1="{}" y1="1" x2="{}" y2="{}" class="cap-line"><title>{}: {}</title></line>',
                _px(tx),
                _px(tx),
                height - 6,
                total_label,
                _fmt(total),
            )
        )
    out.append(mark_safe("</svg>"))  # noqa: S308 - constant markup
    return mark_safe("".join(str(part) for part in out))  # noqa: S308 - every part above is escaped
