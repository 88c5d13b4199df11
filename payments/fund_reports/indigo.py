"""The fund as one INDIGO project (Government Outcomes Lab's data standard, release 4.1.0).

Lapset SIB is one INDIGO project with the municipal programmes as its parts. Aggregates only: every count goes
through the same disclosure control as the fund pages (rounded to base 5, "<5" for 1-4, audited against the
totals it is published with), statements of a period whose cohort was under five are left out, and no person,
family or their identifier is read. Every export is validated against the pinned compiled schema before it leaves.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from jsonschema import Draft7Validator

from families.models import Enrollment
from outcomes.models import MetricUnitCost, OutcomeMetric
from programs.models import Fund, Investor, InvestorFlow, InvestorFlowKind, Programme, Service

from ..models import PaymentStatement, PaymentTerms, StatementKind, StatementStatus
from .selectors import hidden_statement_ids, published_children
from .suppression import HIDDEN, SUPPRESSED, pinned_cells, publish_count

SCHEMA_PATH = Path(__file__).resolve().parent / "standards" / "indigo" / "project.compiled.json"
STANDARD_VERSION = "4.1.0"
SOURCE_ID = "sibcase"
CURRENCY = "EUR"
PUBLIC_SECTOR = "Government/Public Sector/Public Bank"


@cache
def indigo_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def indigo_errors(data: dict) -> list[str]:
    """Every schema violation of an export, as "path: message" lines (empty when it validates)."""
    validator = Draft7Validator(indigo_schema())
    return [
        f"/{'/'.join(str(part) for part in error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda error: list(map(str, error.absolute_path)))
    ]


def _v(value, **extra) -> dict:
    return {"value": value, **extra}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _money(value: Decimal) -> float:
    return float(value)  # JSON numbers; the values are already rounded to cents


def _municipality_org(programme: Programme) -> str:
    return f"FI-MUNICIPALITY-{programme.municipality.code}"


def _provider_org(provider) -> str:
    # Finnish business ids as org-id.guide's FI-PRO list; a provider without one keeps sibcase's own code.
    return f"FI-PRO-{provider.business_id}" if provider.business_id else f"sibcase-provider-{provider.code}"


def _fund_org(fund: Fund) -> str:
    return f"sibcase-fund-{fund.pk}"


def indigo_fund(*, fund_id: int | None = None) -> Fund:
    """The fund to export: the one asked for, or the only fund there is (raises Fund.DoesNotExist otherwise)."""
    if fund_id is not None:
        return Fund.objects.get(pk=fund_id)
    funds = list(Fund.objects.order_by("pk")[:2])
    if len(funds) != 1:
        raise Fund.DoesNotExist
    return funds[0]


def indigo_project(*, fund: Fund) -> dict:
    """The fund's programmes as one INDIGO project document (in English, INDIGO's working language)."""
    with translation.override("en"):
        return _project(fund)


def _project(fund: Fund) -> dict:
    programmes = list(
        Programme.objects.filter(fund=fund)
        .select_related("municipality")
        .prefetch_related("target_areas__postal_codes")
        .order_by("municipality__name_fi", "code")
    )
    today = timezone.localdate()
    source = {"source_ids": SOURCE_ID}
    project: dict = {
        "name": _v(fund.name),
        "jurisdiction": {"jurisdiction": _v("FI", status="PUBLIC"), **source},
        "stage_development": {"value": _stage(programmes, today), **source},
        "purpose_and_classifications": {
            "policy_sector": _v("Child and family welfare"),
            "social_challenge": _v(
                "Preventing the need for heavier child welfare services (out-of-home care, child welfare "
                "open care) by early, long-term support for families with children."
            ),
            **source,
        },
        "notes": _v(
            f"Exported by sibcase on {today.isoformat()} (INDIGO {STANDARD_VERSION}). Parts of the project: "
            + "; ".join(f"{p.name} ({p.municipality.name_fi})" for p in programmes)
            + ". Counts are rounded to base 5; counts of 1-4 are not given; periods whose cohort had fewer than "
            "five children are left out."
        ),
    }
    if programmes:
        project["dates"] = _dates(programmes)
    project["delivery_locations"] = _locations(programmes)
    project["service_and_beneficiaries"] = _beneficiaries(programmes)
    project["service_provisions"] = _service_provisions(programmes)
    metrics = list(OutcomeMetric.objects.filter(programme__in=programmes).select_related("programme").order_by("pk"))
    project["outcome_metrics"] = [_metric(metric) for metric in metrics]
    project["outcome_pricings"] = _pricings(metrics)
    project["outcome_payment_plans"] = _payment_plans(programmes)
    project["outcome_payments"] = _payments(programmes)
    project["results"] = _results(programmes, today)
    investments = _investments(fund, source)
    if investments:
        project["investments"] = investments
    project["sources"] = [
        {
            "id": SOURCE_ID,
            "name": _v("sibcase: Lapset SIB case management and outcome payment statements"),
            "type": _v("Report"),
            "publication_date": _v(today.isoformat()),
            "accessed_date": _v(today.isoformat()),
            "notes": "Outcome payments from the approved and paid annual payment statements; aggregates only.",
        }
    ]
    return project


def _investor_org(investor: Investor) -> str:
    return f"FI-PRO-{investor.business_id}" if investor.business_id else f"sibcase-investor-{investor.pk}"


def _repayment(drawn: Decimal, distributed: Decimal) -> str:
    if not distributed:
        return "No repayment (no principle or return)"  # sic: INDIGO's code list spells it so
    if distributed < drawn:
        return "Some repayment (but below value of principle)"
    if distributed == drawn:
        return "Principal repaid (but no net return)"
    return "Principal + positive financial returns"


def _investments(fund: Fund, source: dict) -> list[dict]:
    """One investment per investor with a commitment to the fund (investors are organisations: INDIGO shares
    these per investor); without recorded commitments, the fund's committed capital as one investment."""
    rows = (
        InvestorFlow.objects.filter(fund=fund)
        .values("investor")
        .annotate(
            committed=Sum("amount", filter=Q(kind=InvestorFlowKind.COMMITMENT)),
            drawn=Sum("amount", filter=Q(kind=InvestorFlowKind.DRAWDOWN), default=Decimal("0")),
            distributed=Sum("amount", filter=Q(kind=InvestorFlowKind.DISTRIBUTION), default=Decimal("0")),
        )
        .filter(committed__gt=0)
        .order_by("investor")
    )
    investors = Investor.objects.in_bulk([row["investor"] for row in rows])
    investments = []
    for number, row in enumerate(rows, start=1):
        investor = investors[row["investor"]]
        investments.append(
            {
                "id": f"investment-{number}",
                "organisation_id": _v(_investor_org(investor)),
                "organisation_role_category": _v(investor.category),
                "investment_commitment": {
                    "amount": {"exact": _v(_money(row["committed"]))},
                    "currency": _v(CURRENCY),
                },
                "investor_repayment": _v(_repayment(row["drawn"], row["distributed"])),
                "notes": f"{investor.name}: commitment to {fund.name}, managed by {fund.manager}.",
                **source,
            }
        )
    if not investments and fund.committed_capital is not None:
        investments.append(
            {
                "id": "investment-1",
                "organisation_id": _v(_fund_org(fund)),
                "organisation_role_category": _v("Investment Fund"),
                "investment_commitment": {
                    "amount": {"exact": _v(_money(fund.committed_capital))},
                    "currency": _v(CURRENCY),
                },
                "notes": f"Capital committed to {fund.name}, managed by {fund.manager}.",
                **source,
            }
        )
    return investments


