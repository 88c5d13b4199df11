"""Writing statements and moving them through their statuses (draft → validated → approved → paid).

Four eyes: the evaluator who validates never approves; the approvers never record the payment; a statement paying
more than `SIBCASE["PAYMENT_SECOND_APPROVAL_OVER"]` needs two approvers. Validation freezes the inputs (freeze.py)
and needs the evaluator's verification sample to be complete (sampling.py). Previews never leave draft.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.aggregate_cache import programme_data_changed
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from ..models import (
    FROZEN_STATUSES,
    PAYABLE_KINDS,
    LineKind,
    PaymentStatement,
    PaymentStatementLine,
    StatementKind,
    StatementStatus,
)
from .calculate import StatementFigures, adjustments_already_made, statement_figures, true_up_period
from .freeze import statement_freeze, statement_unfreeze
from .sampling import sample_problems

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


def second_approval_needed(statement: PaymentStatement) -> bool:
    return statement.payable > settings.SIBCASE["PAYMENT_SECOND_APPROVAL_OVER"]


def _four_eyes_allows(*, actor: User, statement: PaymentStatement, to_status: str) -> bool:
    """The same person never validates and approves, nor approves twice, nor approves and records the payment."""
    if to_status == StatementStatus.APPROVED:
        return actor.pk not in (statement.validated_by_id, statement.approved_by_id)
    if to_status == StatementStatus.PAID:
        return actor.pk not in (statement.approved_by_id, statement.co_approved_by_id)
    return True


def statement_transitions_for(*, actor: User, statement: PaymentStatement) -> set[str]:
    """The statuses this actor may move the statement to now: by role, coordinators only in their programmes, and
    never against the four-eyes rule. Previews are estimates: none."""
    if statement.kind not in PAYABLE_KINDS:
        return set()
    if actor.role == Role.COORDINATOR and not actor.programmes.filter(pk=statement.programme_id).exists():
        return set()
    return {
        to_status
        for to_status, roles in TRANSITIONS[statement.status].items()
        if (actor.is_superuser or actor.role in roles)
        and _four_eyes_allows(actor=actor, statement=statement, to_status=to_status)
    }


def _figures_inputs(figures: StatementFigures) -> dict:
    period = figures.period
    return {
        "terms_id": figures.terms.terms_id,
        "terms": figures.terms.as_inputs(period.baseline),
        "cohort_children": period.child_count,
        "exposure_days": period.exposure_days,
        "days_in_year": period.days_in_year,
        "approved_elsewhere": str(figures.approved_elsewhere),
        "carried_forward_in": str(figures.carried_forward_in),
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
        "adjustments": [a.as_inputs() for a in figures.adjustments],
    }


def _figures_fields(figures: StatementFigures) -> dict:
    period = figures.period
    return {
        "terms_id": figures.terms.terms_id,
        "child_count": period.child_count,
        "child_years": period.child_years if period.days_in_year > 1 else Decimal("0"),
        "counterfactual_cost": period.counterfactual,
        "actual_cost": period.actual,
        "savings": period.savings,
        "savings_share": figures.terms.savings_share,
        "adjustments": figures.adjustments_total,
        "carried_forward_in": figures.carried_forward_in,
        "carried_forward_out": figures.carried_forward_out,
        "uncapped_payment": figures.uncapped_payment,
        "period_payable": figures.period_payable,
        "refund_due": figures.refund_due,
        "period_cap_applied": figures.period_cap_applied,
        "total_cap_applied": figures.total_cap_applied,
        "payable": figures.payable,
        "inputs": _figures_inputs(figures),
    }


def _summary_order(line: PaymentStatementLine) -> tuple:
    """The database's order_by("kind", "description", "unit_cost", "adjusts_id"), NULLs last as PostgreSQL does."""
    return (line.kind, line.description, line.unit_cost, line.adjusts_id is None, line.adjusts_id or 0)


