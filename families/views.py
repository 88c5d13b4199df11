"""Social workers' pages: family list, referral, consent, enrollment, exit, and the family page.

Every view finds the family through `family_get_for_user` (404 for anyone else's) and logs each view of a
person's data in the access log.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from payments.selectors import run_dispatch_delayed
from programs.selectors import programmes_for_user
from sibcase.audit import access_log_record, access_log_record_many, logs_refusals
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error, form_status
from sibcase.models import AccessAction, Role
from sibcase.pagination import CappedCountPaginator
from sibcase.permissions import (
    CASEWORK_ROLES,
    PERSONAL_DATA_ROLES,
    can_see_identity_codes,
    require_role,
    visibility_for,
    visible_fields,
)

from . import assignments, casetasks, corrections, records, services
from .break_glass import BASIS_PREFIX
from .correction_forms import backdating_offer
from .family_page import family_records, offer_exit
from .forms import (
    AssignmentEndForm,
    AttachmentForm,
    CaseNoteForm,
    ChildAddForm,
    ChildCorrectionForm,
    ChildFormSet,
    ConsentForm,
    ConsentWithdrawForm,
    DeputyForm,
    EnrollmentActivateForm,
    EnrollmentExitForm,
    EnrollmentForm,
    FamilyCorrectionForm,
    FamilyForm,
    FamilySearchForm,
    GuardianCorrectionForm,
    GuardianFormSet,
    HandoverForm,
    IdentityCodeSearchForm,
    ReferralForKnownFamilyForm,
)
from .models import AssignmentRole, CaseAssignment, CaseAttachment, Child, Consent, Enrollment, Guardian
from .registration import registration_refuse_known_elsewhere
from .selectors import (
    assignable_workers,
    eligibility_for_family,
    family_get_for_user,
    family_rows_load,
    family_search,
    family_timeline,
    identity_code_lookup,
    task_get_for_user,
)

BASIS_CASEWORK = "asiakassuhde: Lapset SIB -ohjelman asiakastyö"
SEARCH_SESSION_KEY = "family_search"
PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def family_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, PERSONAL_DATA_ROLES)
    programmes = programmes_for_user(request.user)
    code_search = request.method == "POST" and "code-identity_code" in request.POST
    if request.method == "POST" and not code_search:
        # Names are personal data: the search is sent by POST and kept in the session, never in a URL (ASVS 14.2.1).
        form = FamilySearchForm(request.POST, programmes=programmes)
        if form.is_valid():
            request.session[SEARCH_SESSION_KEY] = {
                "q": form.cleaned_data["q"],
                "programme": form.cleaned_data["programme"].pk if form.cleaned_data["programme"] else "",
                "status": form.cleaned_data["status"],
                "district": form.cleaned_data["district"],
            }
            return redirect("families:list")
    else:
        form = FamilySearchForm(request.session.get(SEARCH_SESSION_KEY) or None, programmes=programmes)
    code_form = IdentityCodeSearchForm(request.POST if code_search else None, prefix="code")
    if code_search and code_form.is_valid():
        if not can_see_identity_codes(request.user):
            code_form.add_error("identity_code", _("Roolisi ei voi hakea henkilötunnuksella."))
        else:
            try:
                lookup = identity_code_lookup(request=request, identity_codes=[code_form.cleaned_data["identity_code"]])
            except DomainError as exc:
                add_domain_error(code_form, exc)
            else:
                if lookup.visible is not None:
                    return redirect("families:detail", pk=lookup.visible.family.pk)
                # Unknown, or known only outside the user's scope: the same answer.
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
    page = CappedCountPaginator(families, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = family_rows_load(page.object_list)
    access_log_record_many(
        user=request.user,
        action=AccessAction.LIST,
        basis=BASIS_CASEWORK,
        family_ids=[f.pk for f in page],
        path=request.path,
    )
    return render(
        request,
        "families/family_list.html",
        {
            "form": form,
            "code_form": code_form,
            "page": page,
            "show_codes": can_see_identity_codes(request.user),
            "visible": visibility_for(request.user),
        },
    )


@login_required
@logs_refusals("families.family")
def family_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, PERSONAL_DATA_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    is_provider = request.user.role == Role.PROVIDER_WORKER
    provider_id = request.user.provider_id if is_provider else None
    # Every section reads from the records loaded once (families/family_page.py): issue 14's ten queries a page.
    records = family_records(family=family, provider_id=provider_id)
    # The row's basis is the break-glass grant's when the family is seen through one: the page says so too.
    logged = access_log_record(
        user=request.user, action=AccessAction.VIEW, basis=BASIS_CASEWORK, family_id=family.pk, path=request.path
    )
    break_glass = logged.basis if logged.basis.startswith(BASIS_PREFIX) else None
    context = {
        "family": family,
        "children": records.children,
        "guardians": records.guardians if visible_fields(request.user, "guardian") else [],
        "enrollments": [] if is_provider else records.enrollments,
        "consents": [] if is_provider else records.consents,
        "episodes": records.episodes,
        "timeline": family_timeline(family=family, provider_id=provider_id, records=records),
        "is_provider": is_provider,
        "can_casework": request.user.is_superuser or request.user.role in CASEWORK_ROLES,
        "show_codes": can_see_identity_codes(request.user),
        "visible": visibility_for(request.user),
        # A withdrawn participation consent: the page offers the exit of the enrollments it covered.
        "exit_prompts": [] if is_provider else offer_exit(records=records, on_date=timezone.localdate()),
        "break_glass": break_glass,
        "open_transfer": None if is_provider else records.open_transfer,
        "assignments": [] if is_provider else [a for a in records.assignments if a.ended_at is None],
        "observations": [] if is_provider else records.observations,
        "notes": [] if is_provider else records.notes,
        "attachments": [] if is_provider else records.attachments,
        # Issue 11 corrections: assessments to correct, backdated enrollments waiting for the coordinator.
        "assessments": [] if is_provider else records.assessments,
        "backdating_requests": [] if is_provider else records.backdating_requests,
    }
    if not is_provider:
        context["eligibility"] = eligibility_for_family(
            family=family, programmes=programmes_for_user(request.user), records=records
        )
    return render(request, "families/family_detail.html", context)


@login_required
@logs_refusals("families.{kind}")
def person_detail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A child's or guardian's own page: the one place that shows the full identity code."""
    require_role(request.user, PERSONAL_DATA_ROLES)
    model = {"child": Child, "guardian": Guardian}.get(kind)
    if model is None or not visible_fields(request.user, kind):
        raise Http404
    person = get_object_or_404(model.objects.select_related("family"), pk=pk)
    family = family_get_for_user(user=request.user, pk=person.family_id)  # 404 unless the family is visible
    visible = visible_fields(request.user, kind)
    access_log_record(
        user=request.user,
        action=AccessAction.VIEW,
        basis=BASIS_CASEWORK,
        family_id=family.pk,
        person=person,
        path=request.path,
    )
    return render(
        request,
        "families/person_detail.html",
        {
            "person": person,
            "kind": kind,
            "show_code": "identity_code" in visible,
            "visible": visible,
            "can_correct": request.user.is_superuser or request.user.role in CASEWORK_ROLES,
        },
    )


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
        try:
            lookup = identity_code_lookup(request=request, identity_codes=[p["identity_code"] for p in people])
            if lookup.visible is not None:
                # Duplicate detection: show the family the code belongs to instead of creating a second one.
                existing = lookup.visible.family
                form.add_error(
                    None,
                    _(
                        "Henkilötunnus on jo rekisterissä. Perhettä ei luotu uudelleen; jatka olemassa olevan "
                        "perheen sivulta."
                    ),
                )
            elif lookup.known_elsewhere:
                registration_refuse_known_elsewhere(
                    actor=request.user, **_registration_values(form.cleaned_data, children, guardians)
                )
            else:
                with form.submission():
                    family = services.family_register(
                        actor=request.user, **_registration_values(form.cleaned_data, children, guardians)
                    )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if existing is None:
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


