"""Bulk import of outcome observations: all rows or none, with a report naming each bad row."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outcomes.models import OutcomeObservation
from sibcase.models import AuditEvent, Role

from ..factories import ChildFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def coordinator(programme):
    return UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])


@pytest.fixture
def children(enrolled_family, programme):
    more = [ChildFactory(family=enrolled_family) for _ in range(2)]
    enrollment = enrolled_family.enrollments.get()
    enrollment.children.add(*more)
    return list(enrolled_family.children.order_by("pk"))


def _csv(rows: list[str]) -> SimpleUploadedFile:
    text = "identity_code,metric,period_start,period_end,value,source\n" + "\n".join(rows) + "\n"
    return SimpleUploadedFile("extract.csv", text.encode(), content_type="text/csv")


def _url(programme):
    return reverse("api:observation-import-rows") + f"?programme={programme.pk}"


def test_good_csv_imports_every_row(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    rows = [
        f"{child.identity_code},{metric.code},2024-0{i + 3}-01,2024-0{i + 3}-10,{i + 1},register_extract"
        for i, child in enumerate(children)
    ]
    response = api.post(_url(programme), {"file": _csv(rows)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json() == {"imported": 3}
    assert OutcomeObservation.objects.count() == 3
    assert AuditEvent.objects.filter(event_type="observations.imported").count() == 1


def test_one_bad_row_imports_nothing_and_the_report_names_it(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    rows = [
        f"{children[0].identity_code},{metric.code},2024-03-01,,2,",
        f"{children[1].identity_code},{metric.code},2024-13-01,,2,",
        f"{children[2].identity_code},{metric.code},2024-03-01,,2,",
    ]
    response = api.post(_url(programme), {"file": _csv(rows)}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["imported"] == 0
    assert [(error["row"], error["errors"][0]["field"]) for error in body["errors"]] == [(2, "period_start")]
    assert not OutcomeObservation.objects.exists()


def test_json_rows_are_accepted(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    rows = [
        {
            "identity_code": children[0].identity_code,
            "metric": metric.code,
            "period_start": "2024-03-01",
            "value": "1.5",
        }
    ]
    response = api.post(_url(programme), {"rows": rows}, format="json")
    assert response.status_code == 201
    assert OutcomeObservation.objects.get().value == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ({"identity_code": "010516B923X"}, "identity_code", "identity_code_checksum"),
        ({"metric": "nope"}, "metric", "unknown_metric"),
        ({"value": "-1"}, "value", "invalid_value"),
        ({"value": "=HYPERLINK(1)"}, "value", "invalid_number"),
        ({"period_start": "2099-01-01"}, "period_start", "date_in_future"),
        ({"period_end": "2024-01-01"}, "period_end", "end_before_start"),
        ({"source": "gossip"}, "source", "invalid_source"),
        ({"extra": "x"}, "row", "unknown_field"),
    ],
)
def test_each_bad_value_is_reported(api, coordinator, programme, children, metric, row, field, code):
    api.force_authenticate(coordinator)
    good = {
        "identity_code": children[0].identity_code,
        "metric": metric.code,
        "period_start": "2024-03-01",
        "value": "1",
    }
    response = api.post(_url(programme), {"rows": [{**good, **row}]}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"][0]["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code)


def test_a_child_outside_the_callers_scope_reads_as_unknown(api, coordinator, programme, other_family, metric):
    api.force_authenticate(coordinator)
    row = {
        "identity_code": other_family.children.get().identity_code,
        "metric": metric.code,
        "period_start": "2024-03-01",
        "value": "1",
    }
    response = api.post(_url(programme), {"rows": [row]}, format="json")
    assert response.json()["errors"][0]["errors"][0]["code"] == "unknown_child"


def test_importing_the_same_extract_twice_is_refused_the_second_time(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    rows = [
        {"identity_code": children[0].identity_code, "metric": metric.code, "period_start": "2024-03-01", "value": "1"}
    ]
    assert api.post(_url(programme), {"rows": rows}, format="json").status_code == 201
    response = api.post(_url(programme), {"rows": rows}, format="json")
    assert response.json()["errors"][0]["errors"][0]["code"] == "duplicate"
    assert OutcomeObservation.objects.count() == 1


def test_too_many_rows_are_refused_before_anything_is_checked(api, coordinator, programme, settings):
    settings.OBSERVATION_IMPORT_MAX_ROWS = 5
    api.force_authenticate(coordinator)
    response = api.post(_url(programme), {"rows": [{}] * 6}, format="json")
    assert response.status_code == 400
    assert "rows" in response.json()["errors"]


def test_oversized_file_is_refused(api, coordinator, programme, settings):
    settings.OBSERVATION_IMPORT_MAX_BYTES = 100
    api.force_authenticate(coordinator)
    response = api.post(_url(programme), {"file": _csv(["x" * 200])}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_a_large_extract_imports_with_a_fixed_number_of_queries(
    api, coordinator, programme, enrolled_family, metric, django_assert_max_num_queries
):
    kids = [ChildFactory(family=enrolled_family) for _ in range(100)]
    enrolled_family.enrollments.get().children.add(*kids)
    rows = [
        {
            "identity_code": kid.identity_code,
            "metric": metric.code,
            "period_start": f"2024-{month:02d}-01",
            "value": "1",
        }
        for kid in kids
        for month in range(1, 11)
    ]
    api.force_authenticate(coordinator)
    with django_assert_max_num_queries(20):
        response = api.post(_url(programme), {"rows": rows}, format="json")
    assert response.status_code == 201, response.json()
    assert OutcomeObservation.objects.count() == len(rows)


def test_social_workers_cannot_bulk_import(api, social_worker, programme):
    api.force_authenticate(social_worker)
    assert api.post(_url(programme), {"rows": [{}]}, format="json").status_code == 403
