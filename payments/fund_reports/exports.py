"""CSV, XLSX and PDF exports of the fund reports.

Every export is rendered from the same `Table`s, built here from the selectors' already suppressed figures, so a
hidden cell ("<5", "x") is hidden identically in every format. Headers and labels are in the user's language
(never internal codes); numbers use the language's decimal separator (comma for fi and sv), euros two decimals.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from sibcase.charts import FORECAST, HIDDEN_KIND, Chart

from .charts import programme_charts
from .selectors import ProgrammeFigures, ProgrammeReport

NUMBER = re.compile(r"^-?\d+([.,]\d+)?$")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

TEXT, COUNT, MONEY, DECIMAL1, PERCENT, YEAR = "text", "count", "money", "decimal1", "percent", "year"
DECIMALS = {COUNT: 0, MONEY: 2, DECIMAL1: 1, PERCENT: 2, YEAR: 0}
XLSX_FORMATS = {COUNT: "0", MONEY: "#,##0.00", DECIMAL1: "#,##0.0", PERCENT: "0.00", YEAR: "0"}


@dataclass
class Column:
    header: str
    kind: str = TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)


def format_cell(value, kind: str, *, grouping: bool = False) -> str:
    """A cell as text in the active language: "1234,50" (fi), suppression marks and labels as they are."""
    if value is None or value == "":
        return ""
    if kind in DECIMALS and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        if kind == YEAR:
            return str(value)
        return formats.number_format(value, decimal_pos=DECIMALS[kind], use_l10n=True, force_grouping=grouping)
    return str(value)


def csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    text = str(value)
    if NUMBER.match(text):
        return text  # a plain (possibly negative) number is data, not a formula
    return "'" + text if text.startswith(FORMULA_START) else text


def _typed(cell, column: Column) -> tuple:
    """A cell and its kind: the column's, unless the cell carries its own as (value, kind)."""
    return cell if isinstance(cell, tuple) else (cell, column.kind)


def csv_bytes(table: Table) -> bytes:
    """Semicolon-separated, decimal comma in fi/sv, UTF-8 with a BOM so that Excel opens ä and ö intact."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([csv_cell(column.header) for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [csv_cell(format_cell(*_typed(cell, column))) for cell, column in zip(row, table.columns, strict=True)]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Taulukko"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:26]} {n}", n + 1
    used.add(name)
    return name


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """One sheet per table: numbers as numbers with number formats, suppression marks as text."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(table.title, used))
        sheet.append([column.header for column in table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            values = []
            formats_of_row = []
            for cell, column in zip(row, table.columns, strict=True):
                value, kind = _typed(cell, column)
                formats_of_row.append(XLSX_FORMATS.get(kind))
                if kind in DECIMALS and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                    # the figure as the other formats show it (child-years to one decimal, euros to cents)
                    values.append(Decimal(value).quantize(Decimal(1).scaleb(-DECIMALS[kind])))
                else:
                    values.append(csv_cell(value) if value not in (None, "") else None)
            sheet.append(values)
            for cell, number_format in zip(sheet[sheet.max_row], formats_of_row, strict=True):
                if number_format:
                    cell.number_format = number_format
                    cell.alignment = Alignment(horizontal="right")
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(column.header) + 2))
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the tables ------------------------------------------------------------------------------------------------


def _group_text(cells: dict) -> str:
    return "; ".join(f"{key}: {format_cell(value, COUNT)}" for key, value in cells.items())


def overview_table(rows: Sequence[ProgrammeFigures]) -> Table:
    table = Table(
        _("Ohjelmat"),
        [
            Column(_("Ohjelma")),
            Column(_("Kunta")),
            Column(_("Perheitä"), COUNT),
            Column(_("Lapsia"), COUNT),
            Column(_("Lapsivuodet"), DECIMAL1),
            Column(_("Vertailukustannus (EUR)"), MONEY),
            Column(_("Toteutunut kustannus (EUR)"), MONEY),
            Column(_("Säästöt (EUR)"), MONEY),
            Column(_("Maksettu (EUR)"), MONEY),
            Column(_("Hyväksytty (EUR)"), MONEY),
            Column(_("Käsittelyssä (EUR)"), MONEY),
            Column(_("Kokonaiskatto (EUR)"), MONEY),
            Column(_("Palvelujaksot palveluntuottajittain")),
            Column(_("Tulostapahtumat mittareittain")),
        ],
    )
    for r in rows:
        table.rows.append(
            [
                r.programme.name,
                r.programme.municipality.name,
                r.families,
                r.children,
                r.child_years,
                r.counterfactual,
                r.actual,
                r.savings,
                r.paid,
                r.approved,
                r.pending,
                r.total_cap,
                _group_text(r.episodes_by_provider),
                _group_text(r.events_by_metric),
            ]
        )
    return table


