"""Transfer of a family to another municipality (kuntasiirto): request, accept, decline, cancel; consent; access
moving with the family; audit and access-log rows; the receiving side's minimal view."""

import datetime
import re
import threading

import pytest
from django.db import IntegrityError, connections, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from families.assignments import case_assign
from families.corrections import consent_void
from families.models import (
    BreakGlassGrant,
    CaseAssignment,
    ConsentScope,
    EnrollmentStatus,
    ExitReason,
    FamilyTransfer,
    ReferralStatus,
    TransferStatus,
)
from families.selectors import family_get_for_user, family_timeline
from families.transfer_views import BASIS_TRANSFER_DECISION
from families.transfers import transfer_accept, transfer_cancel, transfer_decline, transfer_request
from sibcase.errors import DomainError
from sibcase.models import AccessAction, AccessLogEntry, AuditEvent, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    ProgrammeFactory,
    ReferralFactory,
    ServiceEpisodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def helsinki(db):
    return MunicipalityFactory(code="091", name_fi="Helsinki", name_sv="Helsingfors")


@pytest.fixture
def receiver(helsinki):
    return UserFactory(role=Role.SOCIAL_WORKER, municipality=helsinki, first_name="Hanna", last_name="Helsinki")


@pytest.fixture
def programme(municipality):
    return ProgrammeFactory(municipality=municipality)


@pytest.fixture
def family(municipality, programme, social_worker):
    family = FamilyFactory(municipality=municipality, reference="P-SIIRTO01")
    child = ChildFactory(family=family, first_names="Aino", last_name="Muuttaja")
    guardian = GuardianFactory(family=family, first_names="Maija", last_name="Muuttaja")
    EnrollmentFactory(family=family, programme=programme, children=[child])
    ConsentFactory(
        guardian=guardian, programme=programme, scope=ConsentScope.MUNICIPALITY_TRANSFER, given_on=_days_ago(5)
    )
    case_assign(actor=social_worker, family=family, worker=social_worker, role="responsible")
    return family


@pytest.fixture
def transfer(family, social_worker, helsinki):
    return transfer_request(actor=social_worker, family=family, to_municipality=helsinki, note="Muutto 1.12.")


def _days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def _refused(**kwargs) -> list[str]:
    with pytest.raises(DomainError) as exc:
        kwargs.pop("call")(**kwargs)
    return exc.value.codes


# Request -------------------------------------------------------------------------------------------------------


def test_request_opens_a_transfer_and_is_audited(transfer, family, social_worker, municipality, helsinki):
    assert (transfer.status, transfer.from_municipality, transfer.to_municipality) == (
        TransferStatus.REQUESTED,
        municipality,
        helsinki,
    )
    assert (transfer.requested_by, transfer.note) == (social_worker, "Muutto 1.12.")
    event = AuditEvent.objects.get(event_type="transfer.requested")
    assert (event.actor, event.object_id, event.new_values["to"]) == (social_worker, str(transfer.pk), helsinki.pk)


def test_request_keeps_the_family_where_it_is(transfer, family, municipality):
    family.refresh_from_db()
    assert family.municipality == municipality


def test_request_is_refused_without_a_transfer_consent(family, social_worker, helsinki):
    family.consents.update(withdrawn_on=timezone.localdate())
    codes = _refused(call=transfer_request, actor=social_worker, family=family, to_municipality=helsinki, note="x")
    assert codes == ["transfer_consent_missing"]
    assert not FamilyTransfer.objects.exists()


def test_a_consent_voided_as_recorded_in_error_does_not_cover_the_transfer(family, social_worker, helsinki):
    for consent in family.consents.all():
        consent_void(actor=social_worker, consent=consent, reason="Kirjattu väärälle perheelle")
    codes = _refused(call=transfer_request, actor=social_worker, family=family, to_municipality=helsinki, note="x")
    assert codes == ["transfer_consent_missing"]


def test_a_participation_consent_does_not_cover_the_transfer(family, social_worker, helsinki, programme):
    family.consents.update(scope=ConsentScope.PARTICIPATION)
    codes = _refused(call=transfer_request, actor=social_worker, family=family, to_municipality=helsinki, note="x")
    assert codes == ["transfer_consent_missing"]


@pytest.mark.parametrize("role", [Role.PROVIDER_WORKER, Role.EVALUATOR, Role.FUND_MANAGER])
def test_request_is_refused_for_a_role_without_casework(family, helsinki, municipality, role):
    user = UserFactory(role=role, municipality=municipality)
    codes = _refused(call=transfer_request, actor=user, family=family, to_municipality=helsinki, note="x")
    assert codes == ["transfer_request_not_allowed"]


