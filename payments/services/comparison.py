"""The evaluator's comparison-group figure: the expected annual corrective-service cost per child for a period."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from ..models import FROZEN_STATUSES, ComparisonGroupCost, PaymentStatement
from .calculate import check_period


def comparison_cost_record(
    *,
    actor: User,
    programme: Programme,
    period_start: datetime.date,
    period_end: datetime.date,
    cost_per_child_year: Decimal,
) -> ComparisonGroupCost:
    """Record (or correct) the figure for a period. Refused once a statement of that period is approved: its
    counterfactual would no longer be reproducible from what is stored."""
    check_period(period_start, period_end)
    if cost_per_child_year < 0:
        raise DomainError(
            Problem("negative_cost", _("Kustannus ei voi olla negatiivinen.")), field_name="cost_per_child_year"
        )
    with transaction.atomic():
        if PaymentStatement.objects.filter(
            programme=programme, period_start=period_start, period_end=period_end, status__in=FROZEN_STATUSES
        ).exists():
            raise DomainError(
                Problem(
                    "statement_frozen",
                    _("Kauden laskelma on jo hyväksytty; sen vertailuluku ei voi enää muuttua."),
                )
            )
        existing = (
            ComparisonGroupCost.objects.select_for_update()
            .filter(programme=programme, period_start=period_start, period_end=period_end)
            .first()
        )
        old = existing.cost_per_child_year if existing else None
        figure, _created = ComparisonGroupCost.objects.update_or_create(
            programme=programme,
            period_start=period_start,
            period_end=period_end,
            defaults={"cost_per_child_year": cost_per_child_year, "entered_by": actor},
        )
        audit_record(
            actor=actor,
            event_type="comparison_cost.recorded",
            obj=figure,
            old={"cost_per_child_year": old},
            new={"cost_per_child_year": cost_per_child_year, "period_start": period_start},
        )
    return figure
