import datetime

import pytest
from django.urls import reverse

from programs.models import EligibilityRule, ProgrammeWindowChange
from programs.services import eligibility_rule_save, programme_window_update
from sibcase.errors import DomainError
from sibcase.models import AccessLogEntry, AuditEvent, Role

from ..factories import FamilyFactory, ProgrammeFactory, ReferralFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def programme():
    return ProgrammeFactory(enrollment_opens=D(2020, 1, 1))


@pytest.fixture
def coordinator(programme):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])


def test_cutoff_change_is_recorded_with_old_and_new(programme, coordinator):
    programme_window_update(
        actor=coordinator,
        programme=programme,
        enrollment_opens=D(2020, 1, 1),
        enrollment_cutoff=D(2021, 9, 1),
        decision_body="Lautakunta",
        decision_date=D(2021, 8, 17),
        decision_text="Ei uusia perheitä.",
        reason="Päätös",
    )
    change = ProgrammeWindowChange.objects.get()
    assert (change.old_cutoff, change.new_cutoff, change.changed_by) == (None, D(2021, 9, 1), coordinator)
    assert AuditEvent.objects.filter(event_type="programme.window_changed").exists()


def test_cutoff_change_without_a_reason_is_refused(programme, coordinator):
    with pytest.raises(DomainError) as exc:
        programme_window_update(
            actor=coordinator,
            programme=programme,
            enrollment_opens=D(2020, 1, 1),
            enrollment_cutoff=D(2021, 9, 1),
            decision_body="Lautakunta",
            decision_date=None,
            decision_text="",
            reason=" ",
        )
    assert exc.value.codes == ["reason_required"]
    assert not ProgrammeWindowChange.objects.exists()


def test_cutoff_without_a_decision_is_refused(programme, coordinator):
    with pytest.raises(DomainError) as exc:
        programme_window_update(
            actor=coordinator,
            programme=programme,
            enrollment_opens=D(2020, 1, 1),
            enrollment_cutoff=D(2021, 9, 1),
            decision_body="",
            decision_date=None,
            decision_text="",
            reason="x",
        )
    assert exc.value.codes == ["decision_required"]


def test_preview_counts_pending_referrals_without_saving(client, programme, coordinator):
    for day in (D(2021, 8, 1), D(2021, 9, 15)):
        ReferralFactory(family=FamilyFactory(municipality=programme.municipality), programme=programme, referred_on=day)
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:window_edit", args=[programme.pk]),
        {
            "enrollment_opens": "2020-01-01",
            "enrollment_cutoff": "2021-09-01",
            "decision_body": "Lautakunta",
            "preview": "1",
            "version": programme.version,
        },
    )
    assert "1 käsittelyssä olevaa ohjausta hylättäisiin" in response.content.decode()
    programme.refresh_from_db()
    assert programme.enrollment_cutoff is None


WINDOW_BODY = {
    "enrollment_opens": "2020-01-01",
    "enrollment_cutoff": "2021-09-01",
    "decision_body": "Lautakunta",
    "decision_date": "2021-08-17",
    "reason": "Lautakunnan päätös",
}


def _preview_token(page: str) -> str:
    return page.split('name="preview_token" value="', 1)[1].split('"', 1)[0]


def test_window_form_saves_the_cutoff_after_its_preview(client, programme, coordinator):
    client.force_login(coordinator)
    url = reverse("programs:window_edit", args=[programme.pk])
    body = {**WINDOW_BODY, "version": programme.version}
    token = _preview_token(client.post(url, {**body, "preview": "1"}).content.decode())
    response = client.post(url, {**body, "preview_token": token})
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.enrollment_cutoff == D(2021, 9, 1)


def test_overview_says_the_programme_is_closed(client, programme, coordinator):
    programme.enrollment_cutoff = D(2021, 9, 1)
    programme.cutoff_decision_body = "Vantaan sosiaali- ja terveyslautakunta"
    programme.save()
    client.force_login(coordinator)
    body = client.get(reverse("programs:detail", args=[programme.pk])).content.decode()
    assert "Suljettu uusilta perheiltä 1.9.2021 alkaen" in body
    assert "<svg" in body


def test_rule_is_edited_without_code(client, programme, coordinator):
    client.force_login(coordinator)
    client.post(
        reverse("programs:rule_create", args=[programme.pk]),
        {"kind": "child_age", "min_age": "3", "max_age": "6", "is_active": "on", "position": "1", "reason": "Alku"},
    )
    rule = EligibilityRule.objects.get()
    assert (rule.min_age, rule.max_age) == (3, 6)
    assert AuditEvent.objects.filter(event_type="eligibility_rule.created").exists()


