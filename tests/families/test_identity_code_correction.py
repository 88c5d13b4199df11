"""Correcting a child's or guardian's identity code: validated, never a known code, reason, history, masked."""

import datetime
import re

import pytest
from django.urls import reverse

from families.corrections import identity_code_correct
from families.identity import make_temporary_identity_code, mask_identity_code
from families.models import Child, Guardian
from families.selectors import family_timeline
from payments.models import StatementCohortEntry
from sibcase.errors import DomainError
from sibcase.models import AccessLogEntry, AuditEvent, Role

from ..factories import ChildFactory, FamilyFactory, GuardianFactory, PaymentStatementFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW_BIRTH = datetime.date(2019, 7, 15)
NEW_CODE = make_temporary_identity_code(NEW_BIRTH, 955)


@pytest.fixture
def child(municipality):
    return ChildFactory(family=FamilyFactory(municipality=municipality))


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_the_corrected_code_is_saved_and_the_birth_date_follows_it(child, social_worker):
    identity_code_correct(actor=social_worker, person=child, identity_code=NEW_CODE, reason="Väärä tunnus lähetteessä")
    child.refresh_from_db()
    assert (child.identity_code, child.birth_date) == (NEW_CODE, NEW_BIRTH)


def test_the_history_keeps_who_when_old_and_new_code_and_the_reason(child, social_worker):
    old = child.identity_code
    identity_code_correct(actor=social_worker, person=child, identity_code=NEW_CODE, reason="Väärä tunnus lähetteessä")
    rows = list(Child.history.filter(id=child.pk).order_by("history_date", "history_id"))
    assert [row.identity_code for row in rows] == [old, NEW_CODE]
    assert (rows[-1].history_user, rows[-1].history_change_reason) == (social_worker, "Väärä tunnus lähetteessä")


def test_a_code_with_a_wrong_check_character_is_refused(child, social_worker):
    wrong = NEW_CODE[:-1] + ("A" if NEW_CODE[-1] != "A" else "B")
    with pytest.raises(DomainError) as exc:
        identity_code_correct(actor=social_worker, person=child, identity_code=wrong, reason="x")
    assert exc.value.codes == ["identity_code_checksum"]


def test_a_code_already_registered_to_someone_in_another_family_is_refused_without_naming_them(child, social_worker):
    other = GuardianFactory()  # another municipality's family
    with pytest.raises(DomainError) as exc:
        identity_code_correct(actor=social_worker, person=child, identity_code=other.identity_code, reason="x")
    assert exc.value.codes == ["identity_code_known"]
    message = " ".join(exc.value.messages)
    assert other.family.reference not in message and other.identity_code not in message
    assert Child.objects.get(pk=child.pk).identity_code == child.identity_code


def test_an_identity_code_correction_needs_a_reason(child, social_worker):
    with pytest.raises(DomainError) as exc:
        identity_code_correct(actor=social_worker, person=child, identity_code=NEW_CODE, reason="  ")
    assert exc.value.codes == ["reason_required"]


def test_the_same_code_again_is_refused_as_nothing_changed(child, social_worker):
    with pytest.raises(DomainError) as exc:
        identity_code_correct(actor=social_worker, person=child, identity_code=child.identity_code, reason="x")
    assert exc.value.codes == ["nothing_changed"]


def test_the_audit_row_holds_masked_codes_only(child, social_worker):
    old = child.identity_code
    identity_code_correct(actor=social_worker, person=child, identity_code=NEW_CODE, reason="Väärä tunnus")
    event = AuditEvent.objects.get(event_type="child.identity_code_corrected")
    assert event.old_values["identity_code"] == mask_identity_code(old)
    assert event.new_values["identity_code"] == mask_identity_code(NEW_CODE)
    assert old not in str(event.old_values) and NEW_CODE not in str(event.new_values)


def test_the_timeline_shows_the_codes_masked_never_in_full(child, social_worker):
    old = child.identity_code
    identity_code_correct(actor=social_worker, person=child, identity_code=NEW_CODE, reason="Väärä tunnus")
    (event,) = [e for e in family_timeline(family=child.family) if e.kind == "correction"]
    assert f"{mask_identity_code(old)} → {mask_identity_code(NEW_CODE)}" in event.detail
    assert old not in event.detail and NEW_CODE not in event.detail


def test_a_guardian_code_correction_says_when_the_familys_child_is_behind_a_validated_statement(social_worker):
    guardian = GuardianFactory()
    child = ChildFactory(family=guardian.family)
    statement = PaymentStatementFactory(status="validated", frozen_hash="0" * 64)
    StatementCohortEntry.objects.create(statement=statement, child=child, cohort_start=datetime.date(2024, 2, 1))
    correction = identity_code_correct(actor=social_worker, person=guardian, identity_code=NEW_CODE, reason="x")
    assert correction.statements == [statement]
    assert Guardian.objects.get(pk=guardian.pk).identity_code == NEW_CODE


def test_the_page_corrects_the_code_and_logs_the_lookup_and_the_change(client, child, social_worker):
    client.force_login(social_worker)
    url = reverse("families:identity_code_correct", args=["child", child.pk])
    response = client.post(
        url, {"identity_code": NEW_CODE.lower(), "reason": "Väärä tunnus", "form_token": _token(client, url)}
    )
    assert response.status_code == 302
    assert Child.objects.get(pk=child.pk).identity_code == NEW_CODE
    actions = set(AccessLogEntry.objects.filter(person_id=child.pk).values_list("action", flat=True))
    assert {"view", "update"} <= actions
    assert AccessLogEntry.objects.filter(user=social_worker, action="lookup").exists()


def test_the_page_refuses_a_known_code_with_a_clear_error(client, child, social_worker):
    other = ChildFactory(family=child.family)
    client.force_login(social_worker)
    url = reverse("families:identity_code_correct", args=["child", child.pk])
    response = client.post(
        url, {"identity_code": other.identity_code, "reason": "x", "form_token": _token(client, url)}
    )
    assert response.status_code == 400
    assert "Henkilötunnus on jo rekisterissä toisella henkilöllä." in response.content.decode()


def test_the_person_page_links_to_the_code_correction(client, child, social_worker):
    client.force_login(social_worker)
    html = client.get(reverse("families:person_detail", args=["child", child.pk])).content.decode()
    assert reverse("families:identity_code_correct", args=["child", child.pk]) in html


def test_a_provider_worker_cannot_open_the_code_correction(client, child):
    client.force_login(UserFactory(role=Role.PROVIDER_WORKER, municipality=None))
    response = client.get(reverse("families:identity_code_correct", args=["child", child.pk]))
    assert response.status_code in (403, 404)
