"""Double submissions against the real PostgreSQL: the same form, file or request sent several times at once is
saved once, and every other copy is refused with a message, never a 500.

Each copy runs in its own thread with its own database connection (Django's connections are per thread), all
released by one barrier, so the copies really race inside PostgreSQL.
"""

import datetime
import json
import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from families.models import Child, Family
from outcomes.models import OutcomeObservation, ServiceNeedsAssessment
from sibcase.models import IdempotencyKey, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeMetricFactory,
    ProgrammeFactory,
    UserFactory,
    identity_code,
)
from ..families.test_views import _referral_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency against PostgreSQL"),
]

D = datetime.date


def _in_parallel(count: int, send) -> list:
    """Call send(i) in `count` threads released at the same moment; the answers, in order."""
    barrier = threading.Barrier(count)
    answers: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            answers[index] = send(index)
        except Exception as exc:  # noqa: BLE001 - reported as the thread's answer, asserted by the test
            answers[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def _client_like(client: Client) -> Client:
    """A client of its own (one per thread) in the same signed-in session."""
    copy = Client(raise_request_exception=False)
    copy.cookies = client.cookies
    return copy


def _token(client: Client, url: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)


@pytest.fixture
def setting(db):
    programme = ProgrammeFactory()
    metric = OutcomeMetricFactory(programme=programme)
    family = FamilyFactory(municipality=programme.municipality)
    child = ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    EnrollmentFactory(programme=programme, family=family, enrolled_on=D(2024, 2, 1), children=[child])
    worker = UserFactory(role=Role.SOCIAL_WORKER, municipality=programme.municipality)
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    return {
        "programme": programme,
        "metric": metric,
        "family": family,
        "child": child,
        "worker": worker,
        "coordinator": coordinator,
    }


def _status_codes(answers) -> list:
    return sorted(answer.status_code if hasattr(answer, "status_code") else repr(answer) for answer in answers)


def test_the_same_observation_form_sent_five_times_at_once_saves_one(client, setting):
    client.force_login(setting["worker"])
    url = reverse("outcomes:observation_create", args=[setting["family"].pk])
    data = {
        "form_token": _token(client, url),
        "metric": setting["metric"].pk,
        "child": setting["child"].pk,
        "period_start": "2024-03-01",
        "period_end": "2024-03-10",
        "value": "3",
        "source": "social_worker",
    }
    answers = _in_parallel(5, lambda _: _client_like(client).post(url, data))
    assert _status_codes(answers) == [302, 400, 400, 400, 400]
    assert OutcomeObservation.objects.count() == 1
    for answer in answers:
        if answer.status_code == 400:
            assert "Lomake on jo lähetetty" in answer.content.decode()


def test_the_same_assessment_form_sent_five_times_at_once_saves_one(client, setting):
    # An assessment has no natural key: only the one-time token keeps the copies out.
    client.force_login(setting["worker"])
    url = reverse("outcomes:assessment_create", args=[setting["family"].pk])
    data = {"form_token": _token(client, url), "started_on": "2024-03-01", "summary": "Arjen tuki"}
    answers = _in_parallel(5, lambda _: _client_like(client).post(url, data))
    assert _status_codes(answers) == [302, 400, 400, 400, 400]
    assert ServiceNeedsAssessment.objects.count() == 1


def test_a_form_refused_by_a_rule_can_be_corrected_and_sent_again(client, setting):
    client.force_login(setting["worker"])
    url = reverse("outcomes:observation_create", args=[setting["family"].pk])
    data = {
        "form_token": _token(client, url),
        "metric": setting["metric"].pk,
        "child": setting["child"].pk,
        "period_start": "2024-03-10",
        "period_end": "2024-03-01",
        "value": "3",
        "source": "social_worker",
    }
    assert client.post(url, data).status_code == 400  # end before start: the service refuses, the token stays
    assert client.post(url, {**data, "period_end": "2024-03-12"}).status_code == 302
    assert client.post(url, {**data, "period_end": "2024-03-12"}).status_code == 400
    assert OutcomeObservation.objects.count() == 1


def _import_rows(setting, count: int = 50) -> list[dict]:
    return [
        {
            "identity_code": setting["child"].identity_code,
            "metric": setting["metric"].code,
            "period_start": (D(2024, 2, 1) + datetime.timedelta(days=day)).isoformat(),
            "value": "1",
        }
        for day in range(count)
    ]


def test_the_same_import_sent_twice_at_once_stores_the_rows_once(client, setting):
    client.force_login(setting["coordinator"])
    url = reverse("api:observation-import-rows") + f"?programme={setting['programme'].pk}"
    body = json.dumps({"rows": _import_rows(setting)})
    answers = _in_parallel(2, lambda _: _client_like(client).post(url, body, content_type="application/json"))
    assert _status_codes(answers) == [201, 400]
    assert OutcomeObservation.objects.count() == 50
    refused = next(answer.json() for answer in answers if answer.status_code == 400)
    assert refused["imported"] == 0
    assert {error["errors"][0]["code"] for error in refused["errors"]} == {"duplicate"}


def test_the_same_import_sent_five_times_at_once_stores_the_rows_once(client, setting):
    client.force_login(setting["coordinator"])
    url = reverse("api:observation-import-rows") + f"?programme={setting['programme'].pk}"
    body = json.dumps({"rows": _import_rows(setting, 20)})
    answers = _in_parallel(5, lambda _: _client_like(client).post(url, body, content_type="application/json"))
    assert _status_codes(answers) == [201, 400, 400, 400, 400]
    assert OutcomeObservation.objects.count() == 20


def _registered_here(n: int) -> str:
    """A code only these tests register: the factories' people are born from 2016 on (tests/factories.py), so a
    factory-made person of the same process never already holds it, whatever ran before."""
    return identity_code(n, birth=datetime.date(2015, 6, 1))


def _family_body(setting, code: str) -> dict:
    return {
        "programme": setting["programme"].pk,
        "postal_code": "01300",
        "children": [{"first_names": "Aino", "last_name": "Testinen", "identity_code": code}],
        "guardians": [],
        "source": "neuvola",
        "referred_on": "2024-03-01",
        "reason": "Arjen kuormitus",
    }


def test_six_parallel_api_registrations_of_one_child_store_one_and_never_answer_500(client, setting):
    client.force_login(setting["worker"])
    body = json.dumps(_family_body(setting, _registered_here(40)))
    answers = _in_parallel(
        6, lambda _: _client_like(client).post(reverse("api:family-list"), body, content_type="application/json")
    )
    codes = _status_codes(answers)
    assert codes.count(201) == 1, codes
    assert all(code in (400, 409) for code in codes if code != 201), codes
    assert all(answer.json()["code"] == "identity_code_known" for answer in answers if answer.status_code != 201)
    assert Child.objects.filter(identity_code=_registered_here(40)).count() == 1


def test_six_parallel_referral_forms_for_one_child_store_one_and_never_answer_500(client, setting):
    client.force_login(setting["worker"])
    url = reverse("families:referral_create")
    code = _registered_here(41)
    forms = [
        {
            **_referral_data(
                setting["programme"], child_code=code, guardian_code=identity_code(50 + n, birth=D(1988, 1, 1))
            ),
            "form_token": _token(client, url),
        }
        for n in range(6)
    ]
    families_before = Family.objects.count()
    answers = _in_parallel(6, lambda index: _client_like(client).post(url, forms[index]))
    codes = _status_codes(answers)
    assert codes == [302, 400, 400, 400, 400, 400], codes
    assert Family.objects.count() == families_before + 1
    assert Child.objects.filter(identity_code=code).count() == 1


def test_an_idempotency_key_sent_again_with_the_same_body_answers_the_first_response(client, setting):
    client.force_login(setting["worker"])
    body = json.dumps(_family_body(setting, _registered_here(42)))
    first = client.post(
        reverse("api:family-list"), body, content_type="application/json", headers={"Idempotency-Key": "abc-1"}
    )
    again = client.post(
        reverse("api:family-list"), body, content_type="application/json", headers={"Idempotency-Key": "abc-1"}
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Family.objects.count() == 2  # the setting's family and this one


def test_an_idempotency_key_with_another_body_answers_422(client, setting):
    client.force_login(setting["worker"])
    url = reverse("api:family-list")
    headers = {"Idempotency-Key": "abc-2"}
    first = client.post(
        url, json.dumps(_family_body(setting, _registered_here(43))), content_type="application/json", headers=headers
    )
    other = client.post(
        url, json.dumps(_family_body(setting, _registered_here(44))), content_type="application/json", headers=headers
    )
    assert first.status_code == 201
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert not Child.objects.filter(identity_code=_registered_here(44)).exists()


def test_an_idempotency_key_is_per_user(client, setting):
    other_worker = UserFactory(role=Role.SOCIAL_WORKER, municipality=setting["programme"].municipality)
    url = reverse("api:family-list")
    headers = {"Idempotency-Key": "shared-key"}
    client.force_login(setting["worker"])
    first = client.post(
        url, json.dumps(_family_body(setting, _registered_here(45))), content_type="application/json", headers=headers
    )
    client.force_login(other_worker)
    second = client.post(
        url, json.dumps(_family_body(setting, _registered_here(46))), content_type="application/json", headers=headers
    )
    assert (first.status_code, second.status_code) == (201, 201)


def test_five_parallel_requests_with_one_idempotency_key_write_once_and_answer_alike(client, setting):
    client.force_login(setting["worker"])
    body = json.dumps(
        {
            "metric": setting["metric"].pk,
            "child": setting["child"].pk,
            "period_start": "2024-04-01",
            "value": "2",
        }
    )
    answers = _in_parallel(
        5,
        lambda _: _client_like(client).post(
            reverse("api:observation-list"),
            body,
            content_type="application/json",
            headers={"Idempotency-Key": "parallel-1"},
        ),
    )
    assert _status_codes(answers) == [201] * 5
    assert len({json.dumps(answer.json(), sort_keys=True) for answer in answers}) == 1
    assert OutcomeObservation.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_refused_request_is_replayed_too(client, setting):
    client.force_login(setting["worker"])
    body = json.dumps(
        {"metric": setting["metric"].pk, "child": setting["child"].pk, "period_start": "2099-01-01", "value": "1"}
    )
    headers = {"Idempotency-Key": "refused-1"}
    first = client.post(reverse("api:observation-list"), body, content_type="application/json", headers=headers)
    again = client.post(reverse("api:observation-list"), body, content_type="application/json", headers=headers)
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
