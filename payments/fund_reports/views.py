"""Fund managers' reports: aggregates only, every count suppressed below five, exports as CSV and PDF."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from programs.models import Programme
from sibcase.charts import bar_chart_svg
from sibcase.permissions import FUND_REPORT_READERS, require_role

from .exports import csv_bytes, report_pdf
from .selectors import fund_overview, fund_overview_totals, programme_report


def _programme(pk: int) -> Programme:
    try:
        return Programme.objects.select_related("municipality").get(pk=pk)
    except Programme.DoesNotExist:
        raise Http404 from None


def _year(request: HttpRequest) -> int | None:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    rows = fund_overview()
    chart_data = [(r.programme.municipality.name, r.committed) for r in rows]
    chart = bar_chart_svg(
        title=_("Hyväksytyt ja maksetut tulospalkkiot ohjelmittain (EUR)"),
        description=_("Pylväs ohjelmaa kohden; samat luvut ovat taulukossa."),
        data=chart_data,
    )
    return render(request, "fund/overview.html", {"rows": rows, "chart": chart, "totals": fund_overview_totals(rows)})


OVERVIEW_HEADER = [
    "programme",
    "municipality",
    "families",
    "children",
    "child_years",
    "counterfactual_eur",
    "actual_eur",
    "savings_eur",
    "paid_eur",
    "approved_eur",
    "pending_eur",
    "total_cap_eur",
    "episodes_by_provider",
    "outcome_events_by_metric",
]


@login_required
def overview_csv(request: HttpRequest) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    rows = [
        [
            r.programme.name_fi,
            r.programme.municipality.name_fi,
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
            "; ".join(f"{k}: {v}" for k, v in r.episodes_by_provider.items()),
            "; ".join(f"{k}: {v}" for k, v in r.events_by_metric.items()),
        ]
        for r in fund_overview()
    ]
    return _download(csv_bytes(OVERVIEW_HEADER, rows), "sibcase-fund-overview.csv", "text/csv; charset=utf-8")


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    actual = [(str(r.year), r.actual) for r in report.years if not r.projected]
    counterfactual = [(str(r.year), r.counterfactual) for r in report.years if not r.projected]
    peak = max([float(v) for _, v in actual + counterfactual if isinstance(v, Decimal)], default=0)
    charts = {
        "cumulative": bar_chart_svg(
            title=_("Kertyneet tulospalkkiot vuosittain (EUR)"),
            description=_("Hyväksytyt ja maksetut sekä ennustetut maksut kumulatiivisesti; kokonaiskatto: %(cap)s EUR.")
            % {"cap": report.total_cap if report.total_cap is not None else "–"},
            data=[(str(r.year), r.cumulative) for r in report.years],
            peak=float(report.total_cap) if report.total_cap else None,
        ),
        "counterfactual": bar_chart_svg(
            title=_("Vertailukustannus vuosittain (EUR)"),
            description=_("Odotettu kustannus ilman ohjelmaa; sama asteikko kuin toteutuneella."),
            data=counterfactual,
            peak=peak,
        ),
        "actual": bar_chart_svg(
            title=_("Toteutunut kustannus vuosittain (EUR)"),
            description=_("Korjaavien palvelujen toteutunut kustannus; sama asteikko kuin vertailukustannuksella."),
            data=actual,
            peak=peak,
        ),
        "enrollments": bar_chart_svg(
            title=_("Mukaan otetut perheet vuosittain"),
            description=_("Alle viiden lukumääriä ei piirretä."),
            data=[(str(y), n) for y, n in report.enrollments_by_year],
        ),
    }
    return render(request, "fund/programme_detail.html", {"report": report, "charts": charts})


@login_required
def programme_years_csv(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk))
    header = ["year", "kind", "status", "child_years", "counterfactual_eur", "actual_eur", "savings_eur"]
    header += ["payable_eur", "cumulative_eur", "pessimistic_eur", "optimistic_eur"]
    rows = [
        [
            r.year,
            "projection" if r.projected else "statement",
            r.status,
            r.child_years,
            r.counterfactual,
            r.actual,
            r.savings,
            r.payable,
            r.cumulative,
            r.low,
            r.high,
        ]
        for r in report.years
    ]
    return _download(csv_bytes(header, rows), f"sibcase-{report.programme.code}-years.csv", "text/csv; charset=utf-8")


@login_required
def programme_statement_csv(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    statement = report.statement
    if statement is None:
        raise Http404
    header = ["metric", "unit_cost_valid_from", "observations", "quantity", "unit_cost_eur", "amount_eur"]
    rows = [
        [
            line.metric.code if line.metric else line.description,
            line.unit_cost_valid_from,
            report.line_counts.get(line.pk, ""),
            line.quantity,
            line.unit_cost,
            line.amount,
        ]
        for line in statement.lines.select_related("metric")
    ]
    name = f"sibcase-{report.programme.code}-{statement.period_start.year}-statement.csv"
    return _download(csv_bytes(header, rows), name, "text/csv; charset=utf-8")


@login_required
def programme_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    year = report.statement.period_start.year if report.statement else "all"
    return _download(report_pdf(report), f"sibcase-{report.programme.code}-{year}.pdf", "application/pdf")
