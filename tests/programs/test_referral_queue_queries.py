"""The referral queue costs the same number of queries whatever its length (issue 11: 0 → 9, 1 → 15, 2 → 25)."""

import datetime

import pytest
from django.urls import reverse

from families.models import Referral
from programs.models import EligibilityRule, NeedCategory, RuleKind
from programs.services import eligibility_evaluate, eligibility_evaluate_many
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    FamilyFactory,
    GuardianFactory,
    NeedCategoryFactory,
    ProgrammeFactory,
    ReferralFactory,
    TargetAreaFactory,
    TargetAreaPostalCodeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def programme():
    programme = ProgrammeFactory(enrollment_opens=D(2020, 1, 1), capacity=50)
    for kind, extra in [
        (RuleKind.CHILD_AGE, {"min_age": 0, "max_age": 12}),
        (RuleKind.TARGET_AREA, {}),
        (RuleKind.GUARDIAN_STATUS, {"guardian_statuses": ["unemployed"]}),
        (RuleKind.NEED_CATEGORY, {}),
        (RuleKind.REFERRAL_SOURCE, {"referral_sources": ["neuvola"]}),
    ]:
        rule = EligibilityRule.objects.create(programme=programme, kind=kind, **extra)
        if kind == RuleKind.NEED_CATEGORY:
            rule.need_categories.add(NeedCategoryFactory(code="arki"))
    TargetAreaPostalCodeFactory(area=TargetAreaFactory(programme=programme), postal_code="00980")
    return programme


def _refer(programme, n):
    for _ in range(n):
        family = FamilyFactory(municipality=programme.municipality)
        ChildFactory(family=family).need_categories.add(NeedCategory.objects.get(code="arki"))
        GuardianFactory(family=family)
        ReferralFactory(family=family, programme=programme)


def _queries(client, programme, django_assert_max_num_queries, limit=100):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(reverse("programs:referral_queue", args=[programme.pk]))
    assert response.status_code == 200
    return len(captured.captured_queries), response


def test_referral_queue_query_count_is_constant(client, programme, django_assert_max_num_queries):
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme]))
    empty, _response = _queries(client, programme, django_assert_max_num_queries)
    _refer(programme, 1)
    one, response = _queries(client, programme, django_assert_max_num_queries)
    assert response.context["rows"][0][1].verdict == "pass"
    _refer(programme, 9)
    ten, response = _queries(client, programme, django_assert_max_num_queries, limit=one)
    assert len(response.context["rows"]) == 10
    # Rows add a fixed handful of batch queries (children, guardians, latest referrals), never a query per row.
    assert one - empty <= 8
    assert ten == one


def test_batch_verdicts_equal_the_one_at_a_time_verdicts(programme):

    _refer(programme, 2)
    outside = FamilyFactory(municipality=programme.municipality, postal_code="99999")
    GuardianFactory(family=outside, employment_status="unknown")
    ReferralFactory(family=outside, programme=programme, source="school")
    referrals = list(Referral.objects.filter(programme=programme).select_related("family").order_by("id"))
    batch = eligibility_evaluate_many(programme=programme, referrals=referrals)
    single = [
        eligibility_evaluate(programme=programme, family=referral.family, on_date=referral.referred_on)
        for referral in referrals
    ]
    assert [result.all_reasons for result in batch] == [result.all_reasons for result in single]
    assert batch[2].verdict == "fail"