def _stage(programmes: list[Programme], today: date) -> str:
    if not programmes or min(p.start_date for p in programmes) > today:
        return "Contracted"
    if max(p.follow_up_end for p in programmes) < today:
        return "Service delivery complete"
    return "Implementation"


def _dates(programmes: list[Programme]) -> dict:
    cutoffs = [p.enrollment_cutoff for p in programmes if p.enrollment_cutoff]
    dates = {
        "start_date_of_service_provision": _v(_day(min(p.start_date for p in programmes))),
        "anticipated_completion_date": _v(_day(max(p.follow_up_end for p in programmes))),
        "anticipated_end_date_of_service_provision": _v(_day(max(p.follow_up_end for p in programmes))),
        "notes": "Service provision runs to the end of the follow-up; enrollment closes earlier"
        + (f" (last enrollment cut-off {max(cutoffs).isoformat()})." if cutoffs else "."),
        "source_ids": SOURCE_ID,
    }
    return dates


def _locations(programmes: list[Programme]) -> list[dict]:
    locations = []
    for programme in programmes:
        municipality = programme.municipality
        base = {
            "location_country": _v("FI"),
            "adminstrative_geography_code": _v(municipality.code),  # sic: the standard's spelling
            "adminstrative_geography_code_type": _v("Statistics Finland municipality code (kuntanumero)"),
            "adminstrative_geography_name": _v(municipality.name_fi),
            "source_ids": SOURCE_ID,
        }
        locations.append({**base, "location_name": _v(municipality.name_fi), "notes": f"Programme: {programme}"})
        for area in programme.target_areas.all():
            codes = ", ".join(sorted(code.postal_code for code in area.postal_codes.all()))
            locations.append(
                {
                    **base,
                    "location_name": _v(f"{area.name}, {municipality.name_fi}"),
                    "notes": f"Target area of {programme}" + (f"; postal codes {codes}" if codes else ""),
                }
            )
    return locations


