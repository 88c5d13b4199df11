"""Pages for assessments, service episodes, visits and outcome observations, reached from the family page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from families.casetasks import tasks_sync
from families.selectors import family_get_for_user, signed_statements_touching
from families.views import _correction_saved
from sibcase.audit import access_log_record, access_log_record_many, logs_refusals
from sibcase.forms import form_status
from sibcase.models import AccessAction, Role
from sibcase.permissions import CASEWORK_ROLES, require_role

from . import services
from .forms import (
    AssessmentCorrectionForm,
    AssessmentForm,
    EpisodeForm,
    GroupVisitForm,
    ObservationCorrectForm,
    ObservationForm,
    ObservationVoidForm,
    VisitForm,
)
from .models import OutcomeObservation, ServiceNeedsAssessment
from .selectors import (
    enrollments_open_for_services,
    episodes_for_user,
    group_episodes_for_user,
    metrics_for_family,
    observation_import_get_for_user,
    services_for_user,
)

SERVICE_ROLES = CASEWORK_ROLES | {Role.PROVIDER_WORKER}


BASIS_CASEWORK = "asiakassuhde: Lapset SIB -ohjelman asiakastyö"
BASIS_SERVICE = "palvelusuhde: palveluntuottajan palvelujakso"


def _form_page(request, *, family, form, title: str, submit: str, purpose: str) -> HttpResponse:
    """A form page shows the family and its people as choices: logged like the family page."""
    basis = BASIS_SERVICE if request.user.role == Role.PROVIDER_WORKER else BASIS_CASEWORK
    access_log_record(
        user=request.user, action=AccessAction.VIEW, basis=f"{basis}: {purpose}", family_id=family.pk, path=request.path
    )
    return render(
        request,
        "families/form_page.html",
        {"family": family, "form": form, "title": title, "submit": submit},
        status=form_status(form),
    )


def _saved(request, family, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("families:detail", pk=family.pk)


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def assessment_create(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, CASEWORK_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    form = AssessmentForm(request.POST or None, family=family, request=request)

    def save() -> None:
        services.assessment_create(
            actor=request.user,
            family=family,
            child=form.cleaned_data["child"],
            started_on=form.cleaned_data["started_on"],
            completed_on=form.cleaned_data["completed_on"],
            summary=form.cleaned_data["summary"],
        )
        tasks_sync(family=family)

    if form.save_posted(save):
        return _saved(request, family, _("Palvelutarpeen arvio kirjattiin."))
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Kirjaa palvelutarpeen arvio"),
        submit=_("Tallenna"),
        purpose="palvelutarpeen arvion kirjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("outcomes.serviceneedsassessment")
def assessment_correct(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, CASEWORK_ROLES)
    assessment = get_object_or_404(ServiceNeedsAssessment, pk=pk)
    family = family_get_for_user(user=request.user, pk=assessment.family_id)
    form = AssessmentCorrectionForm(
        request.POST or None,
        family=family,
        initial={name: getattr(assessment, name) for name in services.ASSESSMENT_FIELDS},
        request=request,
    )
    saved = form.save_posted(
        lambda: services.assessment_correct(
            actor=request.user,
            assessment=assessment,
            reason=form.cleaned_data["reason"],
            **{name: form.cleaned_data[name] for name in services.ASSESSMENT_FIELDS},
        )
    )
    if saved:
        _correction_saved(request, saved.value)
        return redirect("families:detail", pk=family.pk)
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Korjaa palvelutarpeen arvio"),
        submit=_("Tallenna korjaus"),
        purpose="palvelutarpeen arvion korjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def episode_create(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, SERVICE_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    form = EpisodeForm(
        request.POST or None,
        family=family,
        enrollments=enrollments_open_for_services(family=family),
        services=services_for_user(user=request.user, family=family),
        request=request,
    )

    def save() -> None:
        services.episode_create(
            actor=request.user,
            enrollment=form.cleaned_data["enrollment"],
            service=form.cleaned_data["service"],
            child=form.cleaned_data["child"],
            start_date=form.cleaned_data["start_date"],
            end_date=form.cleaned_data["end_date"],
        )

    if form.save_posted(save):
        return _saved(request, family, _("Palvelujakso kirjattiin."))
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Kirjaa palvelujakso"),
        submit=_("Tallenna"),
        purpose="palvelujakson kirjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def observation_create(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, CASEWORK_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    form = ObservationForm(
        request.POST or None, family=family, metrics=metrics_for_family(family=family), request=request
    )

    def save() -> None:
        services.observation_create(
            actor=request.user,
            metric=form.cleaned_data["metric"],
            child=form.cleaned_data["child"],
            period_start=form.cleaned_data["period_start"],
            period_end=form.cleaned_data["period_end"],
            value=form.cleaned_data["value"],
            source=form.cleaned_data["source"],
        )
        tasks_sync(family=family)

    if form.save_posted(save):
        return _saved(request, family, _("Tulostieto kirjattiin."))
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Kirjaa tulostieto"),
        submit=_("Tallenna"),
        purpose="tulostiedon kirjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, SERVICE_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    form = VisitForm(
        request.POST or None, episodes=episodes_for_user(user=request.user, family=family), request=request
    )

    def save() -> None:
        services.visit_create(
            actor=request.user,
            episode=form.cleaned_data["episode"],
            visited_on=form.cleaned_data["visited_on"],
            duration_minutes=form.cleaned_data["duration_minutes"],
            note=form.cleaned_data["note"],
        )

    if form.save_posted(save):
        return _saved(request, family, _("Tapaaminen kirjattiin."))
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Kirjaa tapaaminen"),
        submit=_("Tallenna"),
        purpose="tapaamisen kirjaus",
    )


@login_required
@require_http_methods(["GET"])
def import_status(request: HttpRequest, import_id: int) -> HttpResponse:
    """A background observation import: its status and, once finished, the report of every bad row.

    Not a family page (the id is a job's), so the family access sweep leaves it out; only the requester and
    admins see a job, anyone else gets 404 (tests/api/test_observation_import_jobs.py)."""
    require_role(request.user, {Role.COORDINATOR, Role.ADMIN})
    job = observation_import_get_for_user(user=request.user, pk=import_id)
    return render(request, "outcomes/import_status.html", {"job": job})


@login_required
@require_http_methods(["GET", "POST"])
def group_visit_create(request: HttpRequest) -> HttpResponse:
    """A group session recorded as a visit on each selected participant's episode, all or nothing."""
    require_role(request.user, SERVICE_ROLES)
    episodes = group_episodes_for_user(user=request.user)
    form = GroupVisitForm(request.POST or None, episodes=episodes, request=request)
    saved = form.save_posted(
        lambda: services.visits_create_for_group(
            actor=request.user,
            episodes=list(form.cleaned_data["episodes"]),
            visited_on=form.cleaned_data["visited_on"],
            duration_minutes=form.cleaned_data["duration_minutes"],
            note=form.cleaned_data["note"],
        )
    )
    if saved:
        messages.success(
            request, _("Ryhmätapaaminen kirjattiin %(count)s osallistujalle.") % {"count": len(saved.value)}
        )
        return redirect("outcomes:group_visit_create")
    basis = BASIS_SERVICE if request.user.role == Role.PROVIDER_WORKER else BASIS_CASEWORK
    access_log_record_many(
        user=request.user,
        action=AccessAction.LIST,
        basis=f"{basis}: ryhmätapaamisen kirjaus",
        family_ids=sorted({episode.family_id for episode in episodes}),
        path=request.path,
    )
    return render(request, "outcomes/group_visit_form.html", {"form": form}, status=form_status(form))


def _observation_for_user(request: HttpRequest, pk: int):
    observation = get_object_or_404(
        OutcomeObservation.objects.select_related("metric", "child__family"), pk=pk, voided_at__isnull=True
    )
    family = family_get_for_user(user=request.user, pk=observation.child.family_id)
    return observation, family


def _observation_changed(request, family, observation, message: str) -> HttpResponse:
    statements = signed_statements_touching(observation_ids=[observation.pk])
    if statements:
        messages.warning(
            request,
            _(
                "Tulostieto sisältyy jo tarkastettuun, hyväksyttyyn tai maksettuun tulospalkkiolaskelmaan "
                "(%(statements)s). Laskelma pysyy ennallaan; ero oikaistaan seuraavassa laskelmassa."
            )
            % {"statements": ", ".join(f"{s.programme} {s.period_start:%Y}" for s in statements)},
        )
    return _saved(request, family, message)


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("outcomes.outcomeobservation")
def observation_correct(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, CASEWORK_ROLES)
    observation, family = _observation_for_user(request, pk)
    form = ObservationCorrectForm(
        request.POST or None, observation=observation, initial={"value": observation.value}, request=request
    )

    def save() -> None:
        services.observation_correct(
            actor=request.user,
            observation=observation,
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )

    if form.save_posted(save):
        return _observation_changed(request, family, observation, _("Tulostieto korjattiin."))
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Korjaa tulostieto: %(metric)s, %(child)s")
        % {"metric": observation.metric, "child": observation.child.first_names},
        submit=_("Tallenna korjaus"),
        purpose="tulostiedon korjaus",
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("outcomes.outcomeobservation")
def observation_void(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, CASEWORK_ROLES)
    observation, family = _observation_for_user(request, pk)
    form = ObservationVoidForm(request.POST or None, request=request)

    def save() -> None:
        services.observation_void(actor=request.user, observation=observation, reason=form.cleaned_data["reason"])
        tasks_sync(family=family)

    if form.save_posted(save):
        return _observation_changed(request, family, observation, _("Tulostieto mitätöitiin."))
    return _form_page(
        request,
        family=family,
        form=form,
        title=_("Mitätöi tulostieto: %(metric)s, %(child)s")
        % {"metric": observation.metric, "child": observation.child.first_names},
        submit=_("Mitätöi"),
        purpose="tulostiedon mitätöinti",
    )
