"""Numbers and dates follow the app's language, each number shows its unit, implausible values are refused,
single choices are preselected, dates default to today, and a refused form lists its errors at the top."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from outcomes.forms import ObservationForm, VisitForm
from outcomes.models import ServiceEpisode
from payments.forms import ComparisonCostForm
from payments.models import ComparisonGroupCost
from programs.models import Programme
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeMetricFactory,
    ProgrammeFactory,
    ReferralFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _cost_form(value: str, programme: Programme) -> ComparisonCostForm:
    data = {"cmp-programme": programme.pk, "cmp-kind": "annual", "cmp-year": "2024", "cmp-cost_per_child_year": value}
    return ComparisonCostForm(data, programmes=Programme.objects.all(), prefix="cmp")


@pytest.mark.parametrize("typed", ["7200,50", "7 200,50", "7\u00a0200,50", "7200.50"])
def test_finnish_euro_amount_is_read_with_a_decimal_comma(typed):
    programme = ProgrammeFactory()
    with translation.override("fi"):
        form = _cost_form(typed, programme)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["cost_per_child_year"] == Decimal("7200.50")


def test_english_amount_is_read_with_a_decimal_point_and_grouping_commas():
    programme = ProgrammeFactory()
    with translation.override("en"):
        form = _cost_form("7,200.50", programme)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["cost_per_child_year"] == Decimal("7200.50")


def test_english_comma_that_is_not_a_thousands_group_is_refused_not_guessed():
    programme = ProgrammeFactory()
    with translation.override("en"):
        form = _cost_form("7200,50", programme)
        assert not form.is_valid()
        assert "decimal point" in form.errors["cost_per_child_year"][0]


def test_euro_amount_above_the_plausible_maximum_is_refused_with_the_limit():
    programme = ProgrammeFactory()
    with translation.override("fi"):
        form = _cost_form("720050,00", programme)
        assert not form.is_valid()
        assert "500\u00a0000" in form.errors["cost_per_child_year"][0]


def test_euro_field_shows_its_unit_and_the_value_in_the_active_language():
    programme = ProgrammeFactory()
    with translation.override("fi"):
        form = ComparisonCostForm(
            programmes=Programme.objects.all(), prefix="cmp", initial={"cost_per_child_year": Decimal("7200.50")}
        )
        html = str(form["cost_per_child_year"])
    assert 'type="text"' in html
    assert 'inputmode="decimal"' in html
    assert 'value="7200,50"' in html
    assert "€ / lapsivuosi" in html
    assert 'aria-describedby="id_cmp-cost_per_child_year_unit"' in html
    assert programme


def _observation_form(family, metric, child, value, start="1.3.2024", end="31.3.2024"):
    data = {
        "metric": metric.pk,
        "child": child.pk,
        "period_start": start,
        "period_end": end,
        "value": value,
        "source": "social_worker",
    }
    return ObservationForm(data, family=family, metrics=type(metric).objects.all())


@pytest.fixture
def observed():
    family = FamilyFactory()
    return family, ChildFactory(family=family)


def test_finnish_decimal_comma_in_an_observation_is_one_and_a_half(observed):
    family, child = observed
    metric = OutcomeMetricFactory(unit="day")
    with translation.override("fi"):
        form = _observation_form(family, metric, child, "1,5")
        assert form.is_valid(), form.errors
    assert form.cleaned_data["value"] == Decimal("1.5")
    assert form.cleaned_data["period_start"] == datetime.date(2024, 3, 1)


def test_events_are_whole_numbers(observed):
    family, child = observed
    metric = OutcomeMetricFactory(unit="event")
    with translation.override("fi"):
        form = _observation_form(family, metric, child, "1,5")
        assert not form.is_valid()
    assert "kokonais" in form.errors["value"][0]


def test_more_days_than_the_period_has_are_refused(observed):
    family, child = observed
    metric = OutcomeMetricFactory(unit="day")
    with translation.override("fi"):
        form = _observation_form(family, metric, child, "32")
        assert not form.is_valid()
    assert "31" in form.errors["value"][0]


def test_visit_minutes_show_their_unit_and_refuse_more_than_a_day():
    with translation.override("fi"):
        form = VisitForm(
            {"episode": "", "visited_on": "1.3.2024", "duration_minutes": "1500"},
            episodes=ServiceEpisode.objects.none(),
        )
        assert not form.is_valid()
        assert "1440" in form.errors["duration_minutes"][0].replace("\u00a0", "")
        assert '<span class="unit" id="id_duration_minutes_unit">min</span>' in str(form["duration_minutes"])


def test_dates_are_shown_and_read_as_day_month_year():
    with translation.override("fi"):
        form = VisitForm(initial={"visited_on": datetime.date(2024, 5, 1)}, episodes=ServiceEpisode.objects.none())
        html = str(form["visited_on"])
    assert 'value="1.5.2024"' in html
    assert 'type="text"' in html


@pytest.fixture
def one_of_each(social_worker, municipality):
    programme = ProgrammeFactory(municipality=municipality)
    family = FamilyFactory(municipality=municipality)
    guardian = GuardianFactory(family=family)
    ChildFactory(family=family)
    ReferralFactory(family=family, programme=programme)
    return {"family": family, "guardian": guardian, "programme": programme}


def test_consent_form_preselects_the_only_guardian_and_programme_and_today(client, social_worker, one_of_each):
    client.force_login(social_worker)
    html = client.get(reverse("families:consent_create", args=[one_of_each["family"].pk])).content.decode()
    assert f'<option value="{one_of_each["guardian"].pk}" selected>' in html
    assert f'<option value="{one_of_each["programme"].pk}" selected>' in html
    today = timezone.localdate()
    assert f'value="{today.day}.{today.month}.{today.year}"' in html


def test_enrollment_form_preselects_the_programme_the_family_is_referred_to(client, social_worker, one_of_each):
    ProgrammeFactory(municipality=one_of_each["programme"].municipality, name_fi="Toinen ohjelma")
    client.force_login(social_worker)
    html = client.get(reverse("families:enrollment_create", args=[one_of_each["family"].pk])).content.decode()
    assert f'<option value="{one_of_each["programme"].pk}" selected>' in html


def test_episode_form_preselects_the_only_enrollment(client, social_worker, one_of_each):
    family = one_of_each["family"]
    enrollment = EnrollmentFactory(family=family, programme=one_of_each["programme"])
    client.force_login(social_worker)
    html = client.get(reverse("outcomes:episode_create", args=[family.pk])).content.decode()
    assert f'<option value="{enrollment.pk}" selected>' in html


def test_refused_long_form_lists_every_error_at_the_top_with_links(client, social_worker, one_of_each):
    client.force_login(social_worker)
    management = {"TOTAL_FORMS": "1", "INITIAL_FORMS": "0"}
    data = {f"{prefix}-{key}": value for prefix in ("child", "guardian") for key, value in management.items()}
    response = client.post(reverse("families:referral_create"), data)
    html = response.content.decode()
    assert response.status_code == 400
    summary = html[html.index('class="error-summary"') : html.index("</ul>", html.index('class="error-summary"'))]
    for anchor in (
        "#id_source",
        "#id_reason",
        "#id_postal_code",
        "#id_child-0-first_names",
        "#id_guardian-0-last_name",
    ):
        assert f'href="{anchor}"' in summary
    assert html.index('class="error-summary"') < html.index('id="id_programme"')


def test_comparison_cost_typed_in_finnish_is_stored_as_typed(client, settings):
    programme = ProgrammeFactory()
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    client.force_login(evaluator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fi"
    client.post(
        reverse("payments:comparison_cost_create"),
        {"cmp-programme": programme.pk, "cmp-kind": "annual", "cmp-year": "2024", "cmp-cost_per_child_year": "7200,50"},
    )
    assert ComparisonGroupCost.objects.get().cost_per_child_year == Decimal("7200.50")


def test_observation_value_shows_the_unit_of_the_only_metric(observed):
    family, child = observed
    metric = OutcomeMetricFactory(unit="day")
    with translation.override("fi"):
        form = ObservationForm(family=family, metrics=type(metric).objects.filter(pk=metric.pk))
        html = str(form["value"])
    assert '<span class="unit" id="id_value_unit">vrk</span>' in html
