from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programs.models import NeedCategory, Programme
from sibcase.forms import LocalDateField, OnceTokenForm, default_today, preselect_single_choices

from .identity import validate_identity_code
from .models import (
    AssignmentRole,
    AttachmentKind,
    Child,
    ConsentScope,
    EmploymentStatus,
    EnrollmentStatus,
    ExitReason,
    Guardian,
    ReferralSource,
    ServiceLanguage,
)


class ProgrammeChoiceField(forms.ModelChoiceField):
    """Programmes by name; one that takes no new families says so in the list already."""

    def label_from_instance(self, obj):
        cutoff = obj.enrollment_cutoff
        if cutoff is not None and cutoff <= timezone.localdate():
            return _("%(programme)s (ei ota uusia perheitä)") % {"programme": obj}
        return str(obj)


class FamilySearchForm(forms.Form):
    q = forms.CharField(label=_("Nimi tai perhetunnus"), required=False, max_length=100)
    programme = forms.ModelChoiceField(label=_("Ohjelma"), queryset=Programme.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("Tila"),
        required=False,
        choices=[("", _("Kaikki")), *EnrollmentStatus.choices, ("none", _("Ei ohjelmassa"))],
    )
    district = forms.CharField(label=_("Kaupunginosa"), required=False, max_length=100)

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes if programmes is not None else Programme.objects.none()


class IdentityCodeSearchForm(forms.Form):
    """Sent by POST so the code never appears in a URL, a browser history or a server log."""

    identity_code = forms.CharField(label=_("Henkilötunnus"), max_length=11, validators=[validate_identity_code])