@pytest.mark.parametrize(
    "name", ["programs:detail", "programs:window_edit", "programs:referral_queue", "programs:rule_create"]
)
def test_another_coordinators_programme_is_404(client, programme, name):
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory()]))
    assert client.get(reverse(name, args=[programme.pk])).status_code == 404


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.FUND_MANAGER, Role.PROVIDER_WORKER])
def test_other_roles_cannot_edit_programmes(client, programme, role):
    from ..factories import ServiceProviderFactory

    client.force_login(UserFactory(role=role, provider=ServiceProviderFactory()))
    assert client.get(reverse("programs:window_edit", args=[programme.pk])).status_code == 403


def test_overview_queries_do_not_grow_with_enrollments(client, programme, coordinator, django_assert_max_num_queries):
    from ..factories import EnrollmentFactory

    client.force_login(coordinator)
    EnrollmentFactory(programme=programme, family__municipality=programme.municipality)
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("programs:detail", args=[programme.pk]))
    for month in range(1, 12):
        EnrollmentFactory(
            programme=programme, family__municipality=programme.municipality, enrolled_on=D(2023, month, 1)
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("programs:detail", args=[programme.pk]))


def test_referral_queue_queries_are_bounded_by_the_page(client, programme, coordinator, django_assert_max_num_queries):
    client.force_login(coordinator)
    for _ in range(30):
        ReferralFactory(family=FamilyFactory(municipality=programme.municipality), programme=programme)
    with django_assert_max_num_queries(25 * 4 + 15):
        response = client.get(reverse("programs:referral_queue", args=[programme.pk]))
    assert response.status_code == 200


def test_window_save_without_seeing_the_preview_shows_it_and_saves_nothing(client, programme, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:window_edit", args=[programme.pk]), {**WINDOW_BODY, "version": programme.version}
    )
    assert response.status_code == 400
    assert "Tarkista muutoksen vaikutukset" in response.content.decode()
    programme.refresh_from_db()
    assert programme.enrollment_cutoff is None


def test_window_save_with_other_dates_than_previewed_is_not_saved(client, programme, coordinator):
    client.force_login(coordinator)
    url = reverse("programs:window_edit", args=[programme.pk])
    body = {**WINDOW_BODY, "version": programme.version}
    token = _preview_token(client.post(url, {**body, "preview": "1"}).content.decode())
    response = client.post(url, {**body, "enrollment_cutoff": "2021-10-01", "preview_token": token})
    assert response.status_code == 400
    programme.refresh_from_db()
    assert programme.enrollment_cutoff is None


def test_preview_lists_the_affected_families_and_logs_the_read(client, programme, coordinator):
    late = ReferralFactory(
        family=FamilyFactory(municipality=programme.municipality), programme=programme, referred_on=D(2021, 9, 15)
    )
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:window_edit", args=[programme.pk]),
        {**WINDOW_BODY, "version": programme.version, "preview": "1"},
    )
    body = response.content.decode()
    assert late.family.reference in body
    assert "Hylättäisiin" in body
    assert AccessLogEntry.objects.filter(user=coordinator, family_id=late.family_id).exists()


def test_rule_change_without_a_reason_is_refused(client, programme, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("programs:rule_create", args=[programme.pk]),
        {"kind": "child_age", "min_age": "3", "max_age": "6", "is_active": "on", "position": "1", "reason": ""},
    )
    assert response.status_code == 400
    assert not EligibilityRule.objects.exists()


def test_service_refuses_a_rule_change_without_a_reason(programme, coordinator):
    with pytest.raises(DomainError) as exc:
        eligibility_rule_save(
            actor=coordinator,
            rule=EligibilityRule(programme=programme, kind="child_age", min_age=3, max_age=6),
            reason="  ",
        )
    assert exc.value.codes == ["reason_required"]


def test_rule_history_on_the_programme_shows_the_change_and_its_reason(client, programme, coordinator):
    rule = eligibility_rule_save(
        actor=coordinator,
        rule=EligibilityRule(programme=programme, kind="child_age", min_age=3, max_age=6),
        reason="Ohjelman alku",
    )
    rule.max_age = 8
    eligibility_rule_save(actor=coordinator, rule=rule, reason="Lautakunta laajensi ikärajaa")
    client.force_login(coordinator)
    body = client.get(reverse("programs:detail", args=[programme.pk])).content.decode()
    assert "Lautakunta laajensi ikärajaa" in body
    assert "Enimmäisikä (v): 6 → 8" in body
