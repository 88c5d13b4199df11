"""Payment terms as versioned data: drafted, put in force by another person with a decision, never edited once used."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.models import PaymentTerms, StatementKind, TermsStatus
from payments.services.calculate import terms_for
from payments.services.statements import statement_calculate
from payments.services.terms import terms_draft_create, terms_put_in_force
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import UserFactory
from . import signing

pytestmark = pytest.mark.django_db
D = datetime.date


def _draft(programme, actor, **overrides):
    values = {
        "effective_from": D(2025, 1, 1),
        "effective_to": None,
        "counterfactual_basis": "fixed_baseline",
        "baseline_cost_per_child_year": Decimal("7000.00"),
        "savings_share": Decimal("0.4000"),
        "period_cap": Decimal("50000.00"),
        "total_cap": Decimal("900000.00"),
        "carry_forward_negative": True,
        "decision_body": "Vantaan sosiaali- ja terveyslautakunta",
        "decision_reference": "§ 12 / 2025",
        "reason": "Sopimusmuutos",
    }
    return terms_draft_create(actor=actor, programme=programme, **{**values, **overrides})


@pytest.fixture
def coordinators(worked_example):
    programme = worked_example["programme"]
    return [UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme]) for _ in range(2)]


def test_a_draft_is_not_used_until_put_in_force(worked_example, coordinators):
    programme = worked_example["programme"]
    draft = _draft(programme, coordinators[0])
    assert terms_for(programme=programme, period_start=D(2025, 1, 1), period_end=D(2025, 12, 31)) != draft
    terms_put_in_force(actor=coordinators[1], terms=draft)
    assert terms_for(programme=programme, period_start=D(2025, 1, 1), period_end=D(2025, 12, 31)) == draft
    assert AuditEvent.objects.filter(event_type="payment_terms.in_force", reason="Sopimusmuutos").exists()


def test_the_drafter_cannot_put_the_terms_in_force(worked_example, coordinators):
    draft = _draft(worked_example["programme"], coordinators[0])
    with pytest.raises(DomainError) as error:
        terms_put_in_force(actor=coordinators[0], terms=draft)
    assert error.value.codes == ["four_eyes"]


def test_terms_need_the_deciding_body_and_a_reason(worked_example, coordinators):
    draft = _draft(worked_example["programme"], coordinators[0], decision_body="", reason="")
    with pytest.raises(DomainError) as error:
        terms_put_in_force(actor=coordinators[1], terms=draft)
    assert error.value.codes == ["decision_missing"]


def test_new_terms_cannot_reach_back_into_an_approved_period(worked_example, coordinators):
    programme = worked_example["programme"]
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    signing.approve(
        statement_calculate(
            programme=programme, kind=StatementKind.ANNUAL, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31)
        ),
        evaluator,
        coordinators[0],
    )
    draft = _draft(programme, coordinators[0], effective_from=D(2024, 7, 1))
    with pytest.raises(DomainError) as error:
        terms_put_in_force(actor=coordinators[1], terms=draft)
    assert error.value.codes == ["terms_before_approved_period"]
    assert PaymentTerms.objects.get(pk=draft.pk).status == TermsStatus.DRAFT


def test_coordinators_draft_and_put_terms_in_force_on_the_page(client, worked_example, coordinators):
    programme = worked_example["programme"]
    client.force_login(coordinators[0])
    response = client.post(
        reverse("payments:terms_create"),
        {
            "programme": programme.pk,
            "effective_from": "2025-01-01",
            "counterfactual_basis": "fixed_baseline",
            "baseline_cost_per_child_year": "7000.00",
            "savings_share": "0.4",
            "period_cap": "",
            "total_cap": "900000",
            "carry_forward_negative": "on",
            "decision_body": "Lautakunta",
            "decision_reference": "§ 1",
            "reason": "Sopimusmuutos",
        },
    )
    assert response.status_code == 302
    draft = PaymentTerms.objects.get(status=TermsStatus.DRAFT)
    client.force_login(coordinators[1])
    client.post(reverse("payments:terms_put_in_force", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == TermsStatus.IN_FORCE
    page = client.get(reverse("payments:terms_list")).content.decode()
    assert "Lautakunta" in page and "Voimassa" in page