def statement_summary(statement: PaymentStatement, *, lines: list[PaymentStatementLine] | None = None) -> dict:
    """The figures and lines of a statement as plain values: what the recalculation diff and the audit keep.
    A page that has read the lines passes them."""
    if lines is None:
        lines = list(statement.lines.order_by("kind", "description", "unit_cost", "adjusts_id"))
    else:
        lines = sorted(lines, key=_summary_order)
    return {
        "payable": str(statement.payable),
        "savings": str(statement.savings),
        "counterfactual_cost": str(statement.counterfactual_cost),
        "actual_cost": str(statement.actual_cost),
        "child_count": statement.child_count,
        "adjustments": str(statement.adjustments),
        "calculated_at": statement.calculated_at.isoformat() if statement.calculated_at else None,
        "lines": [
            {
                "kind": line.kind,
                "description": line.description,
                "unit_cost": str(line.unit_cost),
                "quantity": str(line.quantity),
                "observations": line.observation_count,
                "amount": str(line.amount),
            }
            for line in lines
        ],
    }


def statement_calculate(
    *,
    programme: Programme,
    kind: str,
    period_start: datetime.date,
    period_end: datetime.date,
    actor: User | None = None,
) -> PaymentStatement:
    """Compute and store the statement of a period, recalculating a draft in place (its previous figures are kept
    for the diff and in the audit trail). Call inside the run's lock.

    An approved or paid statement is returned unchanged (later data goes into the next statement as an adjustment);
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
        figures = statement_figures(
            programme=programme,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            exclude_statement_id=existing.pk if existing else None,
        )
        previous = statement_summary(existing) if existing is not None else {}
        statement = existing or PaymentStatement(
            programme=programme, kind=kind, period_start=period_start, period_end=period_end
        )
        for name, value in _figures_fields(figures).items():
            setattr(statement, name, value)
        statement.calculated_at = timezone.now()
        statement.previous_figures = previous
        statement.save()
        if existing is not None:  # a new statement has no lines to replace
            statement.lines.all().delete()
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
                for line in figures.period.lines
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
            event_type="statement.recalculated" if existing is not None else "statement.calculated",
            obj=statement,
            old={"figures": previous} if previous else None,
            new={"figures": statement_summary(statement)},
        )
        # The fund reports' cached figures read the statements.
        programme_data_changed(programme_ids=[statement.programme_id])
    return statement


def true_up_calculate(*, programme: Programme, actor: User | None = None) -> PaymentStatement:
    """The final true-up: after the last year is approved, late data for any approved year lands here as
    adjustments (what each year should have paid with today's data, less what it paid)."""
    start, end = true_up_period(programme)
    return statement_calculate(
        programme=programme, kind=StatementKind.TRUE_UP, period_start=start, period_end=end, actor=actor
    )


def _refuse(code: str, message) -> None:
    raise DomainError(Problem(code, message))


def _check_still_current(statement: PaymentStatement) -> None:
    """At approval, under the programme's lock: nothing approved since the calculation may make this statement pay
    past the total cap, nor adjust an earlier year twice."""
    others = PaymentStatement.objects.filter(programme=statement.programme, status__in=FROZEN_STATUSES).exclude(
        pk=statement.pk
    )
    approved = sum(others.values_list("payable", flat=True), Decimal("0.00"))
    total_cap = statement.inputs.get("terms", {}).get("total_cap")
    if total_cap is not None and approved + statement.payable > Decimal(total_cap):
        _refuse(
            "total_cap_exceeded",
            _(
                "Hyväksyntä ylittäisi kokonaiskaton: hyväksyttyjä ja maksettuja laskelmia on %(approved)s EUR, katto "
                "%(cap)s EUR. Palauta laskelma luonnokseksi ja laske se uudelleen."
            )
            % {"approved": approved, "cap": total_cap},
        )
    adjustments = statement.inputs.get("adjustments", [])
    already = adjustments_already_made(
        programme=statement.programme, statement_ids=[a["statement"] for a in adjustments]
    )
    if any(already.get(a["statement"], Decimal("0.00")) != Decimal(a["already_adjusted"]) for a in adjustments):
        _refuse(
            "adjustments_stale",
            _(
                "Aiempien vuosien oikaisuja on hyväksytty toisessa laskelmassa tämän laskennan jälkeen. Palauta "
                "laskelma luonnokseksi ja laske se uudelleen."
            ),
        )


def statement_transition(
    *,
    actor: User,
    statement: PaymentStatement,
    to_status: str,
    paid_on: datetime.date | None = None,
    payment_reference: str = "",
) -> PaymentStatement:
    with transaction.atomic():
        # Approvals of one programme are serialised on its row: the total cap is checked against a settled sum.
        Programme.objects.select_for_update().filter(pk=statement.programme_id).first()
        statement = PaymentStatement.objects.select_for_update().select_related("programme").get(pk=statement.pk)
        if statement.kind not in PAYABLE_KINDS:
            _refuse("preview_not_payable", _("Ennakkolaskelma on arvio: sitä ei tarkasteta, hyväksytä eikä makseta."))
        if to_status not in TRANSITIONS[statement.status]:
            _refuse(
                "illegal_transition",
                _("Tilasta %(old)s ei voi siirtyä tilaan %(new)s.")
                % {"old": statement.get_status_display(), "new": StatementStatus(to_status).label},
            )
        if not _four_eyes_allows(actor=actor, statement=statement, to_status=to_status):
            _refuse(
                "four_eyes",
                _("Neljän silmän periaate: sama henkilö ei voi tarkastaa ja hyväksyä eikä hyväksyä ja kirjata maksua."),
            )
        if to_status not in statement_transitions_for(actor=actor, statement=statement):
            _refuse("not_allowed", _("Roolisi ei voi tehdä tätä tilamuutosta."))
        old = statement.status
        now = timezone.now()
        fields = ["status"]
        new_values: dict = {"status": to_status}
        if to_status == StatementStatus.VALIDATED:
            problems = sample_problems(statement=statement)
            if problems:
                raise DomainError(problems)
            statement.frozen_hash, statement.frozen_at = statement_freeze(statement=statement), now
            statement.validated_at, statement.validated_by = now, actor
            fields += ["validated_at", "validated_by", "frozen_hash", "frozen_at"]
            new_values["frozen_hash"] = statement.frozen_hash
        elif to_status == StatementStatus.DRAFT:
            statement_unfreeze(statement=statement)
            statement.frozen_hash, statement.frozen_at = "", None
            statement.validated_at = statement.validated_by = statement.approved_at = statement.approved_by = None
            fields += ["frozen_hash", "frozen_at", "validated_at", "validated_by", "approved_at", "approved_by"]
        elif to_status == StatementStatus.APPROVED:
            _check_still_current(statement)
            if second_approval_needed(statement) and statement.approved_by_id is None:
                # First of two approvals: recorded, the statement waits for the second approver.
                to_status = StatementStatus.VALIDATED
                statement.approved_at, statement.approved_by = now, actor
                fields += ["approved_at", "approved_by"]
                new_values = {"status": to_status, "first_approval": actor.pk}
            elif statement.approved_by_id is None:
                statement.approved_at, statement.approved_by = now, actor
                fields += ["approved_at", "approved_by"]
            else:
                statement.co_approved_at, statement.co_approved_by = now, actor
                fields += ["co_approved_at", "co_approved_by"]
        elif to_status == StatementStatus.PAID:
            if paid_on is None or not payment_reference.strip():
                _refuse("payment_details_missing", _("Kirjaa maksupäivä ja maksun viite."))
            statement.paid_on, statement.payment_reference = paid_on, payment_reference.strip()
            statement.paid_recorded_at, statement.paid_recorded_by = now, actor
            fields += ["paid_on", "payment_reference", "paid_recorded_at", "paid_recorded_by"]
        statement.status = to_status
        statement.save(update_fields=fields)
        event = "statement.first_approval" if new_values.get("first_approval") else f"statement.{to_status}"
        audit_record(actor=actor, event_type=event, obj=statement, old={"status": old}, new=new_values)
        programme_data_changed(programme_ids=[statement.programme_id])
    return statement


__all__ = [
    "TRANSITIONS",
    "StatementKind",
    "second_approval_needed",
    "statement_calculate",
    "statement_transition",
    "statement_transitions_for",
    "true_up_calculate",
]