def years_table(report: ProgrammeReport) -> Table:
    table = Table(
        _("Vuosittain seurannan loppuun asti"),
        [
            Column(_("Vuosi"), YEAR),
            Column(_("Laji")),
            Column(_("Tila")),
            Column(_("Lapsivuodet"), DECIMAL1),
            Column(_("Vertailukustannus (EUR)"), MONEY),
            Column(_("Toteutunut kustannus (EUR)"), MONEY),
            Column(_("Säästöt (EUR)"), MONEY),
            Column(_("Maksettava (EUR)"), MONEY),
            Column(_("Kertymä (EUR)"), MONEY),
            Column(_("Pessimistinen (EUR)"), MONEY),
            Column(_("Optimistinen (EUR)"), MONEY),
        ],
    )
    for r in report.years:
        table.rows.append(
            [
                r.year,
                _("Ennuste") if r.projected else _("Laskelma"),
                r.status,
                r.child_years,
                None if r.projected else r.counterfactual,
                None if r.projected else r.actual,
                r.savings,
                r.payable,
                r.cumulative,
                r.low,
                r.high,
            ]
        )
    return table


def lines_table(report: ProgrammeReport) -> Table:
    table = Table(
        _("Toteutunut kustannus mittareittain"),
        [
            Column(_("Mittari")),
            Column(_("Yksikkökustannus voimassa alkaen")),
            Column(_("Havaintoja"), COUNT),
            Column(_("Määrä"), MONEY),
            Column(_("Yksikkökustannus (EUR)"), MONEY),
            Column(_("Summa (EUR)"), MONEY),
        ],
    )
    for line in report.lines:
        table.rows.append(
            [
                line.name,
                formats.date_format(line.unit_cost_valid_from, "SHORT_DATE_FORMAT")
                if line.unit_cost_valid_from
                else "",
                line.count,
                line.quantity,
                line.unit_cost,
                line.amount,
            ]
        )
    return table


def figures_table(report: ProgrammeReport) -> Table:
    f = report.figures
    table = Table(_("Laskelma"), [Column(_("Vaihe")), Column(_("Arvo"), MONEY)])
    if f is None:
        return table
    table.rows = [
        [_("Lapsivuodet"), f.child_years],
        [_("Vertailukustannus (EUR)"), f.counterfactual],
        [_("Toteutunut kustannus (EUR)"), f.actual],
        [_("Kauden säästöt (EUR)"), f.savings],
        [_("Oikaisut aiempiin kausiin (EUR)"), f.adjustments],
        [_("Osuus säästöistä (%)"), f.share_percent],
        [_("Maksettava rahastolle (EUR)"), f.payable],
    ]
    return table


def enrollments_table(report: ProgrammeReport) -> Table:
    table = Table(_("Mukaan otetut perheet vuosittain"), [Column(_("Vuosi"), YEAR), Column(_("Perheitä"), COUNT)])
    table.rows = [[year, n] for year, n in report.enrollments_by_year]
    table.rows.append([_("Yhteensä"), report.families])
    return table


def scenario_table(report: ProgrammeReport) -> Table:
    """The projection's assumptions and where each scenario ends at the follow-up end."""
    a = report.assumptions
    table = Table(_("Ennusteen oletukset ja skenaariot"), [Column(_("Oletus")), Column(_("Arvo"), MONEY)])
    last = next((row for row in reversed(report.years) if row.projected), None)
    table.rows = [
        [_("Säästö lapsivuotta kohden (EUR)"), a["savings_per_child_year"]],
        [_("Kohortti (lasta)"), (a["cohort_children"], COUNT)],
        [_("Osuus säästöistä (%)"), a["share"] * 100 if a["share"] is not None else None],
        [_("Pessimistinen kerroin"), a["pessimistic"]],
        [_("Optimistinen kerroin"), a["optimistic"]],
    ]
    if last is not None:
        low = _cumulative_scenario(report, "low")
        high = _cumulative_scenario(report, "high")
        table.rows += [
            [_("Kertymä %(year)s, pessimistinen (EUR)") % {"year": last.year}, low],
            [_("Kertymä %(year)s, perusura (EUR)") % {"year": last.year}, last.cumulative],
            [_("Kertymä %(year)s, optimistinen (EUR)") % {"year": last.year}, high],
        ]
    return table


