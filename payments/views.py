"""Payment pages: statements laid out line by line, their workflow, and calculation runs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from sibcase.audit import access_log_record, access_log_record_many, logs_refusals
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error
from sibcase.models import AccessAction
from sibcase.permissions import (
    COMPARISON_COST_EDITORS,
    PAYMENT_CHILD_DETAIL_READERS,
    PAYMENT_TERMS_EDITORS,
    PAYMENT_WORKERS,
    has_role,
    require_role,
)

from .documents import statement_csv, statement_pdf
from .forms import ComparisonCostForm, PaidForm, RunRequestForm, SampleItemForm, TermsDraftForm
from .models import PAYABLE_KINDS, LineKind, StatementSample, StatementSampleItem, StatementStatus
from .selectors import (
    comparison_costs_for_user,
    payment_programmes_for_user,
    run_get_for_user,
    runs_for_user,
    sample_items_read,
    statement_child_cohort,
    statement_child_rows,
    statement_diff,
    statement_get_for_user,
    statement_sample_items,
    statements_for_user,
    terms_for_user,
)
from .services.comparison import comparison_cost_record
from .services.freeze import changed_after_validation
from .services.runs import run_request, run_retry
from .services.sampling import sample_draw, sample_item_check, sample_item_resolve, sample_problems, sample_result
from .services.statements import statement_transition, statement_transitions_for
from .services.terms import terms_draft_create, terms_put_in_force

STATEMENTS_PER_PAGE = 25
RECENT_RUNS = 15
CHILDREN_PER_PAGE = 50


@login_required
def statement_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    return _list_page(request)


def _list_page(request, *, run_form=None, comparison_form=None, status=200):
    """The statements page; a form that was sent and refused is shown again in place of the blank one."""
    # The user's programmes are read once: the forms' choices, and the filter of every list on the page by id.
    programmes = list(payment_programmes_for_user(user=request.user))
    may_record = has_role(request.user, COMPARISON_COST_EDITORS)
    statements = statements_for_user(user=request.user, programmes=programmes)
    page = Paginator(statements, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "payments/statement_list.html",
        {
            "page": page,
            "form": run_form or RunRequestForm(programmes=programmes),
            "runs": runs_for_user(user=request.user, programmes=programmes)[:RECENT_RUNS],
            "comparison_form": (comparison_form or ComparisonCostForm(programmes=programmes, prefix="cmp"))
            if may_record
            else None,
            "comparison_costs": comparison_costs_for_user(user=request.user, programmes=programmes)[:RECENT_RUNS]
            if may_record
            else [],
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
@require_POST
def run_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    run = run_get_for_user(user=request.user, pk=pk)
    try:
        fresh = run_retry(actor=request.user, run=run)
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("payments:run_detail", pk=run.pk)
    messages.success(request, _("Laskentaa yritetään uudelleen. Tila päivittyy tälle sivulle."))
    return redirect("payments:run_detail", pk=fresh.pk)


@login_required
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_WORKERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    return _detail_page(request, statement=statement, paid_form=PaidForm())


def _detail_page(request, *, statement, paid_form, status=200):
    lines = list(statement.lines.select_related("metric", "adjusts"))
    allowed = statement_transitions_for(actor=request.user, statement=statement)
    # The sample and its items are read once, for its result, its problems and the evaluator's table.
    sample = StatementSample.objects.filter(statement=statement).select_related("drawn_by").first()
    may_sample = has_role(request.user, PAYMENT_CHILD_DETAIL_READERS)
    items = sample_items_read(sample=sample, detail=may_sample) if sample else []
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
            "sample": sample,
            "sample_result": sample_result(sample=sample, items=items) if sample else None,
            "sample_items": statement_sample_items(sample=sample, items=items) if sample and may_sample else [],
            "can_draw_sample": may_sample
            and sample is None
            and statement.status == StatementStatus.DRAFT
            and statement.kind in PAYABLE_KINDS,
            "can_check_sample": may_sample and statement.status == StatementStatus.DRAFT,
            "validation_problems": sample_problems(statement=statement, sample=sample, items=items)
            if statement.status == StatementStatus.DRAFT and statement.kind in PAYABLE_KINDS
            else [],
            "changed_after_validation": changed_after_validation(statement=statement),
            "diff": statement_diff(statement=statement, lines=lines),
            "needs_second_approval": statement.status == StatementStatus.VALIDATED
            and statement.approved_by_id is not None,
            "can_download": statement.is_frozen,
        },
        status=status,
    )


def _terms_snapshot(inputs: dict) -> dict:
    """The terms as stored with the statement, money back as Decimal for display."""
    terms = inputs.get("terms", {})
    money = ("baseline_cost_per_child_year", "period_cap", "total_cap")
    snapshot = {key: Decimal(terms[key]) if terms.get(key) is not None else None for key in money}
    snapshot["paid_before"] = Decimal(inputs.get("approved_elsewhere", inputs.get("paid_before", "0")))
    return snapshot


def _back_to_statement(request, statement, exc: DomainError | None = None, success: str = ""):
    if exc is not None:
        for message in exc.messages:
            messages.error(request, message)
    elif success:
        messages.success(request, success)
    return redirect("payments:statement_detail", pk=statement.pk)


@login_required
@require_POST
def sample_draw_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_CHILD_DETAIL_READERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    try:
        sample_draw(actor=request.user, statement=statement)
    except DomainError as exc:
        return _back_to_statement(request, statement, exc)
    return _back_to_statement(request, statement, success=_("Otos poimittiin."))


@login_required
@require_POST
def sample_item_view(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_CHILD_DETAIL_READERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    item = get_object_or_404(StatementSampleItem, pk=item_pk, sample__statement=statement)
    form = SampleItemForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back_to_statement(request, statement)
    data = form.cleaned_data
    try:
        if data["action"] in ("exclude", "correct"):
            sample_item_resolve(
                actor=request.user, item=item, action=data["action"], reason=data["note"], value=data["value"]
            )
        else:
            sample_item_check(
                actor=request.user, item=item, outcome=data["action"], note=data["note"], evidence=data["evidence"]
            )
    except DomainError as exc:
        return _back_to_statement(request, statement, exc)
    return _back_to_statement(request, statement, success=_("Otoksen havainto kirjattiin."))


@login_required
@require_GET
@logs_refusals("payments.statementsampleitem", kwarg="item_pk")
def sample_evidence(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """The evidence attached to a sample check, for those who see the sample; each opening is in the access log
    (the file is a source record about a child)."""
    require_role(request.user, PAYMENT_CHILD_DETAIL_READERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    item = get_object_or_404(
        StatementSampleItem.objects.select_related("observation__child").exclude(evidence=""),
        pk=item_pk,
        sample__statement=statement,
    )
    access_log_record(
        user=request.user,
        action=AccessAction.VIEW,
        basis="tulosperusteisen maksun arviointi: otoksen tarkastuksen liitteen avaus",
        family_id=item.observation.child.family_id,
        path=request.path,
    )
    response = FileResponse(item.evidence.open("rb"), as_attachment=True, filename=Path(item.evidence.name).name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def statement_document(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The approved statement as a document for the finance office: CSV (Finnish Excel) or PDF."""
    require_role(request.user, PAYMENT_WORKERS)
    statement = statement_get_for_user(user=request.user, pk=pk)
    if not statement.is_frozen:
        raise Http404
    name = f"tulospalkkiolaskelma-{statement.programme.code}-{statement.period_start:%Y}-{statement.kind}"
    if fmt == "csv":
        response = HttpResponse(statement_csv(statement), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        response = HttpResponse(statement_pdf(statement), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


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


@login_required
def terms_list(request: HttpRequest, form: TermsDraftForm | None = None, status: int = 200) -> HttpResponse:
    require_role(request.user, PAYMENT_TERMS_EDITORS)
    programmes = payment_programmes_for_user(user=request.user)
    return render(
        request,
        "payments/terms_list.html",
        {"terms": terms_for_user(user=request.user), "form": form or TermsDraftForm(programmes=programmes)},
        status=status,
    )


@login_required
@require_POST
def terms_create(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PAYMENT_TERMS_EDITORS)
    form = TermsDraftForm(request.POST, programmes=payment_programmes_for_user(user=request.user))
    if form.is_valid():
        try:
            terms_draft_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Maksuehtojen luonnos tallennettiin."))
            return redirect("payments:terms_list")
    return terms_list(request, form=form, status=400)


@login_required
@require_POST
def terms_put_in_force_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PAYMENT_TERMS_EDITORS)
    terms = get_object_or_404(terms_for_user(user=request.user), pk=pk)
    try:
        terms_put_in_force(actor=request.user, terms=terms)
    except DomainError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Maksuehdot saatettiin voimaan."))
    return redirect("payments:terms_list")
