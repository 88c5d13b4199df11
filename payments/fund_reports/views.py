"""Fund managers' reports: aggregates only, every count suppressed below five, exports as CSV and PDF."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from programs import services as programme_services
from programs.models import Fund, Programme
from sibcase.charts import ACTUAL, FORECAST, bar_chart, meter_svg
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error, form_status
from sibcase.models import Role
from sibcase.permissions import FUND_REPORT_READERS, require_role

from .charts import programme_charts
from .exports import (
    csv_bytes,
    lines_table,
    overview_table,
    report_pdf,
    report_tables,
    xlsx_bytes,
    years_table,
)
from .forms import InvestorFlowForm, InvestorForm
from .indigo import indigo_errors, indigo_fund, indigo_project
from .investors import investor_report
from .selectors import fund_dashboard, fund_overview, fund_overview_totals, programme_report

CSV = "text/csv; charset=utf-8"
# Who records the investors' side: the fund's manager and the administrators (everyone who reads reports sees it).
INVESTOR_RECORDERS = {Role.FUND_MANAGER, Role.ADMIN}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    chart = bar_chart(
        title=_("Hyväksytyt ja maksetut tulospalkkiot ohjelmittain (EUR)"),
        description=_("Pylväs ohjelmaa kohden; piilotetut luvut merkitty katkoviivalla. Samat luvut ovat taulukossa."),
        data=[(r.programme.municipality.name, r.committed) for r in rows],
    )
    return render(request, "fund/overview.html", {"rows": rows, "chart": chart, "totals": fund_overview_totals(rows)})


@login_required
def overview_csv(request: HttpRequest) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    return _download(csv_bytes(overview_table(fund_overview())), "sibcase-fund-overview.csv", CSV)


@login_required
def overview_xlsx(request: HttpRequest) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    return _download(xlsx_bytes([overview_table(fund_overview())]), "sibcase-fund-overview.xlsx", XLSX)


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    charts = programme_charts(report)
    return render(request, "fund/programme_detail.html", {"report": report, "charts": charts})


@login_required
def programme_years_csv(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk))
    if report.suppressed:
        raise Http404
    return _download(csv_bytes(years_table(report)), f"sibcase-{report.programme.code}-years.csv", CSV)


@login_required
def programme_statement_csv(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    if report.statement is None or report.suppressed:
        raise Http404
    name = f"sibcase-{report.programme.code}-{report.statement.period_start.year}-statement.csv"
    return _download(csv_bytes(lines_table(report)), name, CSV)


@login_required
def programme_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    if report.suppressed:
        raise Http404
    year = report.statement.period_start.year if report.statement else "all"
    return _download(xlsx_bytes(report_tables(report)), f"sibcase-{report.programme.code}-{year}.xlsx", XLSX)


@login_required
def programme_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, FUND_REPORT_READERS)
    report = programme_report(programme=_programme(pk), year=_year(request))
    year = report.statement.period_start.year if report.statement else "all"
    return _download(report_pdf(report), f"sibcase-{report.programme.code}-{year}.pdf", "application/pdf")


@login_required
def indigo_export(request: HttpRequest) -> HttpResponse:
    """The fund as one INDIGO project JSON file; refused (500 in the logs) rather than sent when it does not validate."""
    require_role(request.user, FUND_REPORT_READERS)
    try:
        fund = indigo_fund(fund_id=int(request.GET["fund"]) if request.GET.get("fund", "").isdigit() else None)
    except Fund.DoesNotExist:
        raise Http404 from None
    data = indigo_project(fund=fund)
    errors = indigo_errors(data)
    if errors:
        raise ValueError("INDIGO export does not validate: " + "; ".join(errors[:5]))
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    return _download(content, "sibcase-indigo-project.json", "application/json")


def fund_manager_home_context() -> dict:
    """The fund manager's home page figures and their chart (rendered by sibcase.views.home)."""
    dashboard = fund_dashboard()
    chart = None
    if dashboard.projection:
        chart = bar_chart(
            title=_("Tulospalkkiot vuosittain: toteutunut ja ennuste (EUR)"),
            description=_(
                "Laskelmien maksut (yhtenäinen pylväs) ja ennuste (viivoitettu pylväs) kaikista näytetyistä ohjelmista."
            ),
            data=[(str(r.year), r.payable, FORECAST if r.projected else ACTUAL) for r in dashboard.projection],
            height=200,
        )
    meters = {
        "payments": meter_svg(
            title=_("Maksetut, hyväksytyt ja käsittelyssä olevat tulospalkkiot suhteessa kokonaiskattoihin"),
            parts=[
                (_("Maksettu"), dashboard.paid),
                (_("Hyväksytty"), dashboard.approved),
                (_("Käsittelyssä"), dashboard.pending),
            ],
            total=dashboard.total_caps,
            total_label=_("Kokonaiskatto"),
        ),
        "children": meter_svg(
            title=_("Lapsia mukana suhteessa tavoitteeseen"),
            parts=[(_("Lapsia"), dashboard.children)],
            total=dashboard.children_target,
            total_label=_("Tavoite"),
        ),
    }
    return {"fund_dashboard": dashboard, "fund_chart": chart, "fund_meters": meters}


@login_required
def investors(request: HttpRequest) -> HttpResponse:
    """The investors' side in aggregates: commitments, draw-downs, outcome payments, distributions, returns."""
    require_role(request.user, FUND_REPORT_READERS)
    report = investor_report()
    chart = bar_chart(
        title=_("Pääomakutsut, tulospalkkiot ja tuotonjako vuosittain (EUR)"),
        description=_("Kolme pylvästä vuotta kohden; samat luvut ovat taulukossa."),
        data=[
            (f"{row.year} {label}", value)
            for row in report.years
            for label, value in (
                (_("nostot"), row.drawn),
                (_("tulospalkkiot"), row.received),
                (_("tuotonjako"), row.distributed),
            )
        ],
    )
    return render(
        request,
        "fund/investors.html",
        {
            "report": report,
            "chart": chart,
            "may_record": request.user.is_superuser or request.user.role in INVESTOR_RECORDERS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def investor_record(request: HttpRequest) -> HttpResponse:
    """Record an investor, or a commitment, draw-down or distribution (fund manager, admin)."""
    require_role(request.user, INVESTOR_RECORDERS)
    investor_form = InvestorForm(request.POST if "add_investor" in request.POST else None, prefix="investor")
    flow_form = InvestorFlowForm(request.POST if "add_flow" in request.POST else None, prefix="flow")
    if investor_form.is_bound and investor_form.is_valid():
        try:
            programme_services.investor_create(actor=request.user, **investor_form.cleaned_data)
        except DomainError as exc:
            add_domain_error(investor_form, exc)
        except ValidationError as exc:
            investor_form.add_error(None, exc)
        else:
            messages.success(request, _("Sijoittaja lisättiin."))
            return redirect("fund:investor_record")
    if flow_form.is_bound and flow_form.is_valid():
        try:
            programme_services.investor_flow_record(actor=request.user, **flow_form.cleaned_data)
        except DomainError as exc:
            add_domain_error(flow_form, exc)
        else:
            messages.success(request, _("Tapahtuma kirjattiin."))
            return redirect("fund:investors")
    return render(
        request,
        "fund/investor_form.html",
        {"investor_form": investor_form, "flow_form": flow_form},
        status=form_status(investor_form, flow_form),
    )
