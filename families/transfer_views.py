"""Pages of a family's transfer to another municipality (families.transfers): the request from the family page,
the receiving municipality's inbox and decision page, and the cancellation.

The receiving side sees, before it accepts, only the transfer's minimal data (family reference, number of
children, sending municipality, requester, note); each such view is an access-log row with its own basis.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from programs.models import Municipality
from sibcase.audit import access_log_record, access_log_record_many, logs_refusals
from sibcase.forms import form_status
from sibcase.models import AccessAction, Role, User
from sibcase.permissions import CASEWORK_ROLES, require_role

from . import transfers
from .forms import TransferCancelForm, TransferDecision, TransferDecisionForm, TransferRequestForm
from .selectors import (
    family_get_for_user,
    family_open_transfer,
    transfer_consent_valid,
    transfer_enrollments_to_end,
    transfer_get_incoming,
    transfer_get_outgoing,
    transfers_incoming_for,
    transfers_outgoing_for,
)
from .views import BASIS_CASEWORK, _form_page

TRANSFER_PURPOSE = "kuntasiirto"
BASIS_TRANSFER = f"{BASIS_CASEWORK}: {TRANSFER_PURPOSE}"
# Before acceptance the receiving side has no client relationship yet: it reads the request to decide on it.
BASIS_TRANSFER_DECISION = "kuntasiirron käsittely: vastaanottavan kunnan ratkaisu (vähimmäistiedot)"
INBOX_LIMIT = 100


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.family")
def transfer_request(request: HttpRequest, pk: int) -> HttpResponse:
    """Siirrä toiseen kuntaan: the sending side asks the family's new home municipality to take the case over."""
    require_role(request.user, CASEWORK_ROLES)
    family = family_get_for_user(user=request.user, pk=pk)
    municipalities = Municipality.objects.exclude(pk=family.municipality_id).order_by("name_fi")
    form = TransferRequestForm(request.POST or None, municipalities=municipalities, request=request)
    saved = form.save_posted(
        lambda: transfers.transfer_request(
            actor=request.user,
            family=family,
            to_municipality=form.cleaned_data["to_municipality"],
            note=form.cleaned_data["note"],
        )
    )
    if saved:
        messages.success(
            request,
            _("Siirtopyyntö lähetettiin: %(municipality)s.") % {"municipality": saved.value.to_municipality},
        )
        return redirect("families:detail", pk=family.pk)
    access_log_record(
        user=request.user, action=AccessAction.VIEW, basis=BASIS_TRANSFER, family_id=family.pk, path=request.path
    )
    return render(
        request,
        "families/transfer_request.html",
        {
            "family": family,
            "form": form,
            "open_transfer": family_open_transfer(family=family),
            "consent_valid": transfer_consent_valid(family_id=family.pk, on_date=timezone.localdate()),
            "enrollments_to_end": transfer_enrollments_to_end(family=family),
        },
        status=form_status(form),
    )


@login_required
def transfer_inbox(request: HttpRequest) -> HttpResponse:
    """Incoming transfer requests to decide (minimal data only) and the user's side's own open requests."""
    require_role(request.user, CASEWORK_ROLES)
    incoming = list(transfers_incoming_for(user=request.user)[:INBOX_LIMIT])
    outgoing = list(transfers_outgoing_for(user=request.user)[:INBOX_LIMIT])
    if incoming:
        access_log_record_many(
            user=request.user,
            action=AccessAction.LIST,
            basis=BASIS_TRANSFER_DECISION,
            family_ids=[t.family_id for t in incoming],
            path=request.path,
        )
    if outgoing:
        access_log_record_many(
            user=request.user,
            action=AccessAction.LIST,
            basis=BASIS_TRANSFER,
            family_ids=[t.family_id for t in outgoing],
            path=request.path,
        )
    return render(request, "families/transfer_inbox.html", {"incoming": incoming, "outgoing": outgoing})


def _receiving_workers(transfer) -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role=Role.SOCIAL_WORKER, municipality_id=transfer.to_municipality_id
    ).order_by("last_name", "first_name", "username")


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.familytransfer")
def transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The receiving municipality accepts (naming the responsible worker) or declines (with a reason)."""
    require_role(request.user, CASEWORK_ROLES)
    transfer = transfer_get_incoming(user=request.user, pk=pk)
    form = TransferDecisionForm(
        request.POST or None, workers=_receiving_workers(transfer), actor=request.user, request=request
    )

    def decide() -> bool:
        data = form.cleaned_data
        if data["decision"] == TransferDecision.ACCEPT:
            transfers.transfer_accept(
                actor=request.user, transfer=transfer, responsible_worker=data["responsible_worker"], note=data["note"]
            )
            return True
        transfers.transfer_decline(actor=request.user, transfer=transfer, reason=data["note"])
        return False

    if saved := form.save_posted(decide):
        if saved.value:
            messages.success(
                request, _("Perhe %(reference)s siirtyi kuntaanne.") % {"reference": transfer.family.reference}
            )
            return redirect("families:detail", pk=transfer.family_id)
        messages.success(request, _("Siirtoa ei hyväksytty. Lähettävä kunta näkee perustelun."))
        return redirect("families:transfer_inbox")
    access_log_record(
        user=request.user,
        action=AccessAction.VIEW,
        basis=BASIS_TRANSFER_DECISION,
        family_id=transfer.family_id,
        path=request.path,
    )
    return render(
        request, "families/transfer_decide.html", {"transfer": transfer, "form": form}, status=form_status(form)
    )


@login_required
@require_http_methods(["GET", "POST"])
@logs_refusals("families.familytransfer")
def transfer_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, CASEWORK_ROLES)
    transfer = transfer_get_outgoing(user=request.user, pk=pk)
    form = TransferCancelForm(request.POST or None, request=request)
    if form.save_posted(
        lambda: transfers.transfer_cancel(actor=request.user, transfer=transfer, note=form.cleaned_data["note"])
    ):
        messages.success(request, _("Siirtopyyntö peruttiin."))
        return redirect("families:detail", pk=transfer.family_id)
    return _form_page(
        request,
        family=transfer.family,
        form=form,
        title=_("Peru siirtopyyntö"),
        submit=_("Peru siirtopyyntö"),
        purpose=TRANSFER_PURPOSE,
        intro=_("Siirtopyyntö kuntaan %(municipality)s, pyydetty %(day)s.")
        % {
            "municipality": transfer.to_municipality,
            "day": date_format(timezone.localtime(transfer.requested_at), "j.n.Y"),
        },
    )