def _registration_values(data, children, guardians) -> dict:
    return {
        "programme": data["programme"],
        "postal_code": data["postal_code"],
        "district": data["district"],
        "children": [
            {
                "first_names": f.cleaned_data["first_names"],
                "last_name": f.cleaned_data["last_name"],
                "identity_code": f.cleaned_data["identity_code"],
                "need_category_ids": [c.pk for c in f.cleaned_data["need_categories"]],
            }
            for f in children.forms
            if f.cleaned_data
        ],
        "guardians": [
            {key: f.cleaned_data[key] for key in ("first_names", "last_name", "identity_code", "employment_status")}
            for f in guardians.forms
            if f.cleaned_data
        ],
        "source": data["source"],
        "referred_on": data["referred_on"],
        "reason": data["reason"],
    }


def _form_page(
    request,
    *,
    family,
    form,
    title: str,
    submit: str,
    purpose: str,
    intro: str = "",
    extra: dict | None = None,
    person=None,
) -> HttpResponse:
    """A form page shows the family (and the form's choices of its people): logged like the family page, naming
    the person when the page is about one."""
    access_log_record(
        user=request.user,
        action=AccessAction.VIEW,
        basis=f"{BASIS_CASEWORK}: {purpose}",
        family_id=family.pk,
        person=person,
        path=request.path,
    )
    return render(
        request,
        "families/form_page.html",
        {"family": family, "form": form, "title": title, "submit": submit, "intro": intro, **(extra or {})},
        status=form_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = ConsentForm(
        request.POST or None, family=family, programmes=programmes_for_user(request.user), request=request
    )

    def give() -> None:
        services.consent_give(
            actor=request.user,
            guardian=form.cleaned_data["guardian"],
            programme=form.cleaned_data["programme"],
            scope=form.cleaned_data["scope"],
            given_on=form.cleaned_data["given_on"],
        )
        casetasks.tasks_sync(family=family)

    if form.save_posted(give):
        messages.success(request, _("Suostumus kirjattiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Kirjaa suostumus"),
        submit=_("Tallenna suostumus"),
        purpose="suostumuksen kirjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.consent")
def consent_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    consent = get_object_or_404(Consent, pk=pk)
    family = family_get_for_user(user=request.user, pk=consent.family_id)
    form = ConsentWithdrawForm(request.POST or None, request=request)

    def withdraw() -> None:
        services.consent_withdraw(actor=request.user, consent=consent, withdrawn_on=form.cleaned_data["withdrawn_on"])
        casetasks.tasks_sync(family=family)

    if form.save_posted(withdraw):
        messages.success(request, _("Suostumuksen peruminen kirjattiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Peru suostumus"),
        submit=_("Kirjaa peruminen"),
        purpose="suostumuksen peruminen",
        intro=f"{consent.guardian} – {consent.programme} – {consent.get_scope_display()}",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
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
    backdating_form = None
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
                casetasks.tasks_sync(family=family)
        except DomainError as exc:
            add_domain_error(form, exc)
            if not may_approve and set(exc.codes) == {"backdating_requires_approval"}:
                # Offer the coordinator's approval instead of a dead end (families.correction_views).
                backdating_form = backdating_offer(
                    family=family,
                    programmes=programmes_for_user(request.user),
                    request=request,
                    enrollment_data=form.cleaned_data,
                )
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
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Ota perhe mukaan ohjelmaan"),
        submit=_("Tallenna"),
        purpose="ohjelmaan ottaminen",
        extra={"backdating_form": backdating_form},
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.enrollment")
def enrollment_activate(request: HttpRequest, pk: int) -> HttpResponse:
    """A queued family begins in the programme (capacity, cutoff and consent checked on that day)."""
    _casework(request)
    enrollment = get_object_or_404(Enrollment.objects.select_related("programme"), pk=pk)
    family = family_get_for_user(user=request.user, pk=enrollment.family_id)
    form = EnrollmentActivateForm(request.POST or None, request=request)

    def save() -> None:
        services.enrollment_activate(
            actor=request.user, enrollment=enrollment, activated_on=form.cleaned_data["activated_on"]
        )
        casetasks.tasks_sync(family=family)

    if form.save_posted(save):
        messages.success(request, _("Perhe siirtyi jonosta mukaan ohjelmaan."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Jonosta mukaan ohjelmaan"),
        submit=_("Tallenna"),
        intro=str(enrollment.programme),
        purpose="jonosta ohjelmaan siirtäminen",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.enrollment")
def enrollment_exit(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    enrollment = get_object_or_404(Enrollment.objects.select_related("programme"), pk=pk)
    family = family_get_for_user(user=request.user, pk=enrollment.family_id)
    form = EnrollmentExitForm(request.POST or None, request=request)

    def save() -> None:
        services.enrollment_exit(
            actor=request.user,
            enrollment=enrollment,
            exit_date=form.cleaned_data["exit_date"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
        casetasks.tasks_sync(family=family)

    if form.save_posted(save):
        messages.success(request, _("Osallistuminen päätettiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Päätä osallistuminen"),
        submit=_("Päätä osallistuminen"),
        purpose="osallistumisen päättäminen",
        intro=str(enrollment.programme),
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def case_handover(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the family's responsible worker, or hand the case over to another one, with a note."""
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = HandoverForm(request.POST or None, workers=assignable_workers(family=family), request=request)

    def save() -> None:
        assignments.case_handover(
            actor=request.user,
            family=family,
            to_worker=form.cleaned_data["to_worker"],
            note=form.cleaned_data["note"],
        )
        casetasks.tasks_sync(family=family)

    if form.save_posted(save):
        messages.success(request, _("Vastuutyöntekijä vaihdettiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Siirrä vastuu toiselle työntekijälle"),
        submit=_("Siirrä vastuu"),
        purpose="vastuun siirto",
        intro=_("Nykyinen vastuutyöntekijä näkee siirron muistiinpanon perheen aikajanalla."),
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def deputy_add(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = DeputyForm(request.POST or None, workers=assignable_workers(family=family), request=request)

    def save() -> None:
        assignments.case_assign(
            actor=request.user,
            family=family,
            worker=form.cleaned_data["worker"],
            role=AssignmentRole.DEPUTY,
            note=form.cleaned_data["note"],
        )

    if form.save_posted(save):
        messages.success(request, _("Varahenkilö lisättiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Lisää varahenkilö"),
        submit=_("Lisää varahenkilö"),
        purpose="varahenkilön lisäys",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.caseassignment")
def assignment_end(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    assignment = get_object_or_404(CaseAssignment.objects.select_related("worker"), pk=pk, ended_at__isnull=True)
    family = family_get_for_user(user=request.user, pk=assignment.family_id)
    form = AssignmentEndForm(request.POST or None, request=request)

    def save() -> None:
        assignments.case_assignment_end(actor=request.user, assignment=assignment, note=form.cleaned_data["note"])

    if form.save_posted(save):
        messages.success(request, _("Varahenkilön tehtävä päättyi."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Päätä varahenkilön tehtävä"),
        submit=_("Päätä tehtävä"),
        purpose="varahenkilön tehtävän päättäminen",
        intro=str(assignment.worker.get_full_name() or assignment.worker.username),
    )


@login_required
@logs_refusals("families.casetask")
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    task = task_get_for_user(user=request.user, pk=pk)
    if request.method != "POST":  # after the access check: someone else's task is a logged 404 whatever the method
        return HttpResponseNotAllowed(["POST"])
    try:
        casetasks.task_complete(actor=request.user, task=task)
    except DomainError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Tehtävä merkittiin tehdyksi."))
    return redirect("home")


def _correction_saved(request, correction: corrections.Correction) -> None:
    messages.success(request, _("Korjaus tallennettiin; se näkyy perheen aikajanalla."))
    if correction.statements:
        messages.warning(
            request,
            _(
                "Korjattu tieto sisältyy jo tarkastettuun, hyväksyttyyn tai maksettuun tulospalkkiolaskelmaan "
                "(%(statements)s). Laskelma pysyy ennallaan; ero oikaistaan seuraavassa laskelmassa."
            )
            % {
                "statements": ", ".join(
                    f"{s.programme} {s.period_start:%-d.%-m.%Y}–{s.period_end:%-d.%-m.%Y}"
                    for s in correction.statements
                )
            },
        )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def family_correct(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    initial = {name: getattr(family, name) for name in corrections.FAMILY_FIELDS}
    form = FamilyCorrectionForm(request.POST or None, initial=initial, request=request)

    def correct() -> corrections.Correction:
        values = {name: form.cleaned_data[name] for name in corrections.FAMILY_FIELDS}
        return corrections.family_correct(
            actor=request.user, family=family, reason=form.cleaned_data["reason"], **values
        )

    if saved := form.save_posted(correct):
        _correction_saved(request, saved.value)
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Korjaa perheen tiedot"),
        submit=_("Tallenna korjaus"),
        purpose="perheen tietojen korjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.{kind}")
def person_correct(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Correct a child's or guardian's data (a guardian's work or education status, contact details)."""
    _casework(request)
    model, form_class, fields, correct = {
        "child": (Child, ChildCorrectionForm, corrections.CHILD_FIELDS, corrections.child_correct),
        "guardian": (Guardian, GuardianCorrectionForm, corrections.GUARDIAN_FIELDS, corrections.guardian_correct),
    }.get(kind, (None, None, (), None))
    if model is None:
        raise Http404
    person = get_object_or_404(model, pk=pk)
    family = family_get_for_user(user=request.user, pk=person.family_id)
    form = form_class(request.POST or None, initial={n: getattr(person, n) for n in fields}, request=request)

    def save() -> corrections.Correction:
        values = {name: form.cleaned_data[name] for name in fields}
        correction = correct(actor=request.user, reason=form.cleaned_data["reason"], **{kind: person}, **values)
        casetasks.tasks_sync(family=family)
        return correction

    if saved := form.save_posted(save):
        _correction_saved(request, saved.value)
        return redirect("families:person_detail", kind=kind, pk=person.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Korjaa tiedot: %(person)s") % {"person": person},
        submit=_("Tallenna korjaus"),
        purpose="henkilön tietojen korjaus",
        person=person,
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def case_note_create(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = CaseNoteForm(request.POST or None, request=request)

    def save() -> None:
        records.case_note_add(
            actor=request.user,
            family=family,
            text=form.cleaned_data["text"],
            written_on=form.cleaned_data["written_on"],
        )

    if form.save_posted(save):
        messages.success(request, _("Merkintä tallennettiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Kirjoita asiakaskertomukseen"),
        submit=_("Tallenna merkintä"),
        purpose="asiakaskertomuksen merkintä",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def attachment_create(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = AttachmentForm(request.POST or None, request.FILES or None, request=request)

    def save() -> None:
        records.attachment_add(
            actor=request.user,
            family=family,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )

    if form.save_posted(save):
        messages.success(request, _("Liite tallennettiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Lisää liite"),
        submit=_("Tallenna liite"),
        purpose="liitteen tallennus",
    )


@login_required
@logs_refusals("families.caseattachment")
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The only way to a stored attachment: the family must be visible to a casework user, and each opening is a
    row in the access log."""
    _casework(request)
    attachment = get_object_or_404(CaseAttachment, pk=pk)
    family = family_get_for_user(user=request.user, pk=attachment.family_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    access_log_record(
        user=request.user,
        action=AccessAction.VIEW,
        basis=f"{BASIS_CASEWORK}: liitteen avaus ({attachment.get_kind_display()})",
        family_id=family.pk,
        path=request.path,
    )
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def family_referral_create(request: HttpRequest, pk: int) -> HttpResponse:
    """A new referral for a family already known, from its own page (no second registration)."""
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    programmes = programmes_for_user(request.user).filter(municipality_id=family.municipality_id)
    form = ReferralForKnownFamilyForm(request.POST or None, programmes=programmes, request=request)

    def save() -> None:
        services.referral_create(
            actor=request.user,
            family=family,
            programme=form.cleaned_data["programme"],
            source=form.cleaned_data["source"],
            referred_on=form.cleaned_data["referred_on"],
            reason=form.cleaned_data["reason"],
        )

    if form.save_posted(save):
        messages.success(request, _("Ohjaus kirjattiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Uusi ohjaus perheelle"),
        submit=_("Tallenna ohjaus"),
        purpose="uuden ohjauksen kirjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def child_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A child added to a registered family (born since, or moved in); the identity code is checked as in a
    registration, through the logged and rate-limited lookup."""
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = ChildAddForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            lookup = identity_code_lookup(request=request, identity_codes=[form.cleaned_data["identity_code"]])
            if lookup.visible is not None or lookup.known_elsewhere:
                form.add_error("identity_code", _("Henkilötunnus on jo rekisterissä."))
            else:
                with form.submission():
                    services.child_create(
                        actor=request.user,
                        family=family,
                        first_names=form.cleaned_data["first_names"],
                        last_name=form.cleaned_data["last_name"],
                        identity_code=form.cleaned_data["identity_code"],
                        need_category_ids=[c.pk for c in form.cleaned_data["need_categories"]],
                    )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if not form.errors:
                messages.success(request, _("Lapsi lisättiin perheeseen."))
                return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Lisää lapsi perheeseen"),
        submit=_("Tallenna lapsi"),
        purpose="lapsen lisäys",
    )
