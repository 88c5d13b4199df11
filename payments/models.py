"""Payment terms, and the statements of what a municipality pays the fund for a period.

An approved or paid statement never changes: the model refuses it, and on PostgreSQL a trigger refuses it too
(migration 0002). Later data for its period becomes an adjustment line in a later statement.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sibcase.fields import actor_field

MONEY = {"max_digits": 14, "decimal_places": 2}


class CounterfactualBasis(models.TextChoices):
    FIXED_BASELINE = "fixed_baseline", _("Kiinteä vertailutaso")
    COMPARISON_GROUP = "comparison_group", _("Vertailuryhmän toteuma")


class TermsStatus(models.TextChoices):
    DRAFT = "draft", _("Luonnos")
    IN_FORCE = "in_force", _("Voimassa")


class PaymentTermsQuerySet(models.QuerySet):
    def in_force(self) -> "PaymentTermsQuerySet":
        return self.filter(status=TermsStatus.IN_FORCE)


class TermsInUseError(Exception):
    """Terms in force that a statement used were about to change."""


class PaymentTerms(models.Model):
    """The contract's payment terms for a programme, valid over a date range: versioned data. A draft is put in
    force (`terms_put_in_force`) with the deciding body and a reason; terms in force never change once a statement
    used them (a new version is made instead)."""

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="payment_terms"
    )
    effective_from = models.DateField(_("voimassa alkaen"))
    effective_to = models.DateField(_("voimassa asti"), null=True, blank=True)
    counterfactual_basis = models.CharField(
        _("vertailukustannuksen peruste"),
        max_length=32,
        choices=CounterfactualBasis.choices,
        default=CounterfactualBasis.FIXED_BASELINE,
    )
    baseline_cost_per_child_year = models.DecimalField(
        _("vertailukustannus lapsivuotta kohden (EUR)"), **MONEY, validators=[MinValueValidator(0)]
    )
    savings_share = models.DecimalField(
        _("rahastolle maksettava osuus säästöistä"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    period_cap = models.DecimalField(
        _("katto kaudelta (EUR)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    total_cap = models.DecimalField(
        _("kokonaiskatto (EUR)"), **MONEY, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    carry_forward_negative = models.BooleanField(_("negatiivinen tulos siirtyy seuraavalle kaudelle"), default=False)
    status = models.CharField(_("tila"), max_length=16, choices=TermsStatus.choices, default=TermsStatus.IN_FORCE)
    decision_body = models.CharField(_("päättävä toimielin"), max_length=200, blank=True)
    decision_reference = models.CharField(_("päätöksen viite"), max_length=200, blank=True)
    reason = models.TextField(_("perustelu"), blank=True)
    created_at = models.DateTimeField(_("kirjattu"), auto_now_add=True, null=True)
    created_by = actor_field(_("kirjaaja"), optional=True)
    in_force_at = models.DateTimeField(_("voimaan"), null=True, blank=True)
    in_force_by = actor_field(_("voimaan saattaja"), optional=True)

    objects = PaymentTermsQuerySet.as_manager()

    class Meta:
        verbose_name = _("maksuehdot")
        verbose_name_plural = _("maksuehdot")
        ordering = ["programme", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "effective_from"], name="terms_one_version_per_day"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="terms_end_after_start",
            ),
            models.CheckConstraint(condition=Q(baseline_cost_per_child_year__gte=0), name="terms_baseline_gte_0"),
            models.CheckConstraint(condition=Q(savings_share__gte=0) & Q(savings_share__lte=1), name="terms_share_0_1"),
            models.CheckConstraint(
                condition=Q(period_cap__isnull=True) | Q(period_cap__gte=0), name="terms_period_cap_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(total_cap__isnull=True) | Q(total_cap__gte=0), name="terms_total_cap_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.effective_from}–{self.effective_to or ''}"

    def save(self, *args, **kwargs):
        if self.pk and not self._state.adding and self.statements.exists():
            raise TermsInUseError("payment terms used by a statement cannot be changed; make a new version")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.statements.exists():
            raise TermsInUseError("payment terms used by a statement cannot be deleted")
        return super().delete(*args, **kwargs)


class ComparisonGroupCost(models.Model):
    """The evaluator's figure for the comparison group's annual corrective-service cost per child in a period."""

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="comparison_costs"
    )
    period_start = models.DateField(_("kausi alkaa"))
    period_end = models.DateField(_("kausi päättyy"))
    cost_per_child_year = models.DecimalField(
        _("kustannus lapsivuotta kohden (EUR)"), **MONEY, validators=[MinValueValidator(0)]
    )
    entered_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    entered_by = actor_field(_("kirjaaja"), optional=True)

    class Meta:
        verbose_name = _("vertailuryhmän kustannus")
        verbose_name_plural = _("vertailuryhmän kustannukset")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "period_start", "period_end"], name="comparison_cost_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="comparison_cost_end_after_start"
            ),
            models.CheckConstraint(condition=Q(cost_per_child_year__gte=0), name="comparison_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.period_start}–{self.period_end}: {self.cost_per_child_year} EUR"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Luonnos")
    VALIDATED = "validated", _("Tarkastettu")
    APPROVED = "approved", _("Hyväksytty")
    PAID = "paid", _("Maksettu")


FROZEN_STATUSES = (StatementStatus.APPROVED, StatementStatus.PAID)


class StatementKind(models.TextChoices):
    ANNUAL = "annual", _("Vuosilaskelma")
    PREVIEW = "preview", _("Ennakkolaskelma")
    TRUE_UP = "true_up", _("Lopputilitys")


# Previews are estimates: they never leave draft.
PAYABLE_KINDS = (StatementKind.ANNUAL, StatementKind.TRUE_UP)


class ImmutableStatementError(Exception):
    """An approved or paid statement, or one of its lines, was about to change."""


class PaymentStatement(models.Model):
    """Tulospalkkiolaskelma: what the municipality owes the fund for one programme and period, and how."""

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="payment_statements"
    )
    kind = models.CharField(_("laji"), max_length=16, choices=StatementKind.choices, default=StatementKind.ANNUAL)
    period_start = models.DateField(_("kausi alkaa"))
    period_end = models.DateField(_("kausi päättyy"))
    status = models.CharField(_("tila"), max_length=16, choices=StatementStatus.choices, default=StatementStatus.DRAFT)
    terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("maksuehdot"), on_delete=models.PROTECT, related_name="statements"
    )
    child_count = models.PositiveIntegerField(_("lapsia kohortissa"), default=0)
    child_years = models.DecimalField(_("lapsivuodet"), max_digits=12, decimal_places=4, default=0)
    counterfactual_cost = models.DecimalField(_("vertailukustannus (EUR)"), **MONEY, default=0)
    actual_cost = models.DecimalField(_("toteutunut kustannus (EUR)"), **MONEY, default=0)
    savings = models.DecimalField(_("laskennalliset säästöt (EUR)"), **MONEY, default=0)
    savings_share = models.DecimalField(_("osuus"), max_digits=5, decimal_places=4, default=0)
    adjustments = models.DecimalField(_("oikaisut aiemmista kausista (EUR)"), **MONEY, default=0)
    carried_forward_in = models.DecimalField(_("edelliseltä kaudelta siirtynyt (EUR)"), **MONEY, default=0)
    carried_forward_out = models.DecimalField(_("seuraavalle kaudelle siirtyvä (EUR)"), **MONEY, default=0)
    uncapped_payment = models.DecimalField(_("maksu ennen kattoja (EUR)"), **MONEY, default=0)
    period_payable = models.DecimalField(_("kauden oma maksu (EUR)"), **MONEY, default=0)
    refund_due = models.DecimalField(_("kuittaamatta jäänyt oikaisu (EUR)"), **MONEY, default=0)
    period_cap_applied = models.BooleanField(_("kauden katto rajasi"), default=False)
    total_cap_applied = models.BooleanField(_("kokonaiskatto rajasi"), default=False)
    payable = models.DecimalField(_("maksettava (EUR)"), **MONEY, default=0)
    inputs = models.JSONField(_("laskennan lähtötiedot"), default=dict, blank=True)
    calculated_at = models.DateTimeField(_("laskettu"), null=True, blank=True)
    validated_at = models.DateTimeField(_("tarkastettu"), null=True, blank=True)
    validated_by = actor_field(_("tarkastaja"), optional=True)
    approved_at = models.DateTimeField(_("hyväksytty"), null=True, blank=True)
    approved_by = actor_field(_("hyväksyjä"), optional=True)
    co_approved_at = models.DateTimeField(_("toinen hyväksyntä"), null=True, blank=True)
    co_approved_by = actor_field(_("toinen hyväksyjä"), optional=True)
    paid_on = models.DateField(_("maksupäivä"), null=True, blank=True)
    payment_reference = models.CharField(_("maksun viite"), max_length=100, blank=True)
    paid_recorded_at = models.DateTimeField(_("maksu kirjattu"), null=True, blank=True)
    paid_recorded_by = actor_field(_("maksun kirjaaja"), optional=True)
    # Validation freezes the inputs: the cohort and every observation used, with a content hash.
    frozen_at = models.DateTimeField(_("lähtötiedot jäädytetty"), null=True, blank=True)
    frozen_hash = models.CharField(_("lähtötietojen tiiviste"), max_length=64, blank=True)
    # The draft this one replaced, for the recalculation diff.
    previous_figures = models.JSONField(_("edellinen laskenta"), default=dict, blank=True)

    class Meta:
        verbose_name = _("tulospalkkiolaskelma")
        verbose_name_plural = _("tulospalkkiolaskelmat")
        ordering = ["programme", "-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "kind", "period_start", "period_end"], name="statement_one_per_period"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="statement_end_after_start"),
            models.CheckConstraint(condition=Q(payable__gte=0), name="statement_payable_gte_0"),
            models.CheckConstraint(condition=Q(counterfactual_cost__gte=0), name="statement_counterfactual_gte_0"),
            models.CheckConstraint(condition=Q(actual_cost__gte=0), name="statement_actual_gte_0"),
            models.CheckConstraint(condition=Q(child_years__gte=0), name="statement_child_years_gte_0"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_on__isnull=False) & ~Q(payment_reference="")),
                name="statement_paid_has_date_and_reference",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "validated"]) | Q(approved_at__isnull=False),
                name="statement_approved_has_time",
            ),
            models.CheckConstraint(condition=Q(refund_due__gte=0), name="statement_refund_gte_0"),
            # Four eyes: the approvers never record the payment (validator ≠ approver, previews staying drafts and
            # validated statements being frozen are enforced by triggers, migration 0006: they hold for new
            # changes without refusing rows written before the rule).
            models.CheckConstraint(
                condition=Q(co_approved_by__isnull=True)
                | (~Q(co_approved_by=F("approved_by")) & ~Q(co_approved_by=F("validated_by"))),
                name="statement_co_approver_distinct",
            ),
            models.CheckConstraint(
                condition=Q(paid_recorded_by__isnull=True)
                | (
                    ~Q(paid_recorded_by=F("approved_by"))
                    & (Q(co_approved_by__isnull=True) | ~Q(paid_recorded_by=F("co_approved_by")))
                ),
                name="statement_approver_not_payer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.period_start}–{self.period_end} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.pk and not self._state.adding:
            # Unordered: the default ordering would join the programme and the municipality for one row.
            stored = type(self).objects.filter(pk=self.pk).order_by().values_list("status", flat=True).first()
            # The one change an approved statement allows is being marked paid.
            if stored == StatementStatus.PAID or (
                stored == StatementStatus.APPROVED and self.status != StatementStatus.PAID
            ):
                raise ImmutableStatementError("an approved or paid payment statement cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status__in=FROZEN_STATUSES).exists():
            raise ImmutableStatementError("an approved or paid payment statement cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in FROZEN_STATUSES

    @property
    def savings_share_percent(self) -> Decimal:
        return self.savings_share * 100


class LineKind(models.TextChoices):
    METRIC = "metric", _("Toteutunut kustannus")
    ADJUSTMENT = "adjustment", _("Oikaisu aiempaan kauteen")


class PaymentStatementLine(models.Model):
    """One metric's actual cost in the period (quantity × unit cost), or an adjustment to an earlier statement."""

    statement = models.ForeignKey(
        PaymentStatement, verbose_name=_("laskelma"), on_delete=models.CASCADE, related_name="lines"
    )
    kind = models.CharField(_("laji"), max_length=16, choices=LineKind.choices, default=LineKind.METRIC)
    metric = models.ForeignKey(
        "outcomes.OutcomeMetric",
        verbose_name=_("mittari"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    unit_cost_valid_from = models.DateField(_("yksikkökustannus voimassa alkaen"), null=True, blank=True)
    adjusts = models.ForeignKey(
        PaymentStatement,
        verbose_name=_("oikaistava laskelma"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    description = models.CharField(_("selite"), max_length=300, blank=True)
    observation_count = models.PositiveIntegerField(_("havaintoja"), default=0)
    quantity = models.DecimalField(_("määrä"), max_digits=14, decimal_places=2, default=0)
    unit_cost = models.DecimalField(_("yksikkökustannus (EUR)"), **MONEY, default=0)
    amount = models.DecimalField(_("summa (EUR)"), **MONEY)

    class Meta:
        verbose_name = _("laskelman rivi")
        verbose_name_plural = _("laskelman rivit")
        ordering = ["statement", "kind", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0) & Q(unit_cost__gte=0), name="line_quantity_cost_gte_0"),
            models.CheckConstraint(condition=Q(kind="adjustment") | Q(amount__gte=0), name="line_metric_amount_gte_0"),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | Q(adjusts__isnull=False), name="line_adjustment_names_statement"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.description or self.metric_id}: {self.amount} EUR"

    def save(self, *args, **kwargs):
        if self._statement_frozen():
            raise ImmutableStatementError("lines of an approved or paid payment statement cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._statement_frozen():
            raise ImmutableStatementError("lines of an approved or paid payment statement cannot be deleted")
        return super().delete(*args, **kwargs)

    def _statement_frozen(self) -> bool:
        return PaymentStatement.objects.filter(pk=self.statement_id, status__in=FROZEN_STATUSES).exists()


class StatementCohortEntry(models.Model):
    """A child of a statement's cohort as frozen at validation: who counted, and from when."""

    statement = models.ForeignKey(
        PaymentStatement, verbose_name=_("laskelma"), on_delete=models.CASCADE, related_name="frozen_cohort"
    )
    child = models.ForeignKey("families.Child", verbose_name=_("lapsi"), on_delete=models.PROTECT, related_name="+")
    cohort_start = models.DateField(_("kohortissa alkaen"))

    class Meta:
        verbose_name = _("jäädytetty kohortin lapsi")
        verbose_name_plural = _("jäädytetty kohortti")
        constraints = [
            models.UniqueConstraint(fields=["statement", "child"], name="frozen_cohort_child_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.child_id}"


class StatementObservation(models.Model):
    """An observation a statement's lines used, as frozen at validation (its value then, and the unit cost)."""

    statement = models.ForeignKey(
        PaymentStatement, verbose_name=_("laskelma"), on_delete=models.CASCADE, related_name="frozen_observations"
    )
    observation = models.ForeignKey(
        "outcomes.OutcomeObservation", verbose_name=_("havainto"), on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey("families.Child", verbose_name=_("lapsi"), on_delete=models.PROTECT, related_name="+")
    metric = models.ForeignKey(
        "outcomes.OutcomeMetric", verbose_name=_("mittari"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("jakso alkaa"))
    value = models.DecimalField(_("arvo"), max_digits=12, decimal_places=2)
    unit_cost_valid_from = models.DateField(_("yksikkökustannus voimassa alkaen"))
    unit_cost = models.DecimalField(_("yksikkökustannus (EUR)"), **MONEY)

    class Meta:
        verbose_name = _("jäädytetty havainto")
        verbose_name_plural = _("jäädytetyt havainnot")
        constraints = [
            models.UniqueConstraint(fields=["statement", "observation"], name="frozen_observation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.observation_id}"


class SampleItemOutcome(models.TextChoices):
    PENDING = "pending", _("Tarkastamatta")
    CONFIRMED = "confirmed", _("Vahvistettu")
    DISPUTED = "disputed", _("Kiistetty")


class StatementSample(models.Model):
    """The evaluator's random sample of a statement's observations, checked against the source records before
    validation. The seed is stored, so the draw can be reproduced."""

    statement = models.OneToOneField(
        PaymentStatement, verbose_name=_("laskelma"), on_delete=models.CASCADE, related_name="sample"
    )
    seed = models.BigIntegerField(_("siemenluku"))
    confidence = models.DecimalField(_("luottamustaso"), max_digits=4, decimal_places=3)
    margin = models.DecimalField(_("virhemarginaali"), max_digits=4, decimal_places=3)
    population = models.PositiveIntegerField(_("havaintoja laskelmassa"))
    size = models.PositiveIntegerField(_("otoksen koko"))
    population_hash = models.CharField(_("perusjoukon tiiviste"), max_length=64)
    drawn_at = models.DateTimeField(_("poimittu"), auto_now_add=True)
    drawn_by = actor_field(_("poimija"))

    class Meta:
        verbose_name = _("tarkastusotos")
        verbose_name_plural = _("tarkastusotokset")
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=F("population")), name="sample_not_larger_than_population"),
            models.CheckConstraint(
                condition=Q(confidence__gt=0) & Q(confidence__lt=1) & Q(margin__gt=0) & Q(margin__lt=1),
                name="sample_parameters_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.size}/{self.population}"


class StatementSampleItem(models.Model):
    sample = models.ForeignKey(StatementSample, verbose_name=_("otos"), on_delete=models.CASCADE, related_name="items")
    observation = models.ForeignKey(
        "outcomes.OutcomeObservation", verbose_name=_("havainto"), on_delete=models.PROTECT, related_name="+"
    )
    value_at_draw = models.DecimalField(_("arvo poimittaessa"), max_digits=12, decimal_places=2)
    outcome = models.CharField(
        _("tulos"), max_length=16, choices=SampleItemOutcome.choices, default=SampleItemOutcome.PENDING
    )
    note = models.TextField(_("huomautus"), blank=True)
    evidence = models.FileField(_("liite"), upload_to="sample-evidence/%Y/", blank=True)
    resolved = models.BooleanField(_("korjattu tai poistettu laskelmasta"), default=False)
    checked_at = models.DateTimeField(_("tarkastettu"), null=True, blank=True)
    checked_by = actor_field(_("tarkastaja"), optional=True)

    class Meta:
        verbose_name = _("otoksen havainto")
        verbose_name_plural = _("otoksen havainnot")
        ordering = ["sample", "id"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "observation"], name="sample_item_once"),
            models.CheckConstraint(condition=~Q(outcome="disputed") | ~Q(note=""), name="sample_dispute_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.sample_id}/{self.observation_id}: {self.outcome}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Jonossa")
    RUNNING = "running", _("Käynnissä")
    SUCCEEDED = "succeeded", _("Valmis")
    FAILED = "failed", _("Epäonnistui")


class PaymentRun(models.Model):
    """One request to (re)calculate a statement, and what became of it."""

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="payment_runs"
    )
    kind = models.CharField(_("laji"), max_length=16, choices=StatementKind.choices, default=StatementKind.ANNUAL)
    period_start = models.DateField(_("kausi alkaa"))
    period_end = models.DateField(_("kausi päättyy"))
    status = models.CharField(_("tila"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_at = models.DateTimeField(_("pyydetty"), auto_now_add=True)
    requested_by = actor_field(_("pyytäjä"), optional=True)
    started_at = models.DateTimeField(_("aloitettu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("päättynyt"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("yrityksiä"), default=0)
    error = models.TextField(_("virhe"), blank=True)
    statement = models.ForeignKey(
        PaymentStatement,
        verbose_name=_("laskelma"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
    )
    # When the run was last handed to the broker: a queued run not picked up within a bound is sent again.
    queued_at = models.DateTimeField(_("lähetetty työjonoon"), null=True, blank=True)
    # A running run belongs to its worker until this moment; the worker's heartbeat pushes it forward.
    lease_expires_at = models.DateTimeField(_("varaus voimassa"), null=True, blank=True)
    # A request for the same period arrived while this run was computing: one more run follows this one.
    rerun_requested = models.BooleanField(_("uusi laskenta pyydetty"), default=False)
    retry_of = models.ForeignKey(
        "self",
        verbose_name=_("uusintayritys ajolle"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="retries",
    )

    class Meta:
        verbose_name = _("laskenta-ajo")
        verbose_name_plural = _("laskenta-ajot")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="run_end_after_start"),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(error=""), name="run_failure_has_error"),
            # Identical requests merge: at most one open (queued or running) run per programme, kind and period.
            models.UniqueConstraint(
                fields=["programme", "kind", "period_start", "period_end"],
                condition=Q(status__in=["queued", "running"]),
                name="run_one_open_per_period",
            ),
        ]
        indexes = [models.Index(fields=["status", "requested_at"])]

    def __str__(self) -> str:
        return f"{self.programme} {self.period_start}–{self.period_end}: {self.get_status_display()}"
