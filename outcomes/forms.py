from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from families.models import Child, Enrollment
from programs.models import Service
from sibcase.forms import DateInput, OnceTokenForm

from .models import ObservationSource, OutcomeMetric, ServiceEpisode


class AssessmentForm(OnceTokenForm):
    child = forms.ModelChoiceField(label=_("Lapsi (valinnainen)"), queryset=Child.objects.none(), required=False)
    started_on = forms.DateField(label=_("Aloitettu"), widget=DateInput())
    completed_on = forms.DateField(label=_("Valmistunut"), widget=DateInput(), required=False)
    summary = forms.CharField(label=_("Yhteenveto"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = family.children.all()


class EpisodeForm(OnceTokenForm):
    enrollment = forms.ModelChoiceField(label=_("Ohjelmajakso"), queryset=Enrollment.objects.none())
    service = forms.ModelChoiceField(label=_("Palvelu"), queryset=Service.objects.none())
    child = forms.ModelChoiceField(label=_("Lapsi (valinnainen)"), queryset=Child.objects.none(), required=False)
    start_date = forms.DateField(label=_("Alkaa"), widget=DateInput())
    end_date = forms.DateField(label=_("Päättyy"), widget=DateInput(), required=False)

    def __init__(self, *args, family, enrollments, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enrollment"].queryset = enrollments
        self.fields["service"].queryset = services
        self.fields["child"].queryset = family.children.all()


class ObservationForm(OnceTokenForm):
    metric = forms.ModelChoiceField(label=_("Mittari"), queryset=OutcomeMetric.objects.none())
    child = forms.ModelChoiceField(label=_("Lapsi"), queryset=Child.objects.none())
    period_start = forms.DateField(label=_("Jakso alkaa"), widget=DateInput())
    period_end = forms.DateField(label=_("Jakso päättyy"), widget=DateInput(), required=False)
    value = forms.DecimalField(label=_("Arvo"), min_value=0, max_digits=12, decimal_places=2)
    source = forms.ChoiceField(label=_("Lähde"), choices=ObservationSource.choices)

    def __init__(self, *args, family, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics
        self.fields["child"].queryset = family.children.all()


class VisitForm(OnceTokenForm):
    episode = forms.ModelChoiceField(label=_("Palvelujakso"), queryset=ServiceEpisode.objects.none())
    visited_on = forms.DateField(label=_("Päivä"), widget=DateInput())
    duration_minutes = forms.IntegerField(label=_("Kesto (min)"), min_value=1, max_value=24 * 60)
    note = forms.CharField(
        label=_("Muistiinpano"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, episodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["episode"].queryset = episodes
