"""Forms of the payment pages: they parse input; the services decide."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Programme
from sibcase.forms import EuroField, LocalDateField, LocalDecimalField

from .models import PaymentTerms, StatementKind
from .services.calculate import quarter_of, true_up_period

FIRST_YEAR, LAST_YEAR = 2019, 2032
# A year of out-of-home care costs about €130,000 per child; a comparison group's average cost per child-year
# above this is a typing error (e.g. a decimal comma read as a thousands separator), not a figure.
COMPARISON_COST_MAX = Decimal("500000")


def _programme_choices(field: forms.ModelChoiceField, programmes: QuerySet[Programme] | list[Programme]) -> None:
    """A list the page has already read gives the choices without a query of their own; a queryset is read when
    the field is rendered."""
    if isinstance(programmes, list):
        field.queryset = Programme.objects.filter(pk__in=[programme.pk for programme in programmes])
        field.choices = [(programme.pk, field.label_from_instance(programme)) for programme in programmes]
    else:
        field.queryset = programmes


class PeriodForm(forms.Form):
    """A programme and a period: a year (annual) or one of its quarters (previews)."""

    programme = forms.ModelChoiceField(label=_("Ohjelma"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(label=_("Laji"), choices=StatementKind.choices, initial=StatementKind.ANNUAL)
    year = forms.IntegerField(label=_("Vuosi"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    quarter = forms.TypedChoiceField(
        label=_("Neljännes (ennakkolaskelmat)"),
        choices=[("", "–"), (1, "Q1"), (2, "Q2"), (3, "Q3"), (4, "Q4")],
        coerce=int,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, programmes: QuerySet[Programme] | list[Programme], **kwargs):
        super().__init__(*args, **kwargs)
        _programme_choices(self.fields["programme"], programmes)
        self.fields["year"].initial = timezone.localdate().year - 1

    def clean(self):
        data = super().clean()
        year, kind, quarter = data.get("year"), data.get("kind"), data.get("quarter")
        if year is None or kind is None:
            return data
        if kind == StatementKind.TRUE_UP:
            if quarter is not None or data.get("programme") is None:
                self.add_error("quarter", _("Lopputilitys kattaa koko seurannan; jätä neljännes tyhjäksi."))
                return data
            data["period_start"], data["period_end"] = true_up_period(data["programme"])
            return data
        if kind == StatementKind.PREVIEW:
            if quarter is None:
                self.add_error("quarter", _("Valitse neljännes ennakkolaskelmalle."))
                return data
            start, end = quarter_of(datetime.date(year, 3 * quarter - 2, 1))
        else:
            if quarter is not None:
                self.add_error("quarter", _("Vuosilaskelma lasketaan koko vuodelta; jätä neljännes tyhjäksi."))
                return data
            start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        if start > timezone.localdate():
            self.add_error("year", _("Kausi ei ole vielä alkanut."))
        data["period_start"], data["period_end"] = start, end
        return data


class RunRequestForm(PeriodForm):
    pass


class ComparisonCostForm(PeriodForm):
    kind = forms.ChoiceField(
        label=_("Laji"),
        choices=[
            (StatementKind.ANNUAL, StatementKind.ANNUAL.label),
            (StatementKind.PREVIEW, StatementKind.PREVIEW.label),
        ],
        initial=StatementKind.ANNUAL,
    )
    cost_per_child_year = EuroField(
        label=_("Vertailuryhmän kustannus lapsivuotta kohden"),
        unit=_("€ / lapsivuosi"),
        plausible_max=COMPARISON_COST_MAX,
    )


class PaidForm(forms.Form):
    paid_on = LocalDateField(label=_("Maksupäivä"))
    payment_reference = forms.CharField(label=_("Maksun viite"), max_length=100)

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("Maksupäivä ei voi olla tulevaisuudessa."), code="future_date")
        return paid_on


class SampleItemForm(forms.Form):
    """The evaluator's check of one sampled observation, or the settling of a disputed one."""

    action = forms.ChoiceField(
        label=_("Tulos"),
        choices=[
            ("confirmed", _("Vahvistettu")),
            ("disputed", _("Kiistetty")),
            ("exclude", _("Poista laskelmasta (mitätöi havainto)")),
            ("correct", _("Korjaa arvo")),
        ],
    )
    note = forms.CharField(label=_("Huomautus tai korjauksen syy"), required=False, max_length=2000)
    value = forms.DecimalField(label=_("Korjattu arvo"), required=False, min_value=0, max_digits=12, decimal_places=2)
    evidence = forms.FileField(label=_("Liite (PDF, PNG tai JPEG, enintään 10 Mt)"), required=False)


class TermsDraftForm(forms.ModelForm):
    """A new version of a programme's payment terms, as a draft."""

    class Meta:
        model = PaymentTerms
        fields = [
            "programme",
            "effective_from",
            "effective_to",
            "counterfactual_basis",
            "baseline_cost_per_child_year",
            "savings_share",
            "period_cap",
            "total_cap",
            "carry_forward_negative",
            "decision_body",
            "decision_reference",
            "reason",
        ]
        # Dates and numbers in the app's language ("7 200,50" in Finnish), as in every other form.
        field_classes = {
            "effective_from": LocalDateField,
            "effective_to": LocalDateField,
            "baseline_cost_per_child_year": EuroField,
            "savings_share": LocalDecimalField,
            "period_cap": EuroField,
            "total_cap": EuroField,
        }

    def __init__(self, *args, programmes: QuerySet[Programme] | list[Programme], **kwargs):
        super().__init__(*args, **kwargs)
        _programme_choices(self.fields["programme"], programmes)
        self.fields["programme"].empty_label = None
