"""Writes of a family's transfer to another municipality (kuntasiirto), when the family moves.

The sending municipality requests (a guardian's consent to hand the record over must be valid), the receiving
municipality's social worker or coordinator accepts or declines, and the requester may cancel while it is open:
requested → accepted | declined | cancelled, each step with who and when, each an audit row. Until acceptance the
receiving side sees only what it needs to decide (families.selectors.transfers_incoming_for). Acceptance moves the
case in one locked transaction:

- open enrollments in the sending municipality's programmes end that day with the reason "moved away" (the
  programmes are municipal; their going service episodes end with them), pending referrals to them are withdrawn;
- the sending side's case assignments end with a note, the family's municipality changes, and the named worker of
  the receiving municipality becomes responsible (families.assignments.case_assign);
- so access moves: the sending municipality's social workers no longer see the family, the receiving one's do.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Municipality
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from .assignments import case_assign
from .casetasks import tasks_sync
from .models import (
    AssignmentRole,
    CaseAssignment,
    ExitReason,
    Family,
    FamilyTransfer,
    Referral,
    ReferralStatus,
    TransferStatus,
)
from .selectors import (
    families_visible_to,
    transfer_consent_valid,
    transfer_deciding_municipality_ids,
    transfer_enrollments_to_end,
)
from .services import enrollment_exit


def _is_admin(user: User) -> bool:
    return user.is_superuser or user.role == Role.ADMIN


def _refuse_requester(*, actor: User, family: Family) -> None:
    # A social worker of the family's own municipality (a break-glass grant is not enough), a coordinator who sees
    # the family through their programmes, or an admin.
    allowed = actor.is_authenticated and actor.is_active
    if allowed and not _is_admin(actor):
        if actor.role == Role.SOCIAL_WORKER:
            allowed = actor.municipality_id == family.municipality_id
        elif actor.role == Role.COORDINATOR:
            allowed = families_visible_to(actor).filter(pk=family.pk).exists()
        else:
            allowed = False
    if not allowed:
        raise DomainError(
            Problem(
                "transfer_request_not_allowed",
                _("Siirtoa voi pyytää vain perheen nykyisen kunnan sosiaalityöntekijä tai koordinaattori."),
            )
        )


def _refuse_decider(*, actor: User, transfer: FamilyTransfer) -> None:
    if actor.pk == transfer.requested_by_id:
        raise DomainError(
            Problem(
                "transfer_own_request", _("Omaa siirtopyyntöä ei voi ratkaista: sen ratkaisee vastaanottava kunta.")
            )
        )
    deciding = transfer_deciding_municipality_ids(actor) if actor.is_authenticated and actor.is_active else []
    if transfer.to_municipality_id not in deciding:
        raise DomainError(
            Problem(
                "transfer_not_receiving_side",
                _("Siirron ratkaisee vastaanottavan kunnan sosiaalityöntekijä tai koordinaattori."),
            )
        )


def _refuse_not_open(transfer: FamilyTransfer) -> None:
    if transfer.status != TransferStatus.REQUESTED:
        raise DomainError(Problem("transfer_not_open", _("Siirto on jo ratkaistu tai peruttu.")))


def _refuse_without_consent(family: Family) -> None:
    if not transfer_consent_valid(family_id=family.pk, on_date=timezone.localdate()):
        raise DomainError(
            Problem(
                "transfer_consent_missing",
                _(
                    "Huoltajan suostumus tietojen luovutukseen uudelle kotikunnalle puuttuu tai on peruttu. "
                    "Kirjaa suostumus ennen siirtoa."
                ),
            )
        )


def transfer_request(*, actor: User, family: Family, to_municipality: Municipality, note: str) -> FamilyTransfer:
    """Ask the family's new home municipality to take over its case."""
    note = note.strip()
    if not note:
        raise DomainError(
            Problem("transfer_note_required", _("Kirjaa siirron peruste (esim. muutto ja muuttopäivä).")),
            field_name="note",
        )
    with transaction.atomic():
        family = Family.objects.select_for_update().get(pk=family.pk)
        _refuse_requester(actor=actor, family=family)
        if to_municipality.pk == family.municipality_id:
            raise DomainError(
                Problem("transfer_same_municipality", _("Perhe on jo tämän kunnan asiakas.")),
                field_name="to_municipality",
            )
        if FamilyTransfer.objects.filter(family=family, status=TransferStatus.REQUESTED).exists():
            raise DomainError(Problem("transfer_already_open", _("Perheellä on jo avoin siirtopyyntö. Peru se ensin.")))
        _refuse_without_consent(family)
        transfer = FamilyTransfer.objects.create(
            family=family,
            from_municipality_id=family.municipality_id,
            to_municipality=to_municipality,
            note=note,
            requested_at=timezone.now(),
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            event_type="transfer.requested",
            obj=transfer,
            new={"family": family.pk, "from": family.municipality_id, "to": to_municipality.pk},
            reason=note,
        )
    return transfer


def _lock(transfer: FamilyTransfer) -> tuple[FamilyTransfer, Family]:
    # The family first, as every other writer of the family does, so two deciders never deadlock.
    family = Family.objects.select_for_update().get(pk=transfer.family_id)
    return FamilyTransfer.objects.select_for_update().get(pk=transfer.pk), family


