"""Test helpers: take a statement through the evaluator's sample check, validation and approval."""

from payments.models import PaymentStatement, SampleItemOutcome, StatementStatus
from payments.services.sampling import sample_draw, sample_item_check, statement_population
from payments.services.statements import statement_transition


def check_sample(statement: PaymentStatement, evaluator) -> None:
    if not statement_population(statement=statement):
        return
    sample = sample_draw(actor=evaluator, statement=statement, seed=1)
    for item in sample.items.all():
        sample_item_check(actor=evaluator, item=item, outcome=SampleItemOutcome.CONFIRMED)


def validate(statement: PaymentStatement, evaluator) -> PaymentStatement:
    if not hasattr(statement, "sample") or statement.sample is None:
        check_sample(statement, evaluator)
    return statement_transition(actor=evaluator, statement=statement, to_status=StatementStatus.VALIDATED)


def approve(statement: PaymentStatement, evaluator, coordinator) -> PaymentStatement:
    statement = validate(statement, evaluator)
    return statement_transition(actor=coordinator, statement=statement, to_status=StatementStatus.APPROVED)
