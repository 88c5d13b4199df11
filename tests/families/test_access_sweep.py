"""Every page that takes an id: another municipality's worker gets 404, a fund manager 403 or 404; each refused
attempt is in the access log as such, and nothing else is."""

import pytest
from django.urls import URLPattern, get_resolver, reverse

from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NAMESPACES = ["families", "outcomes"]


def _id_patterns():
    resolver = get_resolver()
    for namespace in NAMESPACES:
        _, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            if isinstance(pattern, URLPattern) and "pk" in pattern.pattern.converters:
                yield f"{namespace}:{pattern.name}"


@pytest.fixture
def target():
    family = FamilyFactory()
    child = ChildFactory(family=family)
    guardian = GuardianFactory(family=family)
    enrollment = EnrollmentFactory(family=family, children=[child])
    consent = ConsentFactory(guardian=guardian, programme=enrollment.programme)
    return {"family": family, "child": child, "guardian": guardian, "enrollment": enrollment, "consent": consent}


def _urls(name, target):
    if name == "families:person_detail":
        return [
            reverse(name, args=["child", target["child"].pk]),
            reverse(name, args=["guardian", target["guardian"].pk]),
        ]
    obj = {
        "families:consent_withdraw": "consent",
        "families:enrollment_exit": "enrollment",
        "families:enrollment_activate": "enrollment",
    }.get(name, "family")
    return [reverse(name, kwargs={"pk": target[obj].pk})]


def test_the_sweep_covers_every_id_pattern():
    assert len(list(_id_patterns())) >= 10


@pytest.mark.parametrize("name", list(_id_patterns()))
def test_other_municipality_social_worker_gets_404(client, target, name):
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=MunicipalityFactory()))
    for url in _urls(name, target):
        for method in (client.get, client.post):
            assert method(url).status_code == 404, url
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED).count() == 2 * len(_urls(name, target))
    assert not AccessLogEntry.objects.exclude(action=AccessAction.REFUSED).exists()


@pytest.mark.parametrize("name", list(_id_patterns()))
def test_fund_manager_gets_403_or_404(client, target, name):
    client.force_login(UserFactory(role=Role.FUND_MANAGER, municipality=None))
    for url in _urls(name, target):
        for method in (client.get, client.post):
            assert method(url).status_code in (403, 404), url
    assert AccessLogEntry.objects.filter(action=AccessAction.REFUSED).count() == 2 * len(_urls(name, target))
    assert not AccessLogEntry.objects.exclude(action=AccessAction.REFUSED).exists()


@pytest.mark.parametrize("name", list(_id_patterns()))
def test_own_municipality_social_worker_is_let_in(client, target, name):
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=target["family"].municipality))
    for url in _urls(name, target):
        assert client.get(url).status_code == 200, url
