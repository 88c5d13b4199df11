"""Social workers' pages: family list, referral, consent, enrollment, exit, and the family page.

Every view finds the family through `family_get_for_user` (404 for anyone else's) and logs each view of a
person's data in the access log.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from payments.selectors import run_dispatch_delayed
from programs.selectors import programmes_for_user
from sibcase.audit import access_log_record, access_log_record_many
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error, form_status
from sibcase.models import AccessAction, Role
from sibcase.permissions import CASEWORK_ROLES, PERSONAL_DATA_ROLES, can_see_identity_codes, require_role

from . import services
from .forms import (
    ChildFormSet,
    ConsentForm,
    ConsentWithdrawForm,
    EnrollmentExitForm,
    EnrollmentForm,
    FamilyForm,
    FamilySearchForm,
    GuardianFormSet,
    IdentityCodeSearchForm,
)
from .models import Child, Consent, Enrollment, Guardian
from .selectors import (
    family_find_by_identity_code,
    family_get_for_user,
    family_search,
    family_timeline,
    known_identity_code,
)

BASIS_CASEWORK = "asiakassuhde: Lapset SIB -ohjelman asiakastyö"
PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def family_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PERSONAL_DATA_ROLES)
    programmes = programmes_for_user(request.user)
    form = FamilySearchForm(request.GET or None, programmes=programmes)
    code_form = IdentityCodeSearchForm(request.POST or None, prefix="code")
    if request.method == "POST" and code_form.is_valid():
        if not can_see_identity_codes(request.user):
            code_form.add_error("identity_code", _("Roolisi ei voi hakea henkilötunnuksella."))
        else:
            family = family_find_by_identity_code(
                user=request.user, identity_code=code_form.cleaned_data["identity_code"]
            )
            if family is not None:
                access_log_record(
                    user=request.user,
                    action=AccessAction.SEARCH,
                    basis=BASIS_CASEWORK,
                    family_id=family.pk,
                    path=request.path,
                )
                return redirect("families:detail", pk=family.pk)
            code_form.add_error(
                "identity_code", _("Henkilötunnuksella ei löytynyt perhettä, jonka tietoja voit katsoa.")
            )
    filters = form.cleaned_data if form.is_valid() else {}
    families = family_search(
        user=request.user,
        text=filters.get("q", ""),
        programme_id=filters["programme"].pk if filters.get("programme") else None,
        status=filters.get("status", ""),
        district=filters.get("district", ""),
    )
    page = Paginator(families, PAGE_SIZE).get_page(request.GET.get("page"))
    access_log_record_many(
        user=request.user,
        action=AccessAction.LIST,
        basis=BASIS_CASEWORK,
        family_ids=[f.pk for f in page],
        path=request.path,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "families/family_list.html",
        {
            "form": form,
            "code_form": code_form,
            "page": page,
            "query": query.urlencode(),
            "show_codes": can_see_identity_codes(request.user),
        },
    )


@login_required
def family_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PERSONAL_DATA_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    is_provider = request.user.role == Role.PROVIDER_WORKER
    timeline = family_timeline(family=family, provider_id=request.user.provider_id if is_provider else None)
    access_log_record(
        user=request.user, action=AccessAction.VIEW, basis=BASIS_CASEWORK, family_id=family.pk, path=request.path
    )
    from outcomes.selectors import episodes_for_family

    context = {
        "family": family,
        "children": list(family.children.prefetch_related("need_categories")),
        "guardians": [] if is_provider else list(family.guardians.all()),
        "enrollments": []
        if is_provider
        else list(family.enrollments.select_related("programme").prefetch_related("children")),
        "consents": [] if is_provider else list(family.consents.select_related("guardian", "programme")),
        "episodes": episodes_for_family(family=family, provider_id=request.user.provider_id if is_provider else None),
        "timeline": timeline,
        "is_provider": is_provider,
        "can_casework": request.user.is_superuser or request.user.role in CASEWORK_ROLES,
        "show_codes": can_see_identity_codes(request.user),
    }
    if not is_provider:
        from families.selectors import eligibility_for_family

        context["eligibility"] = eligibility_for_family(family=family, programmes=programmes_for_user(request.user))
    return render(request, "families/family_detail.html", context)


@login_required
def person_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A child's or guardian's own page: the one place that shows the full identity code."""
    require_role(request.user, PERSONAL_DATA_ROLES)
    model = {"child": Child, "guardian": Guardian}.get(kind)
    if model is None or (kind == "guardian" and request.user.role == Role.PROVIDER_WORKER):
        return render(request, "404.html", status=404)
    person = get_object_or_404(model.objects.select_related("family"), pk=pk)
    family_get_for_user(user=request.user, pk=person.family_id)  # 404 unless the family is visible
    show_code = can_see_identity_codes(request.user)
    access_log_record(
        user=request.user,
        action=AccessAction.VIEW,
        basis=BASIS_CASEWORK,
        family_id=person.family_id,
        person=person,
        path=request.path,
    )
    return render(request, "families/person_detail.html", {"person": person, "kind": kind, "show_code": show_code})


def _casework(request: HttpRequest) -> None:
    require_role(request.user, CASEWORK_ROLES)


