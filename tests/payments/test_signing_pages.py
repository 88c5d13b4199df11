"""The statement page as a payer signs it: sample, four eyes, two approvers, the document, the diff."""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from outcomes.models import OutcomeObservation
from payments.models import PaymentStatement, SampleItemOutcome, StatementKind, StatementSample, StatementStatus
from payments.services.sampling import draw, sample_draw, sample_item_check, sample_size, statement_population
from payments.services.statements import statement_calculate, statement_transition
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import OutcomeObservationFactory, UserFactory
from . import signing

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}


@pytest.fixture
def evaluator(db):
    return UserFactory(role=Role.EVALUATOR, municipality=None)


@pytest.fixture
def coordinator(worked_example):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])


@pytest.fixture
def statement(worked_example):
    return statement_calculate(programme=worked_example["programme"], **YEAR_2024)


def _detail(client, statement) -> str:
    return client.get(reverse("payments:statement_detail", args=[statement.pk])).content.decode()


def test_sample_size_follows_confidence_and_margin():
    assert sample_size(population=10000, confidence=Decimal("0.95"), margin=Decimal("0.05")) == 370
    assert sample_size(population=3, confidence=Decimal("0.95"), margin=Decimal("0.05")) == 3
    assert sample_size(population=0, confidence=Decimal("0.95"), margin=Decimal("0.05")) == 0


def test_validation_is_refused_until_the_sample_is_drawn_and_checked(client, evaluator, statement):
    client.force_login(evaluator)
    url = reverse("payments:statement_transition", args=[statement.pk])
    page = client.post(url, {"to_status": "validated"}, follow=True).content.decode()
    assert "Poimi ja tarkasta otos" in page
    client.post(reverse("payments:sample_draw", args=[statement.pk]))
    sample = StatementSample.objects.get(statement=statement)
    assert sample.size == 3 and sample.items.count() == 3
    client.post(url, {"to_status": "validated"})
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT
    for item in sample.items.all():
        client.post(reverse("payments:sample_item", args=[statement.pk, item.pk]), {"action": "confirmed", "note": ""})
    client.post(url, {"to_status": "validated"})
    statement.refresh_from_db()
    assert statement.status == StatementStatus.VALIDATED
    assert "Virheosuus" in _detail(client, statement)


def test_the_draw_is_reproducible_from_its_stored_seed(evaluator, statement, worked_example):
    signing.check_sample(statement, evaluator)
    first = StatementSample.objects.get(statement=statement)
    chosen = sorted(first.items.values_list("observation_id", flat=True))
    assert draw(population=statement_population(statement=statement), size=first.size, seed=first.seed) == chosen


def test_a_disputed_observation_is_corrected_and_the_draft_must_be_recalculated(
    client, evaluator, statement, worked_example, django_capture_on_commit_callbacks
):
    client.force_login(evaluator)
    client.post(reverse("payments:sample_draw", args=[statement.pk]))
    sample = StatementSample.objects.get(statement=statement)
    wrong = sample.items.get(observation__child=worked_example["a"])
    item_url = reverse("payments:sample_item", args=[statement.pk, wrong.pk])
    evidence = SimpleUploadedFile("ote.pdf", b"%PDF-1.4 source record", content_type="application/pdf")
    client.post(item_url, {"action": "disputed", "note": "Rekisterissä 8 päivää", "evidence": evidence})
    wrong.refresh_from_db()
    assert (wrong.outcome, bool(wrong.evidence)) == (SampleItemOutcome.DISPUTED, True)
    client.post(item_url, {"action": "correct", "note": "Rekisterin mukaan 8 päivää", "value": "8"})
    assert OutcomeObservation.objects.get(pk=wrong.observation_id).value == Decimal("8.00")
    assert OutcomeObservation.history.filter(id=wrong.observation_id, value=Decimal("10.00")).exists()
    for item in sample.items.exclude(pk=wrong.pk):
        client.post(reverse("payments:sample_item", args=[statement.pk, item.pk]), {"action": "confirmed"})
    transition = reverse("payments:statement_transition", args=[statement.pk])
    page = client.post(transition, {"to_status": "validated"}, follow=True).content.decode()
    assert "laske laskelma uudelleen" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("payments:statement_recalculate", args=[statement.pk]))
    client.post(transition, {"to_status": "validated"})
    statement.refresh_from_db()
    assert statement.status == StatementStatus.VALIDATED
    assert statement.actual_cost == Decimal("6220.00") - 2 * Decimal("330.00")


