"""Forms of the privacy pages (subject access, erasure, break-glass, reviews)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .identity import validate_identity_code

FORMAT_CHOICES = [("pdf", _("PDF-tiedosto")), ("json", _("JSON-tiedosto (koneluettava)"))]


class SubjectAccessForm(forms.Form):
    """Sent by POST: the identity code never appears in a URL."""

    reason = forms.CharField(
        label=_("Pyynnön peruste"),
        help_text=_("Esim. pyynnön päivä ja tapa, ja miten pyytäjän henkilöllisyys varmistettiin."),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=150,
    )
    fmt = forms.ChoiceField(label=_("Tiedostomuoto"), choices=FORMAT_CHOICES, widget=forms.RadioSelect, initial="pdf")


class SubjectAccessByCodeForm(SubjectAccessForm):
    identity_code = forms.CharField(label=_("Henkilötunnus"), max_length=11, validators=[validate_identity_code])
    field_order = ["identity_code", "reason", "fmt"]


class BreakGlassForm(forms.Form):
    family_reference = forms.CharField(label=_("Perhetunnus"), max_length=20)
    reason = forms.CharField(
        label=_("Peruste"),
        help_text=_("Miksi tarvitset toisen kunnan perheen tietoja? Peruste kirjataan käyttölokiin ja tarkastetaan."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=150,
    )


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Huomio"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ErasureProposeForm(forms.Form):
    reason = forms.CharField(label=_("Poiston peruste"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ErasureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Ratkaisu"),
        choices=[("approve", _("Hyväksy ja poista tiedot")), ("reject", _("Hylkää"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Perustelu"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AccessReviewForm(forms.Form):
    days = forms.IntegerField(label=_("Päiviä taaksepäin"), min_value=1, max_value=366, initial=7, required=False)
