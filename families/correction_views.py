"""Pages of the identity-code and consent corrections, and of the backdating request from a refused enrollment.

Kept apart from families/views.py; they reuse its access-logged form page and its statement warning.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from programs.selectors import programmes_for_user
from sibcase.audit import access_log_record, logs_refusals
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error
from sibcase.models import AccessAction
from sibcase.permissions import can_see_identity_codes

from . import casetasks, corrections, services
from .correction_forms import (
    BACKDATING_PREFIX,
    BackdatingRequestForm,
    ConsentCorrectionForm,
    ConsentVoidForm,
    IdentityCodeCorrectionForm,
)
from .models import Child, Consent, Guardian
from .selectors import family_get_for_user, identity_code_lookup
from .views import BASIS_CASEWORK, _casework, _correction_saved, _form_page


def _consent_changed(request, correction: corrections.Correction, message: str) -> None:
    _correction_saved(request, correction)
    messages.success(request, message)
    for enrollment in correction.enrollments_without_consent:
        messages.warning(
            request,
            _(
                "Päättyneellä osallistumisella ohjelmaan %(programme)s (mukaan %(date)s) ei ole enää voimassa olevaa "
                "osallistumissuostumusta alkupäivälleen. Tarkista kirjaukset."
            )
            % {"programme": enrollment.programme, "date": date_format(enrollment.enrolled_on)},
        )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.{kind}")
def identity_code_correct(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Correct a child's or guardian's identity code: only roles that see codes, the new code checked through the
    logged, rate-limited lookup (a code known anywhere is refused with the same answer)."""
    _casework(request)
    model = {"child": Child, "guardian": Guardian}.get(kind)
    if model is None or not can_see_identity_codes(request.user):
        raise Http404
    person = get_object_or_404(model, pk=pk, erased_at__isnull=True)
    family = family_get_for_user(user=request.user, pk=person.family_id)
    form = IdentityCodeCorrectionForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        try:
            lookup = identity_code_lookup(request=request, identity_codes=[form.cleaned_data["identity_code"]])
            if lookup.visible is not None or lookup.known_elsewhere:
                form.add_error("identity_code", _("Henkilötunnus on jo rekisterissä toisella henkilöllä."))
            else:
                with form.submission():
                    correction = corrections.identity_code_correct(
                        actor=request.user,
                        person=person,
                        identity_code=form.cleaned_data["identity_code"],
                        reason=form.cleaned_data["reason"],
                    )
                    access_log_record(
                        user=request.user,
                        action=AccessAction.UPDATE,
                        basis=f"{BASIS_CASEWORK}: henkilötunnuksen korjaus",
                        family_id=family.pk,
                        person=person,
                        path=request.path,
                    )
                    # The birth date follows the code: age-based tasks (exit at the age limit) follow it.
                    casetasks.tasks_sync(family=family)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if not form.errors:
                _correction_saved(request, correction)
                return redirect("families:person_detail", kind=kind, pk=person.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Korjaa henkilötunnus: %(person)s") % {"person": person},
        submit=_("Tallenna korjaus"),
        purpose="henkilötunnuksen korjaus",
        intro=_("Nykyinen henkilötunnus: %(code)s") % {"code": person.masked_identity_code},
        person=person,
    )


def _consent_for_user(request: HttpRequest, pk: int):
    consent = get_object_or_404(Consent.objects.select_related("guardian", "programme"), pk=pk, voided_at__isnull=True)
    return consent, family_get_for_user(user=request.user, pk=consent.family_id)


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.consent")
def consent_correct(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    consent, family = _consent_for_user(request, pk)
    form = ConsentCorrectionForm(
        request.POST or None,
        family=family,
        initial={"guardian": consent.guardian_id, "scope": consent.scope, "given_on": consent.given_on},
        request=request,
    )

    def correct() -> corrections.Correction:
        correction = corrections.consent_correct(
            actor=request.user,
            consent=consent,
            reason=form.cleaned_data["reason"],
            guardian=form.cleaned_data["guardian"],
            scope=form.cleaned_data["scope"],
            given_on=form.cleaned_data["given_on"],
        )
        casetasks.tasks_sync(family=family)
        return correction

    if saved := form.save_posted(correct):
        _consent_changed(request, saved.value, _("Suostumuksen tiedot korjattiin."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Korjaa suostumus"),
        submit=_("Tallenna korjaus"),
        purpose="suostumuksen korjaus",
        intro=f"{consent.guardian} – {consent.programme} – {consent.get_scope_display()}",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.consent")
def consent_void(request: HttpRequest, pk: int) -> HttpResponse:
    _casework(request)
    consent, family = _consent_for_user(request, pk)
    form = ConsentVoidForm(request.POST or None, request=request)

    def void() -> corrections.Correction:
        correction = corrections.consent_void(actor=request.user, consent=consent, reason=form.cleaned_data["reason"])
        casetasks.tasks_sync(family=family)
        return correction

    if saved := form.save_posted(void):
        _consent_changed(request, saved.value, _("Suostumus mitätöitiin virheellisesti kirjattuna."))
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Mitätöi virheellisesti kirjattu suostumus"),
        submit=_("Mitätöi"),
        purpose="suostumuksen mitätöinti",
        intro=f"{consent.guardian} – {consent.programme} – {consent.get_scope_display()} "
        f"({date_format(consent.given_on)})",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def backdating_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    """File a backdated enrollment for the coordinator's approval (the enrollment page offers this form when the
    enrollment is refused for needing approval)."""
    _casework(request)
    family = family_get_for_user(user=request.user, pk=pk)
    form = BackdatingRequestForm(
        request.POST or None,
        family=family,
        programmes=programmes_for_user(request.user),
        request=request,
        prefix=BACKDATING_PREFIX,
    )

    def file_request():
        programme = form.cleaned_data["programme"]
        return services.backdating_request_create(
            actor=request.user,
            programme=programme,
            family=family,
            enrolled_on=form.cleaned_data["enrolled_on"],
            reason=form.cleaned_data["reason"],
            children=form.cleaned_data["children"],
            referral=family.referrals.filter(programme=programme, status="pending").first(),
        )

    if form.save_posted(file_request):
        messages.success(
            request,
            _(
                "Takautuva kirjaus lähetettiin ohjelman koordinaattorin hyväksyttäväksi. Perhe otetaan mukaan, "
                "kun koordinaattori hyväksyy pyynnön."
            ),
        )
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Pyydä koordinaattorilta takautuvaa kirjausta"),
        submit=_("Lähetä pyyntö"),
        purpose="takautuvan kirjauksen pyyntö",
    )
