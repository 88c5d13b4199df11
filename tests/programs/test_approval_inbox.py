"""The coordinators' approval inbox: backdating requests (request → approve/reject) and statements to approve."""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse

from families import services as family_services
from families.models import Enrollment
from payments.models import StatementStatus
from programs.backdating import backdating_request_approve, backdating_request_reject
from programs.models import BackdatingRequest, BackdatingStatus
from programs.selectors import approval_inbox_for
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
    PaymentStatementFactory,
    PaymentTermsFactory,
    ProgrammeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
FROZEN = {"frozen_hash": "0" * 64, "frozen_at": datetime.datetime(2025, 1, 20, tzinfo=datetime.UTC)}
REASON = "Asiakkuus alkoi ennen lautakunnan päätöstä; kirjaus viivästyi."


@pytest.fixture
def closed():
    return ProgrammeFactory(
        start_date=D(2019, 10, 1),
        enrollment_opens=D(2019, 10, 1),
        enrollment_cutoff=D(2021, 9, 1),
        cutoff_decision_body="Lautakunta",
    )


@pytest.fixture
def worker(closed):
    return UserFactory(role=Role.SOCIAL_WORKER, municipality=closed.municipality)


@pytest.fixture
def coordinator(closed):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[closed])


@pytest.fixture
def family(closed):
    family = FamilyFactory(municipality=closed.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=closed, given_on=D(2021, 8, 1))
    return family


@pytest.fixture
def pending(closed, family, worker):
    return family_services.backdating_request_create(
        actor=worker, programme=closed, family=family, enrolled_on=D(2021, 8, 31), reason=REASON
    )


def test_backdated_attempt_becomes_a_pending_request_and_nothing_is_enrolled(pending, family):
    assert pending.status == BackdatingStatus.PENDING
    assert list(pending.children.all()) == list(family.children.all())
    assert not Enrollment.objects.filter(family=family).exists()
    assert AuditEvent.objects.filter(event_type="backdating_request.created", object_id=str(pending.pk)).exists()


def test_request_for_a_date_that_is_not_backdated_is_refused(closed, family, worker):
    with pytest.raises(DomainError) as exc:
        family_services.backdating_request_create(
            actor=worker, programme=closed, family=family, enrolled_on=D(2021, 9, 2), reason=REASON
        )
    assert "not_backdated" in exc.value.codes


def test_request_failing_another_enrollment_check_is_refused(closed, worker):
    no_consent = FamilyFactory(municipality=closed.municipality)
    ChildFactory(family=no_consent)
    with pytest.raises(DomainError) as exc:
        family_services.backdating_request_create(
            actor=worker, programme=closed, family=no_consent, enrolled_on=D(2021, 8, 31), reason=REASON
        )
    assert exc.value.codes == ["consent_missing"]


def test_second_pending_request_for_the_same_family_is_refused(pending, closed, family, worker):
    with pytest.raises(DomainError) as exc:
        family_services.backdating_request_create(
            actor=worker, programme=closed, family=family, enrolled_on=D(2021, 8, 30), reason=REASON
        )
    assert exc.value.codes == ["backdating_request_pending"]


def test_database_refuses_a_second_pending_request(pending):
    with pytest.raises(IntegrityError):
        BackdatingRequest.objects.create(
            programme=pending.programme, family=pending.family, enrolled_on=D(2021, 8, 1), reason="x"
        )


def test_approval_enrolls_the_family_with_the_coordinator_as_approver(pending, coordinator):
    backdating_request_approve(actor=coordinator, request=pending)
    pending.refresh_from_db()
    enrollment = pending.enrollment
    assert pending.status == BackdatingStatus.APPROVED
    assert (enrollment.enrolled_on, enrollment.backdating_approved_by) == (D(2021, 8, 31), coordinator)
    assert enrollment.backdating_reason == REASON
    assert AuditEvent.objects.filter(event_type="enrollment.backdating_approved").exists()


def test_a_coordinator_of_another_programme_cannot_approve(pending):
    other = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory()])
    with pytest.raises(DomainError) as exc:
        backdating_request_approve(actor=other, request=pending)
    assert exc.value.codes == ["backdating_approver_not_coordinator"]
    pending.refresh_from_db()
    assert pending.status == BackdatingStatus.PENDING


def test_rejection_needs_a_reason_and_enrolls_nobody(pending, coordinator):
    with pytest.raises(DomainError):
        backdating_request_reject(actor=coordinator, request=pending, note=" ")
    backdating_request_reject(actor=coordinator, request=pending, note="Ei asiakkuutta ennen päätöstä.")
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == (BackdatingStatus.REJECTED, coordinator)
    assert not Enrollment.objects.filter(family=pending.family).exists()


def test_a_decided_request_cannot_be_decided_again(pending, coordinator):
    backdating_request_reject(actor=coordinator, request=pending, note="Ei.")
    with pytest.raises(DomainError) as exc:
        backdating_request_approve(actor=coordinator, request=pending)
    assert exc.value.codes == ["backdating_request_decided"]


def test_inbox_lists_pending_requests_and_validated_statements_of_own_programmes(pending, closed, coordinator):
    terms = PaymentTermsFactory(programme=closed)
    waiting = PaymentStatementFactory(terms=terms, status=StatementStatus.VALIDATED, **FROZEN)
    PaymentStatementFactory(terms=terms, status=StatementStatus.DRAFT, period_start=D(2023, 1, 1))
    other = PaymentStatementFactory(status=StatementStatus.VALIDATED, **FROZEN)
    inbox = approval_inbox_for(coordinator)
    assert inbox.backdating_requests == [pending]
    assert inbox.statements == [waiting]
    assert other not in inbox.statements
    assert inbox.count == 2


def test_inbox_is_empty_for_a_social_worker(pending, worker):
    assert approval_inbox_for(worker).count == 0


def test_inbox_page_approves_a_request(client, pending, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("programs:inbox"))
    assert pending.family.reference in page.content.decode()
    response = client.post(reverse("programs:backdating_approve", args=[pending.pk]))
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == BackdatingStatus.APPROVED


def test_inbox_page_rejects_with_a_reason(client, pending, coordinator):
    client.force_login(coordinator)
    client.post(reverse("programs:backdating_reject", args=[pending.pk]), {"note": "Päätös edelsi asiakkuutta."})
    pending.refresh_from_db()
    assert (pending.status, pending.decision_note) == (BackdatingStatus.REJECTED, "Päätös edelsi asiakkuutta.")


def test_another_programmes_coordinator_gets_404_on_approve(client, pending):
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory()]))
    assert client.post(reverse("programs:backdating_approve", args=[pending.pk])).status_code == 404


def test_inbox_page_is_refused_to_a_social_worker(client, worker):
    client.force_login(worker)
    assert client.get(reverse("programs:inbox")).status_code == 403
