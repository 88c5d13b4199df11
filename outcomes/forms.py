from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from families.models import Child, Enrollment
from programs.models import Service
from sibcase.forms import (
    LocalDateField,
    LocalDecimalField,
    LocalIntegerField,
    OnceTokenForm,
    default_today,
    preselect_single_choices,
)

from .models import MetricUnit, ObservationSource, OutcomeMetric, ServiceEpisode

# The unit written beside an observation's value, per the metric's unit kind.
UNIT_SHORT = {
    MetricUnit.DAY: _("vrk"),
    MetricUnit.MONTH: _("kk"),
    MetricUnit.EVENT: _("kpl"),
    MetricUnit.SCORE: _("pistettä"),
}
EVENTS_MAX = Decimal("100")  # events of one kind for one child in one observation period
SCORE_MAX = Decimal("100")  # questionnaire scores (SDQ total difficulties is 0–40) stay well below this


def plausible_maximum(unit: str, period_start: datetime.date, period_end: datetime.date | None) -> Decimal:
    """The most a value of this unit kind can be over the period: days cannot exceed the period's days,
    months its calendar months; counts and scores have a fixed ceiling."""
    end = period_end or period_start
    if unit == MetricUnit.DAY:
        return Decimal((end - period_start).days + 1)
    if unit == MetricUnit.MONTH:
        return Decimal((end.year - period_start.year) * 12 + end.month - period_start.month + 1)
    if unit == MetricUnit.EVENT:
        return EVENTS_MAX
    return SCORE_MAX


class MetricChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({UNIT_SHORT.get(obj.unit, obj.get_unit_display())})"


class AssessmentForm(OnceTokenForm):
    child = forms.ModelChoiceField(label=_("Lapsi (valinnainen)"), queryset=Child.objects.none(), required=False)
    started_on = LocalDateField(label=_("Aloitettu"))
    completed_on = LocalDateField(label=_("Valmistunut"), required=False)
    summary = forms.CharField(label=_("Yhteenveto"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = family.children.all()
        default_today(self, "started_on")


class AssessmentCorrectionForm(AssessmentForm):
    reason = forms.CharField(
        label=_("Korjauksen syy"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Näkyy perheen aikajanalla korjauksen yhteydessä."),
    )


class EpisodeForm(OnceTokenForm):
    enrollment = forms.ModelChoiceField(label=_("Ohjelmajakso"), queryset=Enrollment.objects.none())
    service = forms.ModelChoiceField(label=_("Palvelu"), queryset=Service.objects.none())
    child = forms.ModelChoiceField(label=_("Lapsi (valinnainen)"), queryset=Child.objects.none(), required=False)
    start_date = LocalDateField(label=_("Alkaa"))
    end_date = LocalDateField(label=_("Päättyy"), required=False)

    def __init__(self, *args, family, enrollments, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = enrollments
        self.fields["service"].queryset = services
        self.fields["child"].queryset = family.children.all()
        preselect_single_choices(self, "enrollment", "service")
        default_today(self, "start_date")


class ObservationForm(OnceTokenForm):
    metric = MetricChoiceField(label=_("Mittari"), queryset=OutcomeMetric.objects.none())
    child = forms.ModelChoiceField(label=_("Lapsi"), queryset=Child.objects.none())
    period_start = LocalDateField(label=_("Jakso alkaa"))
    period_end = LocalDateField(label=_("Jakso päättyy"), required=False)
    value = LocalDecimalField(
        label=_("Arvo"), unit=_("valitun mittarin yksikköä"), min_value=0, max_digits=12, decimal_places=2
    )
    source = forms.ChoiceField(label=_("Lähde"), choices=ObservationSource.choices)

    def __init__(self, *args, family, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics
        self.fields["child"].queryset = family.children.all()
        preselect_single_choices(self, "metric", "child")
        chosen = self.data.get(self.add_prefix("metric")) if self.is_bound else self.initial.get("metric")
        metric = metrics.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
        if metric is not None:
            self.fields["value"].widget.unit = UNIT_SHORT.get(metric.unit, metric.get_unit_display())

    def clean(self):
        data = super().clean()
        metric, value, start = data.get("metric"), data.get("value"), data.get("period_start")
        if metric is None or value is None or start is None:
            return data
        unit = UNIT_SHORT.get(metric.unit, metric.get_unit_display())
        if metric.unit == MetricUnit.EVENT and value != value.to_integral_value():
            self.add_error(
                "value", forms.ValidationError(_("Tapahtumat lasketaan kokonaislukuina."), code="whole_number")
            )
            return data
        maximum = plausible_maximum(metric.unit, start, data.get("period_end"))
        if value > maximum:
            self.add_error(
                "value",
                forms.ValidationError(
                    _("%(value)s %(unit)s ei ole uskottava arvo tälle jaksolle: enintään %(limit)s %(unit)s."),
                    code="implausible",
                    params={
                        "value": number_format(value, use_l10n=True),
                        "limit": number_format(maximum, use_l10n=True),
                        "unit": unit,
                    },
                ),
            )
        return data


class VisitForm(OnceTokenForm):
    episode = forms.ModelChoiceField(label=_("Palvelujakso"), queryset=ServiceEpisode.objects.none())
    visited_on = LocalDateField(label=_("Päivä"))
    duration_minutes = LocalIntegerField(label=_("Kesto"), unit=_("min"), plausible_min=1, plausible_max=24 * 60)
    note = forms.CharField(
        label=_("Muistiinpano"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
        preselect_single_choices(self, "episode")
        default_today(self, "visited_on")


class GroupEpisodeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        who = f"{obj.child.first_names} {obj.child.last_name}" if obj.child else str(obj.family)
        return f"{who} – {obj.service} ({obj.family.reference})"


class GroupVisitForm(OnceTokenForm):
    """One group session (e.g. an Icehearts team's practice) recorded for every participant at once."""

    episodes = GroupEpisodeField(
        label=_("Osallistujat"), queryset=ServiceEpisode.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    visited_on = LocalDateField(label=_("Päivä"))
    duration_minutes = LocalIntegerField(label=_("Kesto"), unit=_("min"), plausible_min=1, plausible_max=24 * 60)
    note = forms.CharField(
        label=_("Muistiinpano (kaikille osallistujille)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episodes"].queryset = episodes
        default_today(self, "visited_on")


class ObservationCorrectForm(OnceTokenForm):
    value = LocalDecimalField(label=_("Oikea arvo"), min_value=0, max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("Korjauksen syy"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, observation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"].widget.unit = UNIT_SHORT.get(
            observation.metric.unit, observation.metric.get_unit_display()
        )


class ObservationVoidForm(OnceTokenForm):
    reason = forms.CharField(
        label=_("Mitätöinnin syy"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mitätöity tulostieto säilyy historiassa, mutta se ei lasketa mihinkään."),
    )
