"""Every model's admin list and add page answer for an admin, and list pages never show a full identity code."""

import pytest
from django.contrib import admin
from django.urls import reverse

from ..factories import ChildFactory, GuardianFactory

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", MODELS, ids=[model._meta.label for model in MODELS])
def test_admin_changelist_answers(client, admin_user, model):
    client.force_login(admin_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {"q": "x"}).status_code == 200


def test_admin_lists_mask_identity_codes(client, admin_user):
    child, guardian = ChildFactory(), GuardianFactory()
    client.force_login(admin_user)
    for person in (child, guardian):
        url = reverse(f"admin:families_{person._meta.model_name}_changelist")
        page = client.get(url).content.decode()
        assert person.identity_code not in page
        assert person.identity_code[:6] in page
