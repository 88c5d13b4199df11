"""The evaluator's per-child detail cannot be linked across statements or back to children: pseudonyms per
statement, cohort dates to the month, rows in an order that says nothing about who was registered first."""

import datetime
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from payments.models import StatementKind
from payments.services.statements import statement_calculate
from sibcase.models import Role
from sibcase.pseudonym import statement_pseudonym

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def _statement(worked_example, year):
    return statement_calculate(
        programme=worked_example["programme"],
        kind=StatementKind.ANNUAL,
        period_start=D(year, 1, 1),
        period_end=D(year, 12, 31),
    )


@pytest.fixture
def evaluator_client(client):
    client.force_login(UserFactory(role=Role.EVALUATOR, municipality=None))
    return client


def _pseudonyms(client, statement):
    page = client.get(reverse("payments:statement_children", args=[statement.pk])).content.decode()
    return re.findall(r"<code>([^<]+)</code>", page), page


def test_a_child_has_a_different_pseudonym_in_each_statement(evaluator_client, worked_example):
    first, second = _statement(worked_example, 2023), _statement(worked_example, 2024)
    in_first, _ = _pseudonyms(evaluator_client, first)
    in_second, _ = _pseudonyms(evaluator_client, second)
    child = worked_example["a"]
    assert statement_pseudonym(statement_id=first.pk, child_id=child.pk) in in_first
    assert statement_pseudonym(statement_id=second.pk, child_id=child.pk) in in_second
    assert not set(in_first) & set(in_second)


def test_cohort_dates_show_only_the_month(evaluator_client, worked_example):
    _, page = _pseudonyms(evaluator_client, _statement(worked_example, 2024))
    assert "15.1.2023" not in page  # child c's enrollment day
    assert "1/2023" in page


def test_rows_are_ordered_by_pseudonym_not_by_child(evaluator_client, worked_example):
    shown, _ = _pseudonyms(evaluator_client, _statement(worked_example, 2024))
    assert len(shown) == 3
    assert shown == sorted(shown)


def test_pseudonyms_need_a_key(settings):
    settings.PSEUDONYM_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        statement_pseudonym(statement_id=1, child_id=1)
