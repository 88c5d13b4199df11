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


def _file(content: bytes, name: str = "extract.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _refusal(response) -> list[tuple]:
    """(row, field, code) of every problem in an import refusal."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "import_refused"
    assert body["imported"] == 0
    return [(row["row"], error["field"], error["code"]) for row in body["errors"] for error in row["errors"]]


def test_a_csv_without_a_detectable_delimiter_is_a_400_naming_the_header(api, coordinator, programme, children):
    api.force_authenticate(coordinator)
    content = b"identity_code metric period_start value\nA B C D\n"
    response = api.post(_url(programme), {"file": _file(content)}, format="multipart")
    assert _refusal(response) == [(0, "header", "unknown_columns")]
    assert not OutcomeObservation.objects.exists()


def test_a_row_with_an_extra_field_is_a_400_naming_the_row(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    rows = [
        f"{children[0].identity_code},{metric.code},2024-03-01,,2,",
        f"{children[1].identity_code},{metric.code},2024-03-01,,2,,surplus",
    ]
    response = api.post(_url(programme), {"file": _csv(rows)}, format="multipart")
    assert _refusal(response) == [(2, "row", "extra_fields")]
    assert not OutcomeObservation.objects.exists()


def test_decimal_commas_in_a_comma_separated_file_are_a_400_per_row(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    rows = [f"{child.identity_code},{metric.code},2024-03-01,,1,5,register_extract" for child in children[:2]]
    response = api.post(_url(programme), {"file": _csv(rows)}, format="multipart")
    assert _refusal(response) == [(1, "row", "extra_fields"), (2, "row", "extra_fields")]


def test_json_rows_that_are_strings_are_a_400_per_row(api, coordinator, programme, children):
    api.force_authenticate(coordinator)
    response = api.post(_url(programme), {"rows": ["identity_code", "x"]}, format="json")
    assert _refusal(response) == [(1, "row", "invalid_row"), (2, "row", "invalid_row")]


def test_json_values_that_are_objects_are_a_400_per_field(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    row = {"identity_code": children[0].identity_code, "metric": metric.code, "period_start": "2024-03-01"}
    response = api.post(_url(programme), {"rows": [{**row, "value": {"a": [[1]]}}]}, format="json")
    assert _refusal(response) == [(1, "value", "invalid_type")]


def test_deeply_nested_json_is_a_400(api, coordinator, programme):
    api.force_authenticate(coordinator)
    body = '{"rows": [' + "[" * 100_000 + "]" * 100_000 + "]}"
    response = api.post(_url(programme), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_a_finnish_spreadsheet_in_windows_1252_imports(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    text = "identity_code;metric;period_start;period_end;value;source;external_id\r\n" + "".join(
        f"{child.identity_code};{metric.code};1.3.2024;10.3.2024;1,5;register_extract;Hämeenlinna-{n}\r\n"
        for n, child in enumerate(children)
    )
    response = api.post(_url(programme), {"file": _file(text.encode("cp1252"))}, format="multipart")
    assert response.status_code == 201, response.json()
    stored = OutcomeObservation.objects.order_by("external_id")
    assert [(o.period_start, o.period_end, str(o.value), o.external_id) for o in stored] == [
        (D(2024, 3, 1), D(2024, 3, 10), "1.50", f"Hämeenlinna-{n}") for n in range(3)
    ]


def test_a_finnish_spreadsheet_in_utf8_with_bom_imports(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    text = "identity_code;metric;period_start;value\n" + "".join(
        f"{child.identity_code};{metric.code};05.03.2024;2,25\n" for child in children
    )
    response = api.post(_url(programme), {"file": _file(text.encode("utf-8-sig"))}, format="multipart")
    assert response.status_code == 201, response.json()
    assert {str(o.value) for o in OutcomeObservation.objects.all()} == {"2.25"}


def test_an_impossible_finnish_date_is_reported(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    text = f"identity_code;metric;period_start;value\n{children[0].identity_code};{metric.code};31.2.2024;1\n"
    response = api.post(_url(programme), {"file": _file(text.encode())}, format="multipart")
    assert _refusal(response) == [(1, "period_start", "invalid_date")]


def test_a_file_in_neither_utf8_nor_windows_1252_is_a_400(api, coordinator, programme):
    api.force_authenticate(coordinator)
    response = api.post(_url(programme), {"file": _file(b"identity_code\n\x81\x8d\n")}, format="multipart")
    assert _refusal(response) == [(0, "file", "invalid_encoding")]


def test_a_broken_csv_is_a_400_naming_the_row(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    text = f'identity_code,metric,period_start,value\n{children[0].identity_code},{metric.code},"2024"-03-01,1\n'
    response = api.post(_url(programme), {"file": _file(text.encode())}, format="multipart")
    assert _refusal(response)[0][1:] == ("file", "invalid_csv")


def test_the_same_observation_with_its_own_external_id_is_not_a_duplicate(
    api, coordinator, programme, children, metric
):
    api.force_authenticate(coordinator)
    row = {"identity_code": children[0].identity_code, "metric": metric.code, "period_start": "2024-03-01", "value": 1}
    response = api.post(
        _url(programme), {"rows": [{**row, "external_id": "A-1"}, {**row, "external_id": "A-2"}]}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert OutcomeObservation.objects.count() == 2


def test_a_nul_character_in_a_json_value_is_reported_not_a_500(api, coordinator, programme, children, metric):
    api.force_authenticate(coordinator)
    row = {"identity_code": children[0].identity_code, "metric": metric.code, "period_start": "2024-03-01", "value": 1}
    response = api.post(_url(programme), {"rows": [{**row, "external_id": "A\x00"}]}, format="json")
    assert _refusal(response) == [(1, "external_id", "invalid_character")]
