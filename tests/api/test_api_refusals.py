"""A person's record asked for through the API and refused (another municipality's, or a role without personal
data) leaves a refused-attempt row in the access log, as the pages do."""

import pytest
from django.urls import reverse

from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import FamilyFactory, MunicipalityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_another_municipality_s_family_is_a_logged_refusal(client, social_worker):
    other = FamilyFactory(municipality=MunicipalityFactory(code="091", name_fi="Helsinki", name_sv="Helsingfors"))
    client.force_login(social_worker)
    response = client.get(reverse("api:family-detail", args=[other.pk]))
    assert response.status_code == 404
    row = AccessLogEntry.objects.get(user=social_worker, action=AccessAction.REFUSED)
    assert row.target == f"families.family:{other.pk}"


def test_a_fund_manager_asking_for_a_family_is_a_logged_refusal(client):
    family = FamilyFactory()
    manager = UserFactory(role=Role.FUND_MANAGER, municipality=None)
    client.force_login(manager)
    assert client.get(reverse("api:family-detail", args=[family.pk])).status_code == 403
    assert AccessLogEntry.objects.filter(
        user=manager, action=AccessAction.REFUSED, target=f"families.family:{family.pk}"
    ).exists()