def test_request_is_refused_for_another_municipalitys_worker(family, receiver, helsinki):
    codes = _refused(call=transfer_request, actor=receiver, family=family, to_municipality=helsinki, note="x")
    assert codes == ["transfer_request_not_allowed"]


def test_a_break_glass_grant_does_not_let_another_municipality_request(family, receiver, helsinki):
    BreakGlassGrant.objects.create(
        user=receiver,
        family=family,
        reason="Kiireellinen selvitys",
        granted_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )
    assert family_get_for_user(user=receiver, pk=family.pk) == family
    codes = _refused(call=transfer_request, actor=receiver, family=family, to_municipality=helsinki, note="x")
    assert codes == ["transfer_request_not_allowed"]


def test_request_to_the_familys_own_municipality_is_refused(family, social_worker, municipality):
    codes = _refused(call=transfer_request, actor=social_worker, family=family, to_municipality=municipality, note="x")
    assert codes == ["transfer_same_municipality"]


def test_request_needs_a_note(family, social_worker, helsinki):
    codes = _refused(call=transfer_request, actor=social_worker, family=family, to_municipality=helsinki, note=" ")
    assert codes == ["transfer_note_required"]


def test_a_second_open_request_is_refused(transfer, family, social_worker):
    other = MunicipalityFactory(code="109", name_fi="Hämeenlinna", name_sv="Tavastehus")
    codes = _refused(call=transfer_request, actor=social_worker, family=family, to_municipality=other, note="x")
    assert codes == ["transfer_already_open"]


def test_the_database_allows_one_open_transfer_per_family(transfer, family, social_worker, municipality):
    other = MunicipalityFactory(code="109", name_fi="Hämeenlinna", name_sv="Tavastehus")
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyTransfer.objects.create(
            family=family,
            from_municipality=municipality,
            to_municipality=other,
            note="x",
            requested_at=timezone.now(),
            requested_by=social_worker,
        )


def test_the_database_refuses_a_transfer_to_the_same_municipality(family, social_worker, municipality):
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyTransfer.objects.create(
            family=family,
            from_municipality=municipality,
            to_municipality=municipality,
            note="x",
            requested_at=timezone.now(),
            requested_by=social_worker,
        )


def test_the_database_refuses_an_accepted_transfer_without_decider(transfer):
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyTransfer.objects.filter(pk=transfer.pk).update(status=TransferStatus.ACCEPTED)


# Accept --------------------------------------------------------------------------------------------------------


def test_accept_moves_the_family_to_the_receiving_municipality(transfer, family, receiver, helsinki):
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver, note="Tervetuloa")
    family.refresh_from_db()
    transfer.refresh_from_db()
    assert family.municipality == helsinki
    assert (transfer.status, transfer.decided_by, transfer.responsible_worker) == (
        TransferStatus.ACCEPTED,
        receiver,
        receiver,
    )
    assert transfer.decided_at is not None


def test_accept_ends_the_sending_sides_assignments_and_names_the_receiver(transfer, family, receiver, social_worker):
    deputy = UserFactory(role=Role.SOCIAL_WORKER, municipality=social_worker.municipality)
    case_assign(actor=social_worker, family=family, worker=deputy, role="deputy")
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    ended = CaseAssignment.objects.filter(family=family, ended_at__isnull=False)
    assert {a.worker for a in ended} == {social_worker, deputy}
    assert all("Kuntasiirto" in a.end_note and a.ended_by == receiver for a in ended)
    open_rows = CaseAssignment.objects.filter(family=family, ended_at__isnull=True)
    assert [(a.worker, a.role) for a in open_rows] == [(receiver, "responsible")]


def test_accept_exits_the_sending_municipalitys_enrollments_as_moved_away(transfer, family, receiver):
    enrollment = family.enrollments.get()
    episode = ServiceEpisodeFactory(enrollment=enrollment, start_date=_days_ago(30))
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    enrollment.refresh_from_db()
    episode.refresh_from_db()
    assert (enrollment.status, enrollment.exit_reason, enrollment.exit_date) == (
        EnrollmentStatus.EXITED,
        ExitReason.MOVED_AWAY,
        timezone.localdate(),
    )
    assert episode.end_date == timezone.localdate()


def test_accept_withdraws_pending_referrals_to_the_sending_municipalitys_programmes(
    transfer, family, receiver, programme
):
    referral = ReferralFactory(family=family, programme=programme, status=ReferralStatus.PENDING)
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.WITHDRAWN
    assert AuditEvent.objects.filter(event_type="referral.withdrawn_by_transfer", object_id=str(referral.pk)).exists()


