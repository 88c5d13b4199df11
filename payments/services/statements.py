"""Writing statements and moving them through their statuses (draft → validated → approved → paid)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from ..models import (
    LineKind,
    PaymentStatement,
    PaymentStatementLine,
    StatementKind,
    StatementStatus,
)
from .calculate import statement_figures

# Allowed next statuses, and who may make each move.
TRANSITIONS: dict[str, dict[str, set[str]]] = {
    StatementStatus.DRAFT: {StatementStatus.VALIDATED: {Role.EVALUATOR, Role.ADMIN}},
    StatementStatus.VALIDATED: {
        StatementStatus.APPROVED: {Role.COORDINATOR, Role.ADMIN},
        StatementStatus.DRAFT: {Role.EVALUATOR, Role.ADMIN},
    },
    StatementStatus.APPROVED: {StatementStatus.PAID: {Role.COORDINATOR, Role.ADMIN}},
    StatementStatus.PAID: {},
}


def statement_transitions_for(*, actor: User, statement: PaymentStatement) -> set[str]:
    """The statuses this actor may move the statement to now: by role, and coordinators only in their programmes."""
    if actor.role == Role.COORDINATOR and not actor.programmes.filter(pk=statement.programme_id).exists():
        return set()
    return {
        to_status
        for to_status, roles in TRANSITIONS[statement.status].items()
        if actor.is_superuser or actor.role in roles
    }


def statement_calculate(
    *,
    programme: Programme,
    kind: str,
    period_start: datetime.date,
    period_end: datetime.date,
    actor: User | None = None,
) -> PaymentStatement:
    """Compute and store the statement of a period, replacing a draft. Call inside the run's lock.

    An approved or paid statement is returned unchanged (later data goes into the next period as an adjustment);
    a validated one must first be returned to draft by the evaluator.
    """
    with transaction.atomic():
        existing = (
            PaymentStatement.objects.select_for_update()
            .filter(programme=programme, kind=kind, period_start=period_start, period_end=period_end)
            .first()
        )
        if existing is not None and existing.status != StatementStatus.DRAFT:
            if existing.is_frozen:
                return existing
            raise DomainError(
                Problem(
                    "statement_validated",
                    _("Laskelma on tarkastettu; arvioijan on palautettava se luonnokseksi ennen uutta laskentaa."),
                )
            )
        figures = statement_figures(programme=programme, kind=kind, period_start=period_start, period_end=period_end)
        if existing is not None:
            existing.lines.all().delete()
            existing.delete()
        period = figures.period
        terms = figures.terms
        statement = PaymentStatement.objects.create(
            programme=programme,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            terms=terms,
            child_count=period.child_count,
            child_years=period.child_years,
            counterfactual_cost=period.counterfactual,
            actual_cost=period.actual,
            savings=period.savings,
            savings_share=terms.savings_share,
            adjustments=figures.adjustments_total,
            carried_forward_in=figures.carried_forward_in,
            carried_forward_out=figures.carried_forward_out,
            uncapped_payment=figures.uncapped_payment,
            period_cap_applied=figures.period_cap_applied,
            total_cap_applied=figures.total_cap_applied,
            payable=figures.payable,
            calculated_at=timezone.now(),
            inputs={
                "terms_id": terms.pk,
                "terms": {
                    "effective_from": terms.effective_from.isoformat(),
                    "counterfactual_basis": terms.counterfactual_basis,
                    "baseline_cost_per_child_year": str(period.baseline),
                    "savings_share": str(terms.savings_share),
                    "period_cap": str(terms.period_cap) if terms.period_cap is not None else None,
                    "total_cap": str(terms.total_cap) if terms.total_cap is not None else None,
                    "carry_forward_negative": terms.carry_forward_negative,
                },
                "cohort_children": period.child_count,
                "exposure_days": period.exposure_days,
                "days_in_year": period.days_in_year,
                "paid_before": str(figures.paid_before),
                "lines": [
                    {
                        "metric": line.metric_code,
                        "unit_cost_valid_from": line.unit_cost_valid_from.isoformat(),
                        "unit_cost": str(line.unit_cost),
                        "observations": line.observation_count,
                        "quantity": str(line.quantity),
                        "amount": str(line.amount),
                    }
                    for line in period.lines
                ],
                "adjustments": [{"statement": a.statement.pk, "amount": str(a.amount)} for a in figures.adjustments],
            },
        )
        PaymentStatementLine.objects.bulk_create(
            [
                PaymentStatementLine(
                    statement=statement,
                    kind=LineKind.METRIC,
                    metric_id=line.metric_id,
                    unit_cost_valid_from=line.unit_cost_valid_from,
                    observation_count=line.observation_count,
                    quantity=line.quantity,
                    unit_cost=line.unit_cost,
                    amount=line.amount,
                    description=line.metric_code,
                )
                for line in period.lines
            ]
            + [
                PaymentStatementLine(
                    statement=statement,
                    kind=LineKind.ADJUSTMENT,
                    adjusts=a.statement,
                    amount=a.amount,
                    description=f"{a.statement.period_start:%Y-%m-%d}–{a.statement.period_end:%Y-%m-%d}",
                )
                for a in figures.adjustments
            ]
        )
        audit_record(
            actor=actor,
            event_type="statement.calculated",
            obj=statement,
            new={"payable": statement.payable, "savings": statement.savings, "period_start": period_start},
        )
    return statement


def statement_transition(
    *,
    actor: User,
    statement: PaymentStatement,
    to_status: str,
    paid_on: datetime.date | None = None,
    payment_reference: str = "",
) -> PaymentStatement:
    with transaction.atomic():
        statement = PaymentStatement.objects.select_for_update().select_related("programme").get(pk=statement.pk)
        if to_status not in TRANSITIONS[statement.status]:
            raise DomainError(
                Problem(
                    "illegal_transition",
                    _("Tilasta %(old)s ei voi siirtyä tilaan %(new)s.")
                    % {"old": statement.get_status_display(), "new": StatementStatus(to_status).label},
                )
            )
        if to_status not in statement_transitions_for(actor=actor, statement=statement):
            raise DomainError(Problem("not_allowed", _("Roolisi ei voi tehdä tätä tilamuutosta.")))
        old = statement.status
        statement.status = to_status
        fields = ["status"]
        if to_status == StatementStatus.VALIDATED:
            statement.validated_at, statement.validated_by = timezone.now(), actor
            fields += ["validated_at", "validated_by"]
        elif to_status == StatementStatus.APPROVED:
            statement.approved_at, statement.approved_by = timezone.now(), actor
            fields += ["approved_at", "approved_by"]
        elif to_status == StatementStatus.PAID:
            if paid_on is None or not payment_reference.strip():
                raise DomainError(Problem("payment_details_missing", _("Kirjaa maksupäivä ja maksun viite.")))
            statement.paid_on, statement.payment_reference = paid_on, payment_reference.strip()
            fields += ["paid_on", "payment_reference"]
        statement.save(update_fields=fields)
        audit_record(
            actor=actor,
            event_type=f"statement.{to_status}",
            obj=statement,
            old={"status": old},
            new={"status": to_status},
        )
    return statement


__all__ = [
    "TRANSITIONS",
    "StatementKind",
    "statement_calculate",
    "statement_transition",
    "statement_transitions_for",
]