def _cumulative_scenario(report: ProgrammeReport, name: str):
    shown = [row for row in report.years if not row.projected and isinstance(row.cumulative, Decimal)]
    total = shown[-1].cumulative if shown else Decimal("0.00")
    for row in report.years:
        if row.projected:
            value = getattr(row, name)
            if not isinstance(value, Decimal):
                return value
            total += value
    return total


def report_tables(report: ProgrammeReport) -> list[Table]:
    if report.suppressed:
        return []
    tables = [figures_table(report), lines_table(report)] if report.statement is not None else []
    return [*tables, years_table(report), scenario_table(report), enrollments_table(report)]


# --- PDF -------------------------------------------------------------------------------------------------------


def _pdf_table(table: Table) -> PdfTable:
    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef3")),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ]
    )
    rows = [[column.header for column in table.columns]]
    for row in table.rows:
        rows.append(
            [format_cell(*_typed(cell, column), grouping=True) for cell, column in zip(row, table.columns, strict=True)]
        )
    return PdfTable(rows, hAlign="LEFT", style=grid, repeatRows=1)


def report_pdf(report: ProgrammeReport) -> bytes:
    """The per-period report as a PDF (reportlab): the same tables as the CSV and XLSX, Finnish number format."""
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
    story = [
        Paragraph(escape(f"{_('Kausiraportti')}: {report.programme}"), styles["Title"]),
        Paragraph(
            escape(f"{report.programme.municipality} · {_('Tulostettu')} {timezone.localtime():%d.%m.%Y %H:%M}"),
            styles["Normal"],
        ),
        Paragraph(escape(_("Kaikki luvut ovat koostetietoja.") + " " + privacy_note()), styles["Normal"]),
        Spacer(1, 12),
    ]
    if report.suppressed:
        story.append(
            Paragraph(
                escape(_("Ohjelman kohortissa on alle viisi lasta, joten sen lukuja ei näytetä.")), styles["Normal"]
            )
        )
    statement = report.statement
    if statement is not None and not report.suppressed:
        story.append(
            Paragraph(
                escape(
                    f"{_('Laskelma')} {statement.period_start:%d.%m.%Y}–{statement.period_end:%d.%m.%Y} "
                    f"({statement.get_status_display()})"
                ),
                styles["Heading2"],
            )
        )
    for table in report_tables(report):
        story += [Paragraph(escape(table.title), styles["Heading3"]), _pdf_table(table), Spacer(1, 10)]
    if not report.suppressed:
        for chart in programme_charts(report).values():
            story += [
                Paragraph(escape(chart.title), styles["Heading3"]),
                Paragraph(escape(chart.description), styles["Normal"]),
                pdf_chart(chart),
                Spacer(1, 10),
            ]
    if not report.suppressed:
        story.append(Paragraph(escape(projection_note()), styles["Italic"]))
    doc.build(story)
    return buffer.getvalue()


ACCENT = colors.HexColor("#00507a")
MUTED = colors.HexColor("#4a4a4a")
CAP = colors.HexColor("#a4001c")