def test_accept_writes_audit_rows_for_every_change(transfer, family, receiver):
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    types = set(AuditEvent.objects.filter(actor=receiver).values_list("event_type", flat=True))
    assert {
        "transfer.accepted",
        "assignment.ended_by_transfer",
        "enrollment.exited",
        "assignment.created",
    } <= types
    event = AuditEvent.objects.get(event_type="transfer.accepted")
    assert (event.old_values["municipality"], event.new_values["municipality"]) == (
        transfer.from_municipality_id,
        transfer.to_municipality_id,
    )


def test_access_moves_with_the_family(transfer, family, receiver, social_worker):
    assert family_get_for_user(user=social_worker, pk=family.pk) == family
    with pytest.raises(Http404):
        family_get_for_user(user=receiver, pk=family.pk)
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    assert family_get_for_user(user=receiver, pk=family.pk) == family
    with pytest.raises(Http404):
        family_get_for_user(user=social_worker, pk=family.pk)


def test_family_page_answers_the_receiver_only_after_acceptance(client, transfer, family, receiver, social_worker):
    url = reverse("families:detail", kwargs={"pk": family.pk})
    client.force_login(receiver)
    assert client.get(url).status_code == 404
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    assert client.get(url).status_code == 200
    client.force_login(social_worker)
    assert client.get(url).status_code == 404


def test_accept_from_the_sending_side_is_refused(transfer, family, municipality):
    colleague = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    codes = _refused(call=transfer_accept, actor=colleague, transfer=transfer, responsible_worker=colleague)
    assert codes == ["transfer_not_receiving_side"]
    family.refresh_from_db()
    assert family.municipality == municipality


def test_a_requester_cannot_accept_their_own_request(family, municipality, helsinki, programme, receiver):
    # A coordinator of programmes in both municipalities sees both sides; the other side must decide.
    coordinator = UserFactory(
        role=Role.COORDINATOR, municipality=None, programmes=[programme, ProgrammeFactory(municipality=helsinki)]
    )
    transfer = transfer_request(actor=coordinator, family=family, to_municipality=helsinki, note="Muutto")
    codes = _refused(call=transfer_accept, actor=coordinator, transfer=transfer, responsible_worker=receiver)
    assert codes == ["transfer_own_request"]


def test_a_coordinator_of_the_receiving_municipality_accepts_naming_a_worker(transfer, family, helsinki, receiver):
    coordinator = UserFactory(
        role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory(municipality=helsinki)]
    )
    transfer_accept(actor=coordinator, transfer=transfer, responsible_worker=receiver)
    assert CaseAssignment.objects.get(family=family, ended_at__isnull=True).worker == receiver


def test_the_responsible_worker_must_be_of_the_receiving_municipality(transfer, receiver, social_worker):
    codes = _refused(call=transfer_accept, actor=receiver, transfer=transfer, responsible_worker=social_worker)
    assert codes == ["transfer_responsible_not_eligible"]


def test_accept_is_refused_when_the_consent_was_withdrawn_meanwhile(transfer, family, receiver, municipality):
    family.consents.update(withdrawn_on=timezone.localdate())
    codes = _refused(call=transfer_accept, actor=receiver, transfer=transfer, responsible_worker=receiver)
    assert codes == ["transfer_consent_missing"]
    family.refresh_from_db()
    assert family.municipality == municipality


def test_an_accepted_transfer_cannot_be_accepted_again(transfer, receiver):
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    codes = _refused(call=transfer_accept, actor=receiver, transfer=transfer, responsible_worker=receiver)
    assert codes == ["transfer_not_open"]


# Decline and cancel --------------------------------------------------------------------------------------------


def test_decline_keeps_everything_and_records_the_reason(transfer, family, receiver, social_worker, municipality):
    transfer_decline(actor=receiver, transfer=transfer, reason="Perhe ei ole muuttanut kuntaamme.")
    transfer.refresh_from_db()
    family.refresh_from_db()
    assert (transfer.status, transfer.decided_by, transfer.decision_note) == (
        TransferStatus.DECLINED,
        receiver,
        "Perhe ei ole muuttanut kuntaamme.",
    )
    assert family.municipality == municipality
    assert family.enrollments.get().status == EnrollmentStatus.ACTIVE
    assert CaseAssignment.objects.get(family=family, ended_at__isnull=True).worker == social_worker
    assert AuditEvent.objects.get(event_type="transfer.declined").reason == "Perhe ei ole muuttanut kuntaamme."


