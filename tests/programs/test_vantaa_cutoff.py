"""The Vantaa decision: no new families from 1.9.2021, through every door; families already in keep going."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from families import services as family_services
from families.models import Enrollment
from outcomes.services import episode_create
from programs.models import EnrollmentRefusal
from sibcase.errors import DomainError
from sibcase.models import AuditEvent, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    ProgrammeFactory,
    ServiceFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def vantaa():
    municipality = MunicipalityFactory(code="092", name_fi="Vantaa", name_sv="Vanda")
    return ProgrammeFactory(
        municipality=municipality,
        code="vantaa-lapset-sib",
        name_fi="Lapset SIB Vantaa",
        start_date=D(2019, 10, 1),
        enrollment_opens=D(2019, 10, 1),
        enrollment_cutoff=D(2021, 9, 1),
        cutoff_decision_body="Vantaan sosiaali- ja terveyslautakunta",
        cutoff_decision_date=D(2021, 8, 17),
        cutoff_decision_text="Uusia lapsia/perheitä ei oteta mukaan ohjelmaan 1.9.2021 alkaen.",
        services=[ServiceFactory(name_fi="Perhekumppani")],
    )


@pytest.fixture
def worker(vantaa):
    return UserFactory(role=Role.SOCIAL_WORKER, municipality=vantaa.municipality)


@pytest.fixture
def coordinator(vantaa):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[vantaa])


def _family(programme):
    family = FamilyFactory(
        municipality=programme.municipality, reference=f"P-V{FamilyFactory._meta.model.objects.count():07d}"
    )
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2021, 8, 1))
    return family


@pytest.fixture
def on_day(monkeypatch):
    def set_today(day):
        monkeypatch.setattr(family_services, "_today", lambda: day)

    return set_today


def test_enrollment_recorded_on_31_8_2021_is_accepted(vantaa, worker, on_day):
    on_day(D(2021, 8, 31))
    enrollment = family_services.enrollment_create(
        actor=worker, programme=vantaa, family=_family(vantaa), enrolled_on=D(2021, 8, 31)
    )
    assert enrollment.backdating_approved_by is None


def test_enrollment_dated_1_9_2021_is_refused_naming_the_decision(vantaa, worker, on_day):
    on_day(D(2021, 9, 1))
    with pytest.raises(DomainError) as exc:
        family_services.enrollment_create(
            actor=worker, programme=vantaa, family=_family(vantaa), enrolled_on=D(2021, 9, 1)
        )
    assert exc.value.codes == ["enrollment_closed"]
    assert "Vantaan sosiaali- ja terveyslautakunta" in exc.value.messages[0]
    assert "17. elokuuta 2021" in exc.value.messages[0]


def test_refusal_is_recorded_for_the_overview(vantaa, worker):
    with pytest.raises(DomainError):
        family_services.enrollment_create(
            actor=worker, programme=vantaa, family=_family(vantaa), enrolled_on=D(2021, 9, 1)
        )
    assert EnrollmentRefusal.objects.get().codes == ["enrollment_closed"]


def test_backdated_recording_now_is_refused_without_approval(vantaa, worker):
    with pytest.raises(DomainError) as exc:
        family_services.enrollment_create(
            actor=worker, programme=vantaa, family=_family(vantaa), enrolled_on=D(2021, 8, 31)
        )
    assert exc.value.codes == ["backdating_requires_approval"]


def test_backdated_recording_with_approval_is_accepted_and_audited(vantaa, worker, coordinator):
    enrollment = family_services.enrollment_create(
        actor=worker,
        programme=vantaa,
        family=_family(vantaa),
        enrolled_on=D(2021, 8, 31),
        backdating_approved_by=coordinator,
        backdating_reason="Lautakunnan päätöstä edeltävä asiakkuus, kirjaus viivästyi.",
    )
    assert enrollment.backdating_approved_by == coordinator
    assert AuditEvent.objects.get(event_type="enrollment.backdating_approved").reason.startswith("Lautakunnan")


def test_family_enrolled_before_the_cutoff_gets_an_episode_after_it(vantaa, worker, on_day):
    on_day(D(2021, 8, 30))
    enrollment = family_services.enrollment_create(
        actor=worker, programme=vantaa, family=_family(vantaa), enrolled_on=D(2021, 8, 30)
    )
    episode = episode_create(
        actor=worker, enrollment=enrollment, service=vantaa.services.get(), start_date=D(2022, 3, 1)
    )
    assert episode.pk


def test_the_admin_cannot_enroll(vantaa, client):
    """Enrollments are made through the enrollment page or the API (the service's cutoff check and audit row)."""
    admin = UserFactory(role=Role.ADMIN, municipality=None, is_staff=True, is_superuser=True)
    client.force_login(admin)
    family = _family(vantaa)
    response = client.post(
        reverse("admin:families_enrollment_add"),
        {
            "programme": vantaa.pk,
            "family": family.pk,
            "children": [c.pk for c in family.children.all()],
            "enrolled_on": "2021-09-01",
        },
    )
    assert response.status_code == 403
    assert not Enrollment.objects.exists()


def _csv(*rows):
    path = io.StringIO()
    path.write("family_reference,programme_code,enrolled_on,backdating_reason\n")
    for row in rows:
        path.write(",".join(row) + "\n")
    return path.getvalue()


def test_the_import_refuses_the_same_enrollment_and_imports_nothing(vantaa, worker, tmp_path):
    good, bad = _family(vantaa), _family(vantaa)
    file = tmp_path / "enrollments.csv"
    file.write_text(
        _csv(
            (good.reference, vantaa.code, "2021-08-20", "Hyväksytty päätös"),
            (bad.reference, vantaa.code, "2021-09-01", ""),
        )
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_enrollments", str(file), "--user", worker.username, "--approved-by", worker.username, stdout=out
        )
    assert "row 3: REFUSED enrollment_closed" in out.getvalue()
    assert not Enrollment.objects.exists()


def test_the_import_enrolls_a_clean_file(vantaa, worker, coordinator, tmp_path):
    family = _family(vantaa)
    file = tmp_path / "enrollments.csv"
    file.write_text(_csv((family.reference, vantaa.code, "2021-08-20", "Päätös 19.8.2021, kirjaus viivästyi")))
    call_command(
        "import_enrollments",
        str(file),
        "--user",
        worker.username,
        "--approved-by",
        coordinator.username,
        stdout=io.StringIO(),
    )
    assert Enrollment.objects.get().backdating_approved_by == coordinator


def test_the_api_refuses_the_same_enrollment(vantaa, worker, on_day):
    from rest_framework.test import APIClient

    on_day(D(2021, 9, 1))
    api = APIClient()
    api.force_authenticate(worker)
    response = api.post(
        reverse("api:enrollment-list"),
        {"family": _family(vantaa).pk, "programme": vantaa.pk, "enrolled_on": "2021-09-01"},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "enrollment_closed"
    assert "Vantaan sosiaali- ja terveyslautakunta" in error["message"]
    assert not Enrollment.objects.exists()


def test_the_api_accepts_31_8_2021(vantaa, worker, on_day):
    from rest_framework.test import APIClient

    on_day(D(2021, 8, 31))
    api = APIClient()
    api.force_authenticate(worker)
    response = api.post(
        reverse("api:enrollment-list"),
        {"family": _family(vantaa).pk, "programme": vantaa.pk, "enrolled_on": "2021-08-31"},
        format="json",
    )
    assert response.status_code == 201, response.json()
