"""Server-rendered SVG charts: no JavaScript (CSP 'self'), readable by screen readers, with a data table beside."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe


def bar_chart_svg(
    *,
    title: str,
    description: str,
    data: Sequence[tuple[str, int | Decimal | str | None]],
    width: int = 720,
    height: int = 240,
    peak: float | None = None,
) -> SafeString:
    """A vertical bar chart. Labels are shown under every n-th bar so they never overlap.

    A value that is not a number (e.g. a suppressed "<5") draws no bar; its tooltip shows the value as given.
    `peak` puts several charts on one scale.
    """
    left, bottom, top = 64, 40, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    numbers = [float(value) for _, value in data if isinstance(value, (int, float, Decimal))]
    peak = peak or max(numbers, default=0) or 1
    step = plot_w / max(len(data), 1)
    label_every = max(1, int(len(data) / 12) + (len(data) % 12 > 0))
    parts = [
        format_html(
            '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-t {}-d" xmlns="http://www.w3.org/2000/svg">'
            '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>',
            width,
            height,
            _slug(title),
            _slug(title),
            _slug(title),
            title,
            _slug(title),
            description,
        ),
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="axis"/>', left, top + plot_h, width - 10, top + plot_h
        ),
        format_html('<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>', left - 4, top + 10, _fmt(peak)),
        format_html('<text x="{}" y="{}" class="tick" text-anchor="end">0</text>', left - 4, top + plot_h),
    ]
    for index, (label, value) in enumerate(data):
        bar_h = plot_h * max(float(value), 0) / peak if isinstance(value, (int, float, Decimal)) else 0
        x = left + index * step + step * 0.1
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}: {}</title></rect>',
                _px(x),
                _px(top + plot_h - bar_h),
                _px(step * 0.8),
                _px(bar_h),
                label,
                _fmt(value),
            )
        )
        if index % label_every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>',
                    _px(x + step * 0.4),
                    top + plot_h + 16,
                    label,
                )
            )
    parts.append(mark_safe("</svg>"))  # noqa: S308 - constant markup
    return mark_safe("".join(str(part) for part in parts))  # noqa: S308 - every part above is escaped


def _px(value: float) -> str:
    return f"{value:.1f}"


def _fmt(value) -> str:
    if not isinstance(value, (int, float, Decimal)):
        return str(value)
    number = float(value)
    return f"{number:,.0f}".replace(",", "\u00a0") if number >= 1000 else f"{number:g}"


def _slug(text: str) -> str:
    return "chart-" + "".join(ch if ch.isalnum() else "-" for ch in escape(text).lower())[:40]
