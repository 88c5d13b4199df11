import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from families.models import Child, Enrollment, Guardian
from sibcase.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX
from sibcase.models import Role, User
from tests.otp_support import current_code

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def seeded(demo_data):
    """The demo data, on this module's copy of the seeded database (tests.demo_data)."""


def test_seed_demo_twice_changes_nothing(seeded):
    before = _row_counts()
    call_command("seed_demo", verbosity=0)
    assert _row_counts() == before


def test_seed_demo_uses_only_temporary_identity_codes(seeded):
    codes = list(Child.objects.values_list("identity_code", flat=True)) + list(
        Guardian.objects.values_list("identity_code", flat=True)
    )
    assert codes
    assert all(900 <= int(code[7:10]) <= 999 for code in codes)


def test_seed_demo_creates_a_login_per_role(seeded):
    assert set(User.objects.values_list("role", flat=True)) >= set(Role.values)


def test_seed_demo_enrolls_nobody_in_vantaa_from_the_cutoff(seeded):
    assert Enrollment.objects.filter(programme__code="vantaa-lapset-sib").exists()
    assert not Enrollment.objects.filter(programme__code="vantaa-lapset-sib", enrolled_on__gte="2021-09-01").exists()


def test_demo_logins_sign_in_with_the_published_demo_secret(seeded, client):
    user = User.objects.get(username="demo-admin")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.bin_key == bytes.fromhex(DEMO_TOTP_KEY_HEX)
    response = client.post(reverse("login"), {"username": "demo-admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    client.post(reverse("otp-verify"), {"code": current_code(device)})
    assert client.get(reverse("admin:index")).status_code == 200