def test_decline_needs_a_reason(transfer, receiver):
    codes = _refused(call=transfer_decline, actor=receiver, transfer=transfer, reason="")
    assert codes == ["transfer_decline_reason_required"]


def test_decline_from_the_sending_side_is_refused(transfer, municipality):
    colleague = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    codes = _refused(call=transfer_decline, actor=colleague, transfer=transfer, reason="Ei")
    assert codes == ["transfer_not_receiving_side"]


def test_the_requester_cancels_an_open_request(transfer, social_worker, family, helsinki):
    transfer_cancel(actor=social_worker, transfer=transfer, note="Muutto peruuntui")
    transfer.refresh_from_db()
    assert (transfer.status, transfer.cancelled_by, transfer.cancel_note) == (
        TransferStatus.CANCELLED,
        social_worker,
        "Muutto peruuntui",
    )
    assert AuditEvent.objects.filter(event_type="transfer.cancelled").exists()
    # A new request may follow.
    transfer_request(actor=social_worker, family=family, to_municipality=helsinki, note="Muutto sittenkin")


def test_the_receiving_side_cannot_cancel(transfer, receiver):
    codes = _refused(call=transfer_cancel, actor=receiver, transfer=transfer)
    assert codes == ["transfer_cancel_not_allowed"]


def test_a_decided_transfer_cannot_be_cancelled(transfer, receiver, social_worker):
    transfer_decline(actor=receiver, transfer=transfer, reason="Ei muuttanut")
    codes = _refused(call=transfer_cancel, actor=social_worker, transfer=transfer)
    assert codes == ["transfer_not_open"]


def test_the_timeline_shows_the_transfer(transfer, family, receiver):
    transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver)
    titles = [event.title for event in family_timeline(family=family)]
    assert any(title.startswith("Kuntasiirtoa pyydettiin: Vantaa → Helsinki") for title in titles)
    assert any(title.startswith("Kuntasiirto hyväksyttiin") for title in titles)


# Pages ---------------------------------------------------------------------------------------------------------


def test_the_family_page_offers_the_transfer(client, family, social_worker):
    client.force_login(social_worker)
    html = client.get(reverse("families:detail", kwargs={"pk": family.pk})).content.decode()
    assert reverse("families:transfer_request", kwargs={"pk": family.pk}) in html
    assert "Siirrä toiseen kuntaan" in html


def test_the_request_page_sends_the_request(client, family, social_worker, helsinki):
    client.force_login(social_worker)
    url = reverse("families:transfer_request", kwargs={"pk": family.pk})
    response = client.post(
        url, {"to_municipality": helsinki.pk, "note": "Muutto Helsinkiin", "form_token": _token(client, url)}
    )
    assert response.status_code == 302
    assert FamilyTransfer.objects.get(family=family).to_municipality == helsinki


def test_the_request_page_says_when_the_consent_is_missing(client, family, social_worker, helsinki):
    family.consents.update(withdrawn_on=timezone.localdate())
    client.force_login(social_worker)
    url = reverse("families:transfer_request", kwargs={"pk": family.pk})
    response = client.post(url, {"to_municipality": helsinki.pk, "note": "Muutto", "form_token": _token(client, url)})
    assert response.status_code == 400
    assert "suostumus tietojen luovutukseen uudelle kotikunnalle puuttuu" in response.content.decode()


def test_the_home_page_links_the_inbox_with_the_count(client, transfer, receiver):
    client.force_login(receiver)
    html = client.get(reverse("home")).content.decode()
    assert "1 siirtopyyntö odottaa ratkaisuanne." in html
    assert reverse("families:transfer_inbox") in html


def test_the_inbox_shows_only_what_is_needed_to_decide(client, transfer, receiver):
    client.force_login(receiver)
    html = client.get(reverse("families:transfer_inbox")).content.decode()
    assert "P-SIIRTO01" in html and "Muutto 1.12." in html and "Vantaa" in html
    assert "Aino" not in html and "Maija" not in html and "Muuttaja" not in html


def test_the_inbox_read_is_in_the_access_log_with_its_basis(client, transfer, receiver, family):
    client.force_login(receiver)
    client.get(reverse("families:transfer_inbox"))
    entry = AccessLogEntry.objects.get(user=receiver)
    assert (entry.action, entry.family_id, entry.basis) == (AccessAction.LIST, family.pk, BASIS_TRANSFER_DECISION)


def test_the_sending_side_does_not_see_its_request_as_incoming(client, transfer, social_worker):
    client.force_login(social_worker)
    response = client.get(reverse("families:transfer_inbox"))
    assert response.context["incoming"] == [] and [t.pk for t in response.context["outgoing"]] == [transfer.pk]