def transfer_accept(
    *, actor: User, transfer: FamilyTransfer, responsible_worker: User, note: str = ""
) -> FamilyTransfer:
    """The receiving municipality takes the family over (see the module docstring for what moves)."""
    note = note.strip()
    with transaction.atomic():
        transfer, family = _lock(transfer)
        _refuse_not_open(transfer)
        _refuse_decider(actor=actor, transfer=transfer)
        if family.municipality_id != transfer.from_municipality_id:
            raise DomainError(Problem("transfer_stale", _("Perheen kunta on muuttunut pyynnön jälkeen.")))
        if not (
            responsible_worker.is_active
            and responsible_worker.role == Role.SOCIAL_WORKER
            and responsible_worker.municipality_id == transfer.to_municipality_id
        ):
            raise DomainError(
                Problem(
                    "transfer_responsible_not_eligible",
                    _("Vastuutyöntekijäksi voi nimetä vain vastaanottavan kunnan sosiaalityöntekijän."),
                ),
                field_name="responsible_worker",
            )
        # The consent is checked again: the data is handed over now, and it may have been withdrawn meanwhile.
        _refuse_without_consent(family)
        now = timezone.now()
        handover_note = str(
            _("Kuntasiirto: %(from)s → %(to)s.") % {"from": transfer.from_municipality, "to": transfer.to_municipality}
        )
        for enrollment in transfer_enrollments_to_end(family=family):
            enrollment_exit(
                actor=actor,
                enrollment=enrollment,
                exit_date=timezone.localdate(),
                reason=ExitReason.MOVED_AWAY,
                note=handover_note,
            )
        for referral in Referral.objects.select_for_update().filter(
            family=family, status=ReferralStatus.PENDING, programme__municipality_id=transfer.from_municipality_id
        ):
            referral.status = ReferralStatus.WITHDRAWN
            referral.save(update_fields=["status"])
            audit_record(
                actor=actor,
                event_type="referral.withdrawn_by_transfer",
                obj=referral,
                old={"status": ReferralStatus.PENDING},
                new={"status": ReferralStatus.WITHDRAWN},
                reason=handover_note,
            )
        for assignment in CaseAssignment.objects.select_for_update().filter(family=family, ended_at__isnull=True):
            assignment.ended_at, assignment.ended_by, assignment.end_note = now, actor, handover_note
            assignment.save(update_fields=["ended_at", "ended_by", "end_note"])
            audit_record(
                actor=actor,
                event_type="assignment.ended_by_transfer",
                obj=assignment,
                old={"family": family.pk, "worker": assignment.worker_id, "role": assignment.role},
                reason=handover_note,
            )
        family.municipality_id = transfer.to_municipality_id
        family._history_user = actor
        family._change_reason = handover_note
        family.save(update_fields=["municipality"])
        transfer.status = TransferStatus.ACCEPTED
        transfer.decided_at, transfer.decided_by = now, actor
        transfer.decision_note = note
        transfer.responsible_worker = responsible_worker
        transfer.save(update_fields=["status", "decided_at", "decided_by", "decision_note", "responsible_worker"])
        audit_record(
            actor=actor,
            event_type="transfer.accepted",
            obj=transfer,
            old={"status": TransferStatus.REQUESTED, "municipality": transfer.from_municipality_id},
            new={
                "status": TransferStatus.ACCEPTED,
                "municipality": transfer.to_municipality_id,
                "responsible_worker": responsible_worker.pk,
            },
            reason=note,
        )
        case_assign(
            actor=actor,
            family=family,
            worker=responsible_worker,
            role=AssignmentRole.RESPONSIBLE,
            note=note or handover_note,
        )
        tasks_sync(family=family)
    return transfer


def transfer_decline(*, actor: User, transfer: FamilyTransfer, reason: str) -> FamilyTransfer:
    """The receiving municipality does not take the family over: nothing else changes."""
    reason = reason.strip()
    if not reason:
        raise DomainError(
            Problem("transfer_decline_reason_required", _("Kirjaa syy, miksi siirtoa ei hyväksytä.")),
            field_name="note",
        )
    with transaction.atomic():
        transfer, _family = _lock(transfer)
        _refuse_not_open(transfer)
        _refuse_decider(actor=actor, transfer=transfer)
        transfer.status = TransferStatus.DECLINED
        transfer.decided_at, transfer.decided_by = timezone.now(), actor
        transfer.decision_note = reason
        transfer.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        audit_record(
            actor=actor,
            event_type="transfer.declined",
            obj=transfer,
            old={"status": TransferStatus.REQUESTED},
            new={"status": TransferStatus.DECLINED},
            reason=reason,
        )
    return transfer


def transfer_cancel(*, actor: User, transfer: FamilyTransfer, note: str = "") -> FamilyTransfer:
    """The sending side withdraws its request while it is open: the requester, a social worker of the sending
    municipality (the requester may be away) or an admin."""
    with transaction.atomic():
        transfer, _family = _lock(transfer)
        _refuse_not_open(transfer)
        allowed = actor.is_authenticated and (
            actor.pk == transfer.requested_by_id
            or _is_admin(actor)
            or (actor.role == Role.SOCIAL_WORKER and actor.municipality_id == transfer.from_municipality_id)
        )
        if not allowed:
            raise DomainError(
                Problem("transfer_cancel_not_allowed", _("Siirtopyynnön voi perua vain lähettävä kunta."))
            )
        transfer.status = TransferStatus.CANCELLED
        transfer.cancelled_at, transfer.cancelled_by = timezone.now(), actor
        transfer.cancel_note = note.strip()
        transfer.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_note"])
        audit_record(
            actor=actor,
            event_type="transfer.cancelled",
            obj=transfer,
            old={"status": TransferStatus.REQUESTED},
            new={"status": TransferStatus.CANCELLED},
            reason=transfer.cancel_note,
        )
    return transfer
