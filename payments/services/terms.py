"""Payment terms as versioned data: a coordinator drafts a version, another person puts it in force with the
deciding body, the decision and a reason. A version in force is never edited once a statement used it (the model
and a PostgreSQL trigger refuse); a change of contract is a new version, in force from a date after every approved
period, so an approved year always keeps the terms it was paid under."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from ..models import FROZEN_STATUSES, PaymentStatement, PaymentTerms, TermsStatus

TERMS_FIELDS = (
    "effective_from",
    "effective_to",
    "counterfactual_basis",
    "baseline_cost_per_child_year",
    "savings_share",
    "period_cap",
    "total_cap",
    "carry_forward_negative",
)


def terms_draft_create(
    *,
    actor: User,
    programme: Programme,
    effective_from: datetime.date,
    effective_to: datetime.date | None,
    counterfactual_basis: str,
    baseline_cost_per_child_year: Decimal,
    savings_share: Decimal,
    period_cap: Decimal | None,
    total_cap: Decimal | None,
    carry_forward_negative: bool,
    decision_body: str = "",
    decision_reference: str = "",
    reason: str = "",
) -> PaymentTerms:
    terms = PaymentTerms(
        programme=programme,
        effective_from=effective_from,
        effective_to=effective_to,
        counterfactual_basis=counterfactual_basis,
        baseline_cost_per_child_year=baseline_cost_per_child_year,
        savings_share=savings_share,
        period_cap=period_cap,
        total_cap=total_cap,
        carry_forward_negative=carry_forward_negative,
        decision_body=decision_body.strip(),
        decision_reference=decision_reference.strip(),
        reason=reason.strip(),
        status=TermsStatus.DRAFT,
        created_by=actor,
    )
    try:
        terms.full_clean()
    except ValidationError as error:
        raise DomainError(
            [Problem("invalid_terms", message) for messages in error.message_dict.values() for message in messages]
        ) from None
    with transaction.atomic():
        terms.save()
        audit_record(
            actor=actor,
            event_type="payment_terms.drafted",
            obj=terms,
            new={name: getattr(terms, name) for name in TERMS_FIELDS},
            reason=terms.reason,
        )
    return terms


def terms_put_in_force(*, actor: User, terms: PaymentTerms) -> PaymentTerms:
    """Draft → in force. Needs the deciding body and a reason, another person than the drafter, and a start after
    every approved period of the programme."""
    with transaction.atomic():
        Programme.objects.select_for_update().filter(pk=terms.programme_id).first()
        terms = PaymentTerms.objects.select_for_update().get(pk=terms.pk)
        problems = []
        if terms.status != TermsStatus.DRAFT:
            problems.append(Problem("terms_not_draft", _("Vain luonnoksen voi saattaa voimaan.")))
        if not terms.decision_body or not terms.reason:
            problems.append(
                Problem("decision_missing", _("Kirjaa päättävä toimielin ja perustelu ennen voimaan saattamista."))
            )
        if terms.created_by_id == actor.pk:
            problems.append(
                Problem("four_eyes", _("Neljän silmän periaate: luonnoksen laatija ei voi saattaa sitä voimaan."))
            )
        last_approved = (
            PaymentStatement.objects.filter(programme_id=terms.programme_id, status__in=FROZEN_STATUSES)
            .order_by("-period_end")
            .values_list("period_end", flat=True)
            .first()
        )
        if last_approved is not None and terms.effective_from <= last_approved:
            problems.append(
                Problem(
                    "terms_before_approved_period",
                    _("Uudet ehdot voivat tulla voimaan vasta hyväksytyn kauden (%(date)s) jälkeen.")
                    % {"date": date_format(last_approved)},
                )
            )
        if problems:
            raise DomainError(problems)
        terms.status, terms.in_force_at, terms.in_force_by = TermsStatus.IN_FORCE, timezone.now(), actor
        # Only a draft is saved here: no statement can have used it yet.
        terms.save(update_fields=["status", "in_force_at", "in_force_by"])
        audit_record(
            actor=actor,
            event_type="payment_terms.in_force",
            obj=terms,
            old={"status": TermsStatus.DRAFT},
            new={"status": TermsStatus.IN_FORCE, "decision_body": terms.decision_body},
            reason=terms.reason,
        )
    return terms
