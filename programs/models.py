"""Municipalities, providers, services, the fund and the programmes with their enrollment windows."""

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

postal_code_validator = RegexValidator(r"^\d{5}$", _("Postinumero on viisi numeroa."))


class TranslatedNameMixin:
    """Models with name_fi / name_sv / name_en: `name` is the one in the active language, Finnish as fallback."""

    @property
    def name(self) -> str:
        lang = (get_language() or "fi")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_fi

    def __str__(self) -> str:
        return self.name


class Municipality(TranslatedNameMixin, models.Model):
    """Kunta. `code` is the official three-digit municipality code (Helsinki 091, Vantaa 092, …)."""

    code = models.CharField(_("kuntanumero"), max_length=3, unique=True, validators=[RegexValidator(r"^\d{3}$")])
    name_fi = models.CharField(_("nimi (suomi)"), max_length=100)
    name_sv = models.CharField(_("nimi (ruotsi)"), max_length=100)

    class Meta:
        verbose_name = _("kunta")
        verbose_name_plural = _("kunnat")
        ordering = ["name_fi"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{3}$"), name="municipality_code_3_digits")
        ]


class ServiceProvider(models.Model):
    """An organisation that delivers services (SOS-Lapsikylä, Diakonissalaitos, …)."""

    code = models.SlugField(_("tunnus"), max_length=40, unique=True)
    name = models.CharField(_("nimi"), max_length=200)
    business_id = models.CharField(_("Y-tunnus"), max_length=9, blank=True)

    class Meta:
        verbose_name = _("palveluntuottaja")
        verbose_name_plural = _("palveluntuottajat")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceKind(models.TextChoices):
    FAMILY_PARTNER = "family_partner", _("Perhekumppani / pitkäaikainen tukija")
    EMPLOYMENT = "employment", _("Työllistymisen tai koulutuksen tuki")
    NEEDS_ASSESSMENT = "needs_assessment", _("Palvelutarpeen arvio")
    TEAM_SPORT = "team_sport", _("Ryhmätoiminta")
    OTHER = "other", _("Muu")


class Service(TranslatedNameMixin, models.Model):
    """A service a family can receive. Delivered either by a provider or by the municipality itself."""

    code = models.SlugField(_("tunnus"), max_length=40, unique=True)
    name_fi = models.CharField(_("nimi (suomi)"), max_length=200)
    name_sv = models.CharField(_("nimi (ruotsi)"), max_length=200)
    name_en = models.CharField(_("nimi (englanti)"), max_length=200)
    kind = models.CharField(_("laji"), max_length=32, choices=ServiceKind.choices)
    provider = models.ForeignKey(
        ServiceProvider, verbose_name=_("palveluntuottaja"), on_delete=models.PROTECT, null=True, blank=True
    )
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("kunta"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("palvelu")
        verbose_name_plural = _("palvelut")
        ordering = ["name_fi"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(provider__isnull=False) & Q(municipality__isnull=True))
                | (Q(provider__isnull=True) & Q(municipality__isnull=False)),
                name="service_provider_xor_municipality",
            )
        ]


