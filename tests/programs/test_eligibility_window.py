"""A closed programme is flagged at the start: the eligibility verdict includes the enrollment window and the
capacity, and the family page says at once that the programme takes no new families, with the decision."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from families.services import _cutoff_problem
from programs.services import FAIL, PASS, UNKNOWN, eligibility_evaluate
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    ProgrammeFactory,
    ReferralFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def vantaa():
    municipality = MunicipalityFactory(code="092", name_fi="Vantaa", name_sv="Vanda")
    return ProgrammeFactory(
        municipality=municipality,
        name_fi="Lapset SIB Vantaa",
        enrollment_opens=D(2019, 10, 1),
        enrollment_cutoff=D(2021, 9, 1),
        cutoff_decision_body="Vantaan sosiaali- ja terveyslautakunta",
        cutoff_decision_date=D(2021, 8, 17),
        cutoff_decision_text="Uusia lapsia/perheitä ei oteta mukaan ohjelmaan 1.9.2021 alkaen.",
    )


def _referred(programme, on=None):
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    GuardianFactory(family=family)
    ReferralFactory(family=family, programme=programme, referred_on=on or timezone.localdate())
    return family


def test_a_referral_today_to_a_closed_programme_is_not_eligible_because_of_the_window(vantaa):
    family = _referred(vantaa)
    result = eligibility_evaluate(programme=vantaa, family=family, on_date=timezone.localdate())
    assert result.window.verdict == FAIL
    assert result.overall_verdict == FAIL


def test_the_closed_window_reason_is_the_enrollment_refusal_message_with_the_decision(vantaa):
    family = _referred(vantaa)
    with translation.override("fi"):
        result = eligibility_evaluate(programme=vantaa, family=family, on_date=timezone.localdate())
        assert result.window.message == str(_cutoff_problem(vantaa).message)
        assert "Vantaan sosiaali- ja terveyslautakunta" in result.window.message
        assert result.overall_label == "Ohjelma ei ota uusia perheitä"


def test_the_window_reason_is_in_each_language(vantaa):
    family = _referred(vantaa)
    result = eligibility_evaluate(programme=vantaa, family=family, on_date=timezone.localdate())
    for language in ("sv", "en"):
        with translation.override(language):
            assert result.window.message == str(_cutoff_problem(vantaa).message)


def test_a_referral_before_the_cutoff_can_only_be_enrolled_with_a_backdating_approval(vantaa):
    family = _referred(vantaa, on=D(2021, 8, 20))
    result = eligibility_evaluate(programme=vantaa, family=family, on_date=D(2021, 8, 20))
    assert result.window.verdict == UNKNOWN
    assert "koordinaattorin" in result.window.message_in("fi")


def test_an_open_programme_passes_the_window():
    programme = ProgrammeFactory()
    family = _referred(programme)
    result = eligibility_evaluate(programme=programme, family=family, on_date=timezone.localdate())
    assert result.window.verdict == PASS
    assert result.overall_verdict == PASS


def test_a_full_programme_without_a_waitlist_fails_on_capacity():
    programme = ProgrammeFactory(capacity=1)
    EnrollmentFactory(programme=programme, family=FamilyFactory(municipality=programme.municipality))
    result = eligibility_evaluate(programme=programme, family=_referred(programme), on_date=timezone.localdate())
    assert result.capacity.verdict == FAIL
    assert result.overall_verdict == FAIL


def test_a_full_programme_with_a_waitlist_passes_and_says_the_family_is_queued():
    programme = ProgrammeFactory(capacity=1, waitlist_when_full=True)
    EnrollmentFactory(programme=programme, family=FamilyFactory(municipality=programme.municipality))
    result = eligibility_evaluate(programme=programme, family=_referred(programme), on_date=timezone.localdate())
    assert result.capacity.verdict == PASS
    assert "jonoon" in result.capacity.message_in("fi")


def test_the_rules_verdict_that_enrollment_checks_is_unchanged_by_the_window(vantaa):
    result = eligibility_evaluate(programme=vantaa, family=_referred(vantaa), on_date=timezone.localdate())
    assert result.verdict == PASS


def test_family_page_says_at_once_that_the_programme_takes_no_new_families(client, vantaa):
    family = _referred(vantaa)
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=vantaa.municipality))
    html = client.get(reverse("families:detail", args=[family.pk])).content.decode()
    notice = html.index('class="closed-notice')
    assert notice < html.index('aria-label="Toiminnot"')
    with translation.override("fi"):
        assert str(_cutoff_problem(vantaa).message) in html[notice:]
    assert "Uusia lapsia/perheitä ei oteta mukaan ohjelmaan 1.9.2021 alkaen." in html[notice:]
    assert "Täyttää ehdot" not in html
    assert (
        'class="button primary" href="{}"'.format(reverse("families:enrollment_create", args=[family.pk])) not in html
    )


def test_enrollment_form_names_a_closed_programme_as_closed(client, vantaa):
    family = _referred(vantaa)
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=vantaa.municipality))
    html = client.get(reverse("families:enrollment_create", args=[family.pk])).content.decode()
    assert "Lapset SIB Vantaa (ei ota uusia perheitä)" in html
