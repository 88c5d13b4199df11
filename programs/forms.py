from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from families.models import EmploymentStatus, ReferralSource
from sibcase.forms import LocalDateField, LocalIntegerField

from .models import EligibilityRule, NeedCategory


class WindowForm(forms.Form):
    enrollment_opens = LocalDateField(label=_("Ilmoittautuminen alkaa"))
    enrollment_cutoff = LocalDateField(
        label=_("Katkaisupäivä (ensimmäinen päivä, jona uusia perheitä ei oteta)"), required=False
    )
    decision_body = forms.CharField(label=_("Päättänyt toimielin"), max_length=200, required=False)
    decision_date = LocalDateField(label=_("Päätöksen päivä"), required=False)
    decision_text = forms.CharField(
        label=_("Päätöksen sisältö"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(
        label=_("Muutoksen perustelu"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    # The programme's version when the form was loaded: a save from a stale form is refused (optimistic locking).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Handed out by the preview: a save is accepted only for the dates previewed (see views._preview_token).
    preview_token = forms.CharField(widget=forms.HiddenInput, required=False)


class BackdatingRejectForm(forms.Form):
    note = forms.CharField(label=_("Hylkäämisen perustelu"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class EligibilityRuleForm(forms.ModelForm):
    min_age = LocalIntegerField(
        label=_("Vähimmäisikä"), unit=_("vuotta"), required=False, plausible_min=0, plausible_max=18
    )
    max_age = LocalIntegerField(
        label=_("Enimmäisikä"), unit=_("vuotta"), required=False, plausible_min=0, plausible_max=18
    )
    guardian_statuses = forms.MultipleChoiceField(
        label=_("Hyväksytyt huoltajan tilanteet"),
        choices=EmploymentStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    referral_sources = forms.MultipleChoiceField(
        label=_("Hyväksytyt ohjaavat tahot"),
        choices=ReferralSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    need_categories = forms.ModelMultipleChoiceField(
        label=_("Hyväksytyt tuen tarpeet"),
        queryset=NeedCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Muutoksen perustelu"),
        help_text=_("Näkyy ohjelman sääntöjen muutoshistoriassa."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The rule's version when the form was loaded (an existing rule only): a stale save is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    class Meta:
        model = EligibilityRule
        fields = [
            "kind",
            "min_age",
            "max_age",
            "guardian_statuses",
            "referral_sources",
            "need_categories",
            "is_active",
            "position",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].required = True
            self.initial.setdefault("version", self.instance.version)
