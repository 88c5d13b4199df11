"""Lost updates on programme settings: two coordinators edit at once; the second is told what changed, not obeyed.

Each form carries the version it was loaded at; saving checks it under the row lock and increments it.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from programs.models import EligibilityRule, ProgrammeWindowChange, RuleKind
from programs.services import eligibility_rule_save, programme_window_update
from sibcase.errors import DomainError
from sibcase.models import Role

from ..factories import ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def programme():
    return ProgrammeFactory(enrollment_opens=D(2020, 1, 1))


@pytest.fixture
def coordinators(programme):
    first, second = (
        UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme], first_name=name)
        for name in ("Anna", "Bertta")
    )
    one, two = Client(), Client()
    one.force_login(first)
    two.force_login(second)
    return one, two


def _version_in(page: str) -> str:
    marker = 'name="version" value="'
    return page.split(marker, 1)[1].split('"', 1)[0]


def _window(cutoff: str, version: str) -> dict:
    return {
        "enrollment_opens": "2020-01-01",
        "enrollment_cutoff": cutoff,
        "decision_body": "Lautakunta",
        "decision_date": "2021-08-17",
        "reason": "Lautakunnan päätös",
        "version": version,
    }


def _previewed(client, url: str, body: dict) -> dict:
    """The form as sent after previewing it (saving requires having seen the preview of exactly these dates)."""
    page = client.post(url, {**body, "preview": "1"}).content.decode()
    token = page.split('name="preview_token" value="', 1)[1].split('"', 1)[0]
    return {**body, "preview_token": token}


def test_second_cutoff_change_from_a_stale_form_is_refused_and_nothing_is_overwritten(programme, coordinators):
    one, two = coordinators
    url = reverse("programs:window_edit", args=[programme.pk])
    version_one = _version_in(one.get(url).content.decode())
    version_two = _version_in(two.get(url).content.decode())
    assert one.post(url, _previewed(one, url, _window("2021-09-01", version_one))).status_code == 302
    response = two.post(url, _previewed(two, url, _window("2021-10-01", version_two)))
    assert response.status_code == 409
    programme.refresh_from_db()
    assert programme.enrollment_cutoff == D(2021, 9, 1)
    assert ProgrammeWindowChange.objects.count() == 1


def test_conflict_page_shows_old_and_current_values_and_keeps_the_form(programme, coordinators):
    one, two = coordinators
    url = reverse("programs:window_edit", args=[programme.pk])
    stale = _version_in(two.get(url).content.decode())
    one.post(url, _previewed(one, url, _window("2021-09-01", _version_in(one.get(url).content.decode()))))
    page = two.post(url, _previewed(two, url, _window("2021-10-01", stale))).content.decode()
    assert "Toinen käyttäjä muutti" in page
    assert "–  →  1.9.2021" in page or "– → 1.9.2021" in page  # the cutoff was empty, is now 1.9.2021
    assert 'value="2021-10-01"' in page  # what the second coordinator typed is still in the form
    programme.refresh_from_db()
    assert _version_in(page) == str(programme.version)  # sending it again now is a deliberate overwrite


def test_service_refuses_a_stale_version_with_the_changes_in_details(programme):
    actor = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    common = {
        "actor": actor,
        "programme": programme,
        "enrollment_opens": D(2020, 1, 1),
        "decision_body": "Lautakunta",
        "decision_date": None,
        "decision_text": "",
        "reason": "x",
    }
    loaded = programme.version
    programme_window_update(**common, enrollment_cutoff=D(2021, 9, 1), expected_version=loaded)
    with pytest.raises(DomainError) as exc:
        programme_window_update(**common, enrollment_cutoff=D(2021, 10, 1), expected_version=loaded)
    assert exc.value.codes[0] == "stale_version"
    changes = {c["field"]: (c["old"], c["current"]) for c in exc.value.problems[0].details["changes"]}
    assert changes["enrollment_cutoff"] == (None, "2021-09-01")


def test_each_save_increments_the_version(programme):
    actor = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    before = programme.version
    programme_window_update(
        actor=actor,
        programme=programme,
        enrollment_opens=D(2020, 1, 1),
        enrollment_cutoff=None,
        decision_body="",
        decision_date=None,
        decision_text="",
        reason="x",
        expected_version=before,
    )
    programme.refresh_from_db()
    assert programme.version == before + 1


def test_second_rule_change_from_a_stale_form_is_refused(programme, coordinators):
    one, two = coordinators
    rule = eligibility_rule_save(
        actor=UserFactory(),
        rule=EligibilityRule(programme=programme, kind=RuleKind.CHILD_AGE, min_age=3, max_age=6),
        reason="Ohjelman alku",
    )
    url = reverse("programs:rule_edit", args=[programme.pk, rule.pk])
    version_one = _version_in(one.get(url).content.decode())
    version_two = _version_in(two.get(url).content.decode())
    body = {"kind": "child_age", "is_active": "on", "position": "1", "reason": "Ikäraja"}
    assert one.post(url, {**body, "min_age": "2", "max_age": "6", "version": version_one}).status_code == 302
    response = two.post(url, {**body, "min_age": "4", "max_age": "7", "version": version_two})
    assert response.status_code == 409
    assert "Toinen käyttäjä muutti" in response.content.decode()
    rule.refresh_from_db()
    assert (rule.min_age, rule.max_age) == (2, 6)


def test_rule_form_without_a_version_is_refused(programme, coordinators):
    one, _ = coordinators
    rule = eligibility_rule_save(
        actor=UserFactory(),
        rule=EligibilityRule(programme=programme, kind=RuleKind.CHILD_AGE, min_age=3, max_age=6),
        reason="Ohjelman alku",
    )
    url = reverse("programs:rule_edit", args=[programme.pk, rule.pk])
    response = one.post(
        url, {"kind": "child_age", "min_age": "2", "max_age": "6", "is_active": "on", "position": "1", "reason": "x"}
    )
    assert response.status_code == 400
    rule.refresh_from_db()
    assert rule.min_age == 3
