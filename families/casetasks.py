"""Writes of what is due on a case (CaseTask), derived from the case's state.

`tasks_sync` looks at a family's open enrollments and makes the tasks that are due (each once per cause, by its
`key`) and closes those whose cause has gone: the service-needs assessment is recorded, a newer observation
arrived, the consent was renewed or withdrawn, the enrollment ended. It is idempotent: pages call it after each
event on the family, and `tasks_sync_all` (a daily Celery task) catches dates that simply arrive.
A worker marks a task done with `task_complete`; every change is an audit row.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcomes.models import OutcomeObservation, ServiceNeedsAssessment
from programs.models import EligibilityRule, RuleKind
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from .models import (
    AssignmentRole,
    CaseAssignment,
    CaseTask,
    Consent,
    ConsentScope,
    Enrollment,
    EnrollmentStatus,
    Family,
    TaskKind,
)

# Palvelutarpeen arvio: within three months of the start (Social Welfare Act 36 §: "without undue delay").
ASSESSMENT_DUE_DAYS = 90
# Outcome follow-up: an observation every half-year of participation.
FOLLOW_UP_INTERVAL_DAYS = 182
# A participation consent is confirmed with the guardian once a year.
CONSENT_RENEWAL_DAYS = 365


def _birthday(birth: datetime.date, years: int) -> datetime.date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February: the birthday is 1 March in a common year (as programs.services.age_on)
        return datetime.date(birth.year + years, 3, 1)


def _wanted(family: Family) -> dict[str, dict]:
    """The tasks the family's state calls for now, by key."""
    wanted: dict[str, dict] = {}
    enrollments = list(
        Enrollment.objects.filter(family=family, status=EnrollmentStatus.ACTIVE).prefetch_related("children")
    )
    if not enrollments:
        return wanted
    has_assessment = ServiceNeedsAssessment.objects.filter(family=family).exists()
    max_ages = dict(
        EligibilityRule.objects.filter(
            programme_id__in=[e.programme_id for e in enrollments], kind=RuleKind.CHILD_AGE, is_active=True
        ).values_list("programme_id", "max_age")
    )
    for enrollment in enrollments:
        started = enrollment.activated_on or enrollment.enrolled_on
        children = list(enrollment.children.all())
        if not has_assessment:
            wanted[f"assessment:{enrollment.pk}"] = {
                "kind": TaskKind.ASSESSMENT,
                "enrollment": enrollment,
                "due_on": started + datetime.timedelta(days=ASSESSMENT_DUE_DAYS),
            }
        last = OutcomeObservation.objects.filter(
            child__in=children, metric__programme_id=enrollment.programme_id, voided_at__isnull=True
        ).aggregate(last=Max("period_end"))["last"]
        due = max(last or started, started) + datetime.timedelta(days=FOLLOW_UP_INTERVAL_DAYS)
        wanted[f"follow_up:{enrollment.pk}:{due.isoformat()}"] = {
            "kind": TaskKind.FOLLOW_UP,
            "enrollment": enrollment,
            "due_on": due,
        }
        max_age = max_ages.get(enrollment.programme_id)
        if max_age is not None:
            for child in children:
                wanted[f"age_out:{enrollment.pk}:{child.pk}"] = {
                    "kind": TaskKind.AGE_OUT_EXIT,
                    "enrollment": enrollment,
                    "child": child,
                    "due_on": _birthday(child.birth_date, max_age + 1),
                }
    consents = Consent.objects.current().filter(
        family=family,
        scope=ConsentScope.PARTICIPATION,
        withdrawn_on__isnull=True,
        programme_id__in=[e.programme_id for e in enrollments],
    )
    for consent in consents:
        wanted[f"consent_renewal:{consent.pk}"] = {
            "kind": TaskKind.CONSENT_RENEWAL,
            "due_on": consent.given_on + datetime.timedelta(days=CONSENT_RENEWAL_DAYS),
        }
    return wanted


def tasks_sync(*, family: Family) -> None:
    """Make the family's due tasks and close those whose cause has gone (see the module docstring)."""
    with transaction.atomic():
        Family.objects.select_for_update().get(pk=family.pk)
        wanted = _wanted(family)
        responsible = (
            CaseAssignment.objects.filter(family=family, role=AssignmentRole.RESPONSIBLE, ended_at__isnull=True)
            .values_list("worker_id", flat=True)
            .first()
        )
        existing = {task.key: task for task in CaseTask.objects.filter(family=family)}
        now = timezone.now()
        for key, values in wanted.items():
            if key not in existing:
                task = CaseTask.objects.create(family=family, key=key, assigned_to_id=responsible, **values)
                audit_record(
                    actor=None,
                    event_type="task.created",
                    obj=task,
                    new={"family": family.pk, "kind": task.kind, "due_on": task.due_on},
                )
        for key, task in existing.items():
            if key not in wanted and task.done_at is None:
                # The cause is gone (recorded, renewed, ended): done by the system, not by a person.
                task.done_at = now
                task.save(update_fields=["done_at"])
                audit_record(actor=None, event_type="task.resolved", obj=task, new={"kind": task.kind})
        CaseTask.objects.filter(family=family, done_at__isnull=True).filter(
            ~Q(assigned_to_id=responsible) if responsible else Q(assigned_to__isnull=False)
        ).update(assigned_to_id=responsible)


def tasks_sync_all() -> int:
    """Every family with an open enrollment (the daily run): returns how many were looked at."""
    family_ids = list(
        Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).values_list("family_id", flat=True).distinct()
    )
    for family in Family.objects.filter(pk__in=family_ids):
        tasks_sync(family=family)
    return len(family_ids)


def task_complete(*, actor: User, task: CaseTask) -> CaseTask:
    """A worker marks the task done (e.g. the consent was confirmed by phone)."""
    with transaction.atomic():
        task = CaseTask.objects.select_for_update().get(pk=task.pk)
        if task.done_at is not None:
            raise DomainError(Problem("task_already_done", _("Tehtävä on jo merkitty tehdyksi.")))
        task.done_at, task.done_by = timezone.now(), actor
        task.save(update_fields=["done_at", "done_by"])
        audit_record(actor=actor, event_type="task.done", obj=task, new={"kind": task.kind})
    return task
