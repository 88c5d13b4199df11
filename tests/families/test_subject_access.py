"""The data subject's right of access and to the log information: an admin's export (PDF and JSON) of one
person's data and of every access-log row about them, itself logged and audited."""

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from families.corrections import consent_void
from sibcase.models import AccessAction, AccessLogEntry, AuditEvent, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeObservationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
REASON = "Huoltajan kirjallinen pyyntö 3.2.2025, henkilöllisyys tarkistettu"


@pytest.fixture
def child(municipality):
    family = FamilyFactory(municipality=municipality)
    child = ChildFactory(family=family, first_names="Aino")
    guardian = GuardianFactory(family=family)
    enrollment = EnrollmentFactory(family=family, children=[child])
    ConsentFactory(guardian=guardian, programme=enrollment.programme)
    OutcomeObservationFactory(child=child, metric__programme=enrollment.programme)
    return child


def _export(client, admin_user, child, fmt):
    client.force_login(admin_user)
    return client.post(
        reverse("privacy:subject_access"), {"identity_code": child.identity_code, "reason": REASON, "fmt": fmt}
    )


def test_the_json_export_holds_the_persons_data(client, admin_user, child):
    response = _export(client, admin_user, child, "json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["person"]["first_names"] == "Aino"
    assert data["person"]["identity_code"] == child.identity_code
    assert data["family"]["reference"] == child.family.reference
    assert len(data["enrollments"]) == 1 and len(data["consents"]) == 1 and len(data["observations"]) == 1


def test_the_export_lists_who_saw_the_person_when_and_why(client, admin_user, child, social_worker):
    client.force_login(social_worker)
    client.get(reverse("families:person_detail", args=["child", child.pk]))
    data = json.loads(_export(client, admin_user, child, "json").content)
    viewer = social_worker.get_full_name()
    rows = [row for row in data["access_log"] if row["user"] == viewer]
    assert rows and rows[0]["role"] == str(Role.SOCIAL_WORKER.label)
    assert rows[0]["basis"].startswith("asiakassuhde")
    assert rows[0]["time"]


def test_another_persons_page_views_are_not_in_the_export(client, admin_user, child, social_worker):
    sibling = ChildFactory(family=child.family)
    client.force_login(social_worker)
    client.get(reverse("families:person_detail", args=["child", sibling.pk]))
    data = json.loads(_export(client, admin_user, child, "json").content)
    assert not [row for row in data["access_log"] if row["user"] == social_worker.get_full_name()]


def test_the_pdf_export_is_a_pdf(client, admin_user, child):
    response = _export(client, admin_user, child, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_export_is_itself_logged_and_audited_with_its_reason(client, admin_user, child):
    _export(client, admin_user, child, "json")
    row = AccessLogEntry.objects.get(user=admin_user, action=AccessAction.EXPORT)
    assert (row.person_type, row.person_id) == ("child", child.pk)
    assert REASON in row.basis and row.recipient
    assert AuditEvent.objects.get(event_type="subject_access.exported", object_id=str(child.pk)).reason == REASON


def test_the_identity_code_is_never_in_the_url_or_the_log(client, admin_user, child):
    _export(client, admin_user, child, "json")
    for row in AccessLogEntry.objects.all():
        assert child.identity_code not in f"{row.path} {row.basis} {row.target}"


def test_a_reason_is_required(client, admin_user, child):
    client.force_login(admin_user)
    response = client.post(
        reverse("privacy:subject_access"), {"identity_code": child.identity_code, "reason": "", "fmt": "json"}
    )
    assert response.status_code == 400
    assert not AccessLogEntry.objects.filter(action=AccessAction.EXPORT).exists()


def test_the_export_can_be_started_from_the_persons_page(client, admin_user, child):
    client.force_login(admin_user)
    page = client.get(reverse("families:person_detail", args=["child", child.pk])).content.decode()
    url = reverse("privacy:subject_access_person", args=["child", child.pk])
    assert url in page
    response = client.post(url, {"reason": REASON, "fmt": "json"})
    assert json.loads(response.content)["person"]["id"] == child.pk


def test_only_admins_make_exports(client, social_worker, child):
    client.force_login(social_worker)
    url = reverse("privacy:subject_access_person", args=["child", child.pk])
    assert client.post(url, {"reason": REASON, "fmt": "json"}).status_code == 403
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED, user=social_worker).exists()


def test_a_guardians_export_has_their_own_consents(client, admin_user, child):
    guardian = child.family.guardians.get()
    other = GuardianFactory(family=child.family)
    ConsentFactory(guardian=other, programme=child.enrollments.get().programme, scope="evaluation")
    client.force_login(admin_user)
    url = reverse("privacy:subject_access_person", args=["guardian", guardian.pk])
    data = json.loads(client.post(url, {"reason": REASON, "fmt": "json"}).content)
    assert [c["guardian"] for c in data["consents"]] == [str(guardian)]
    assert data["observations"] == []


def test_provider_workers_cannot_reach_the_page(client, child):
    client.force_login(UserFactory(role=Role.PROVIDER_WORKER, municipality=None))
    assert client.get(reverse("privacy:subject_access")).status_code == 403


def test_a_voided_consent_is_shown_as_voided_with_its_reason(client, admin_user, child):
    # A consent recorded in error is voided (families.corrections): the person sees that it was, when and why, not
    # a consent that looks valid.
    guardian = child.family.guardians.get()
    wrong = ConsentFactory(guardian=guardian, programme=child.enrollments.get().programme, scope="evaluation")
    consent_void(actor=admin_user, consent=wrong, reason="Kirjattu väärälle perheelle")
    wrong.refresh_from_db()
    data = json.loads(_export(client, admin_user, child, "json").content)
    [shown] = [c for c in data["consents"] if c["voided_on"] is not None]
    assert shown["voided_on"] == timezone.localdate(wrong.voided_at).isoformat()
    assert shown["void_reason"] == "Kirjattu väärälle perheelle"


def test_a_consent_in_force_has_no_void_entries(client, admin_user, child):
    data = json.loads(_export(client, admin_user, child, "json").content)
    [shown] = data["consents"]
    assert (shown["voided_on"], shown["void_reason"]) == (None, "")
