"""Each eligibility rule: pass, fail and unknown, with the age boundaries."""

import datetime

import pytest
from django.utils import translation

from families.models import EmploymentStatus
from programs.models import RuleKind, TargetArea
from programs.services import age_on, eligibility_evaluate

from ..factories import (
    ChildFactory,
    FamilyFactory,
    GuardianFactory,
    NeedCategoryFactory,
    ProgrammeFactory,
    ReferralFactory,
    TargetAreaPostalCodeFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
REFERRAL_DAY = D(2024, 5, 15)


@pytest.fixture
def programme():
    return ProgrammeFactory()


@pytest.fixture
def family(programme):
    return FamilyFactory(municipality=programme.municipality, postal_code="00980")


def _verdict(programme, family, day=REFERRAL_DAY):
    return eligibility_evaluate(programme=programme, family=family, on_date=day)


def _child_born(family, birth):
    child = ChildFactory(family=family)
    type(child).objects.filter(pk=child.pk).update(birth_date=birth)  # birth date is derived; set it for the boundary


def test_programme_without_rules_passes(programme, family):
    assert _verdict(programme, family).verdict == "pass"


def test_age_rule_passes_for_a_six_year_old(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.CHILD_AGE, min_age=3, max_age=6)
    _child_born(family, D(2018, 1, 1))
    assert _verdict(programme, family).verdict == "pass"


def test_child_turning_seven_on_the_referral_date_is_too_old(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.CHILD_AGE, min_age=3, max_age=6)
    _child_born(family, D(2017, 5, 15))
    result = _verdict(programme, family)
    assert result.verdict == "fail"
    assert "7" in result.reasons[0].message


def test_child_turning_seven_the_next_day_is_still_six(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.CHILD_AGE, min_age=3, max_age=6)
    _child_born(family, D(2017, 5, 16))
    assert _verdict(programme, family).verdict == "pass"


def test_age_rule_without_children_is_unknown(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.CHILD_AGE, min_age=3, max_age=6)
    assert _verdict(programme, family).verdict == "unknown"


def test_leap_day_child_turns_a_year_older_on_first_of_march():
    assert age_on(D(2020, 2, 29), D(2023, 2, 28)) == 2
    assert age_on(D(2020, 2, 29), D(2023, 3, 1)) == 3
    assert age_on(D(2020, 2, 29), D(2024, 2, 29)) == 4


def test_leap_day_child_is_three_only_from_first_of_march(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.CHILD_AGE, min_age=3, max_age=6)
    _child_born(family, D(2020, 2, 29))
    assert _verdict(programme, family, D(2023, 2, 28)).verdict == "fail"
    assert _verdict(programme, family, D(2023, 3, 1)).verdict == "pass"


def test_target_area_passes_inside(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.TARGET_AREA)
    TargetAreaPostalCodeFactory(
        area=TargetArea.objects.create(programme=programme, name="Vuosaari"), postal_code="00980"
    )
    assert _verdict(programme, family).verdict == "pass"


def test_target_area_fails_outside(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.TARGET_AREA)
    TargetAreaPostalCodeFactory(
        area=TargetArea.objects.create(programme=programme, name="Mellunkylä"), postal_code="00970"
    )
    assert _verdict(programme, family).verdict == "fail"


def test_target_area_without_areas_is_unknown(programme, family):
    programme.eligibility_rules.create(kind=RuleKind.TARGET_AREA)
    assert _verdict(programme, family).verdict == "unknown"


def _status_rule(programme):
    programme.eligibility_rules.create(
        kind=RuleKind.GUARDIAN_STATUS, guardian_statuses=[EmploymentStatus.UNEMPLOYED, EmploymentStatus.NEEDS_EDUCATION]
    )


def test_guardian_out_of_work_passes(programme, family):
    _status_rule(programme)
    GuardianFactory(family=family, employment_status=EmploymentStatus.UNEMPLOYED)
    assert _verdict(programme, family).verdict == "pass"


def test_employed_guardian_fails(programme, family):
    _status_rule(programme)
    GuardianFactory(family=family, employment_status=EmploymentStatus.EMPLOYED)
    assert _verdict(programme, family).verdict == "fail"


def test_unrecorded_guardian_status_is_unknown(programme, family):
    _status_rule(programme)
    GuardianFactory(family=family, employment_status=EmploymentStatus.UNKNOWN)
    assert _verdict(programme, family).verdict == "unknown"


def _need_rule(programme):
    rule = programme.eligibility_rules.create(kind=RuleKind.NEED_CATEGORY)
    rule.need_categories.set([NeedCategoryFactory(code="neuropsychiatric")])


def test_neuropsychiatric_symptoms_pass(programme, family):
    _need_rule(programme)
    ChildFactory(family=family).need_categories.set([NeedCategoryFactory(code="neuropsychiatric")])
    assert _verdict(programme, family).verdict == "pass"


def test_other_need_fails(programme, family):
    _need_rule(programme)
    ChildFactory(family=family).need_categories.set([NeedCategoryFactory(code="emotions")])
    assert _verdict(programme, family).verdict == "fail"


def test_no_recorded_need_is_unknown(programme, family):
    _need_rule(programme)
    ChildFactory(family=family)
    assert _verdict(programme, family).verdict == "unknown"


def _source_rule(programme):
    programme.eligibility_rules.create(kind=RuleKind.REFERRAL_SOURCE, referral_sources=["neuvola", "self_referral"])


def test_referral_from_neuvola_passes(programme, family):
    _source_rule(programme)
    ReferralFactory(family=family, programme=programme, source="neuvola")
    assert _verdict(programme, family).verdict == "pass"


def test_referral_from_school_fails(programme, family):
    _source_rule(programme)
    ReferralFactory(family=family, programme=programme, source="school")
    assert _verdict(programme, family).verdict == "fail"


def test_no_referral_is_unknown(programme, family):
    _source_rule(programme)
    assert _verdict(programme, family).verdict == "unknown"


def test_any_fail_makes_the_family_ineligible_even_with_unknowns(programme, family):
    _source_rule(programme)
    programme.eligibility_rules.create(kind=RuleKind.CHILD_AGE, min_age=3, max_age=6)
    _child_born(family, D(2010, 1, 1))
    assert _verdict(programme, family).verdict == "fail"


@pytest.mark.parametrize(("language", "text"), [("fi", "Postinumero"), ("sv", "Postnumret"), ("en", "Postal code")])
def test_reasons_are_given_in_the_users_language(programme, family, language, text):
    programme.eligibility_rules.create(kind=RuleKind.TARGET_AREA)
    TargetAreaPostalCodeFactory(
        area=TargetArea.objects.create(programme=programme, name="Vuosaari"), postal_code="00980"
    )
    with translation.override(language):
        assert _verdict(programme, family).reasons[0].message.startswith(text)