def _published_children(programmes: list[Programme]) -> tuple[dict[int, object], object]:
    """Children per programme as on the fund pages (one audited group over all programmes); the project's total
    is that group's total when the fund holds every programme, else the sum of its programmes rounded."""
    cells, total = published_children()
    if Programme.objects.exclude(fund__in={p.fund_id for p in programmes}).exists():
        counts = Enrollment.objects.ever_active().filter(programme__in=programmes)
        total = publish_count(counts.aggregate(n=Count("children", distinct=True))["n"] or 0)
    shown = {p.pk: cells.get(p.pk, 0) for p in programmes}
    if pinned_cells(shown, total):  # the fund's own total would give a small programme away: not published
        total = HIDDEN
    return shown, total


def _beneficiaries(programmes: list[Programme]) -> dict:
    _, total = _published_children(programmes)
    capacities = [p.capacity for p in programmes if p.capacity]
    section = {
        "target_population": _v(" / ".join(dict.fromkeys(p.target_group for p in programmes)) or "Families"),
        "unit_type_targeted_service_users_or_beneficiaries": _v("Individual"),
        "unit_description_of_service_user_or_beneficiaries": _v("Children (with their families)"),
        "unit_type_actual_service_users_or_beneficiaries": _v("Individual"),
        "unit_description_of_actual_service_user_or_beneficiaries": _v("Children enrolled so far"),
        "notes": "Counts rounded to base 5.",
        "source_ids": SOURCE_ID,
    }
    if capacities and len(capacities) == len(programmes):
        section["targeted_number_service_users_or_beneficiaries_total"] = _v(sum(capacities))
    if isinstance(total, int):
        section["actual_number_service_users_or_beneficiaries_total"] = _v(total)
    return section


def _service_provisions(programmes: list[Programme]) -> list[dict]:
    provisions = []
    through = list(
        Programme.services.through.objects.filter(programme__in=programmes).values_list("programme_id", "service_id")
    )
    service_by_pk = {
        service.pk: service
        for service in Service.objects.filter(pk__in={pk for _, pk in through}).select_related("provider")
    }
    programme_by_pk = {p.pk: p for p in programmes}
    for index, (programme_id, service_id) in enumerate(sorted(through), start=1):
        service, programme = service_by_pk[service_id], programme_by_pk[programme_id]
        if service.provider is not None:
            organisation, category = _provider_org(service.provider), "Nonprofit/NGO"
            provider_name = service.provider.name
        else:
            organisation, category = _municipality_org(programme), PUBLIC_SECTOR
            provider_name = programme.municipality.name_fi
        provisions.append(
            {
                "id": f"serviceprovision{index}",
                "organisation_id": _v(organisation),
                "organisation_role_category": _v(category),
                "intervention": _v(f"{service.name_en} ({service.get_kind_display()})"),
                "planned_service": {
                    "start_date": _v(_day(programme.start_date)),
                    "end_date": _v(_day(programme.follow_up_end)),
                },
                "notes": f"{provider_name} in {programme}",
                "source_ids": SOURCE_ID,
            }
        )
    return provisions


def _metric_id(metric: OutcomeMetric) -> str:
    return f"{metric.programme.code}-{metric.code}"


def _metric(metric: OutcomeMetric) -> dict:
    return {
        "id": _metric_id(metric),
        "definition": _v(metric.name_en or metric.name_fi),
        "policy_sector": _v("Child and family welfare"),
        "target_population": _v(metric.programme.target_group),
        "unit_type_of_targeted_service_users_or_beneficiaries": _v("Individual"),
        "outcome_validation_method": _v(
            "Counterfactual cost comparison: the programme cohort's actual cost of corrective services against "
            "the counterfactual cost per child-year, in annual payment statements validated by the evaluator."
        ),
        "data_source_for_outcome_validation": _v("Municipal child welfare administrative records"),
        "notes": f"Part of {metric.programme}; unit: {metric.get_unit_display()}; {metric.get_direction_display()}.",
        "source_ids": SOURCE_ID,
    }


def _pricings(metrics: list[OutcomeMetric]) -> list[dict]:
    costs = MetricUnitCost.objects.filter(metric__in=metrics).select_related("metric__programme")
    return [
        {
            "outcome_metric_id": _v(_metric_id(cost.metric)),
            "price_per_unit": {"amount": _v(_money(cost.unit_cost))},
            "currency": _v(CURRENCY),
            "price_description": _v(
                f"Unit cost of one {cost.metric.get_unit_display()} of the corrective service, valid from "
                f"{cost.valid_from.isoformat()}: prices the cohort's actual cost against the counterfactual cost; "
                "the fund is paid the terms' share of the savings"
            ),
            "notes": cost.source or "",
            "source_ids": SOURCE_ID,
        }
        for cost in costs.order_by("metric_id", "valid_from")
    ]


