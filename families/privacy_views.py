"""Privacy pages: the data subject's access export, retention and erasure, break-glass access and its review, and
the report of unusual access. Admin pages, except opening a break-glass access (social workers)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from sibcase.audit import logs_refusals
from sibcase.errors import DomainError
from sibcase.forms import add_domain_error, form_status
from sibcase.models import Role
from sibcase.permissions import require_role

from .access_review import unusual_access_report
from .break_glass import break_glass_grants_for_review, break_glass_open, break_glass_review
from .models import BreakGlassGrant, Child, ErasureRequest, ErasureStatus, Family, Guardian
from .privacy import subject_access_export
from .privacy_forms import (
    AccessReviewForm,
    BreakGlassForm,
    ErasureDecisionForm,
    ErasureProposeForm,
    NoteForm,
    SubjectAccessByCodeForm,
    SubjectAccessForm,
)
from .retention import erasure_approve, erasure_propose, erasure_reject, families_due_for_erasure
from .selectors import identity_code_lookup, identity_code_owner

ADMINS = {Role.ADMIN}
PERSON_MODELS = {"child": Child, "guardian": Guardian}


def _download(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@login_required
def privacy_index(request: HttpRequest) -> HttpResponse:
    require_role(request.user, ADMINS)
    return render(request, "families/privacy_index.html")


@login_required
@require_http_methods(["GET", "POST"])
def subject_access(request: HttpRequest) -> HttpResponse:
    """Find the person by identity code (POST only) and make the export."""
    require_role(request.user, ADMINS)
    form = SubjectAccessByCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # The one door for code lookups: rate-limited and logged like every other.
            identity_code_lookup(request=request, identity_codes=[form.cleaned_data["identity_code"]])
            person = identity_code_owner(form.cleaned_data["identity_code"])
            if person is None:
                form.add_error("identity_code", _("Henkilötunnuksella ei löydy henkilöä."))
            else:
                return _download(
                    subject_access_export(
                        actor=request.user,
                        person=person,
                        reason=form.cleaned_data["reason"],
                        fmt=form.cleaned_data["fmt"],
                        path=request.path,
                    )
                )
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "families/subject_access.html", {"form": form}, status=form_status(form))


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.{kind}")
def subject_access_person(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """The same export started from the person's page."""
    require_role(request.user, ADMINS)
    model = PERSON_MODELS.get(kind)
    if model is None:
        raise Http404
    person = get_object_or_404(model.objects.select_related("family"), pk=pk)
    form = SubjectAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return _download(
                subject_access_export(
                    actor=request.user,
                    person=person,
                    reason=form.cleaned_data["reason"],
                    fmt=form.cleaned_data["fmt"],
                    path=request.path,
                )
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "families/subject_access.html", {"form": form, "person": person}, status=form_status(form))


@login_required
def erasure_list(request: HttpRequest) -> HttpResponse:
    """Families due for erasure, and the proposals waiting for a second admin."""
    require_role(request.user, ADMINS)
    return render(
        request,
        "families/erasure_list.html",
        {
            "due": families_due_for_erasure(),
            "proposals": ErasureRequest.objects.filter(status=ErasureStatus.PROPOSED).select_related(
                "family", "proposed_by"
            ),
            "decided": ErasureRequest.objects.exclude(status=ErasureStatus.PROPOSED).select_related(
                "family", "proposed_by", "decided_by"
            )[:50],
            "propose_form": ErasureProposeForm(),
            "decision_form": ErasureDecisionForm(),
        },
    )


@login_required
@require_POST
@logs_refusals("families.family")
def erasure_propose_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, ADMINS)
    family = get_object_or_404(Family, pk=pk)
    form = ErasureProposeForm(request.POST)
    if form.is_valid():
        try:
            erasure_propose(actor=request.user, family=family, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Poistoa ehdotettiin. Toinen ylläpitäjä ratkaisee sen."))
    else:
        messages.error(request, _("Kirjaa poiston peruste."))
    return redirect("privacy:erasure_list")


@login_required
@require_POST
def erasure_decide(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, ADMINS)
    erasure = get_object_or_404(ErasureRequest, pk=pk)
    form = ErasureDecisionForm(request.POST)
    if form.is_valid():
        decide = erasure_approve if form.cleaned_data["decision"] == "approve" else erasure_reject
        try:
            decide(actor=request.user, request=erasure, note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Poistopyyntö ratkaistiin."))
    else:
        messages.error(request, _("Valitse ratkaisu ja kirjaa perustelu."))
    return redirect("privacy:erasure_list")


@login_required
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """A social worker opens a family outside their municipality by stating a reason."""
    require_role(request.user, {Role.SOCIAL_WORKER})
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant = break_glass_open(
                user=request.user,
                family_reference=form.cleaned_data["family_reference"],
                reason=form.cleaned_data["reason"],
                path=request.path,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.warning(
                request,
                _("Poikkeuksellinen pääsy on voimassa %(until)s asti. Käyttö kirjataan ja tarkastetaan.")
                % {"until": timezone.localtime(grant.expires_at).strftime("%d.%m.%Y %H:%M")},
            )
            return redirect("families:detail", pk=grant.family_id)
    return render(request, "families/break_glass.html", {"form": form}, status=form_status(form))


@login_required
def break_glass_review_list(request: HttpRequest) -> HttpResponse:
    require_role(request.user, ADMINS)
    return render(
        request,
        "families/break_glass_review.html",
        {
            "pending": break_glass_grants_for_review(),
            "reviewed": break_glass_grants_for_review(reviewed=True)[:50],
            "form": NoteForm(),
        },
    )


@login_required
@require_POST
def break_glass_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, ADMINS)
    grant = get_object_or_404(BreakGlassGrant, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            break_glass_review(actor=request.user, grant=grant, note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Pääsy merkittiin tarkastetuksi."))
    else:
        messages.error(request, _("Kirjaa tarkastuksen huomio."))
    return redirect("privacy:break_glass_review")


@login_required
def access_review(request: HttpRequest) -> HttpResponse:
    require_role(request.user, ADMINS)
    form = AccessReviewForm(request.GET or None)
    days = (form.cleaned_data.get("days") if form.is_valid() else None) or 7
    until = timezone.now()
    report = unusual_access_report(since=until - datetime.timedelta(days=days), until=until)
    return render(request, "families/access_review.html", {"form": form, "report": report, "days": days})
