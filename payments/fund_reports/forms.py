"""Fund managers' forms for the investors' side: an investor, and one dated commitment, draw-down or distribution."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from programs.models import Fund, Investor, InvestorCategory, InvestorFlowKind
from sibcase.forms import EuroField, LocalDateField, preselect_single_choices


class InvestorForm(forms.Form):
    name = forms.CharField(label=_("Sijoittajan nimi"), max_length=200)
    business_id = forms.CharField(label=_("Y-tunnus"), max_length=9, required=False)
    category = forms.ChoiceField(label=_("Sijoittajan laji"), choices=InvestorCategory.choices)


class InvestorFlowForm(forms.Form):
    fund = forms.ModelChoiceField(label=_("Rahasto"), queryset=Fund.objects.order_by("name"))
    investor = forms.ModelChoiceField(label=_("Sijoittaja"), queryset=Investor.objects.order_by("name"))
    kind = forms.ChoiceField(label=_("Tapahtuma"), choices=InvestorFlowKind.choices)
    amount = EuroField(label=_("Määrä"), min_value=Decimal("0.01"), plausible_max=Decimal("100000000"))
    occurred_on = LocalDateField(label=_("Päivä"))
    note = forms.CharField(label=_("Lisätieto"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        preselect_single_choices(self, "fund")
