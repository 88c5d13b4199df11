"""Forms of the corrections that go beyond plain fields (identity code, consent) and of the backdating request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from sibcase.forms import LocalDateField, OnceTokenForm

from .forms import REASON_FIELD_KWARGS, EnrollmentForm
from .identity import validate_identity_code
from .models import ConsentScope, Guardian


class IdentityCodeCorrectionForm(OnceTokenForm):
    identity_code = forms.CharField(
        label=_("Oikea henkilötunnus"),
        max_length=11,
        validators=[validate_identity_code],
        help_text=_("Syntymäaika päivittyy henkilötunnuksen mukaan."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = forms.CharField(**REASON_FIELD_KWARGS)


class ConsentCorrectionForm(OnceTokenForm):
    guardian = forms.ModelChoiceField(label=_("Huoltaja"), queryset=Guardian.objects.none())
    scope = forms.ChoiceField(label=_("Suostumuksen laajuus"), choices=ConsentScope.choices)
    given_on = LocalDateField(label=_("Suostumuksen päivä"))
    reason = forms.CharField(**REASON_FIELD_KWARGS)

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = family.guardians.all()


class ConsentVoidForm(OnceTokenForm):
    reason = forms.CharField(
        label=_("Mitätöinnin syy"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Mitätöi vain virheellisesti kirjattu suostumus (sitä ei annettu). Jos huoltaja perui antamansa "
            "suostumuksen, kirjaa peruminen."
        ),
    )


BACKDATING_PREFIX = "backdating"


class BackdatingRequestForm(EnrollmentForm):
    """The refused backdated enrollment, sent to the programme's coordinator with the worker's reasons."""

    reason = forms.CharField(
        label=_("Perustelu koordinaattorille"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Miksi perhe kirjataan mukaan takautuvasti, esim. milloin palvelu todella alkoi."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, may_approve_backdating=False, **kwargs)


def backdating_offer(*, family, programmes, request, enrollment_data: dict) -> BackdatingRequestForm:
    """The request form filled in from a refused enrollment: the worker only writes the reason."""
    return BackdatingRequestForm(
        family=family,
        programmes=programmes,
        request=request,
        prefix=BACKDATING_PREFIX,
        initial={
            "programme": enrollment_data["programme"].pk,
            "enrolled_on": enrollment_data["enrolled_on"],
            "children": [child.pk for child in enrollment_data["children"]],
        },
    )
