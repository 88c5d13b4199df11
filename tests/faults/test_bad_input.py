"""The bad-input catalogue: each answered with a clear 4xx, and nothing stored."""

import pytest
from django.urls import reverse

from families.models import Child, Family, Guardian, Referral

from ..factories import ProgrammeFactory, identity_code
from ..families.test_views import _referral_data, _token

pytestmark = pytest.mark.django_db

WEB_CASES = {
    "identity code too short": {"child-0-identity_code": "010516"},
    "identity code bad checksum": {"child-0-identity_code": "010516B923X"},
    "identity code impossible date": {"child-0-identity_code": "310216A923X"},
    "identity code wrong century sign": {"child-0-identity_code": "010516Q923K"},
    "identity code with script": {"child-0-identity_code": "<script>x</"},
    "referral date in the future": {"referred_on": "2099-01-01"},
    "referral date out of range": {"referred_on": "99999-01-01"},
    "referral date wrong type": {"referred_on": "yesterday"},
    "huge reason": {"reason": "x" * 100_000},
    "huge name": {"child-0-last_name": "x" * 10_000},
    "postal code letters": {"postal_code": "ABCDE"},
    "unknown programme id": {"programme": "999999999"},
    "programme id wrong type": {"programme": "one"},
    "unknown referral source": {"source": "rumour"},
}


@pytest.mark.parametrize("overrides", WEB_CASES.values(), ids=WEB_CASES.keys())
def test_web_referral_form_refuses_bad_input(client, social_worker, municipality, overrides):
    programme = ProgrammeFactory(municipality=municipality)
    client.force_login(social_worker)
    url = reverse("families:referral_create")
    data = {**_referral_data(programme), **overrides}
    data["form_token"] = _token(client, url)
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode() or 'role="alert"' in response.content.decode()
    assert not (
        Family.objects.exists() or Child.objects.exists() or Guardian.objects.exists() or Referral.objects.exists()
    )


API_CASES = {
    "identity code bad checksum": {
        "children": [{"first_names": "A", "last_name": "B", "identity_code": "010516B923X"}]
    },
    "date out of range": {"referred_on": "99999-01-01"},
    "wrong type for children": {"children": "Aino"},
    "wrong type for programme": {"programme": "Helsinki"},
    "unknown programme": {"programme": 999999999},
    "huge reason": {"reason": "x" * 100_000},
    "null everywhere": {"postal_code": None, "source": None},
}


@pytest.mark.parametrize("overrides", API_CASES.values(), ids=API_CASES.keys())
def test_api_family_registration_refuses_bad_input(client, social_worker, municipality, overrides):
    programme = ProgrammeFactory(municipality=municipality)
    body = {
        "programme": programme.pk,
        "postal_code": "00980",
        "children": [{"first_names": "A", "last_name": "B", "identity_code": identity_code(700)}],
        "guardians": [],
        "source": "neuvola",
        "referred_on": "2024-03-01",
        "reason": "x",
        **overrides,
    }
    client.force_login(social_worker)
    response = client.post(reverse("api:family-list"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"]
    assert not Family.objects.exists()


def test_api_body_over_the_size_limit_is_refused(client, social_worker, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(social_worker)
    response = client.post(
        reverse("api:family-list"), '{"reason": "' + "x" * 5000 + '"}', content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert not Family.objects.exists()


def test_unknown_ids_in_urls_are_404(client, social_worker):
    client.force_login(social_worker)
    assert client.get(reverse("families:detail", args=[999999999])).status_code == 404
    assert client.get("/api/families/999999999/").status_code == 404
