"""Payment pages: statements laid out line by line, their workflow, and calculation runs."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sibcase.audit import access_log_record_many
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error
from sibcase.models import AccessAction
from sibcase.permissions import (
    COMPARISON_COST_EDITORS,
    PAYMENT_CHILD_DETAIL_READERS,
    PAYMENT_WORKERS,
    has_role,
    require_role,
)

from .forms import ComparisonCostForm, PaidForm, RunRequestForm
from .models import LineKind, StatementStatus
from .selectors import (
    comparison_costs_for_user,
    payment_programmes_for_user,
    run_get_for_user,
    runs_for_user,
    statement_child_cohort,
    statement_child_rows,
    statement_get_for_user,
    statements_for_user,
)
from .services.comparison import comparison_cost_record
from .services.runs import run_request
from .services.statements import statement_transition, statement_transitions_for

STATEMENTS_PER_PAGE = 25
RECENT_RUNS = 15
CHILDREN_PER_PAGE = 50


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    return _list_page(request)


def _list_page(request, *, run_form=None, comparison_form=None, status=200):
    """The statements page; a form that was sent and refused is shown again in place of the blank one."""
    programmes = payment_programmes_for_user(user=request.user)
    may_record = has_role(request.user, COMPARISON_COST_EDITORS)
    page = Paginator(statements_for_user(user=request.user), STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/statement_list.html",
        {
            "page": page,
            "form": run_form or RunRequestForm(programmes=programmes),
            "runs": runs_for_user(user=request.user)[:RECENT_RUNS],
            "comparison_form": (comparison_form or ComparisonCostForm(programmes=programmes, prefix="cmp"))
            if may_record
            else None,
            "comparison_costs": comparison_costs_for_user(user=request.user)[:RECENT_RUNS] if may_record else [],
        },
        status=status,
    )


@login_required
@require_POST
def comparison_cost_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, COMPARISON_COST_EDITORS)
    programmes = payment_programmes_for_user(user=request.user)
    form = ComparisonCostForm(request.POST, programmes=programmes, prefix="cmp")
    if form.is_valid():
        data = form.cleaned_data
        try:
            comparison_cost_record(
                actor=request.user,
                programme=data["programme"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                cost_per_child_year=data["cost_per_child_year"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Vertailuryhmän kustannus kirjattiin."))
            return redirect("payments:statement_list")
    return _list_page(request, comparison_form=form, status=400)


@login_required
@require_POST
def run_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    form = RunRequestForm(request.POST, programmes=payment_programmes_for_user(user=request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = run_request(
                actor=request.user,
                programme=data["programme"],
                kind=data["kind"],
                period_start=data["period_start"],
                period_end=data["period_end"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Laskenta pyydettiin. Tila päivittyy tälle sivulle."))
            return redirect("payments:run_detail", pk=run.pk)
    return _list_page(request, run_form=form, status=400)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    return render(request, "payments/run_detail.html", {"run": run_get_for_user(user=request.user, pk=pk)})


@login_required
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    return _detail_page(request, statement=statement, paid_form=PaidForm())


def _detail_page(request, *, statement, paid_form, status=200):
    lines = list(statement.lines.select_related("metric", "adjusts"))
    allowed = statement_transitions_for(actor=request.user, statement=statement)
    return render(
        request,
        "payments/statement_detail.html",
        {
            "statement": statement,
            "metric_lines": [line for line in lines if line.kind == LineKind.METRIC],
            "adjustment_lines": [line for line in lines if line.kind == LineKind.ADJUSTMENT],
            "inputs": statement.inputs,
            "snapshot": _terms_snapshot(statement.inputs),
            "can_validate": StatementStatus.VALIDATED in allowed,
            "can_return": StatementStatus.DRAFT in allowed,
            "can_approve": StatementStatus.APPROVED in allowed,
            "can_mark_paid": StatementStatus.PAID in allowed,
            "can_recalculate": statement.status == StatementStatus.DRAFT,
            "can_see_children": has_role(request.user, PAYMENT_CHILD_DETAIL_READERS),
            "paid_form": paid_form,
            "runs": statement.runs.select_related("requested_by")[:5],
        },
        status=status,
    )


def _terms_snapshot(inputs: dict) -> dict:
    """The terms as stored with the statement, money back as Decimal for display."""
    terms = inputs.get("terms", {})
    money = ("baseline_cost_per_child_year", "period_cap", "total_cap")
    snapshot = {key: Decimal(terms[key]) if terms.get(key) is not None else None for key in money}
    snapshot["paid_before"] = Decimal(inputs.get("paid_before", "0"))
    return snapshot


@login_required
@require_POST
def statement_transition_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    to_status = request.POST.get("to_status", "")
    paid_form = PaidForm(request.POST if to_status == StatementStatus.PAID else None)
    if to_status not in StatementStatus.values:
        messages.error(request, _("Tuntematon tila."))
        return redirect("payments:statement_detail", pk=statement.pk)
    if to_status == StatementStatus.PAID and not paid_form.is_valid():
        return _detail_page(request, statement=statement, paid_form=paid_form, status=400)
    try:
        statement_transition(
            actor=request.user,
            statement=statement,
            to_status=to_status,
            paid_on=paid_form.cleaned_data["paid_on"] if to_status == StatementStatus.PAID else None,
            payment_reference=paid_form.cleaned_data["payment_reference"] if to_status == StatementStatus.PAID else "",
        )
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Laskelman tila päivitettiin."))
    return redirect("payments:statement_detail", pk=statement.pk)


@login_required
@require_POST
def statement_recalculate(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    try:
        run = run_request(
            actor=request.user,
            programme=statement.programme,
            kind=statement.kind,
            period_start=statement.period_start,
            period_end=statement.period_end,
        )
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("payments:statement_detail", pk=statement.pk)
    messages.success(request, _("Laskenta pyydettiin. Tila päivittyy tälle sivulle."))
    return redirect("payments:run_detail", pk=run.pk)


@login_required
def statement_children(request: HttpRequest, pk: int) -> HttpResponse:
    """Per-child detail under pseudonyms: evaluators and admins only."""
    require_role(request.user, PAYMENT_CHILD_DETAIL_READERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    page = Paginator(statement_child_cohort(statement=statement), CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    cohort_rows = list(page.object_list)
    rows = statement_child_rows(statement=statement, cohort_rows=cohort_rows)
    access_log_record_many(
        user=request.user,
        action=AccessAction.LIST,
        basis="tulosperusteisen maksun arviointi: laskelman lapsikohtainen erittely (pseudonyymi)",
        family_ids=[row["child__family_id"] for row in cohort_rows],
        path=request.get_full_path(),
    )
    return render(request, "payments/statement_children.html", {"statement": statement, "page": page, "rows": rows})
