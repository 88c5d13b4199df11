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


def _read_only_models():
    from families.models import Child, Consent, Enrollment, Family, FamilyTransfer, Guardian, Referral
    from outcomes.models import (
        MetricUnitCost,
        OutcomeObservation,
        ServiceEpisode,
        ServiceNeedsAssessment,
        ServiceVisit,
    )
    from payments.models import ComparisonGroupCost, PaymentRun, PaymentStatement, PaymentTerms

    return [
        Family,
        Child,
        Guardian,
        Referral,
        Consent,
        Enrollment,
        FamilyTransfer,
        ServiceNeedsAssessment,
        ServiceEpisode,
        ServiceVisit,
        OutcomeObservation,
        MetricUnitCost,
        PaymentTerms,
        ComparisonGroupCost,
        PaymentStatement,
        PaymentRun,
    ]


PERSONAL_AND_PAYMENT_MODELS = _read_only_models()


@pytest.mark.parametrize("model", PERSONAL_AND_PAYMENT_MODELS, ids=[m._meta.label for m in PERSONAL_AND_PAYMENT_MODELS])
def test_personal_and_payment_data_is_read_only_in_the_admin(rf, admin_user, model):
    """Writes go through the services and their audit rows, never through the admin."""
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_inlines_of_editable_pages_do_not_write_payment_data(rf, admin_user):
    """The metric page stays editable (reference data) but its unit-cost inline is read-only."""
    request = rf.get("/")
    request.user = admin_user
    for model_admin in admin.site._registry.values():
        for inline in model_admin.get_inline_instances(request):
            if inline.model in PERSONAL_AND_PAYMENT_MODELS or inline.model._meta.app_label == "payments":
                assert not inline.has_add_permission(request, None)
                assert not inline.has_change_permission(request)
                assert not inline.has_delete_permission(request)


def test_admin_refuses_to_change_or_delete_a_child(client, admin_user):
    child = ChildFactory()
    client.force_login(admin_user)
    change = reverse("admin:families_child_change", args=[child.pk])
    assert client.post(change, {"first_names": "Muutettu", "last_name": "X"}).status_code == 403
    delete = reverse("admin:families_child_delete", args=[child.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    child.refresh_from_db()
    assert child.first_names != "Muutettu"


def test_reference_data_stays_editable(rf, admin_user):
    from programs.models import Municipality, Service, ServiceProvider

    request = rf.get("/")
    request.user = admin_user
    for model in (Municipality, ServiceProvider, Service):
        assert admin.site._registry[model].has_change_permission(request)


def test_admin_does_not_search_people_by_identity_code(client, admin_user):
    """A code in the admin's search would travel in the URL, unlogged and unthrottled (the family list's POST
    search is the one door for codes)."""
    child = ChildFactory(last_name="Etsittävä")
    client.force_login(admin_user)
    url = reverse("admin:families_child_changelist")
    assert "Etsittävä" not in client.get(url, {"q": child.identity_code}).content.decode()
    assert "Etsittävä" in client.get(url, {"q": "Etsittävä"}).content.decode()
