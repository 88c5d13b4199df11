"""The statement document a municipality's finance office files: CSV (Finnish Excel: semicolon, decimal comma,
UTF-8 with BOM) and PDF, of an approved or paid statement. Figures only: no person appears in it."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .fund_reports import exports
from .models import LineKind, PaymentStatement
from .services.sampling import sample_result


def fi_number(value: Decimal | int | None, places: int = 2) -> str:
    """A number as Finnish Excel reads it: decimal comma, no thousands separator."""
    if value is None:
        return ""
    return f"{Decimal(value):.{places}f}".replace(".", ",")


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j.n.Y H:i") if moment else ""


def statement_document_rows(statement: PaymentStatement) -> list[list[str]]:
    """Rows of (section, item, value) the CSV and the PDF both show."""
    terms = statement.inputs.get("terms", {})
    rows = [
        [_("Laskelma"), _("Ohjelma"), str(statement.programme)],
        [_("Laskelma"), _("Kunta"), str(statement.programme.municipality)],
        [_("Laskelma"), _("Laji"), str(statement.get_kind_display())],
        [_("Laskelma"), _("Kausi"), f"{statement.period_start:%d.%m.%Y}–{statement.period_end:%d.%m.%Y}"],
        [_("Laskelma"), _("Tila"), str(statement.get_status_display())],
        [_("Maksuehdot"), _("Versio voimassa alkaen"), terms.get("effective_from", "")],
        [_("Maksuehdot"), _("Päättävä toimielin"), statement.terms.decision_body],
        [
            _("Maksuehdot"),
            _("Vertailukustannus lapsivuotta kohden (EUR)"),
            fi_number(_dec(terms.get("baseline_cost_per_child_year"))),
        ],
        [_("Maksuehdot"), _("Osuus säästöistä"), fi_number(_dec(terms.get("savings_share")), 4)],
        [_("Maksuehdot"), _("Kauden katto (EUR)"), fi_number(_dec(terms.get("period_cap")))],
        [_("Maksuehdot"), _("Kokonaiskatto (EUR)"), fi_number(_dec(terms.get("total_cap")))],
        [_("Kohortti"), _("Lapsia kohortissa"), str(statement.child_count)],
        [_("Kohortti"), _("Lapsivuodet"), fi_number(statement.child_years, 4)],
        [_("Laskenta"), _("Vertailukustannus (EUR)"), fi_number(statement.counterfactual_cost)],
    ]
    for line in statement.lines.select_related("metric", "adjusts").order_by("kind", "description", "unit_cost"):
        if line.kind == LineKind.METRIC:
            label = line.metric.name if line.metric else line.description
            rows.append(
                [
                    _("Toteutunut kustannus"),
                    f"{label}: {fi_number(line.quantity)} × {fi_number(line.unit_cost)} EUR "
                    f"({line.observation_count} {_('havaintoa')})",
                    fi_number(line.amount),
                ]
            )
    rows += [
        [_("Laskenta"), _("Toteutunut kustannus (EUR)"), fi_number(statement.actual_cost)],
        [_("Laskenta"), _("Kauden säästöt (EUR)"), fi_number(statement.savings)],
        [_("Laskenta"), _("Edelliseltä kaudelta siirtynyt (EUR)"), fi_number(statement.carried_forward_in)],
        [_("Laskenta"), _("Kauden oma maksu katon jälkeen (EUR)"), fi_number(statement.period_payable)],
    ]
    for line in statement.lines.filter(kind=LineKind.ADJUSTMENT).order_by("description"):
        rows.append([_("Oikaisu aiempaan kauteen"), line.description, fi_number(line.amount)])
    rows += [
        [_("Laskenta"), _("Kauden katto rajasi"), _("kyllä") if statement.period_cap_applied else _("ei")],
        [_("Laskenta"), _("Kokonaiskatto rajasi"), _("kyllä") if statement.total_cap_applied else _("ei")],
        [_("Laskenta"), _("Rahaston palautettavaksi (EUR)"), fi_number(statement.refund_due)],
        [_("Laskenta"), _("Maksettava rahastolle (EUR)"), fi_number(statement.payable)],
    ]
    sample = getattr(statement, "sample", None)
    if sample is not None:
        result = sample_result(sample=sample)
        rows += [
            [_("Otantatarkastus"), _("Havaintoja / otos"), f"{sample.population} / {sample.size}"],
            [
                _("Otantatarkastus"),
                _("Luottamustaso / virhemarginaali"),
                f"{fi_number(sample.confidence, 3)} / {fi_number(sample.margin, 3)}",
            ],
            [_("Otantatarkastus"), _("Vahvistettu / kiistetty"), f"{result['confirmed']} / {result['disputed']}"],
            [
                _("Otantatarkastus"),
                _("Virheosuus"),
                fi_number(result["error_rate"], 4) if result["error_rate"] is not None else "",
            ],
            [_("Otantatarkastus"), _("Siemenluku"), str(sample.seed)],
        ]
    rows += [
        [_("Hyväksyntä"), _("Tarkastanut"), f"{_person(statement.validated_by)} {_when(statement.validated_at)}"],
        [_("Hyväksyntä"), _("Hyväksynyt"), f"{_person(statement.approved_by)} {_when(statement.approved_at)}"],
    ]
    if statement.co_approved_by_id:
        rows.append(
            [
                _("Hyväksyntä"),
                _("Toinen hyväksyjä"),
                f"{_person(statement.co_approved_by)} {_when(statement.co_approved_at)}",
            ]
        )
    if statement.paid_on:
        rows.append(
            [
                _("Maksu"),
                _("Maksettu"),
                f"{statement.paid_on:%d.%m.%Y} {statement.payment_reference} ({_person(statement.paid_recorded_by)})",
            ]
        )
    rows.append([_("Jäädytys"), _("Lähtötietojen tiiviste (SHA-256)"), statement.frozen_hash])
    return rows


def _dec(value) -> Decimal | None:
    return Decimal(value) if value is not None else None


def statement_csv(statement: PaymentStatement) -> bytes:
    table = exports.Table(
        title=_("Tulospalkkiolaskelma"),
        columns=[exports.Column(_("Osa")), exports.Column(_("Kohta")), exports.Column(_("Arvo"))],
        rows=statement_document_rows(statement),
    )
    return exports.csv_bytes(table)


def statement_pdf(statement: PaymentStatement) -> bytes:
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=_("Tulospalkkiolaskelma"))
    cell = styles["BodyText"]
    table = Table(
        [[Paragraph(escape(part), cell) for part in row] for row in statement_document_rows(statement)],
        colWidths=[110, 250, 140],
        repeatRows=0,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
            ]
        )
    )
    title = escape(f"{_('Tulospalkkiolaskelma')}: {statement.programme}")
    doc.build([Paragraph(title, styles["Title"]), Spacer(1, 8), table])
    return buffer.getvalue()
