"""The REST API: the same scoping, roles, services and access log as the pages; errors always JSON."""

import datetime

import pytest
from django.urls import reverse

from families.models import Child, Enrollment, Family, Guardian
from sibcase.api_tokens import api_token_create
from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
    ProgrammeFactory,
    UserFactory,
    identity_code,
)

pytestmark = pytest.mark.django_db
D = datetime.date

PERSONAL_LISTS = [
    "api:family-list",
    "api:referral-list",
    "api:enrollment-list",
    "api:episode-list",
    "api:observation-list",
]


def _register_body(programme, **overrides):
    body = {
        "programme": programme.pk,
        "postal_code": "00980",
        "district": "Vuosaari",
        "children": [{"first_names": "Aino", "last_name": "Testinen", "identity_code": identity_code(501)}],
        "guardians": [
            {
                "first_names": "Maija",
                "last_name": "Testinen",
                "identity_code": identity_code(502, birth=D(1988, 5, 5)),
                "employment_status": "unemployed",
            }
        ],
        "source": "neuvola",
        "referred_on": "2024-03-01",
        "reason": "Arjen haasteet",
    }
    body.update(overrides)
    return body


def test_social_worker_lists_only_own_municipality_families(api, social_worker, family, other_family):
    api.force_authenticate(social_worker)
    ids = [row["id"] for row in api.get(reverse("api:family-list")).json()["results"]]
    assert ids == [family.pk]


