"""Writes of case assignment (vastuutyöntekijä, varahenkilöt) and hand-over between workers.

Each family has at most one responsible worker and any number of deputies, all social workers who may see the
family. A hand-over ends the responsible worker's row and starts the next one's in one transaction, with a note;
ended rows are kept, so the family's assignment history is the table itself. Every change is an audit row.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from .models import AssignmentRole, CaseAssignment, Family
from .selectors import families_visible_to


def _refuse_unassignable(*, family: Family, worker: User) -> None:
    if (
        not worker.is_active
        or worker.role != Role.SOCIAL_WORKER
        or not families_visible_to(worker).filter(pk=family.pk).exists()
    ):
        raise DomainError(
            Problem(
                "assignment_worker_not_eligible",
                _("Vastuuhenkilöksi voi nimetä vain perheen kunnan sosiaalityöntekijän."),
            ),
            field_name="worker",
        )


def _lock(family: Family) -> Family:
    # Two workers handing over the same family at once: the second waits and then sees the first's result.
    return Family.objects.select_for_update().get(pk=family.pk)


def case_assign(*, actor: User | None, family: Family, worker: User, role: str, note: str = "") -> CaseAssignment:
    """Name the family's responsible worker (when it has none) or add a deputy."""
    if role not in AssignmentRole.values:
        raise DomainError(Problem("assignment_role_unknown", _("Tuntematon tehtävä.")), field_name="role")
    with transaction.atomic():
        _lock(family)
        _refuse_unassignable(family=family, worker=worker)
        open_rows = CaseAssignment.objects.filter(family=family, ended_at__isnull=True)
        if open_rows.filter(worker=worker).exists():
            raise DomainError(
                Problem("assignment_exists", _("Työntekijä on jo perheen vastuuhenkilö.")), field_name="worker"
            )
        if role == AssignmentRole.RESPONSIBLE and open_rows.filter(role=AssignmentRole.RESPONSIBLE).exists():
            raise DomainError(
                Problem(
                    "responsible_exists",
                    _("Perheellä on jo vastuutyöntekijä: siirrä vastuu siirtolomakkeella."),
                ),
                field_name="worker",
            )
        assignment = CaseAssignment.objects.create(
            family=family,
            worker=worker,
            role=role,
            started_at=timezone.now(),
            assigned_by=actor if actor is not None and actor.is_authenticated else None,
            note=note.strip(),
        )
        audit_record(
            actor=actor,
            event_type="assignment.created",
            obj=assignment,
            new={"family": family.pk, "worker": worker.pk, "role": role},
            reason=assignment.note,
        )
    return assignment


def case_handover(*, actor: User | None, family: Family, to_worker: User, note: str) -> CaseAssignment:
    """Hand the family over to another worker: the present responsible worker's row ends with the note and the
    new one's begins. A deputy who takes over stops being a deputy."""
    note = note.strip()
    if not note:
        raise DomainError(
            Problem("handover_note_required", _("Kirjaa siirron muistiinpano seuraavalle työntekijälle.")),
            field_name="note",
        )
    with transaction.atomic():
        _lock(family)
        _refuse_unassignable(family=family, worker=to_worker)
        now = timezone.now()
        open_rows = CaseAssignment.objects.select_for_update().filter(family=family, ended_at__isnull=True)
        current = open_rows.filter(role=AssignmentRole.RESPONSIBLE).first()
        if current is not None and current.worker_id == to_worker.pk:
            raise DomainError(
                Problem("handover_to_self", _("Työntekijä on jo perheen vastuutyöntekijä.")), field_name="to_worker"
            )
        ended_by = actor if actor is not None and actor.is_authenticated else None
        # The outgoing responsible worker, and the incoming worker's deputy row (one open row per worker).
        for row in open_rows.filter(Q(role=AssignmentRole.RESPONSIBLE) | Q(worker=to_worker)):
            row.ended_at, row.ended_by, row.end_note = now, ended_by, note
            row.save(update_fields=["ended_at", "ended_by", "end_note"])
        assignment = CaseAssignment.objects.create(
            family=family,
            worker=to_worker,
            role=AssignmentRole.RESPONSIBLE,
            started_at=now,
            assigned_by=ended_by,
            note=note,
        )
        audit_record(
            actor=actor,
            event_type="assignment.handed_over",
            obj=assignment,
            old={"family": family.pk, "worker": current.worker_id if current else None},
            new={"family": family.pk, "worker": to_worker.pk},
            reason=note,
        )
    return assignment


def case_assignment_end(*, actor: User | None, assignment: CaseAssignment, note: str = "") -> CaseAssignment:
    """End a deputy's assignment. The responsible worker's ends only by a hand-over, so a family is never left
    without one by accident."""
    with transaction.atomic():
        assignment = CaseAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.ended_at is not None:
            raise DomainError(Problem("assignment_ended", _("Tehtävä on jo päättynyt.")))
        if assignment.role == AssignmentRole.RESPONSIBLE:
            raise DomainError(
                Problem("responsible_needs_handover", _("Vastuutyöntekijän tehtävä päättyy vain siirtämällä vastuu."))
            )
        assignment.ended_at = timezone.now()
        assignment.ended_by = actor if actor is not None and actor.is_authenticated else None
        assignment.end_note = note.strip()
        assignment.save(update_fields=["ended_at", "ended_by", "end_note"])
        audit_record(
            actor=actor,
            event_type="assignment.ended",
            obj=assignment,
            old={"family": assignment.family_id, "worker": assignment.worker_id, "role": assignment.role},
            reason=assignment.end_note,
        )
    return assignment