@login_required
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    """A new family with its children and guardians, and its referral to a programme, in one transaction."""
    _casework(request)
    programmes = programmes_for_user(request.user)
    data = request.POST if request.method == "POST" else None
    form = FamilyForm(data, programmes=programmes, request=request)
    children = ChildFormSet(data, prefix="child")
    guardians = GuardianFormSet(data, prefix="guardian")
    existing = None
    if request.method == "POST" and form.is_valid() and children.is_valid() and guardians.is_valid():
        people = [f.cleaned_data for f in [*children.forms, *guardians.forms] if f.cleaned_data]
        known = known_identity_code(user=request.user, identity_codes=[p["identity_code"] for p in people])
        if known:
            # Duplicate detection: show the family the code belongs to instead of creating a second one.
            existing = known.family
            form.add_error(
                None,
                _(
                    "Henkilötunnus on jo rekisterissä. Perhettä ei luotu uudelleen; jatka olemassa olevan perheen sivulta."
                )
                if existing
                else _(
                    "Henkilötunnus on jo rekisterissä toisen kunnan tai yksikön asiakkaana. Ota yhteyttä ylläpitoon."
                ),
            )
        else:
            try:
                with form.submission():
                    family = _referral_save(request, form.cleaned_data, children, guardians)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, _("Perhe ja ohjaus tallennettiin (%(reference)s).") % {"reference": family.reference}
                )
                return redirect("families:detail", pk=family.pk)
    return render(
        request,
        "families/referral_form.html",
        {"form": form, "children_formset": children, "guardians_formset": guardians, "existing": existing},
        status=form_status(form, children, guardians),
    )


def _referral_save(request, data, children, guardians):
    return services.family_register(
        actor=request.user,
        programme=data["programme"],
        postal_code=data["postal_code"],
        district=data["district"],
        children=[
            {
                "first_names": f.cleaned_data["first_names"],
                "last_name": f.cleaned_data["last_name"],
                "identity_code": f.cleaned_data["identity_code"],
                "need_category_ids": [c.pk for c in f.cleaned_data["need_categories"]],
            }
            for f in children.forms
            if f.cleaned_data
        ],
        guardians=[
            {key: f.cleaned_data[key] for key in ("first_names", "last_name", "identity_code", "employment_status")}
            for f in guardians.forms
            if f.cleaned_data
        ],
        source=data["source"],
        referred_on=data["referred_on"],
        reason=data["reason"],
    )


def _form_page(request, *, family, form, title: str, submit: str, intro: str = "") -> HttpResponse:
    return render(
        request,
        "families/form_page.html",
        {"family": family, "form": form, "title": title, "submit": submit, "intro": intro},
        status=form_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = ConsentForm(
        request.POST or None, family=family, programmes=programmes_for_user(request.user), request=request
    )
    if request.method == "POST" and form.is_valid():
        try:
            with form.submission():
                services.consent_give(
                    actor=request.user,
                    guardian=form.cleaned_data["guardian"],
                    programme=form.cleaned_data["programme"],
                    scope=form.cleaned_data["scope"],
                    given_on=form.cleaned_data["given_on"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Suostumus kirjattiin."))
            return redirect("families:detail", pk=family.pk)
    return _form_page(request, family=family, form=form, title=_("Kirjaa suostumus"), submit=_("Tallenna suostumus"))


@login_required
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    consent = get_object_or_404(Consent, pk=pk)
    family = family_get_for_user(user=request.user, pk=consent.family_id)
    form = ConsentWithdrawForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            with form.submission():
                services.consent_withdraw(
                    actor=request.user, consent=consent, withdrawn_on=form.cleaned_data["withdrawn_on"]
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Suostumuksen peruminen kirjattiin."))
            return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Peru suostumus"),
        submit=_("Kirjaa peruminen"),
        intro=f"{consent.guardian} – {consent.programme} – {consent.get_scope_display()}",
    )


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_create(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    may_approve = request.user.is_superuser or request.user.role in (Role.COORDINATOR, Role.ADMIN)
    form = EnrollmentForm(
        request.POST or None,
        family=family,
        programmes=programmes_for_user(request.user),
        may_approve_backdating=may_approve,
        request=request,
    )
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data.get("backdating_reason", "")
        try:
            with form.submission():
                enrollment = services.enrollment_create(
                    actor=request.user,
                    programme=form.cleaned_data["programme"],
                    family=family,
                    enrolled_on=form.cleaned_data["enrolled_on"],
                    children=form.cleaned_data["children"],
                    referral=family.referrals.filter(
                        programme=form.cleaned_data["programme"], status="pending"
                    ).first(),
                    backdating_approved_by=request.user if may_approve and reason else None,
                    backdating_reason=reason,
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                _("Perhe otettiin mukaan ohjelmaan (%(status)s).") % {"status": enrollment.get_status_display()},
            )
            if run_dispatch_delayed(enrollment.preview_run):
                messages.warning(
                    request,
                    _(
                        "Ohjelman ennakkolaskelman päivitys viivästyy, koska taustapalvelu ei ole juuri nyt "
                        "käytettävissä. Se tehdään automaattisesti myöhemmin; mukaanotto on tallennettu."
                    ),
                )
            return redirect("families:detail", pk=family.pk)
    return _form_page(request, family=family, form=form, title=_("Ota perhe mukaan ohjelmaan"), submit=_("Tallenna"))


@login_required
@require_http_methods(["GET", "POST"])
def enrollment_exit(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    enrollment = get_object_or_404(Enrollment.objects.select_related("programme"), pk=pk)
    family = family_get_for_user(user=request.user, pk=enrollment.family_id)
    form = EnrollmentExitForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            with form.submission():
                services.enrollment_exit(
                    actor=request.user,
                    enrollment=enrollment,
                    exit_date=form.cleaned_data["exit_date"],
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Osallistuminen päätettiin."))
            return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Päätä osallistuminen"),
        submit=_("Päätä osallistuminen"),
        intro=str(enrollment.programme),
    )