class Fund(models.Model):
    """The SIB fund investors put money into; it pre-finances services and receives outcome payments."""

    name = models.CharField(_("nimi"), max_length=200, unique=True)
    manager = models.CharField(_("hallinnoija"), max_length=200)
    committed_capital = models.DecimalField(
        _("sijoitettu pääoma (EUR)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        verbose_name = _("rahasto")
        verbose_name_plural = _("rahastot")
        constraints = [
            models.CheckConstraint(
                condition=Q(committed_capital__isnull=True) | Q(committed_capital__gte=0), name="fund_capital_gte_0"
            )
        ]

    def __str__(self) -> str:
        return self.name


class NeedCategory(TranslatedNameMixin, models.Model):
    """A symptom or need category a child may be referred for (e.g. neuropsychiatric symptoms)."""

    code = models.SlugField(_("tunnus"), max_length=40, unique=True)
    name_fi = models.CharField(_("nimi (suomi)"), max_length=200)
    name_sv = models.CharField(_("nimi (ruotsi)"), max_length=200)
    name_en = models.CharField(_("nimi (englanti)"), max_length=200)

    class Meta:
        verbose_name = _("tuen tarpeen luokka")
        verbose_name_plural = _("tuen tarpeen luokat")
        ordering = ["code"]


class Programme(TranslatedNameMixin, models.Model):
    """One municipality's Lapset SIB programme and its enrollment window.

    `enrollment_cutoff` is the first day on which no new enrollment is accepted; the decision that set it is
    stored beside it. Families enrolled before it keep every other action until `follow_up_end`.
    """

    code = models.SlugField(_("tunnus"), max_length=40, unique=True)
    municipality = models.ForeignKey(
        Municipality, verbose_name=_("kunta"), on_delete=models.PROTECT, related_name="programmes"
    )
    fund = models.ForeignKey(Fund, verbose_name=_("rahasto"), on_delete=models.PROTECT, related_name="programmes")
    name_fi = models.CharField(_("nimi (suomi)"), max_length=200)
    name_sv = models.CharField(_("nimi (ruotsi)"), max_length=200)
    name_en = models.CharField(_("nimi (englanti)"), max_length=200)
    target_group = models.TextField(_("kohderyhmä"))
    start_date = models.DateField(_("alkamispäivä"))
    enrollment_opens = models.DateField(_("ilmoittautuminen alkaa"))
    enrollment_cutoff = models.DateField(
        _("ilmoittautumisen katkaisupäivä"),
        null=True,
        blank=True,
        help_text=_("Ensimmäinen päivä, jona uusia perheitä ei enää oteta mukaan."),
    )
    cutoff_decision_body = models.CharField(_("päättänyt toimielin"), max_length=200, blank=True)
    cutoff_decision_date = models.DateField(_("päätöksen päivä"), null=True, blank=True)
    cutoff_decision_text = models.TextField(_("päätöksen sisältö"), blank=True)
    follow_up_end = models.DateField(_("seurannan päättymispäivä"))
    capacity = models.PositiveIntegerField(
        _("enimmäismäärä aktiivisia perheitä"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    waitlist_when_full = models.BooleanField(_("jonoon, kun täynnä"), default=False)
    services = models.ManyToManyField(Service, verbose_name=_("palvelut"), blank=True, related_name="programmes")
    # Optimistic locking: the window form carries the version it was loaded at; programme_window_update refuses a
    # stale one (two coordinators changing the cutoff at once) and increments it.
    version = models.PositiveIntegerField(_("versio"), default=1, editable=False)

    class Meta:
        verbose_name = _("ohjelma")
        verbose_name_plural = _("ohjelmat")
        ordering = ["municipality__name_fi", "name_fi"]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_end__gte=F("start_date")), name="programme_follow_up_after_start"
            ),
            models.CheckConstraint(
                condition=Q(enrollment_opens__gte=F("start_date")), name="programme_opens_after_start"
            ),
            models.CheckConstraint(
                condition=Q(enrollment_cutoff__isnull=True) | Q(enrollment_cutoff__gt=F("enrollment_opens")),
                name="programme_cutoff_after_opening",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gte=1), name="programme_capacity_positive"
            ),
        ]


