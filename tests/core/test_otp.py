"""Two-factor sign-in: a password alone reaches no page, API session or admin; codes are checked and throttled;
enrolment confirms a new authenticator; a verified session reaches the pages."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sibcase.api_tokens import api_token_create
from sibcase.models import AuditEvent, Role
from sibcase.otp import IDP_MFA_SESSION_KEY

from ..factories import FamilyFactory, UserFactory
from ..otp_support import confirmed_totp_device, current_code

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _password_only(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)
    return response


def _wrong_code(device) -> str:
    valid = {current_code(device, offset_steps=n) for n in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(123456, 999999, 111111)) if code not in valid)


@pytest.fixture
def worker(municipality):
    user = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    confirmed_totp_device(user)
    return user


def test_password_only_session_is_sent_to_the_code_page_from_the_family_list(client, worker):
    _password_only(client, worker)
    response = client.get(reverse("families:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))


def test_password_only_session_does_not_reach_a_family_page(client, worker, municipality):
    family = FamilyFactory(municipality=municipality)
    _password_only(client, worker)
    response = client.get(reverse("families:detail", args=[family.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))


def test_password_only_session_does_not_reach_the_api(client, worker):
    _password_only(client, worker)
    response = client.get(reverse("api:family-list"))
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_password_only_session_does_not_reach_the_admin(client, admin_user):
    confirmed_totp_device(admin_user)
    _password_only(client, admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))
    response = client.get(reverse("admin:sibcase_user_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))


def test_a_user_without_an_authenticator_is_sent_to_enrolment(client, municipality):
    user = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    _password_only(client, user)
    response = client.get(reverse("families:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-enrol"))


def test_the_right_code_verifies_the_session(client, worker):
    _password_only(client, worker)
    device = TOTPDevice.objects.get(user=worker)
    response = client.post(reverse("otp-verify"), {"code": current_code(device), "next": reverse("families:list")})
    assert response.status_code == 302
    assert response.url == reverse("families:list")
    assert client.get(reverse("families:list")).status_code == 200
    assert client.get(reverse("api:family-list")).status_code == 200
    assert AuditEvent.objects.filter(actor=worker, event_type="signin.second_factor").count() == 1
    assert AuditEvent.objects.filter(actor=worker, event_type="signin.password").count() == 1


def test_a_wrong_code_is_refused_and_audited(client, worker):
    _password_only(client, worker)
    device = TOTPDevice.objects.get(user=worker)
    response = client.post(reverse("otp-verify"), {"code": _wrong_code(device)})
    assert response.status_code == 200
    assert "Koodi ei kelpaa" in response.content.decode()
    assert client.get(reverse("families:list")).status_code == 302
    assert AuditEvent.objects.filter(actor=worker, event_type="signin.second_factor_failed").exists()


def test_after_wrong_codes_even_the_right_code_is_refused_for_a_while(client, worker):
    _password_only(client, worker)
    device = TOTPDevice.objects.get(user=worker)
    for _ in range(3):
        client.post(reverse("otp-verify"), {"code": _wrong_code(device)})
    response = client.post(reverse("otp-verify"), {"code": current_code(device)})
    assert response.status_code == 200
    assert "Liian monta väärää koodia" in response.content.decode()
    assert client.get(reverse("families:list")).status_code == 302


def test_a_used_code_is_not_accepted_again(client, worker):
    device = TOTPDevice.objects.get(user=worker)
    code = current_code(device)
    _password_only(client, worker)
    assert client.post(reverse("otp-verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    _password_only(client, worker)
    response = client.post(reverse("otp-verify"), {"code": code})
    assert response.status_code == 200
    assert client.get(reverse("families:list")).status_code == 302


def test_enrolment_shows_the_secret_and_confirms_the_device_with_a_code(client, municipality):
    user = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    _password_only(client, user)
    page = client.get(reverse("otp-enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert 'id="otp-secret"' in page.content.decode()
    assert "data:image/svg+xml;base64," in page.content.decode()
    response = client.post(reverse("otp-enrol"), {"code": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("families:list")).status_code == 200
    assert AuditEvent.objects.filter(actor=user, event_type="signin.second_factor_enrolled").exists()


def test_enrolment_with_a_wrong_code_leaves_the_device_unconfirmed(client, municipality):
    user = UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)
    _password_only(client, user)
    client.get(reverse("otp-enrol"))
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("otp-enrol"), {"code": _wrong_code(device)})
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("families:list")).status_code == 302


def test_a_user_with_a_confirmed_device_cannot_enrol_another(client, worker):
    _password_only(client, worker)
    response = client.get(reverse("otp-enrol"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("otp-verify"))
    assert TOTPDevice.objects.filter(user=worker).count() == 1


def test_the_next_address_must_be_on_this_site(client, worker):
    _password_only(client, worker)
    device = TOTPDevice.objects.get(user=worker)
    response = client.post(reverse("otp-verify"), {"code": current_code(device), "next": "https://evil.example/"})
    assert response.url == reverse("home")


def test_sign_in_pages_health_check_and_static_files_stay_reachable(client, worker):
    _password_only(client, worker)
    assert client.get(reverse("otp-verify")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("set_language"), {"language": "en"}).status_code == 302
    assert client.get("/static/css/sibcase.css").status_code == 200


def test_a_token_still_works_next_to_an_unverified_session(client, worker):
    token = api_token_create(user=worker)
    _password_only(client, worker)
    assert client.get(reverse("api:family-list"), HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_force_login_in_tests_is_a_verified_session_with_a_real_device(client, worker):
    client.force_login(worker)
    assert client.get(reverse("families:list")).status_code == 200
    assert TOTPDevice.objects.filter(user=worker, confirmed=True).count() == 1


def test_the_identity_providers_multi_factor_sign_in_counts(client, worker):
    _password_only(client, worker)
    session = client.session
    session[IDP_MFA_SESSION_KEY] = True
    session.save()
    assert client.get(reverse("families:list")).status_code == 200


def test_the_setting_can_switch_the_second_factor_off(client, worker, settings):
    settings.SIBCASE_REQUIRE_OTP = False
    _password_only(client, worker)
    assert client.get(reverse("families:list")).status_code == 200


def test_the_second_factor_is_on_by_default():
    from django.conf import settings

    assert settings.SIBCASE_REQUIRE_OTP is True


def test_the_session_id_changes_when_the_code_is_accepted(client, worker):
    _password_only(client, worker)
    before = client.session.session_key
    client.post(reverse("otp-verify"), {"code": current_code(TOTPDevice.objects.get(user=worker))})
    assert client.session.session_key != before


def test_the_admin_signs_in_through_the_two_step_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/admin/"
