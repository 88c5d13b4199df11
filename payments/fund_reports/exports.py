"""CSV and PDF exports of the fund reports. Every cell is an aggregate already suppressed by the selectors."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if NUMBER.match(text):
        return text  # a plain (possibly negative) number is data, not a formula
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 with ä and ö intact


def money(value) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ").replace(".", ",")
    return str(value)


def report_pdf(report) -> bytes:
    """The per-period report as a PDF (reportlab): figures, lines and the year-by-year table with projection."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=f"{_('Kausiraportti')}: {report.programme}",
        author="sibcase",
        leftMargin=36,
        rightMargin=36,
        topMargin=36,
        bottomMargin=36,
    )
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef3")),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ]
    )
    story = [
        Paragraph(escape(f"{_('Kausiraportti')}: {report.programme}"), styles["Title"]),
        Paragraph(
            escape(f"{report.programme.municipality} · {_('Tulostettu')} {timezone.localtime():%d.%m.%Y %H:%M}"),
            styles["Normal"],
        ),
        Paragraph(
            escape(_("Kaikki luvut ovat koostetietoja; alle viiden lukumäärät näytetään muodossa <5.")),
            styles["Normal"],
        ),
        Spacer(1, 12),
    ]
    statement = report.statement
    if statement is not None:
        story.append(
            Paragraph(
                escape(
                    f"{_('Laskelma')} {statement.period_start:%d.%m.%Y}–{statement.period_end:%d.%m.%Y} "
                    f"({statement.get_status_display()})"
                ),
                styles["Heading2"],
            )
        )
        figures = [
            [_("Vaihe"), _("Arvo")],
            [_("Lapsivuodet"), str(statement.child_years)],
            [_("Vertailukustannus"), money(statement.counterfactual_cost)],
            [_("Toteutunut kustannus"), money(statement.actual_cost)],
            [_("Kauden säästöt"), money(statement.savings)],
            [_("Oikaisut aiempiin kausiin"), money(statement.adjustments)],
            [_("Osuus säästöistä"), f"{statement.savings_share_percent:.2f} %"],
            [_("Maksettava rahastolle"), money(statement.payable)],
        ]
        story += [Table(figures, hAlign="LEFT", style=grid), Spacer(1, 12)]
        lines = [[_("Mittari"), _("Havaintoja"), _("Määrä"), _("Yksikkökustannus (EUR)"), _("Summa (EUR)")]]
        for line in statement.lines.all():
            lines.append(
                [
                    line.metric.name if line.metric else line.description,
                    str(report.line_counts.get(line.pk, "")),
                    money(line.quantity),
                    money(line.unit_cost),
                    money(line.amount),
                ]
            )
        story += [Table(lines, hAlign="LEFT", style=grid), Spacer(1, 12)]
    story.append(Paragraph(escape(_("Vuosittain seurannan loppuun asti")), styles["Heading2"]))
    years = [[_("Vuosi"), _("Tila"), _("Lapsivuodet"), _("Säästöt (EUR)"), _("Maksettava (EUR)"), _("Kertymä (EUR)")]]
    for row in report.years:
        years.append(
            [
                str(row.year),
                _("Ennuste") if row.projected else row.status,
                str(row.child_years),
                money(row.savings),
                money(row.payable),
                money(row.cumulative),
            ]
        )
    story += [
        Table(years, hAlign="LEFT", style=grid, repeatRows=1),
        Spacer(1, 8),
        Paragraph(
            escape(
                _(
                    "Ennuste: nykyinen kohortti ilman uusia perheitä, toistaiseksi toteutunut säästö lapsivuotta kohden, "
                    "maksuehtojen osuus ja katot. Ennuste ei ole laskelma eikä sitoumus."
                )
            ),
            styles["Italic"],
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
