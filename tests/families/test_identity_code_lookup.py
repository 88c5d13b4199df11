"""Identity-code lookups: a code known outside the worker's scope answers like an unknown one, every lookup is in
the access log (never the code itself), and a user's lookups are rate-limited."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from families.models import Family
from sibcase.models import AccessAction, AccessLogEntry

from ..factories import ChildFactory, FamilyFactory, MunicipalityFactory, ProgrammeFactory, identity_code

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def programme(municipality):
    return ProgrammeFactory(municipality=municipality)


@pytest.fixture
def elsewhere(db):
    """A child registered in another municipality (Helsinki), outside a Vantaa worker's scope."""
    child = ChildFactory(
        family=FamilyFactory(municipality=MunicipalityFactory(code="091")), identity_code=identity_code(41)
    )
    return child


@pytest.fixture
def api(social_worker):
    client = APIClient()
    client.force_authenticate(social_worker)
    return client


def _body(programme, code, **overrides):
    body = {
        "programme": programme.pk,
        "postal_code": "01300",
        "children": [{"first_names": "A", "last_name": "B", "identity_code": code}],
        "guardians": [],
        "source": "neuvola",
        "referred_on": "2024-01-10",
        "reason": "Arjen kuormitus",
    }
    body.update(overrides)
    return body


def _rows_mention(code: str) -> bool:
    return any(
        code in " ".join([row.basis, row.path, row.target, row.recipient]) for row in AccessLogEntry.objects.all()
    )


def test_api_answers_the_same_for_an_out_of_scope_code_and_an_unknown_one(api, programme, elsewhere):
    """The probe of the issue: an otherwise invalid registration (a future date) must not tell the two apart."""
    url = reverse("api:family-list")
    known = api.post(url, _body(programme, elsewhere.identity_code, referred_on="2999-01-01"), format="json")
    unknown = api.post(url, _body(programme, identity_code(42), referred_on="2999-01-01"), format="json")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert Family.objects.count() == 1


def test_a_complete_registration_with_an_out_of_scope_code_names_no_family(api, programme, elsewhere):
    response = api.post(reverse("api:family-list"), _body(programme, elsewhere.identity_code), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "identity_code_unavailable"
    assert elsewhere.family.reference not in response.content.decode()
    assert Family.objects.count() == 1


def _page_post(client, programme, code, **overrides):
    url = reverse("families:referral_create")
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)
    data = {
        "form_token": token,
        "programme": programme.pk,
        "source": "neuvola",
        "referred_on": "2024-01-10",
        "reason": "Arjen kuormitus",
        "postal_code": "01300",
        "district": "",
        "child-TOTAL_FORMS": "1",
        "child-INITIAL_FORMS": "0",
        "child-MIN_NUM_FORMS": "1",
        "child-MAX_NUM_FORMS": "6",
        "child-0-first_names": "Aino",
        "child-0-last_name": "Testinen",
        "child-0-identity_code": code,
        "guardian-TOTAL_FORMS": "0",
        "guardian-INITIAL_FORMS": "0",
        "guardian-MIN_NUM_FORMS": "0",
        "guardian-MAX_NUM_FORMS": "3",
    }
    data.update(overrides)
    return client.post(url, data)


def _errors(response) -> list[str]:
    """Every error shown: the field and formset error lists and the summary at the top of a refused form."""
    html = response.content.decode()
    lists = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, flags=re.S)
    lists += re.findall(r'<div class="error-summary"[^>]*>(.*?)</div>', html, flags=re.S)
    return [re.sub(r"<[^>]+>", " ", item).strip() for item in lists]


def test_referral_page_answers_the_same_for_an_out_of_scope_code_and_an_unknown_one(
    client, social_worker, programme, elsewhere
):
    client.force_login(social_worker)
    known = _page_post(client, programme, elsewhere.identity_code, referred_on="2999-01-01")
    unknown = _page_post(client, programme, identity_code(42), referred_on="2999-01-01")
    assert known.status_code == unknown.status_code == 400
    assert _errors(known) == _errors(unknown) != []
    assert "Henkilötunnus on jo rekisterissä" not in known.content.decode()


def test_every_lookup_is_logged_without_the_code(api, client, social_worker, programme, elsewhere):
    api.post(reverse("api:family-list"), _body(programme, identity_code(43)), format="json")
    client.force_login(social_worker)
    client.post(reverse("families:list"), {"code-identity_code": elsewhere.identity_code})
    rows = AccessLogEntry.objects.filter(user=social_worker, action=AccessAction.LOOKUP)
    assert rows.count() == 2
    assert not _rows_mention(elsewhere.identity_code) and not _rows_mention(identity_code(43))
    # The owner's own access log shows that their code was looked up, and by whom.
    assert rows.filter(person_type="child", person_id=elsewhere.pk).exists()


def test_family_search_answers_the_same_for_an_out_of_scope_code_and_an_unknown_one(client, social_worker, elsewhere):
    client.force_login(social_worker)
    known = client.post(reverse("families:list"), {"code-identity_code": elsewhere.identity_code})
    unknown = client.post(reverse("families:list"), {"code-identity_code": identity_code(44)})
    assert known.status_code == unknown.status_code == 200
    assert _errors(known) == _errors(unknown) != []


def _limit(settings, rate):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "identity_code_lookup": rate},
    }


def test_lookups_are_rate_limited_per_user_on_pages(client, social_worker, settings):
    _limit(settings, "2/minute")
    client.force_login(social_worker)
    for n in range(2):
        client.post(reverse("families:list"), {"code-identity_code": identity_code(50 + n)})
    response = client.post(reverse("families:list"), {"code-identity_code": identity_code(52)})
    assert "Liian monta henkilötunnushakua" in response.content.decode()
    assert AccessLogEntry.objects.filter(action=AccessAction.LOOKUP).count() == 2


def test_lookups_are_rate_limited_per_user_in_the_api(api, programme, settings):
    _limit(settings, "2/minute")
    url = reverse("api:family-list")
    for n in range(2):
        api.post(url, _body(programme, identity_code(60 + n), referred_on="2999-01-01"), format="json")
    response = api.post(url, _body(programme, identity_code(62)), format="json")
    assert response.status_code == 429
    assert Family.objects.count() == 0
