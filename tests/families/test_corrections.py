"""Corrections of a family's and its people's data: reason, history (who, when, old → new), timeline, statements."""

import datetime
import re

import pytest
from django.urls import reverse

from families.corrections import child_correct, family_correct, guardian_correct
from families.models import Family, Guardian
from families.selectors import family_timeline
from payments.models import StatementCohortEntry
from sibcase.errors import DomainError
from sibcase.models import AuditEvent

from ..factories import ChildFactory, FamilyFactory, GuardianFactory, PaymentStatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(municipality):
    return FamilyFactory(municipality=municipality)


def _token(client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_guardian_status_correction_keeps_who_old_new_and_why(family, social_worker):
    guardian = GuardianFactory(family=family, employment_status="unknown")
    guardian_correct(
        actor=social_worker, guardian=guardian, reason="Huoltaja kertoi puhelimessa", employment_status="unemployed"
    )
    latest = Guardian.history.filter(id=guardian.pk).latest("history_date")
    assert (latest.employment_status, latest.history_user, latest.history_change_reason) == (
        "unemployed",
        social_worker,
        "Huoltaja kertoi puhelimessa",
    )
    event = AuditEvent.objects.get(event_type="guardian.data_corrected")
    assert (event.old_values, event.new_values) == (
        {"employment_status": "unknown"},
        {"employment_status": "unemployed"},
    )


def test_a_correction_needs_a_reason(family, social_worker):
    with pytest.raises(DomainError) as exc:
        family_correct(actor=social_worker, family=family, reason=" ", district="Kallio")
    assert exc.value.codes == ["reason_required"]


def test_a_correction_that_changes_nothing_is_refused(family, social_worker):
    with pytest.raises(DomainError) as exc:
        family_correct(actor=social_worker, family=family, reason="x", district=family.district)
    assert exc.value.codes == ["nothing_changed"]


def test_service_language_correction_shows_on_the_timeline(family, social_worker):
    family_correct(actor=social_worker, family=family, reason="Perhe toivoo ruotsia", service_language="sv")
    (event,) = [e for e in family_timeline(family=family) if e.kind == "correction"]
    assert "suomi → ruotsi" in event.detail and "Perhe toivoo ruotsia" in event.detail
    assert Family.objects.get(pk=family.pk).service_language == "sv"


def test_correcting_a_child_behind_a_validated_statement_says_so(family, social_worker):
    child = ChildFactory(family=family)
    statement = PaymentStatementFactory(status="validated", frozen_hash="0" * 64)
    StatementCohortEntry.objects.create(statement=statement, child=child, cohort_start=datetime.date(2024, 2, 1))
    correction = child_correct(actor=social_worker, child=child, reason="Kirjoitusvirhe", first_names="Aino")
    assert correction.statements == [statement]


def test_correcting_a_child_in_no_signed_statement_says_nothing(family, social_worker):
    child = ChildFactory(family=family)
    assert child_correct(actor=social_worker, child=child, reason="Kirjoitusvirhe", first_names="Aino").statements == []


def test_guardian_page_edits_the_status(client, family, social_worker):
    guardian = GuardianFactory(family=family, employment_status="unknown")
    client.force_login(social_worker)
    url = reverse("families:person_correct", args=["guardian", guardian.pk])
    response = client.post(
        url,
        {
            "first_names": guardian.first_names,
            "last_name": guardian.last_name,
            "employment_status": "studying",
            "phone": "040 123 4567",
            "email": "",
            "reason": "Aloitti opinnot",
            "form_token": _token(client, url),
        },
    )
    assert response.status_code == 302
    guardian.refresh_from_db()
    assert (guardian.employment_status, guardian.phone) == ("studying", "040 123 4567")


def test_another_municipalitys_guardian_cannot_be_corrected(client, social_worker):
    guardian = GuardianFactory()
    client.force_login(social_worker)
    assert client.get(reverse("families:person_correct", args=["guardian", guardian.pk])).status_code == 404


def test_a_new_referral_opens_from_the_family_page(client, family, social_worker):
    from families.models import Referral

    from ..factories import ProgrammeFactory

    programme = ProgrammeFactory(municipality=family.municipality)
    client.force_login(social_worker)
    assert (
        reverse("families:family_referral_create", args=[family.pk])
        in client.get(reverse("families:detail", args=[family.pk])).content.decode()
    )
    url = reverse("families:family_referral_create", args=[family.pk])
    response = client.post(
        url,
        {
            "programme": programme.pk,
            "source": "school",
            "referred_on": "10.1.2024",
            "reason": "Uusi huoli",
            "form_token": _token(client, url),
        },
    )
    assert response.status_code == 302
    assert Referral.objects.get(family=family).programme == programme


def test_a_child_is_added_to_a_known_family(client, family, social_worker):
    from ..factories import identity_code

    client.force_login(social_worker)
    url = reverse("families:child_add", args=[family.pk])
    code = identity_code(7777, birth=datetime.date(2023, 3, 3))
    response = client.post(
        url, {"first_names": "Uusi", "last_name": "Vauva", "identity_code": code, "form_token": _token(client, url)}
    )
    assert response.status_code == 302
    assert family.children.get().first_names == "Uusi"


def test_adding_a_child_with_a_known_code_is_refused(client, family, social_worker):
    existing = ChildFactory()
    client.force_login(social_worker)
    url = reverse("families:child_add", args=[family.pk])
    response = client.post(
        url,
        {
            "first_names": "X",
            "last_name": "Y",
            "identity_code": existing.identity_code,
            "form_token": _token(client, url),
        },
    )
    assert response.status_code in (200, 400, 409, 422)
    assert not family.children.exists()
