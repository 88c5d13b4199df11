"""Large observation imports run as a background job with a status page and the same all-or-nothing report."""

import pytest
from django.urls import reverse

from outcomes.models import ImportStatus, ObservationImport, OutcomeObservation
from outcomes.services import observation_import_fail, observation_import_run
from sibcase.models import AuditEvent, Role

from ..factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(programme):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])


@pytest.fixture
def rows(enrolled_family, metric):
    kids = [ChildFactory(family=enrolled_family) for _ in range(3)]
    enrolled_family.enrollments.get().children.add(*kids)
    return [
        {"identity_code": kid.identity_code, "metric": metric.code, "period_start": "2024-03-01", "value": "1"}
        for kid in kids
    ]


@pytest.fixture(autouse=True)
def small_threshold(settings):
    settings.OBSERVATION_IMPORT_BACKGROUND_ROWS = 2


def _url(programme):
    return reverse("api:observation-import-rows") + f"?programme={programme.pk}"


def _post(api, programme, rows, run):
    with run(execute=True):
        return api.post(_url(programme), {"rows": rows}, format="json")


def test_a_large_import_answers_202_and_the_job_imports_every_row(
    api, coordinator, programme, rows, django_capture_on_commit_callbacks
):
    api.force_authenticate(coordinator)
    response = _post(api, programme, rows, django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    assert response.headers["Location"] == response.json()["url"]
    status = api.get(response.json()["url"]).json()
    assert (status["status"], status["imported"], status["errors"]) == ("done", 3, [])
    assert OutcomeObservation.objects.count() == 3
    assert ObservationImport.objects.get().rows == []  # identity codes are not kept once the job has run


def test_a_large_import_with_a_bad_row_imports_nothing_and_reports_it(
    api, coordinator, programme, rows, django_capture_on_commit_callbacks
):
    api.force_authenticate(coordinator)
    rows[1]["value"] = "-1"
    response = _post(api, programme, rows, django_capture_on_commit_callbacks)
    status = api.get(response.json()["url"]).json()
    assert status["status"] == "refused"
    assert [(row["row"], row["errors"][0]["code"]) for row in status["errors"]] == [(2, "invalid_value")]
    assert not OutcomeObservation.objects.exists()


def test_the_status_page_shows_the_report(
    client, api, coordinator, programme, rows, django_capture_on_commit_callbacks
):
    api.force_authenticate(coordinator)
    rows[0]["period_start"] = "1.13.2024"
    job_id = _post(api, programme, rows, django_capture_on_commit_callbacks).json()["id"]
    client.force_login(coordinator)
    page = client.get(reverse("outcomes:import_status", args=[job_id]))
    assert page.status_code == 200
    assert "invalid_date" in page.content.decode()


def test_another_users_job_is_404(api, coordinator, programme, rows, client, django_capture_on_commit_callbacks):
    api.force_authenticate(coordinator)
    response = _post(api, programme, rows, django_capture_on_commit_callbacks)
    other = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    api.force_authenticate(other)
    assert api.get(response.json()["url"]).status_code == 404
    client.force_login(other)
    assert client.get(reverse("outcomes:import_status", args=[response.json()["id"]])).status_code == 404


def test_running_a_finished_job_again_changes_nothing(
    api, coordinator, programme, rows, django_capture_on_commit_callbacks
):
    api.force_authenticate(coordinator)
    job_id = _post(api, programme, rows, django_capture_on_commit_callbacks).json()["id"]
    observation_import_run(import_id=job_id)  # a redelivered message
    assert OutcomeObservation.objects.count() == 3
    assert AuditEvent.objects.filter(event_type="observations.imported").count() == 1


def test_a_job_left_running_by_a_killed_worker_runs_again(api, coordinator, programme, rows):
    api.force_authenticate(coordinator)
    job_id = api.post(_url(programme), {"rows": rows}, format="json").json()["id"]  # not dispatched: no commit
    ObservationImport.objects.filter(pk=job_id).update(status=ImportStatus.RUNNING)
    observation_import_run(import_id=job_id)
    assert ObservationImport.objects.get(pk=job_id).status == ImportStatus.DONE
    assert OutcomeObservation.objects.count() == 3


def test_a_failed_job_shows_why_and_keeps_no_rows(api, coordinator, programme, rows):
    api.force_authenticate(coordinator)
    job_id = api.post(_url(programme), {"rows": rows}, format="json").json()["id"]
    observation_import_fail(import_id=job_id, error="OperationalError")
    job = ObservationImport.objects.get(pk=job_id)
    assert (job.status, job.failure, job.rows) == (ImportStatus.FAILED, "OperationalError", [])
    assert not OutcomeObservation.objects.exists()


def test_a_social_worker_cannot_follow_imports(api, client, coordinator, programme, rows, social_worker):
    api.force_authenticate(coordinator)
    job_id = api.post(_url(programme), {"rows": rows}, format="json").json()["id"]
    api.force_authenticate(social_worker)
    assert api.get(reverse("api:observation-import-status", kwargs={"import_id": job_id})).status_code == 403
    client.force_login(social_worker)
    assert client.get(reverse("outcomes:import_status", args=[job_id])).status_code == 403
