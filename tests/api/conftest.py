import datetime

import pytest
from _pytest.nodeid import coerce_node_id
from rest_framework.test import APIClient

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    MunicipalityFactory,
    OutcomeMetricFactory,
    ProgrammeFactory,
)

D = datetime.date


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def programme(municipality):
    return ProgrammeFactory(municipality=municipality)


@pytest.fixture
def family(municipality, programme):
    family = FamilyFactory(municipality=municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    return family


@pytest.fixture
def enrolled_family(family, programme):
    EnrollmentFactory(
        family=family, programme=programme, enrolled_on=D(2024, 2, 1), children=list(family.children.all())
    )
    return family


@pytest.fixture
def other_family(db):
    other = MunicipalityFactory(code="091", name_fi="Helsinki", name_sv="Helsingfors")
    family = FamilyFactory(municipality=other)
    ChildFactory(family=family)
    return family


@pytest.fixture
def metric(programme):
    return OutcomeMetricFactory(programme=programme, code="out_of_home_care_days")


from ..payments.conftest import worked_example  # noqa: E402, F401 - the README's worked example, shared


def pytest_collection_modifyitems(items):
    """schemathesis names each API operation's test ("…[GET /api/families/]") but gives them all the function's node
    id; pytest-xdist schedules by node id, so all but one operation would silently not run. Each gets its name as
    its node id."""
    for item in items:
        if getattr(item, "operation_label", None) and not item.nodeid.endswith("]"):
            item._id = coerce_node_id(f"{item.parent.nodeid}::{item.name}")