def test_the_inbox_takes_a_fixed_number_of_queries(
    client, receiver, social_worker, helsinki, municipality, django_assert_max_num_queries
):
    programme = ProgrammeFactory(municipality=municipality)
    for n in range(12):
        family = FamilyFactory(municipality=municipality)
        ChildFactory.create_batch(2, family=family)
        guardian = GuardianFactory(family=family)
        ConsentFactory(guardian=guardian, programme=programme, scope=ConsentScope.MUNICIPALITY_TRANSFER)
        transfer_request(actor=social_worker, family=family, to_municipality=helsinki, note=f"Muutto {n}")
    client.force_login(receiver)
    url = reverse("families:transfer_inbox")
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert len(response.context["incoming"]) == 12
    assert all(t.child_count == 2 for t in response.context["incoming"])


def test_the_decision_page_shows_minimal_data_and_logs_the_read(client, transfer, receiver, family):
    client.force_login(receiver)
    html = client.get(reverse("families:transfer_decide", kwargs={"pk": transfer.pk})).content.decode()
    assert "P-SIIRTO01" in html and "Muutto 1.12." in html
    assert "Aino" not in html and "Maija" not in html
    entry = AccessLogEntry.objects.get(user=receiver)
    assert (entry.action, entry.family_id, entry.basis) == (AccessAction.VIEW, family.pk, BASIS_TRANSFER_DECISION)


def test_the_decision_page_is_not_found_for_the_sending_side_and_logged(client, transfer, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("families:transfer_decide", kwargs={"pk": transfer.pk})).status_code == 404
    entry = AccessLogEntry.objects.get(user=social_worker)
    assert (entry.action, entry.target) == (AccessAction.REFUSED, f"families.familytransfer:{transfer.pk}")


def test_the_decision_page_accepts_and_opens_the_family(client, transfer, receiver, family):
    client.force_login(receiver)
    url = reverse("families:transfer_decide", kwargs={"pk": transfer.pk})
    response = client.post(
        url,
        {"decision": "accept", "responsible_worker": receiver.pk, "note": "", "form_token": _token(client, url)},
    )
    assert response.status_code == 302 and response.url == reverse("families:detail", kwargs={"pk": family.pk})
    assert client.get(response.url).status_code == 200


def test_the_decision_page_declines_with_a_reason(client, transfer, receiver):
    client.force_login(receiver)
    url = reverse("families:transfer_decide", kwargs={"pk": transfer.pk})
    response = client.post(url, {"decision": "decline", "note": "", "form_token": _token(client, url)})
    assert response.status_code == 400
    response = client.post(url, {"decision": "decline", "note": "Ei muuttanut", "form_token": _token(client, url)})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.DECLINED


def test_the_cancel_page_cancels(client, transfer, social_worker, family):
    client.force_login(social_worker)
    url = reverse("families:transfer_cancel", kwargs={"pk": transfer.pk})
    response = client.post(url, {"note": "Ei muuttoa", "form_token": _token(client, url)})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.CANCELLED


# Races (real PostgreSQL row locks) -----------------------------------------------------------------------------


def _race(attempts):
    """Each attempt in its own thread and connection, released together: what the row locks leave."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[object] = [None] * len(attempts)

    def run(index, attempt):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = attempt()
        except DomainError as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_accept_and_cancel_at_once_leave_exactly_one_outcome(transfer, family, receiver, social_worker):
    outcomes = _race(
        [
            lambda: transfer_accept(actor=receiver, transfer=transfer, responsible_worker=receiver),
            lambda: transfer_cancel(actor=social_worker, transfer=transfer),
        ]
    )
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 1 and refused[0].codes == ["transfer_not_open"]
    transfer.refresh_from_db()
    family.refresh_from_db()
    moved = family.municipality_id == transfer.to_municipality_id
    assert (transfer.status == TransferStatus.ACCEPTED) == moved
    assert AuditEvent.objects.filter(event_type__in=["transfer.accepted", "transfer.cancelled"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_leave_one_open_transfer(family, social_worker, helsinki):
    other = MunicipalityFactory(code="109", name_fi="Hämeenlinna", name_sv="Tavastehus")
    outcomes = _race(
        [
            lambda: transfer_request(actor=social_worker, family=family, to_municipality=helsinki, note="A"),
            lambda: transfer_request(actor=social_worker, family=family, to_municipality=other, note="B"),
        ]
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["DomainError", "FamilyTransfer"]
    assert FamilyTransfer.objects.filter(family=family, status=TransferStatus.REQUESTED).count() == 1
