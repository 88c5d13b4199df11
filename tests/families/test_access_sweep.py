"""Every page that takes an id: another municipality's worker gets 404, a fund manager 403 or 404; each refused
attempt is in the access log as such, and nothing else is."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, get_resolver, reverse

from families.assignments import case_assign
from families.casetasks import tasks_sync
from families.models import CaseTask, ConsentScope
from families.records import attachment_add
from families.transfers import transfer_request
from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    OutcomeObservationFactory,
    ServiceNeedsAssessmentFactory,
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
    deputy = case_assign(
        actor=None,
        family=family,
        worker=UserFactory(role=Role.SOCIAL_WORKER, municipality=family.municipality),
        role="deputy",
    )
    attachment = attachment_add(
        actor=deputy.worker, family=family, kind="decision", upload=SimpleUploadedFile("p.pdf", b"%PDF-1.4\n%%EOF\n")
    )
    tasks_sync(family=family)
    task = CaseTask.objects.filter(family=family).first()
    observation = OutcomeObservationFactory(child=child, metric__programme=enrollment.programme)
    # An open transfer to another municipality: its cancel page is the sending side's, its decision page the
    # receiving side's.
    ConsentFactory(guardian=guardian, programme=enrollment.programme, scope=ConsentScope.MUNICIPALITY_TRANSFER)
    transfer = transfer_request(
        actor=deputy.worker, family=family, to_municipality=MunicipalityFactory(), note="Muutto"
    )
    assessment = ServiceNeedsAssessmentFactory(family=family)
    return {
        "family": family,
        "child": child,
        "guardian": guardian,
        "enrollment": enrollment,
        "consent": consent,
        "assignment": deputy,
        "attachment": attachment,
        "task": task,
        "observation": observation,
        "transfer": transfer,
        "assessment": assessment,
    }


def _urls(name, target):
    if name in ("families:person_detail", "families:person_correct", "families:identity_code_correct"):
        return [
            reverse(name, args=["child", target["child"].pk]),
            reverse(name, args=["guardian", target["guardian"].pk]),
        ]
    obj = {
        "families:consent_withdraw": "consent",
        "families:consent_correct": "consent",
        "families:consent_void": "consent",
        "outcomes:assessment_correct": "assessment",
        "families:enrollment_exit": "enrollment",
        "families:enrollment_activate": "enrollment",
        "families:assignment_end": "assignment",
        "families:attachment_download": "attachment",
        "families:task_done": "task",
        "outcomes:observation_correct": "observation",
        "outcomes:observation_void": "observation",
        "families:transfer_decide": "transfer",
        "families:transfer_cancel": "transfer",
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
    # A transfer is decided by the receiving municipality: its worker is the one let in there.
    municipality = (
        target["transfer"].to_municipality if name == "families:transfer_decide" else target["family"].municipality
    )
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality))
    for url in _urls(name, target):
        if name == "families:task_done":  # POST only: marks the task done and returns home
            assert client.post(url).status_code == 302, url
            continue
        assert client.get(url).status_code == 200, url