def _plan_id(programme: Programme) -> str:
    return f"plan-{programme.code}"


def _payment_plans(programmes: list[Programme]) -> list[dict]:
    terms = {
        t.programme_id: t for t in PaymentTerms.objects.filter(programme__in=programmes).order_by("effective_from")
    }
    plans = []
    for programme in programmes:
        current = terms.get(programme.pk)
        notes = f"Outcome payments of {programme} to the fund"
        if current is not None:
            notes += (
                f": {current.savings_share * 100:.2f} % of the savings; period cap "
                f"{current.period_cap if current.period_cap is not None else '-'} EUR, total cap "
                f"{current.total_cap if current.total_cap is not None else '-'} EUR."
            )
        plans.append(
            {
                "id": _v(_plan_id(programme)),
                "period": {
                    "start_date": _v(_day(programme.start_date)),
                    "end_date": _v(_day(programme.follow_up_end)),
                },
                "notes": notes,
                "source_ids": SOURCE_ID,
            }
        )
    return plans


def _payments(programmes: list[Programme]) -> list[dict]:
    """Approved (planned) and paid (actual) annual statements, except those whose period's cohort was under five."""
    hidden = hidden_statement_ids()
    statements = (
        PaymentStatement.objects.filter(
            programme__in=programmes,
            kind=StatementKind.ANNUAL,
            status__in=[StatementStatus.APPROVED, StatementStatus.PAID],
        )
        .exclude(pk__in=hidden)
        .select_related("programme__municipality")
        .order_by("programme__code", "period_start")
    )
    return [
        {
            "outcome_payment_plan_id": _v(_plan_id(s.programme)),
            "payer_organisation_id": _v(_municipality_org(s.programme)),
            "type": _v("Actual" if s.status == StatementStatus.PAID else "Planned"),
            "period": {"start_date": _v(_day(s.period_start)), "end_date": _v(_day(s.period_end))},
            "money": {"amount": _v(_money(s.payable)), "currency": _v(CURRENCY)},
            "notes": f"{s.programme}: {s.get_status_display()} payment statement"
            + (f", paid {s.paid_on.isoformat()}" if s.paid_on else ""),
            "source_ids": SOURCE_ID,
        }
        for s in statements
    ]


def _results(programmes: list[Programme], today: date) -> list[dict]:
    """Children engaged per programme and in total (one audited group), and per approved or paid period."""
    cells, total = _published_children(programmes)
    results = []

    def engaged(result: dict, shown) -> dict:
        if isinstance(shown, int):
            result["number_engaged_in_impact_bond"] = _v(shown)
        else:
            described = "fewer than 5" if shown == SUPPRESSED else "not shown (disclosure control)"
            result["other_description_of_result"] = _v(f"Children engaged: {described}")
        return result

    for programme in programmes:
        results.append(
            engaged(
                {
                    "result_level": _v("Project level"),
                    "result_type": _v("Interim"),
                    "period": {"start_date": _v(_day(programme.start_date)), "end_date": _v(_day(today))},
                    "notes": f"Children enrolled in {programme} so far (rounded to base 5).",
                    "source_ids": SOURCE_ID,
                },
                cells[programme.pk],
            )
        )
    if programmes:
        results.append(
            engaged(
                {
                    "result_level": _v("Project level"),
                    "result_type": _v("Interim"),
                    "period": {
                        "start_date": _v(_day(min(p.start_date for p in programmes))),
                        "end_date": _v(_day(today)),
                    },
                    "notes": "Children enrolled in the project so far (rounded to base 5).",
                    "source_ids": SOURCE_ID,
                },
                total,
            )
        )
    hidden = hidden_statement_ids()
    for s in (
        PaymentStatement.objects.filter(
            programme__in=programmes,
            kind=StatementKind.ANNUAL,
            status__in=[StatementStatus.APPROVED, StatementStatus.PAID],
        )
        .exclude(pk__in=hidden)
        .select_related("programme")
        .order_by("programme__code", "period_start")
    ):
        results.append(
            engaged(
                {
                    "result_level": _v("Project level"),
                    "result_type": _v("Interim"),
                    "period": {"start_date": _v(_day(s.period_start)), "end_date": _v(_day(s.period_end))},
                    "outcomes_achieved": _v(
                        f"Savings {s.savings} EUR against the counterfactual cost {s.counterfactual_cost} EUR "
                        f"over {s.child_years:.1f} child-years"
                    ),
                    "notes": f"{s.programme}: cohort of the {s.get_status_display().lower()} statement "
                    "(rounded to base 5).",
                    "source_ids": SOURCE_ID,
                },
                publish_count(s.child_count),
            )
        )
    return results
