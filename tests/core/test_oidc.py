"""Municipal single sign-on: the identity provider's groups map to one role, everyone else is refused; the
provider's multi-factor sign-in counts only when its amr claim says so. No network: the backend's claim handling
is called with claims as the provider would send them."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import SuspiciousOperation

from sibcase.models import AuditEvent, Role, User
from sibcase.oidc import CallbackView, RoleMappingOIDCBackend, asserts_mfa, role_from_groups
from sibcase.otp import IDP_MFA_SESSION_KEY

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

ROLE_MAP = {
    "sibcase-sosiaalityo": "social_worker",
    "sibcase-koordinaattori": "coordinator",
    "sibcase-yllapito": "admin",
}


@pytest.fixture
def oidc(settings):
    settings.OIDC_ROLE_MAP = ROLE_MAP
    return RoleMappingOIDCBackend()


def _claims(**extra):
    return {"sub": "x1", "preferred_username": "maija.m", "municipality": "092", "given_name": "Maija", **extra}


def test_a_mapped_group_gives_its_role():
    assert role_from_groups(["muut", "sibcase-sosiaalityo"], ROLE_MAP) == Role.SOCIAL_WORKER
    assert role_from_groups("sibcase-koordinaattori", ROLE_MAP) == Role.COORDINATOR


def test_no_mapped_group_gives_no_role():
    assert role_from_groups(["muut"], ROLE_MAP) is None
    assert role_from_groups(None, ROLE_MAP) is None


def test_groups_mapping_to_two_roles_give_no_role():
    assert role_from_groups(["sibcase-sosiaalityo", "sibcase-koordinaattori"], ROLE_MAP) is None


def test_the_admin_role_is_never_given_by_the_identity_provider():
    assert role_from_groups(["sibcase-yllapito"], ROLE_MAP) is None


def test_a_user_without_a_mapped_group_is_refused(oidc, municipality):
    assert not oidc.verify_claims(_claims(groups=["muut"]))


def test_a_social_worker_without_a_known_municipality_is_refused(oidc, municipality):
    assert not oidc.verify_claims(_claims(groups=["sibcase-sosiaalityo"], municipality="999"))


def test_a_mapped_user_is_created_with_role_and_municipality(oidc, municipality):
    claims = _claims(groups=["sibcase-sosiaalityo"])
    assert oidc.verify_claims(claims)
    user = oidc.create_user(claims)
    user.refresh_from_db()
    assert (user.username, user.role, user.municipality, user.has_usable_password()) == (
        "maija.m",
        Role.SOCIAL_WORKER,
        municipality,
        False,
    )


def test_the_role_follows_the_groups_at_every_sign_in(oidc, municipality):
    user = UserFactory(username="maija.m", role=Role.SOCIAL_WORKER, municipality=municipality)
    oidc.update_user(user, _claims(groups=["sibcase-koordinaattori"]))
    assert User.objects.get(pk=user.pk).role == Role.COORDINATOR


def test_an_administrator_account_is_not_taken_over(oidc, admin_user, municipality):
    with pytest.raises(SuspiciousOperation):
        oidc.update_user(admin_user, _claims(groups=["sibcase-sosiaalityo"]))


def test_the_second_factor_is_skipped_only_when_the_provider_asserts_mfa(settings):
    assert asserts_mfa({"amr": ["pwd", "mfa"]}, settings.OIDC_TRUSTED_AMR)
    assert asserts_mfa({"amr": "otp"}, settings.OIDC_TRUSTED_AMR)
    assert not asserts_mfa({"amr": ["pwd"]}, settings.OIDC_TRUSTED_AMR)
    assert not asserts_mfa({}, settings.OIDC_TRUSTED_AMR)


def test_the_users_mfa_flag_comes_from_the_claims(oidc, municipality):
    user = oidc.create_user(_claims(groups=["sibcase-sosiaalityo"], amr=["pwd"]))
    assert user.sibcase_idp_mfa is False
    user = oidc.update_user(user, _claims(groups=["sibcase-sosiaalityo"], amr=["pwd", "mfa"]))
    assert user.sibcase_idp_mfa is True


def test_the_callback_marks_the_session_and_audits_the_sign_in(rf, oidc, municipality):
    user = oidc.create_user(_claims(groups=["sibcase-sosiaalityo"], amr=["pwd", "mfa"]))
    user.backend = "sibcase.oidc.RoleMappingOIDCBackend"
    request = rf.get("/oidc/callback/")
    request.session = SessionStore()
    request.user = user
    view = CallbackView()
    view.request, view.user = request, user
    response = view.login_success()
    assert response.status_code == 302
    assert request.session[IDP_MFA_SESSION_KEY] is True
    assert AuditEvent.objects.filter(actor=user, event_type="signin.single_sign_on").exists()
