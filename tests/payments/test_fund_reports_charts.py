"""Honest charts (issue 15, item 2): forecast unlike actual, caps as lines, hidden figures not drawn as zero, every
month on the axis, an accessible name and a data table for each chart."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from payments.services.statements import statement_calculate
from sibcase.charts import ACTUAL, FORECAST, bar_chart, month_axis
from sibcase.models import Role

from ..factories import ChildFactory, EnrollmentFactory, FamilyFactory, UserFactory

D = datetime.date


def _chart(**kwargs):
    with translation.override("fi"):
        return bar_chart(title="Kertymä", description="Kuvaus", **kwargs)


def test_forecast_bars_are_hatched_and_named_in_the_legend():
    svg = str(_chart(data=[("2024", Decimal("10"), ACTUAL), ("2025", Decimal("20"), FORECAST)]).svg)
    assert svg.count('class="bar"') == 2  # the actual bar and its legend swatch
    assert svg.count('class="bar-forecast" fill="url(#chart-kertym--hatch)"') == 2
    assert "<pattern" in svg and "ennuste" in svg and "toteutunut" in svg


def test_a_hidden_figure_is_drawn_as_hidden_not_as_zero():
    svg = str(_chart(data=[("2019", "<5"), ("2020", "x"), ("2021", 12)]).svg)
    hidden = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" class="bar-hidden">', svg)
    assert len(hidden) == 2 and all(float(h) > 0 for h in hidden)
    assert ">&lt;5</text>" in svg and ">x</text>" in svg
    assert "piilotettu (&lt;5 tai x)" in svg


def test_the_cap_is_a_line_and_the_scale_reaches_it():
    chart = _chart(data=[("2024", Decimal("100"))], cap=Decimal("1000"), cap_label="Kokonaiskatto")
    svg = str(chart.svg)
    assert re.search(r'<line x1="72" y1="44.0" x2="710" y2="44.0" class="cap-line">', svg)  # the top of the plot
    assert "Kokonaiskatto 1\u00a0000" in svg


def test_every_chart_has_an_accessible_name_and_its_data_as_rows():
    chart = _chart(data=[("2024", 5), ("2025", "<5")])
    assert 'role="img" aria-labelledby="chart-kertym--t chart-kertym--d"' in str(chart.svg)
    assert '<title id="chart-kertym--t">Kertymä</title>' in str(chart.svg)
    assert [(row.label, row.value, row.kind) for row in chart.rows] == [("2024", 5, "actual"), ("2025", "<5", "hidden")]


def test_every_month_is_on_the_time_axis_even_without_enrollments():
    months = month_axis([(D(2024, 1, 1), 3), (D(2024, 4, 1), 7)], start=D(2023, 12, 1), end=D(2024, 5, 31))
    assert months == [("12/2023", 0), ("01/2024", 3), ("02/2024", 0), ("03/2024", 0), ("04/2024", 7), ("05/2024", 0)]


@pytest.mark.django_db
def test_the_period_report_draws_the_projection_the_cap_and_the_data_tables(client, worked_example):
    programme = worked_example["programme"]
    for _ in range(5):
        family = FamilyFactory(municipality=programme.municipality)
        EnrollmentFactory(
            programme=programme, family=family, enrolled_on=D(2023, 3, 1), children=[ChildFactory(family=family)]
        )
    statement_calculate(programme=programme, kind="annual", period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    client.force_login(UserFactory(role=Role.FUND_MANAGER, municipality=None))
    body = client.get(reverse("fund:programme", args=[programme.pk])).content.decode()
    assert 'class="bar-forecast"' in body and 'class="cap-line"' in body
    assert body.count("<figure") == 3 and body.count("Kaavion tiedot taulukkona") == 4
    assert "Kokonaiskatto" in body


def test_a_meter_shows_the_parts_against_the_total_as_a_line():
    from sibcase.charts import meter_svg

    svg = str(
        meter_svg(
            title="Maksut",
            parts=[("Maksettu", Decimal("50")), ("Hyväksytty", "x")],
            total=Decimal("200"),
            total_label="Katto",
        )
    )
    assert svg.count('class="meter-part') == 1  # the hidden part is left out, not drawn as zero
    assert 'width="55.0" height="12" class="meter-part meter-part-0"' in svg  # 50 of 200 on 220 px
    assert 'class="cap-line"><title>Katto: 200</title>' in svg
    assert 'role="img"' in svg and "<title id=" in svg
