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
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

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


def csv_bytes(table: Table) -> bytes:
    """Semicolon-separated, decimal comma in fi/sv, UTF-8 with a BOM so that Excel opens ä and ö intact."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([csv_cell(column.header) for column in table.columns])
    for row in table.rows:
        writer.writerow(
            [csv_cell(format_cell(cell, column.kind)) for cell, column in zip(row, table.columns, strict=True)]
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
            for value, column in zip(row, table.columns, strict=True):
                if column.kind in DECIMALS and isinstance(value, (int, Decimal)) and not isinstance(value, bool):
                    # the figure as the other formats show it (child-years to one decimal, euros to cents)
                    values.append(Decimal(value).quantize(Decimal(1).scaleb(-DECIMALS[column.kind])))
                else:
                    values.append(csv_cell(value) if value not in (None, "") else None)
            sheet.append(values)
        for index, column in enumerate(table.columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(12, min(40, len(column.header) + 2))
            if column.kind in XLSX_FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = XLSX_FORMATS[column.kind]
                    cell.alignment = Alignment(horizontal="right")
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


def report_tables(report: ProgrammeReport) -> list[Table]:
    if report.suppressed:
        return []
    tables = [figures_table(report), lines_table(report)] if report.statement is not None else []
    return [*tables, years_table(report), enrollments_table(report)]


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
            [format_cell(cell, column.kind, grouping=True) for cell, column in zip(row, table.columns, strict=True)]
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
        story.append(Paragraph(escape(projection_note()), styles["Italic"]))
    doc.build(story)
    return buffer.getvalue()


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