def test_a_dispute_needs_a_note(evaluator, statement):
    item = sample_draw(actor=evaluator, statement=statement).items.first()
    with pytest.raises(DomainError) as error:
        sample_item_check(actor=evaluator, item=item, outcome=SampleItemOutcome.DISPUTED, note=" ")
    assert error.value.codes == ["note_required"]


def test_evidence_of_the_wrong_type_is_refused(client, evaluator, statement):
    client.force_login(evaluator)
    client.post(reverse("payments:sample_draw", args=[statement.pk]))
    item = StatementSample.objects.get(statement=statement).items.first()
    script = SimpleUploadedFile("x.html", b"<script>", content_type="text/html")
    page = client.post(
        reverse("payments:sample_item", args=[statement.pk, item.pk]),
        {"action": "disputed", "note": "?", "evidence": script},
        follow=True,
    ).content.decode()
    assert "PDF-, PNG- tai JPEG" in page
    item.refresh_from_db()
    assert item.outcome == SampleItemOutcome.PENDING


def test_the_validator_cannot_approve_even_as_an_admin(statement, worked_example):
    admin = UserFactory(role=Role.ADMIN, municipality=None, is_superuser=True, is_staff=True)
    signing.validate(statement, admin)
    with pytest.raises(DomainError) as error:
        statement_transition(actor=admin, statement=statement, to_status=StatementStatus.APPROVED)
    assert error.value.codes == ["four_eyes"]


def test_the_approver_cannot_record_the_payment(statement, evaluator, coordinator):
    signing.approve(statement, evaluator, coordinator)
    with pytest.raises(DomainError) as error:
        statement_transition(
            actor=coordinator,
            statement=statement,
            to_status=StatementStatus.PAID,
            paid_on=D(2025, 3, 1),
            payment_reference="RF1",
        )
    assert error.value.codes == ["four_eyes"]


@override_settings(SIBCASE={**settings.SIBCASE, "PAYMENT_SECOND_APPROVAL_OVER": Decimal("1000.00")})
def test_a_large_statement_needs_two_approvers(statement, evaluator, coordinator, worked_example):
    first = signing.approve(statement, evaluator, coordinator)
    assert (first.status, first.approved_by) == (StatementStatus.VALIDATED, coordinator)
    with pytest.raises(DomainError):
        statement_transition(actor=coordinator, statement=first, to_status=StatementStatus.APPROVED)
    second = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])
    final = statement_transition(actor=second, statement=first, to_status=StatementStatus.APPROVED)
    assert (final.status, final.co_approved_by) == (StatementStatus.APPROVED, second)
    assert AuditEvent.objects.filter(event_type="statement.first_approval").exists()


def test_the_approved_statement_downloads_as_a_finnish_csv_and_a_pdf(client, statement, evaluator, coordinator):
    signing.approve(statement, evaluator, coordinator)
    client.force_login(coordinator)
    csv = client.get(reverse("payments:statement_document", args=[statement.pk, "csv"]))
    text = csv.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "Maksettava rahastolle (EUR);5023,88" in text
    assert "Vahvistettu / kiistetty;3 / 0" in text
    assert coordinator.username in text or coordinator.get_full_name() in text
    pdf = client.get(reverse("payments:statement_document", args=[statement.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_a_draft_has_no_document(client, statement, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("payments:statement_document", args=[statement.pk, "csv"])).status_code == 404


def test_a_preview_offers_no_workflow(client, worked_example, evaluator):
    preview = statement_calculate(
        programme=worked_example["programme"],
        kind=StatementKind.PREVIEW,
        period_start=D(2024, 1, 1),
        period_end=D(2024, 3, 31),
    )
    client.force_login(evaluator)
    page = _detail(client, preview)
    assert "Merkitse tarkastetuksi" not in page and "Poimi tarkastusotos" not in page


def test_the_recalculation_diff_shows_what_changed(client, statement, worked_example, coordinator):
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1), value=Decimal("1")
    )
    statement_calculate(programme=worked_example["programme"], **YEAR_2024)
    client.force_login(coordinator)
    page = _detail(client, statement)
    assert "Muutokset edelliseen laskentaan" in page
    assert "6220.00" in page and "6780.00" in page
    assert AuditEvent.objects.filter(event_type="statement.recalculated").get().old_values["figures"]


def test_changes_after_validation_are_listed(client, statement, worked_example, evaluator):
    signing.validate(statement, evaluator)
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1), value=Decimal("1")
    )
    client.force_login(evaluator)
    page = _detail(client, PaymentStatement.objects.get(pk=statement.pk))
    assert "Muuttunut tarkastuksen jälkeen" in page and "Uusia havaintoja: 1" in page
