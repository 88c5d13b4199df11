"""Coordinators' decisions on backdating requests (families.services.backdating_request_create makes them).

A module of its own because approving enrolls the family through families.services.enrollment_create, and
families.services already imports programs.services: keeping these here avoids an import cycle.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from families.services import enrollment_create
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from .models import BackdatingRequest, BackdatingStatus


def _may_decide(actor: User, request: BackdatingRequest) -> bool:
    return (
        actor.is_superuser
        or actor.role == Role.ADMIN
        or (actor.role == Role.COORDINATOR and actor.programmes.filter(pk=request.programme_id).exists())
    )


def _locked_pending(*, actor: User, request: BackdatingRequest) -> BackdatingRequest:
    request = BackdatingRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != BackdatingStatus.PENDING:
        raise DomainError(Problem("backdating_request_decided", _("Pyyntö on jo ratkaistu.")))
    if not _may_decide(actor, request):
        raise DomainError(
            Problem(
                "backdating_approver_not_coordinator",
                _("Takautuvan kirjauksen voi hyväksyä vain ohjelman koordinaattori."),
            )
        )
    return request


def backdating_request_approve(*, actor: User, request: BackdatingRequest) -> BackdatingRequest:
    """Approve: enroll the family as requested, with the coordinator as the backdating approver. If the
    enrollment is refused (e.g. the programme is now full), nothing changes and the request stays pending."""
    with transaction.atomic():
        request = _locked_pending(actor=actor, request=request)
        enrollment = enrollment_create(
            actor=actor,
            programme=request.programme,
            family=request.family,
            enrolled_on=request.enrolled_on,
            children=list(request.children.all()),
            referral=request.referral,
            backdating_approved_by=actor,
            backdating_reason=request.reason,
        )
        request.status = BackdatingStatus.APPROVED
        request.decided_by, request.decided_at = actor, timezone.now()
        request.enrollment = enrollment
        request.save(update_fields=["status", "decided_by", "decided_at", "enrollment"])
        audit_record(
            actor=actor,
            event_type="backdating_request.approved",
            obj=request,
            old={"status": BackdatingStatus.PENDING},
            new={"status": BackdatingStatus.APPROVED, "enrollment": enrollment.pk},
            reason=request.reason,
        )
    return request


def backdating_request_reject(*, actor: User, request: BackdatingRequest, note: str) -> BackdatingRequest:
    """Reject with a written reason (the social worker sees why)."""
    if not note.strip():
        raise DomainError(Problem("reason_required", _("Kirjaa hylkäämisen perustelu.")), field_name="note")
    with transaction.atomic():
        request = _locked_pending(actor=actor, request=request)
        request.status = BackdatingStatus.REJECTED
        request.decided_by, request.decided_at = actor, timezone.now()
        request.decision_note = note.strip()
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            event_type="backdating_request.rejected",
            obj=request,
            old={"status": BackdatingStatus.PENDING},
            new={"status": BackdatingStatus.REJECTED},
            reason=request.decision_note,
        )
    return request
