"""Coordinators' pages: programme overview, enrollment window with preview, eligibility rules, referral queue."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from sibcase.audit import access_log_record_many
from sibcase.charts import bar_chart_svg, month_axis
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error, form_status
from sibcase.models import AccessAction
from sibcase.permissions import PROGRAMME_RULE_EDITORS, require_role

from . import backdating, services
from .forms import BackdatingRejectForm, EligibilityRuleForm, WindowForm
from .models import BackdatingRequest, BackdatingStatus, EligibilityRule
from .selectors import (
    approval_inbox_for,
    coordinated_programmes,
    cutoff_preview,
    cutoff_preview_families,
    eligibility_rule_history,
    pending_referrals,
    programme_get_for_user,
    programme_overview,
)

QUEUE_PAGE_SIZE = 25


@login_required
def programme_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    return render(request, "programs/programme_list.html", {"programmes": coordinated_programmes(user=request.user)})


@login_required
def programme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    programme = programme_get_for_user(user=request.user, pk=pk)
    overview = programme_overview(programme=programme)
    by_month = overview.enrollments_by_month
    # Every month from the first enrollment to the last, so a month without enrollments shows as 0, not as a gap.
    chart_data = month_axis(by_month, start=by_month[0][0], end=by_month[-1][0]) if by_month else []
    chart = bar_chart_svg(
        title=_("Mukaan otetut perheet kuukausittain"),
        description=_("Pylväs kuukautta kohden; sama tieto on taulukossa kaavion alla."),
        data=chart_data,
    )
    return render(
        request,
        "programs/programme_detail.html",
        {
            "programme": programme,
            "overview": overview,
            "chart": chart,
            "chart_data": chart_data,
            "rules": programme.eligibility_rules.all(),  # the page shows no rule's categories: none read
            "rule_history": eligibility_rule_history(programme=programme),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def window_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    programme = programme_get_for_user(user=request.user, pk=pk)
    initial = {
        "enrollment_opens": programme.enrollment_opens,
        "enrollment_cutoff": programme.enrollment_cutoff,
        "decision_body": programme.cutoff_decision_body,
        "decision_date": programme.cutoff_decision_date,
        "decision_text": programme.cutoff_decision_text,
        "version": programme.version,
    }
    form = WindowForm(request.POST or None, initial=initial)
    preview = preview_rows = None
    status = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        seen = _preview_token_valid(programme, data)
        if "preview" in request.POST or not seen:
            if "preview" not in request.POST:
                form.add_error(None, _("Tarkista muutoksen vaikutukset alla ja tallenna sitten uudelleen."))
                status = 400
            today = timezone.localdate()
            preview = cutoff_preview(programme=programme, cutoff=data["enrollment_cutoff"], today=today)
            preview_rows = cutoff_preview_families(programme=programme, cutoff=data["enrollment_cutoff"], today=today)
            access_log_record_many(
                user=request.user,
                action=AccessAction.LIST,
                basis="koordinointi: katkaisupäivän esikatselu",
                family_ids=[row.family_id for row in preview_rows],
                path=request.path,
            )
            form.data = form.data.copy()
            form.data["preview_token"] = _preview_token(programme, data)
        else:
            try:
                services.programme_window_update(
                    actor=request.user,
                    programme=programme,
                    enrollment_opens=data["enrollment_opens"],
                    enrollment_cutoff=data["enrollment_cutoff"],
                    decision_body=data["decision_body"],
                    decision_date=data["decision_date"],
                    decision_text=data["decision_text"],
                    reason=data["reason"],
                    expected_version=data["version"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = _conflict_status(form, exc)
            else:
                messages.success(request, _("Ilmoittautumisikkuna päivitettiin ja muutos kirjattiin."))
                return redirect("programs:detail", pk=programme.pk)
    return render(
        request,
        "programs/window_form.html",
        {"programme": programme, "form": form, "preview": preview, "preview_rows": preview_rows},
        status=status or form_status(form),
    )


# Saving a window change requires having seen its preview: the preview hands out a signed token of exactly the
# dates previewed (and the programme's version), and a save whose dates differ from the previewed ones shows the
# preview again instead of saving.
PREVIEW_SALT = "programs.window_preview"


def _preview_payload(programme, data) -> str:
    return f"{programme.pk}:{data['version']}:{data['enrollment_opens']}:{data['enrollment_cutoff']}"


def _preview_token(programme, data) -> str:
    return signing.dumps(_preview_payload(programme, data), salt=PREVIEW_SALT)


def _preview_token_valid(programme, data) -> bool:
    try:
        return signing.loads(data.get("preview_token") or "", salt=PREVIEW_SALT) == _preview_payload(programme, data)
    except signing.BadSignature:
        return False


def _conflict_status(form, exc: DomainError) -> int | None:
    """409 for a save from a stale form; the form now carries the current version, so sending it again (after
    reading what the other user changed) is a deliberate overwrite. Anything else: the form's usual status."""
    if "stale_version" not in exc.codes:
        return None
    form.data = form.data.copy()
    form.data["version"] = exc.problems[0].details["current_version"]
    return 409


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int, rule_pk: int | None = None) -> HttpResponse:
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    programme = programme_get_for_user(user=request.user, pk=pk)
    rule = (
        get_object_or_404(EligibilityRule, pk=rule_pk, programme=programme)
        if rule_pk
        else EligibilityRule(programme=programme)
    )
    form = EligibilityRuleForm(request.POST or None, instance=rule)
    status = None
    if request.method == "POST" and form.is_valid():
        try:
            services.eligibility_rule_save(
                actor=request.user,
                rule=form.save(commit=False),
                reason=form.cleaned_data["reason"],
                need_category_ids=[c.pk for c in form.cleaned_data["need_categories"]],
                expected_version=form.cleaned_data["version"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = _conflict_status(form, exc)
        else:
            messages.success(request, _("Kelpoisuussääntö tallennettiin."))
            return redirect("programs:detail", pk=programme.pk)
    return render(
        request,
        "programs/rule_form.html",
        {"programme": programme, "form": form, "rule": rule},
        status=status or form_status(form),
    )


@login_required
def referral_queue(request: HttpRequest, pk: int) -> HttpResponse:
    """Pending referrals with their eligibility verdicts, a page at a time, in a constant number of queries."""
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    programme = programme_get_for_user(user=request.user, pk=pk)
    page = Paginator(pending_referrals(programme=programme), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    referrals = list(page)
    rows = list(
        zip(referrals, services.eligibility_evaluate_many(programme=programme, referrals=referrals), strict=True)
    )
    access_log_record_many(
        user=request.user,
        action=AccessAction.LIST,
        basis="koordinointi: ohjausjono",
        family_ids=[referral.family_id for referral in page],
        path=request.path,
    )
    return render(request, "programs/referral_queue.html", {"programme": programme, "page": page, "rows": rows})


@login_required
def approval_inbox(request: HttpRequest) -> HttpResponse:
    """The coordinator's approval inbox: backdating requests to decide and statements awaiting approval."""
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    inbox = approval_inbox_for(request.user)
    access_log_record_many(
        user=request.user,
        action=AccessAction.LIST,
        basis="koordinointi: hyväksyntäjono",
        family_ids=[item.family_id for item in inbox.backdating_requests],
        path=request.path,
    )
    return render(request, "programs/inbox.html", {"inbox": inbox, "reject_form": BackdatingRejectForm()})


def _inbox_request(request: HttpRequest, pk: int) -> BackdatingRequest:
    return get_object_or_404(
        BackdatingRequest.objects.select_related("programme", "family"),
        pk=pk,
        programme__in=coordinated_programmes(user=request.user),
        status=BackdatingStatus.PENDING,
    )


@login_required
@require_http_methods(["POST"])
def backdating_approve(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    item = _inbox_request(request, pk)
    try:
        backdating.backdating_request_approve(actor=request.user, request=item)
    except DomainError as exc:
        for problem in exc.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, _("Takautuva kirjaus hyväksyttiin ja perhe otettiin mukaan."))
    return redirect("programs:inbox")


@login_required
@require_http_methods(["POST"])
def backdating_reject(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PROGRAMME_RULE_EDITORS)
    item = _inbox_request(request, pk)
    form = BackdatingRejectForm(request.POST)
    if form.is_valid():
        try:
            backdating.backdating_request_reject(actor=request.user, request=item, note=form.cleaned_data["note"])
        except DomainError as exc:
            for problem in exc.problems:
                messages.error(request, problem.message)
        else:
            messages.success(request, _("Takautuvan kirjauksen pyyntö hylättiin."))
    else:
        messages.error(request, _("Kirjaa hylkäämisen perustelu."))
    return redirect("programs:inbox")