class FamilyForm(OnceTokenForm):
    programme = forms.ModelChoiceField(label=_("Ohjelma"), queryset=Programme.objects.none())
    source = forms.ChoiceField(label=_("Ohjaava taho"), choices=ReferralSource.choices)
    referred_on = LocalDateField(label=_("Ohjauspäivä"))
    reason = forms.CharField(label=_("Ohjauksen syy"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    postal_code = forms.RegexField(
        label=_("Postinumero"), regex=r"^\d{5}$", error_messages={"invalid": _("Postinumero on viisi numeroa.")}
    )
    district = forms.CharField(label=_("Kaupunginosa"), required=False, max_length=100)

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes if programmes is not None else Programme.objects.none()
        preselect_single_choices(self, "programme")
        default_today(self, "referred_on")


class PersonForm(forms.Form):
    first_names = forms.CharField(label=_("Etunimet"), max_length=150)
    last_name = forms.CharField(label=_("Sukunimi"), max_length=150)
    identity_code = forms.CharField(
        label=_("Henkilötunnus"),
        max_length=11,
        validators=[validate_identity_code],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ChildForm(PersonForm):
    need_categories = forms.ModelMultipleChoiceField(
        label=_("Tuen tarpeet"),
        queryset=NeedCategory.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class GuardianForm(PersonForm):
    # A blank first choice, so an unused extra row stays unchanged and is ignored.
    employment_status = forms.ChoiceField(
        label=_("Työ- tai koulutustilanne"), choices=[("", "---------"), *EmploymentStatus.choices]
    )


class RequiredFirstFormSet(forms.BaseFormSet):
    """Blank extra rows are ignored; at least one row must be filled in."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        codes = [f.cleaned_data["identity_code"] for f in self.forms if f.cleaned_data]
        if len(codes) != len(set(codes)):
            raise forms.ValidationError(_("Sama henkilötunnus on annettu kahdesti."), code="duplicate_code")


ChildFormSet = forms.formset_factory(
    ChildForm, formset=RequiredFirstFormSet, extra=2, max_num=6, min_num=1, validate_min=True
)
GuardianFormSet = forms.formset_factory(
    GuardianForm, formset=RequiredFirstFormSet, extra=1, max_num=3, min_num=1, validate_min=True
)


class ConsentForm(OnceTokenForm):
    guardian = forms.ModelChoiceField(label=_("Huoltaja"), queryset=Guardian.objects.none())
    programme = forms.ModelChoiceField(label=_("Ohjelma"), queryset=Programme.objects.none())
    scope = forms.ChoiceField(label=_("Suostumuksen laajuus"), choices=ConsentScope.choices)
    given_on = LocalDateField(label=_("Suostumuksen päivä"))

    def __init__(self, *args, family, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = family.guardians.all()
        self.fields["programme"].queryset = programmes
        _preselect_referred_programme(self, family, programmes)
        preselect_single_choices(self, "guardian", "programme")
        if not self.is_bound:
            self.initial.setdefault("scope", ConsentScope.PARTICIPATION)
        default_today(self, "given_on")


def _preselect_referred_programme(form, family, programmes) -> None:
    """The programme the family has a pending referral to is the usual answer (when there is exactly one)."""
    if form.is_bound or form.initial.get("programme"):
        return
    referred = list(programmes.filter(referrals__family=family, referrals__status="pending").distinct()[:2])
    if len(referred) == 1:
        form.initial["programme"] = referred[0].pk


class ConsentWithdrawForm(OnceTokenForm):
    withdrawn_on = LocalDateField(label=_("Peruutuspäivä"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_today(self, "withdrawn_on")


class EnrollmentForm(OnceTokenForm):
    programme = ProgrammeChoiceField(label=_("Ohjelma"), queryset=Programme.objects.none())
    children = forms.ModelMultipleChoiceField(
        label=_("Mukaan tulevat lapset"), queryset=Child.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    enrolled_on = LocalDateField(label=_("Mukaantulopäivä"))
    backdating_reason = forms.CharField(
        label=_("Takautuvan kirjauksen perustelu (koordinaattori)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Vain jos mukaantulopäivä on ennen jo mennyttä katkaisupäivää: koordinaattori hyväksyy kirjauksen."
        ),
    )

    def __init__(self, *args, family, programmes, may_approve_backdating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["children"].queryset = family.children.all()
        if not self.is_bound:
            self.initial.setdefault("children", list(family.children.all()))
        _preselect_referred_programme(self, family, programmes)
        preselect_single_choices(self, "programme")
        default_today(self, "enrolled_on")
        if not may_approve_backdating:
            del self.fields["backdating_reason"]


class EnrollmentActivateForm(OnceTokenForm):
    activated_on = LocalDateField(label=_("Aloituspäivä ohjelmassa"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_today(self, "activated_on")


class EnrollmentExitForm(OnceTokenForm):
    exit_date = LocalDateField(label=_("Päättymispäivä"))
    reason = forms.ChoiceField(label=_("Päättymisen syy"), choices=ExitReason.choices)
    note = forms.CharField(
        label=_("Lisätieto"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_today(self, "exit_date")


class WorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class HandoverForm(OnceTokenForm):
    to_worker = WorkerChoiceField(label=_("Uusi vastuutyöntekijä"), queryset=None)
    note = forms.CharField(
        label=_("Siirron muistiinpano"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Mitä seuraavan työntekijän on hyvä tietää: tilanne, sovitut asiat, seuraavat toimet."),
    )

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_worker"].queryset = workers


class DeputyForm(OnceTokenForm):
    worker = WorkerChoiceField(label=_("Varahenkilö"), queryset=None)
    note = forms.CharField(
        label=_("Muistiinpano"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers


class AssignmentEndForm(OnceTokenForm):
    note = forms.CharField(
        label=_("Muistiinpano"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CaseloadFilterForm(forms.Form):
    """The home page's caseload: sorted and filtered by GET (no personal data in these parameters)."""

    sort = forms.ChoiceField(
        label=_("Järjestys"),
        required=False,
        choices=[
            ("enrolled", _("Viimeksi mukaan otetut ensin")),
            ("name", _("Lapsen sukunimen mukaan")),
            ("reference", _("Perhetunnuksen mukaan")),
        ],
    )
    programme = forms.ModelChoiceField(
        label=_("Ohjelma"), queryset=Programme.objects.none(), required=False, empty_label=_("Kaikki")
    )
    role = forms.ChoiceField(label=_("Tehtäväni"), required=False, choices=[("", _("Kaikki")), *AssignmentRole.choices])

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes


REASON_FIELD_KWARGS = {
    "label": _("Korjauksen syy"),
    "max_length": 2000,
    "widget": forms.Textarea(attrs={"rows": 2}),
    "help_text": _("Näkyy perheen aikajanalla korjauksen yhteydessä."),
}


class FamilyCorrectionForm(OnceTokenForm):
    postal_code = forms.CharField(label=_("Postinumero"), max_length=5)
    district = forms.CharField(label=_("Kaupunginosa"), max_length=100, required=False)
    service_language = forms.ChoiceField(label=_("Asiointikieli"), choices=ServiceLanguage.choices)
    reason = forms.CharField(**REASON_FIELD_KWARGS)


class ChildCorrectionForm(OnceTokenForm):
    first_names = forms.CharField(label=_("Etunimet"), max_length=150)
    last_name = forms.CharField(label=_("Sukunimi"), max_length=150)
    reason = forms.CharField(**REASON_FIELD_KWARGS)


class GuardianCorrectionForm(OnceTokenForm):
    first_names = forms.CharField(label=_("Etunimet"), max_length=150)
    last_name = forms.CharField(label=_("Sukunimi"), max_length=150)
    employment_status = forms.ChoiceField(label=_("Työ- tai koulutustilanne"), choices=EmploymentStatus.choices)
    phone = forms.CharField(label=_("Puhelin"), max_length=30, required=False)
    email = forms.EmailField(label=_("Sähköposti"), required=False)
    reason = forms.CharField(**REASON_FIELD_KWARGS)


class CaseNoteForm(OnceTokenForm):
    written_on = LocalDateField(label=_("Päivä"))
    text = forms.CharField(label=_("Merkintä"), max_length=20000, widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default_today(self, "written_on")


class AttachmentForm(OnceTokenForm):
    kind = forms.ChoiceField(label=_("Asiakirjan laji"), choices=AttachmentKind.choices)
    file = forms.FileField(
        label=_("Tiedosto"), help_text=_("PDF, PNG tai JPEG, enintään 10 Mt. Tiedostoa ei näytetä verkossa.")
    )
    description = forms.CharField(label=_("Kuvaus"), max_length=300, required=False)


class ReferralForKnownFamilyForm(OnceTokenForm):
    """A new referral of a family already registered (another programme, or the same one again)."""

    programme = ProgrammeChoiceField(label=_("Ohjelma"), queryset=Programme.objects.none())
    source = forms.ChoiceField(label=_("Ohjaava taho"), choices=ReferralSource.choices)
    referred_on = LocalDateField(label=_("Ohjauspäivä"))
    reason = forms.CharField(label=_("Ohjauksen syy"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        preselect_single_choices(self, "programme")
        default_today(self, "referred_on")


class ChildAddForm(OnceTokenForm, ChildForm):
    pass


class MunicipalityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class TransferRequestForm(OnceTokenForm):
    to_municipality = MunicipalityChoiceField(label=_("Uusi kotikunta"), queryset=None)
    note = forms.CharField(
        label=_("Siirron peruste"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Vastaanottava kunta näkee ennen hyväksyntää vain perhetunnuksen, lasten määrän, lähettävän kunnan ja "
            "tämän tekstin. Älä kirjoita tähän henkilötunnuksia."
        ),
    )

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_municipality"].queryset = municipalities


class TransferDecision:
    ACCEPT = "accept"
    DECLINE = "decline"


class TransferDecisionForm(OnceTokenForm):
    decision = forms.ChoiceField(
        label=_("Ratkaisu"),
        choices=[
            (TransferDecision.ACCEPT, _("Hyväksy: perhe siirtyy kuntaamme")),
            (TransferDecision.DECLINE, _("Hylkää: perhe jää lähettävän kunnan asiakkaaksi")),
        ],
        widget=forms.RadioSelect,
    )
    responsible_worker = WorkerChoiceField(
        label=_("Uusi vastuutyöntekijä"),
        queryset=None,
        required=False,
        help_text=_("Tarvitaan, kun siirto hyväksytään."),
    )
    note = forms.CharField(
        label=_("Perustelu tai muistiinpano"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Pakollinen, kun siirto hylätään."),
    )

    def __init__(self, *args, workers, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_worker"].queryset = workers
        if not self.is_bound and workers.filter(pk=actor.pk).exists():
            self.initial["responsible_worker"] = actor.pk

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == TransferDecision.ACCEPT and not cleaned.get("responsible_worker"):
            self.add_error("responsible_worker", _("Valitse uusi vastuutyöntekijä."))
        return cleaned


class TransferCancelForm(OnceTokenForm):
    note = forms.CharField(
        label=_("Perumisen syy"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