def pdf_chart(chart: Chart, *, width: float = 720, height: float = 200) -> Drawing:
    """The same chart as the page's SVG, drawn with reportlab: solid actual bars, outlined hatched forecast bars,
    dotted hidden markers labelled with their mark, and the cap as a dashed line, with a legend."""
    drawing = Drawing(width, height)
    left, bottom, top = 70, 24, 26
    plot_w, plot_h = width - left - 10, height - bottom - top
    numbers = [float(row.value) for row in chart.rows if isinstance(row.value, (int, Decimal))]
    peak = max([*numbers, float(chart.cap) if chart.cap is not None else 0, 0]) or 1
    step = plot_w / max(len(chart.rows), 1)
    drawing.add(Line(left, bottom, width - 10, bottom, strokeColor=colors.black))
    drawing.add(
        String(
            left - 4,
            bottom + plot_h - 8,
            format_cell(Decimal(peak), COUNT, grouping=True),
            fontSize=7,
            textAnchor="end",
        )
    )
    drawing.add(String(left - 4, bottom, "0", fontSize=7, textAnchor="end"))
    for index, row in enumerate(chart.rows):
        x, bar_w = left + index * step + step * 0.1, step * 0.8
        if row.kind == HIDDEN_KIND:
            drawing.add(
                Rect(
                    x,
                    bottom,
                    bar_w,
                    plot_h * 0.25,
                    fillColor=colors.HexColor("#f1f5f8"),
                    strokeColor=MUTED,
                    strokeDashArray=[2, 2],
                )
            )
            drawing.add(
                String(x + bar_w / 2, bottom + plot_h * 0.25 + 3, str(row.value), fontSize=7, textAnchor="middle")
            )
        else:
            value = float(row.value) if isinstance(row.value, (int, Decimal)) else 0.0
            bar_h = plot_h * max(value, 0) / peak
            if row.kind == FORECAST:
                drawing.add(Rect(x, bottom, bar_w, bar_h, fillColor=colors.white, strokeColor=ACCENT, strokeWidth=1))
                y = bottom + 4
                while y < bottom + bar_h:
                    drawing.add(
                        Line(x, y, x + bar_w, min(y + bar_w, bottom + bar_h), strokeColor=ACCENT, strokeWidth=0.5)
                    )
                    y += 6
            else:
                drawing.add(Rect(x, bottom, bar_w, bar_h, fillColor=ACCENT, strokeColor=ACCENT))
        if index % max(1, -(-len(chart.rows) // 14)) == 0:
            drawing.add(String(x + bar_w / 2, bottom - 10, row.label, fontSize=7, textAnchor="middle"))
    if chart.cap is not None:
        y = bottom + plot_h * float(chart.cap) / peak
        drawing.add(Line(left, y, width - 10, y, strokeColor=CAP, strokeWidth=1.5, strokeDashArray=[5, 3]))
        drawing.add(
            String(
                width - 12,
                y + 3,
                f"{chart.cap_label} {format_cell(chart.cap, MONEY, grouping=True)}",
                fontSize=7,
                textAnchor="end",
                fillColor=CAP,
            )
        )
    x = left
    kinds = {row.kind for row in chart.rows}
    for kind, text in (
        ("actual", _("toteutunut")),
        (FORECAST, _("ennuste")),
        (HIDDEN_KIND, _("piilotettu (<5 tai x)")),
    ):
        if kind not in kinds:
            continue
        swatch = {
            "actual": {"fillColor": ACCENT, "strokeColor": ACCENT},
            FORECAST: {"fillColor": colors.white, "strokeColor": ACCENT},
            HIDDEN_KIND: {"fillColor": colors.HexColor("#f1f5f8"), "strokeColor": MUTED, "strokeDashArray": [2, 2]},
        }[kind]
        drawing.add(Rect(x, height - 14, 9, 9, **swatch))
        drawing.add(String(x + 12, height - 12, text, fontSize=8))
        x += 24 + 4.5 * len(text)
    if chart.cap is not None:
        drawing.add(Line(x, height - 10, x + 14, height - 10, strokeColor=CAP, strokeWidth=1.5, strokeDashArray=[5, 3]))
        drawing.add(String(x + 18, height - 12, chart.cap_label, fontSize=8))
    return drawing


def privacy_note() -> str:
    return _(
        "Lukumäärät on pyöristetty viiden tarkkuuteen; 1–4 näytetään muodossa <5, ja x on piilotettu, jotta "
        "piilotettua lukua ei voi päätellä. Kaudet, joiden kohortissa on alle viisi lasta, eivät sisälly summiin."
    )


def projection_note() -> str:
    return _(
        "Ennuste: nykyinen kohortti ilman uusia perheitä, toistaiseksi toteutunut säästö lapsivuotta kohden, "
        "maksuehtojen osuus ja katot. Ennuste ei ole laskelma eikä sitoumus."
    )
