"""The admins' report of unusual access: many distinct families in a short time, refused attempts, break-glass
uses and identity-code lookups at volume. Also: the log's retention is stated in settings."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from families.access_review import unusual_access_report
from families.break_glass import break_glass_open
from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import FamilyFactory, MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db


def _rows(user, families, *, action=AccessAction.VIEW, start=None, step=datetime.timedelta(seconds=30)):
    start = start or timezone.now() - datetime.timedelta(hours=2)
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user=user,
            user_role=user.role,
            action=action,
            family=family,
            basis="test",
            occurred_at=start + step * i,
        )
        for i, family in enumerate(families)
    )


def _report():
    now = timezone.now()
    return unusual_access_report(since=now - datetime.timedelta(days=7), until=now)


@pytest.fixture
def many_families(settings):
    settings.SIBCASE = {**settings.SIBCASE, "ACCESS_REVIEW_DISTINCT_FAMILIES": 5, "ACCESS_REVIEW_WINDOW_MINUTES": 60}
    return [FamilyFactory() for _ in range(6)]


def test_many_distinct_families_in_a_short_time_are_reported(social_worker, many_families):
    _rows(social_worker, many_families)
    bursts = _report().bursts
    assert [(burst.user, burst.families) for burst in bursts] == [(social_worker, 6)]


def test_the_same_families_spread_over_days_are_not_reported(social_worker, many_families):
    _rows(
        social_worker,
        many_families,
        start=timezone.now() - datetime.timedelta(days=6),
        step=datetime.timedelta(hours=5),
    )
    assert _report().bursts == []


def test_one_family_viewed_many_times_is_not_a_burst(social_worker, many_families):
    _rows(social_worker, [many_families[0]] * 10)
    assert _report().bursts == []


def test_refused_attempts_are_counted_per_user(social_worker):
    _rows(social_worker, [None, None, None], action=AccessAction.REFUSED)
    refused = _report().refused
    assert [(row.user, row.count) for row in refused] == [(social_worker, 3)]


def test_break_glass_uses_are_listed(social_worker):
    family = FamilyFactory(municipality=MunicipalityFactory(code="091"))
    break_glass_open(user=social_worker, family_reference=family.reference, reason="Päivystys, kiireellinen")
    assert [grant.family for grant in _report().break_glass] == [family]


def test_identity_code_lookups_at_volume_are_reported(social_worker, settings):
    settings.SIBCASE = {**settings.SIBCASE, "ACCESS_REVIEW_LOOKUPS_PER_DAY": 3}
    # Within one Helsinki day whatever the time of the run (the report counts per local day).
    start = timezone.localtime().replace(hour=0, minute=1, second=0, microsecond=0)
    if start + datetime.timedelta(minutes=2) > timezone.now():
        start -= datetime.timedelta(days=1)
    _rows(social_worker, [None] * 3, action=AccessAction.LOOKUP, start=start)
    assert [(row.user, row.count) for row in _report().lookups] == [(social_worker, 3)]


def test_the_report_page_is_for_admins(client, admin_user, social_worker, many_families):
    _rows(social_worker, many_families)
    client.force_login(admin_user)
    body = client.get(reverse("privacy:access_review")).content.decode()
    assert social_worker.username in body or social_worker.get_full_name() in body
    client.force_login(social_worker)
    assert client.get(reverse("privacy:access_review")).status_code == 403


def test_the_log_retention_period_is_stated():
    assert settings.SIBCASE["LOG_RETENTION_YEARS"] >= 12


def test_coordinators_cannot_see_the_report(client):
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None))
    assert client.get(reverse("privacy:access_review")).status_code == 403