class TargetArea(models.Model):
    """A district the programme serves (Vuosaari, Mellunkylä), identified by its postal codes."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("ohjelma"), on_delete=models.CASCADE, related_name="target_areas"
    )
    name = models.CharField(_("alue"), max_length=100)

    class Meta:
        verbose_name = _("kohdealue")
        verbose_name_plural = _("kohdealueet")
        constraints = [models.UniqueConstraint(fields=["programme", "name"], name="target_area_unique_name")]

    def __str__(self) -> str:
        return self.name


class TargetAreaPostalCode(models.Model):
    area = models.ForeignKey(TargetArea, on_delete=models.CASCADE, related_name="postal_codes")
    postal_code = models.CharField(_("postinumero"), max_length=5, validators=[postal_code_validator])

    class Meta:
        verbose_name = _("kohdealueen postinumero")
        verbose_name_plural = _("kohdealueen postinumerot")
        constraints = [
            models.UniqueConstraint(fields=["area", "postal_code"], name="target_area_postal_code_unique"),
            models.CheckConstraint(
                condition=Q(postal_code__regex=r"^[0-9]{5}$"), name="target_area_postal_code_5_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.postal_code


class RuleKind(models.TextChoices):
    CHILD_AGE = "child_age", _("Lapsen ikä ohjauspäivänä")
    TARGET_AREA = "target_area", _("Asuinalue (postinumero)")
    GUARDIAN_STATUS = "guardian_status", _("Huoltajan työ- tai koulutustilanne")
    NEED_CATEGORY = "need_category", _("Lapsen tuen tarve")
    REFERRAL_SOURCE = "referral_source", _("Ohjaava taho")


class EligibilityRule(models.Model):
    """One condition a family must meet to be enrolled, kept as data a coordinator edits (no code)."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("ohjelma"), on_delete=models.CASCADE, related_name="eligibility_rules"
    )
    kind = models.CharField(_("sääntö"), max_length=32, choices=RuleKind.choices)
    min_age = models.PositiveSmallIntegerField(_("vähimmäisikä (v)"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("enimmäisikä (v)"), null=True, blank=True)
    guardian_statuses = models.JSONField(_("hyväksytyt huoltajan tilanteet"), default=list, blank=True)
    referral_sources = models.JSONField(_("hyväksytyt ohjaavat tahot"), default=list, blank=True)
    need_categories = models.ManyToManyField(
        NeedCategory, verbose_name=_("hyväksytyt tuen tarpeet"), blank=True, related_name="+"
    )
    is_active = models.BooleanField(_("käytössä"), default=True)
    position = models.PositiveSmallIntegerField(_("järjestys"), default=0)
    # Optimistic locking, as on Programme: eligibility_rule_save refuses a stale version and increments it.
    version = models.PositiveIntegerField(_("versio"), default=1, editable=False)

    class Meta:
        verbose_name = _("kelpoisuussääntö")
        verbose_name_plural = _("kelpoisuussäännöt")
        ordering = ["programme", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="child_age")
                | (Q(min_age__isnull=False) & Q(max_age__isnull=False) & Q(max_age__gte=F("min_age"))),
                name="rule_age_range_complete",
            ),
            models.UniqueConstraint(
                fields=["programme", "kind"], condition=Q(is_active=True), name="rule_one_active_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {self.get_kind_display()}"


class ProgrammeWindowChange(models.Model):
    """History of a programme's enrollment window: who changed the opening or cutoff, when, old → new, and why."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="window_changes"
    )
    changed_at = models.DateTimeField(_("muutettu"), auto_now_add=True)
    changed_by = models.ForeignKey(
        "sibcase.User", verbose_name=_("muuttaja"), on_delete=models.PROTECT, related_name="+"
    )
    old_opens = models.DateField(_("vanha alkamispäivä"))
    new_opens = models.DateField(_("uusi alkamispäivä"))
    old_cutoff = models.DateField(_("vanha katkaisupäivä"), null=True, blank=True)
    new_cutoff = models.DateField(_("uusi katkaisupäivä"), null=True, blank=True)
    decision_body = models.CharField(_("päättänyt toimielin"), max_length=200, blank=True)
    decision_date = models.DateField(_("päätöksen päivä"), null=True, blank=True)
    reason = models.TextField(_("perustelu"))

    class Meta:
        verbose_name = _("ilmoittautumisikkunan muutos")
        verbose_name_plural = _("ilmoittautumisikkunan muutokset")
        ordering = ["-changed_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="window_change_has_reason")]

    def __str__(self) -> str:
        return f"{self.programme}: {self.old_cutoff} → {self.new_cutoff}"


class EnrollmentRefusal(models.Model):
    """A refused enrollment attempt: which programme, why (codes), who tried and when. No personal data."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="enrollment_refusals"
    )
    family_id = models.BigIntegerField(_("perheen tunniste"))
    codes = models.JSONField(_("syyt"), default=list)
    enrolled_on = models.DateField(_("haettu mukaantulopäivä"))
    attempted_at = models.DateTimeField(_("yritetty"), auto_now_add=True, db_index=True)
    attempted_by = models.ForeignKey(
        "sibcase.User", verbose_name=_("yrittäjä"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("hylätty mukaanotto")
        verbose_name_plural = _("hylätyt mukaanotot")
        ordering = ["-attempted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.programme}: {', '.join(self.codes)}"


class InvestorCategory(models.TextChoices):
    """The INDIGO data standard's organisation role categories that Finnish SIB investors fall into."""

    FOUNDATION = "Foundation/Philanthropist", _("Säätiö tai lahjoittaja")
    PUBLIC = "Government/Public Sector/Public Bank", _("Julkinen sektori")
    IMPACT_INVESTOR = "Impact Investor", _("Vaikuttavuussijoittaja")
    INVESTMENT_FUND = "Investment Fund", _("Sijoitusrahasto")
    COMMERCIAL = "Commercial", _("Yritys tai eläkevakuuttaja")
    NONPROFIT = "Nonprofit/NGO", _("Järjestö")


class Investor(models.Model):
    """An organisation that has put money into the fund (a foundation, pension insurer, company). Not a person."""

    name = models.CharField(_("nimi"), max_length=200, unique=True)
    business_id = models.CharField(_("Y-tunnus"), max_length=9, blank=True)
    category = models.CharField(
        _("sijoittajan laji"), max_length=64, choices=InvestorCategory.choices, default=InvestorCategory.COMMERCIAL
    )

    class Meta:
        verbose_name = _("sijoittaja")
        verbose_name_plural = _("sijoittajat")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InvestorFlowKind(models.TextChoices):
    COMMITMENT = "commitment", _("Sijoitussitoumus")
    DRAWDOWN = "drawdown", _("Pääomakutsu (nosto)")
    DISTRIBUTION = "distribution", _("Tuotonjako sijoittajalle")


class InvestorFlow(models.Model):
    """One dated event between an investor and the fund: a commitment, a draw-down of committed capital, or a
    distribution back to the investor. Only `investor_flow_record` makes one; rows are never edited (a mistake is
    corrected with a new row and a reason, kept in the audit trail)."""

    fund = models.ForeignKey(Fund, verbose_name=_("rahasto"), on_delete=models.PROTECT, related_name="investor_flows")
    investor = models.ForeignKey(Investor, verbose_name=_("sijoittaja"), on_delete=models.PROTECT, related_name="flows")
    kind = models.CharField(_("laji"), max_length=16, choices=InvestorFlowKind.choices)
    amount = models.DecimalField(
        _("määrä (EUR)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    occurred_on = models.DateField(_("päivä"))
    note = models.CharField(_("lisätieto"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        "sibcase.User", verbose_name=_("kirjaaja"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("sijoittajan rahavirta")
        verbose_name_plural = _("sijoittajien rahavirrat")
        ordering = ["occurred_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="investor_flow_amount_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["commitment", "drawdown", "distribution"]), name="investor_flow_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.investor}: {self.get_kind_display()} {self.amount}"


class BackdatingStatus(models.TextChoices):
    PENDING = "pending", _("Odottaa hyväksyntää")
    APPROVED = "approved", _("Hyväksytty")
    REJECTED = "rejected", _("Hylätty")


class BackdatingRequest(models.Model):
    """A social worker's request to record an enrollment dated before the programme's cutoff, after the cutoff.

    The coordinator approves it in the approval inbox, which then enrolls the family with `enrollment_create`
    (the same checks as any enrollment) and the coordinator as the approver; or rejects it with a reason.
    """

    programme = models.ForeignKey(
        Programme, verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="backdating_requests"
    )
    family = models.ForeignKey(
        "families.Family", verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="backdating_requests"
    )
    children = models.ManyToManyField("families.Child", verbose_name=_("lapset"), related_name="+")
    referral = models.ForeignKey(
        "families.Referral", verbose_name=_("ohjaus"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enrolled_on = models.DateField(_("haettu mukaantulopäivä"))
    reason = models.TextField(_("perustelu"))
    status = models.CharField(
        _("tila"), max_length=16, choices=BackdatingStatus.choices, default=BackdatingStatus.PENDING
    )
    requested_at = models.DateTimeField(_("pyydetty"), auto_now_add=True)
    requested_by = models.ForeignKey(
        "sibcase.User", verbose_name=_("pyytäjä"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("ratkaistu"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "sibcase.User", verbose_name=_("ratkaisija"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("ratkaisun perustelu"), blank=True)
    enrollment = models.OneToOneField(
        "families.Enrollment",
        verbose_name=_("osallistuminen"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backdating_request",
    )

    class Meta:
        verbose_name = _("takautuvan kirjauksen pyyntö")
        verbose_name_plural = _("takautuvan kirjauksen pyynnöt")
        ordering = ["requested_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="backdating_request_has_reason"),
            models.UniqueConstraint(
                fields=["programme", "family"],
                condition=Q(status="pending"),
                name="backdating_request_one_pending_per_family",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="backdating_request_decision_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(enrollment__isnull=False),
                name="backdating_request_approved_has_enrollment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {self.enrolled_on} ({self.get_status_display()})"
