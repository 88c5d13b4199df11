"""Break-glass access: a social worker opens another municipality's family only by stating a reason."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from families.break_glass import break_glass_bases, break_glass_open
from families.models import BreakGlassGrant
from families.records import attachment_add
from families.selectors import families_visible_to
from families.views import BASIS_CASEWORK
from sibcase.api_tokens import api_token_create
from sibcase.models import AccessAction, AccessLogEntry, AuditEvent, Role

from ..factories import ChildFactory, FamilyFactory, MunicipalityFactory, UserFactory
from .test_notes_attachments import PDF

pytestmark = pytest.mark.django_db

REASON = "Päivystys: lapsen turvallisuus, perhe muuttanut kuntaan"


@pytest.fixture
def other_family():
    family = FamilyFactory(municipality=MunicipalityFactory(code="091", name_fi="Helsinki"))
    ChildFactory(family=family)
    return family


def _open(client, social_worker, family):
    client.force_login(social_worker)
    return client.post(reverse("families:break_glass"), {"family_reference": family.reference, "reason": REASON})


def test_without_a_grant_another_municipalitys_family_is_404(client, social_worker, other_family):
    client.force_login(social_worker)
    assert client.get(reverse("families:detail", args=[other_family.pk])).status_code == 404


def test_with_a_grant_the_family_opens_and_is_logged_as_break_glass(client, social_worker, other_family):
    response = _open(client, social_worker, other_family)
    assert response.status_code == 302
    path = reverse("families:detail", args=[other_family.pk])
    assert client.get(path).status_code == 200
    row = AccessLogEntry.objects.get(user=social_worker, family=other_family, path=path, action=AccessAction.VIEW)
    assert row.basis == f"break-glass: {REASON}"


def test_opening_a_grant_is_logged_and_audited(client, social_worker, other_family):
    _open(client, social_worker, other_family)
    grant = BreakGlassGrant.objects.get(user=social_worker, family=other_family)
    assert grant.expires_at - grant.granted_at == datetime.timedelta(hours=24)
    assert AuditEvent.objects.filter(event_type="break_glass.opened", object_id=str(grant.pk)).exists()
    assert AccessLogEntry.objects.filter(user=social_worker, family=other_family, basis=f"break-glass: {REASON}")


def test_after_expiry_the_family_is_404_again(client, social_worker, other_family):
    _open(client, social_worker, other_family)
    grant = BreakGlassGrant.objects.get()
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        granted_at=timezone.now() - datetime.timedelta(hours=25),
        expires_at=timezone.now() - datetime.timedelta(hours=1),
    )
    assert client.get(reverse("families:detail", args=[other_family.pk])).status_code == 404


def test_a_grant_is_only_for_its_user(social_worker, other_family, municipality):
    break_glass_open(user=social_worker, family_reference=other_family.reference, reason=REASON)
    colleague = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    assert other_family not in families_visible_to(colleague)
    assert other_family in families_visible_to(social_worker)


def test_a_reason_is_required(client, social_worker, other_family):
    client.force_login(social_worker)
    response = client.post(reverse("families:break_glass"), {"family_reference": other_family.reference, "reason": "x"})
    assert response.status_code == 400
    assert not BreakGlassGrant.objects.exists()


def test_other_roles_cannot_break_glass(client, other_family):
    provider = UserFactory(role=Role.PROVIDER_WORKER, municipality=None)
    client.force_login(provider)
    assert client.get(reverse("families:break_glass")).status_code == 403


def test_the_admin_review_lists_grants_and_marks_them_reviewed(client, social_worker, other_family, admin_user):
    grant = break_glass_open(user=social_worker, family_reference=other_family.reference, reason=REASON)
    client.force_login(admin_user)
    page = client.get(reverse("privacy:break_glass_review"))
    assert REASON in page.content.decode()
    response = client.post(reverse("privacy:break_glass_reviewed", args=[grant.pk]), {"note": "Perusteltu."})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == admin_user and grant.review_note == "Perusteltu."
    assert AuditEvent.objects.filter(event_type="break_glass.reviewed", object_id=str(grant.pk)).exists()


def test_social_workers_cannot_see_the_review(client, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("privacy:break_glass_review")).status_code == 403


# Every page that shows a family's data writes its access-log row with the grant's basis when the family is seen
# through break-glass: the review finds each of them, not only the family page's.
BREAK_GLASS_PAGES = [
    ("families:person_detail", lambda family: {"kind": "child", "pk": family.children.first().pk}),
    ("families:person_correct", lambda family: {"kind": "child", "pk": family.children.first().pk}),
    ("families:family_correct", lambda family: {"pk": family.pk}),
    ("families:consent_create", lambda family: {"pk": family.pk}),
    ("families:transfer_request", lambda family: {"pk": family.pk}),
    ("outcomes:assessment_create", lambda family: {"pk": family.pk}),
    ("outcomes:episode_create", lambda family: {"pk": family.pk}),
    ("outcomes:observation_create", lambda family: {"pk": family.pk}),
    ("outcomes:visit_create", lambda family: {"pk": family.pk}),
]


@pytest.mark.parametrize(("name", "kwargs"), BREAK_GLASS_PAGES, ids=[name for name, _ in BREAK_GLASS_PAGES])
def test_every_family_page_seen_through_a_grant_is_logged_as_break_glass(
    client, social_worker, other_family, name, kwargs
):
    _open(client, social_worker, other_family)
    path = reverse(name, kwargs=kwargs(other_family))
    assert client.get(path).status_code == 200
    rows = AccessLogEntry.objects.filter(user=social_worker, family=other_family, path=path)
    assert [row.basis for row in rows] == [f"break-glass: {REASON}"]


def test_an_attachment_opened_through_a_grant_is_logged_as_break_glass(client, social_worker, other_family):
    attachment = attachment_add(
        actor=UserFactory(role=Role.SOCIAL_WORKER, municipality=other_family.municipality),
        family=other_family,
        kind="decision",
        upload=SimpleUploadedFile("paatos.pdf", PDF),
    )
    _open(client, social_worker, other_family)
    path = reverse("families:attachment_download", args=[attachment.pk])
    assert client.get(path).status_code == 200
    rows = AccessLogEntry.objects.filter(user=social_worker, family=other_family, path=path)
    assert [row.basis for row in rows] == [f"break-glass: {REASON}"]


def test_the_family_list_logs_a_family_seen_through_a_grant_as_break_glass(client, social_worker, other_family):
    own = FamilyFactory(municipality=social_worker.municipality)
    _open(client, social_worker, other_family)
    assert client.get(reverse("families:list")).status_code == 200
    rows = AccessLogEntry.objects.filter(user=social_worker, action=AccessAction.LIST, path=reverse("families:list"))
    assert {row.family_id: row.basis for row in rows} == {
        own.pk: BASIS_CASEWORK,
        other_family.pk: f"break-glass: {REASON}",
    }


def test_the_api_logs_a_family_seen_through_a_grant_as_break_glass(client, social_worker, other_family):
    break_glass_open(user=social_worker, family_reference=other_family.reference, reason=REASON)
    token = api_token_create(user=social_worker)
    path = f"/api/families/{other_family.pk}/"
    assert client.get(path, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    row = AccessLogEntry.objects.get(user=social_worker, family=other_family, action=AccessAction.API_READ)
    assert row.basis == f"break-glass: {REASON}"


def test_a_social_worker_without_a_grant_in_force_costs_no_grant_query(social_worker, django_assert_num_queries):
    family = FamilyFactory(municipality=social_worker.municipality)
    with django_assert_num_queries(0):
        assert break_glass_bases(social_worker, [family.pk]) == {}


def test_opening_a_grant_marks_the_user_until_it_expires(social_worker, other_family):
    grant = break_glass_open(user=social_worker, family_reference=other_family.reference, reason=REASON)
    social_worker.refresh_from_db()
    assert social_worker.break_glass_until == grant.expires_at
    assert break_glass_bases(social_worker, [other_family.pk]) == {other_family.pk: f"break-glass: {REASON}"}