def test_another_municipalitys_family_is_404_json(api, social_worker, other_family):
    api.force_authenticate(social_worker)
    response = api.get(reverse("api:family-detail", args=[other_family.pk]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("role", [Role.FUND_MANAGER, Role.EVALUATOR])
@pytest.mark.parametrize("url_name", PERSONAL_LISTS)
def test_roles_without_personal_data_get_403(api, role, url_name):
    api.force_authenticate(UserFactory(role=role, municipality=None))
    response = api.get(reverse(url_name))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_fund_manager_cannot_read_one_family_either(api, family):
    api.force_authenticate(UserFactory(role=Role.FUND_MANAGER, municipality=None))
    assert api.get(reverse("api:family-detail", args=[family.pk])).status_code == 403


def test_anonymous_request_is_refused_with_json(api, family):
    response = api.get(reverse("api:family-list"))
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_token_authentication_works_for_integrations(api, social_worker, family):
    token = api_token_create(user=social_worker)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api:family-list")).json()["count"] == 1


def test_family_list_writes_the_access_log(api, social_worker, family):
    api.force_authenticate(social_worker)
    api.get(reverse("api:family-list"))
    entry = AccessLogEntry.objects.get(user=social_worker)
    assert (entry.action, entry.family_id) == (AccessAction.API_READ, family.pk)


def test_provider_worker_sees_no_identity_codes(api, enrolled_family):
    from ..factories import ServiceEpisodeFactory

    worker = UserFactory(role=Role.PROVIDER_WORKER, municipality=None)
    enrollment = enrolled_family.enrollments.get()
    ServiceEpisodeFactory(enrollment=enrollment, family=enrolled_family, provider=worker.provider)
    # Disclosure to the provider needs the guardian's consent (defect 8).
    ConsentFactory(
        guardian=GuardianFactory(family=enrolled_family), programme=enrollment.programme, scope="provider_sharing"
    )
    api.force_authenticate(worker)
    child = api.get(reverse("api:family-detail", args=[enrolled_family.pk])).json()["children"][0]
    assert "identity_code" not in child


def test_family_list_queries_do_not_grow_with_families(api, social_worker, municipality, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.force_authenticate(social_worker)
    FamilyFactory(municipality=municipality)
    with CaptureQueriesContext(connection) as few:
        api.get(reverse("api:family-list"))
    for _ in range(30):
        ChildFactory(family=FamilyFactory(municipality=municipality))
    with django_assert_max_num_queries(len(few)):
        assert api.get(reverse("api:family-list")).json()["count"] == 31


def test_registering_a_family_creates_family_children_guardians_and_referral(api, social_worker, programme):
    api.force_authenticate(social_worker)
    response = api.post(reverse("api:family-list"), _register_body(programme), format="json")
    assert response.status_code == 201, response.json()
    family = Family.objects.get(pk=response.json()["id"])
    assert (family.children.count(), family.guardians.count(), family.referrals.count()) == (1, 1, 1)


def test_registering_with_an_invalid_identity_code_saves_nothing(api, social_worker, programme):
    api.force_authenticate(social_worker)
    body = _register_body(programme, children=[{"first_names": "A", "last_name": "B", "identity_code": "010516B923X"}])
    response = api.post(reverse("api:family-list"), body, format="json")
    assert response.status_code == 400
    assert response.json()["code"].startswith("invalid")
    assert not Family.objects.exists() and not Guardian.objects.exists()


def test_registering_a_known_identity_code_points_to_the_existing_family(api, social_worker, programme, family):
    api.force_authenticate(social_worker)
    known = family.children.get().identity_code
    body = _register_body(programme, children=[{"first_names": "A", "last_name": "B", "identity_code": known}])
    response = api.post(reverse("api:family-list"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["details"] == {"family_id": family.pk}
    assert Family.objects.count() == 1


def test_known_code_in_another_municipality_does_not_reveal_that_family(api, social_worker, programme, other_family):
    api.force_authenticate(social_worker)
    known = other_family.children.get().identity_code
    body = _register_body(programme, children=[{"first_names": "A", "last_name": "B", "identity_code": known}])
    response = api.post(reverse("api:family-list"), body, format="json")
    assert response.json()["errors"][0]["details"] == {}
    assert other_family.reference not in response.content.decode()


def test_registering_for_another_municipalitys_programme_is_refused(api, social_worker):
    api.force_authenticate(social_worker)
    response = api.post(reverse("api:family-list"), _register_body(ProgrammeFactory()), format="json")
    assert response.status_code == 400
    assert "programme" in response.json()["errors"]


def test_enrollment_goes_through_the_enrollment_service(api, social_worker, programme, family):
    api.force_authenticate(social_worker)
    response = api.post(
        reverse("api:enrollment-list"),
        {"family": family.pk, "programme": programme.pk, "enrolled_on": "2024-02-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Enrollment.objects.get().children.count() == 1


def test_enrollment_after_the_cutoff_is_refused_with_the_reason(api, social_worker, programme, family):
    programme.enrollment_cutoff = D(2021, 9, 1)
    programme.save()
    api.force_authenticate(social_worker)
    response = api.post(
        reverse("api:enrollment-list"),
        {"family": family.pk, "programme": programme.pk, "enrolled_on": "2024-02-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "enrollment_closed" in [error["code"] for error in response.json()["errors"]]
    assert not Enrollment.objects.exists()


def test_enrollment_for_another_municipalitys_family_is_refused(api, social_worker, programme, other_family):
    api.force_authenticate(social_worker)
    response = api.post(
        reverse("api:enrollment-list"),
        {"family": other_family.pk, "programme": programme.pk, "enrolled_on": "2024-02-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "family" in response.json()["errors"]


def test_exit_before_enrollment_is_refused(api, social_worker, enrolled_family):
    api.force_authenticate(social_worker)
    enrollment = enrolled_family.enrollments.get()
    response = api.post(
        reverse("api:enrollment-exit", args=[enrollment.pk]), {"exit_date": "2023-01-01", "reason": "other"}
    )
    assert response.status_code == 400
    enrollment.refresh_from_db()
    assert enrollment.exit_date is None


def test_wrong_types_get_a_field_error(api, social_worker, programme):
    api.force_authenticate(social_worker)
    response = api.post(reverse("api:family-list"), _register_body(programme, referred_on="yesterday"), format="json")
    assert response.status_code == 400
    assert "referred_on" in response.json()["errors"]


def test_malformed_json_is_a_json_400(api, social_worker):
    api.force_authenticate(social_worker)
    response = api.post(reverse("api:family-list"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_observation_is_recorded_for_an_enrolled_child(api, social_worker, enrolled_family, metric):
    api.force_authenticate(social_worker)
    child = enrolled_family.children.get()
    response = api.post(
        reverse("api:observation-list"),
        {"metric": metric.pk, "child": child.pk, "period_start": "2024-03-01", "value": "3"},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_statements_are_read_only_and_scoped(api, worked_example):
    from payments.services.statements import statement_calculate

    statement = statement_calculate(
        programme=worked_example["programme"], kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31)
    )
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])
    api.force_authenticate(coordinator)
    body = api.get(reverse("api:payment-statement-detail", args=[statement.pk])).json()
    assert body["payable"] == "5023.88"
    assert api.delete(reverse("api:payment-statement-detail", args=[statement.pk])).status_code == 405
    api.force_authenticate(UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[ProgrammeFactory()]))
    assert api.get(reverse("api:payment-statement-detail", args=[statement.pk])).status_code == 404


def test_throttling_answers_429_in_json(api, social_worker, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import UserRateThrottle

    # The rates are read once into the class; patch them there (monkeypatch restores them afterwards).
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "1/minute"})
    cache.clear()
    try:
        api.force_authenticate(social_worker)
        codes = [api.get(reverse("api:programme-list")).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert api.get(reverse("api:programme-list")).json()["code"] == "throttled"
    finally:
        cache.clear()


def test_schema_and_docs_are_served(client, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("api:schema")).status_code == 200
    assert client.get(reverse("api:docs")).status_code == 200


def test_child_count_unchanged_by_refused_register(api, social_worker, programme):
    api.force_authenticate(social_worker)
    body = _register_body(programme, children=[])
    assert api.post(reverse("api:family-list"), body, format="json").status_code == 400
    assert Child.objects.count() == 0


def test_unknown_api_path_is_a_json_404(api, social_worker):
    api.force_authenticate(social_worker)
    response = api.get("/api/families/not-a-number.5/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_unknown_page_outside_the_api_is_html(client, social_worker):
    client.force_login(social_worker)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _personal_rows(family, programme, metric):
    from ..factories import OutcomeObservationFactory, ReferralFactory, ServiceEpisodeFactory

    enrollment = family.enrollments.get()
    ReferralFactory(family=family, programme=programme)
    ServiceEpisodeFactory(enrollment=enrollment, family=family)
    OutcomeObservationFactory(metric=metric, child=family.children.first())


@pytest.mark.parametrize("url_name", PERSONAL_LISTS)
def test_every_personal_list_writes_the_access_log(api, social_worker, enrolled_family, programme, metric, url_name):
    _personal_rows(enrolled_family, programme, metric)
    api.force_authenticate(social_worker)
    assert api.get(reverse(url_name)).json()["count"] >= 1
    entry = AccessLogEntry.objects.get(user=social_worker)
    assert (entry.action, entry.family_id) == (AccessAction.API_READ, enrolled_family.pk)


@pytest.mark.parametrize("url_name", PERSONAL_LISTS)
def test_list_endpoint_queries_do_not_grow_with_rows(
    api, social_worker, municipality, programme, metric, url_name, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory

    def add_family():
        family = FamilyFactory(municipality=municipality)
        EnrollmentFactory(family=family, programme=programme, children=[ChildFactory(family=family)])
        _personal_rows(family, programme, metric)

    add_family()
    api.force_authenticate(social_worker)
    with CaptureQueriesContext(connection) as few:
        api.get(reverse(url_name))
    for _ in range(15):
        add_family()
    with django_assert_max_num_queries(len(few)):
        assert api.get(reverse(url_name)).json()["count"] == 16
