import pytest
from django.apps import apps
from django.core.management import call_command

from families.models import Child, Enrollment, Guardian
from sibcase.models import Role, User
from tests.demo_data import demo_data  # noqa: F401 - the module-wide seeded demo data

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture
def seeded(demo_data):  # noqa: F811
    """The demo data, seeded once for this module (tests.demo_data)."""


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
