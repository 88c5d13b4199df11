"""The fund manager's home page (issue 15, item 1): capital, payments against the caps, children against the
target and the projection with its range, all aggregates."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from payments.fund_reports.selectors import fund_dashboard
from payments.services.statements import statement_calculate
from sibcase.models import Role

from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def fund(worked_example):
    programme = worked_example["programme"]
    for _ in range(5):
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=D(2023, 3, 1), children=[ChildFactory(family=family)]
        )
    programme.capacity = 400
    programme.save()
    statement_calculate(programme=programme, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    fund = programme.fund
    fund.committed_capital = Decimal("5000000.00")
    fund.save()
    return worked_example


def test_the_dashboard_sums_capital_payments_children_and_the_projection(fund):
    dashboard = fund_dashboard()
    statement = fund["programme"].payment_statements.get()
    assert dashboard.committed_capital == Decimal("5000000.00")
    assert dashboard.pending == statement.payable and dashboard.paid == 0
    assert (dashboard.children, dashboard.children_target) == (10, 400)  # 8 children, rounded
    assert dashboard.projection[-1].year == 2032 and dashboard.projection[-1].projected
    assert dashboard.projected_low < dashboard.projected_total < dashboard.projected_high


def test_a_programme_under_five_children_is_left_out_of_the_sums(fund):
    small = ProgrammeFactory(capacity=50)
    family = FamilyFactory(municipality=small.municipality)
    EnrollmentFactory(programme=small, family=family, enrolled_on=D(2023, 3, 1), children=[ChildFactory(family=family)])
    dashboard = fund_dashboard()
    assert dashboard.programmes_left_out == 1
    assert dashboard.children == 10  # 8 + 1 = 9 children, published rounded with the programmes as one group


def test_the_fund_manager_home_page_shows_the_dashboard(client, fund):
    client.force_login(UserFactory(role=Role.FUND_MANAGER, municipality=None))
    body = client.get(reverse("home")).content.decode()
    assert "Rahasto yhdellä silmäyksellä" in body
    assert "5\xa0000\xa0000,00 EUR" in body
    assert 'class="bar-forecast"' in body
    assert "Tulospalkkiot yhteensä 2032 mennessä (ennuste)" in body
    assert body.count('class="chart meter"') == 2


def test_a_social_worker_home_page_has_no_fund_figures(client, fund):
    client.force_login(UserFactory(role=Role.SOCIAL_WORKER))
    assert "Rahasto yhdellä silmäyksellä" not in client.get(reverse("home")).content.decode()
