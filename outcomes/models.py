"""Service-needs assessments, service episodes and visits, outcome metrics and observations."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programs.models import TranslatedNameMixin
from sibcase.fields import actor_field


class ServiceNeedsAssessment(models.Model):
    """Palvelutarpeen arvio (Social Welfare Act § 36) made for a family, optionally focused on one child."""

    family = models.ForeignKey(
        "families.Family", verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="assessments"
    )
    child = models.ForeignKey(
        "families.Child",
        verbose_name=_("lapsi"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
    )
    started_on = models.DateField(_("aloitettu"))
    completed_on = models.DateField(_("valmistunut"), null=True, blank=True)
    summary = models.TextField(_("yhteenveto"))
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = actor_field(_("kirjaaja"), optional=True)

    # Corrections (outcomes.services.assessment_correct) keep who, when, old and new value and the reason.
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        verbose_name = _("palvelutarpeen arvio")
        verbose_name_plural = _("palvelutarpeen arviot")
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | Q(completed_on__gte=F("started_on")),
                name="assessment_completed_after_started",
            )
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.started_on}"


class EpisodeStatus(models.TextChoices):
    PLANNED = "planned", _("Suunniteltu")
    ACTIVE = "active", _("Käynnissä")
    COMPLETED = "completed", _("Päättynyt")
    CANCELLED = "cancelled", _("Peruttu")


class ServiceEpisode(models.Model):
    """A period during which a family (or one child) receives one service from one provider."""

    service = models.ForeignKey(
        "programs.Service", verbose_name=_("palvelu"), on_delete=models.PROTECT, related_name="episodes"
    )
    provider = models.ForeignKey(
        "programs.ServiceProvider",
        verbose_name=_("palveluntuottaja"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episodes",
    )
    enrollment = models.ForeignKey(
        "families.Enrollment", verbose_name=_("ohjelmajakso"), on_delete=models.PROTECT, related_name="episodes"
    )
    family = models.ForeignKey(
        "families.Family", verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="episodes"
    )
    child = models.ForeignKey(
        "families.Child",
        verbose_name=_("lapsi"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episodes",
    )
    start_date = models.DateField(_("alkaa"))
    end_date = models.DateField(_("päättyy"), null=True, blank=True)
    status = models.CharField(_("tila"), max_length=16, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE)
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = actor_field(_("kirjaaja"), optional=True)

    class Meta:
        verbose_name = _("palvelujakso")
        verbose_name_plural = _("palvelujaksot")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="episode_end_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(end_date__isnull=False), name="episode_completed_has_end"
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "family"]),
            models.Index(fields=["family", "start_date"]),
            # The API list's order (newest first): its first page is read from the index, not sorted from all rows.
            models.Index(fields=["start_date", "id"], name="episode_list_order"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.start_date}"


class ServiceVisit(models.Model):
    """One meeting or visit delivered within an episode, logged by the provider's worker."""

    episode = models.ForeignKey(
        ServiceEpisode, verbose_name=_("palvelujakso"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("päivä"))
    duration_minutes = models.PositiveIntegerField(_("kesto (min)"), validators=[MinValueValidator(1)])
    note = models.TextField(_("muistiinpano"), blank=True)
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = actor_field(_("kirjaaja"), optional=True)

    class Meta:
        verbose_name = _("tapaaminen")
        verbose_name_plural = _("tapaamiset")
        ordering = ["-visited_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=1), name="visit_duration_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.episode} {self.visited_on}"


class MetricUnit(models.TextChoices):
    DAY = "day", _("vuorokausi")
    MONTH = "month", _("kuukausi")
    EVENT = "event", _("tapahtuma")
    SCORE = "score", _("pisteet")


class MetricDirection(models.TextChoices):
    LOWER_IS_BETTER = "lower", _("pienempi on parempi")
    HIGHER_IS_BETTER = "higher", _("suurempi on parempi")


class OutcomeMetric(TranslatedNameMixin, models.Model):
    """Something measured about enrolled children, e.g. out-of-home placement days. Cost-bearing metrics feed
    the payment calculation through their dated unit costs."""

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="metrics"
    )
    code = models.SlugField(_("tunnus"), max_length=60)
    name_fi = models.CharField(_("nimi (suomi)"), max_length=200)
    name_sv = models.CharField(_("nimi (ruotsi)"), max_length=200)
    name_en = models.CharField(_("nimi (englanti)"), max_length=200)
    unit = models.CharField(_("yksikkö"), max_length=16, choices=MetricUnit.choices)
    direction = models.CharField(
        _("suunta"), max_length=8, choices=MetricDirection.choices, default=MetricDirection.LOWER_IS_BETTER
    )
    is_cost_bearing = models.BooleanField(_("kustannusvaikutteinen"), default=True)

    class Meta:
        verbose_name = _("tulosmittari")
        verbose_name_plural = _("tulosmittarit")
        ordering = ["programme", "code"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="metric_unique_code_per_programme")]

    def __str__(self) -> str:
        return self.name


class MetricUnitCost(models.Model):
    """The euro cost of one unit of a metric, valid from a date (versioned; the latest `valid_from` ≤ day wins)."""

    metric = models.ForeignKey(
        OutcomeMetric, verbose_name=_("mittari"), on_delete=models.PROTECT, related_name="unit_costs"
    )
    valid_from = models.DateField(_("voimassa alkaen"))
    unit_cost = models.DecimalField(
        _("yksikkökustannus (EUR)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("lähde"), max_length=300, blank=True)

    # Corrections go through `unit_cost_record`; the history keeps who, when, old and new value and the reason.
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("yksikkökustannus")
        verbose_name_plural = _("yksikkökustannukset")
        ordering = ["metric", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "valid_from"], name="unit_cost_one_per_day"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="unit_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.metric.code} {self.valid_from}: {self.unit_cost} EUR"


class ObservationSource(models.TextChoices):
    REGISTER_EXTRACT = "register_extract", _("Rekisteripoiminta")
    SOCIAL_WORKER = "social_worker", _("Sosiaalityöntekijä")
    PROVIDER = "provider", _("Palveluntuottaja")
    EVALUATOR = "evaluator", _("Arvioija")


class OutcomeObservationQuerySet(models.QuerySet):
    def current(self) -> "OutcomeObservationQuerySet":
        """Observations that count: a voided one stays on record (with its history) but counts nowhere."""
        return self.filter(voided_at__isnull=True)


class OutcomeObservation(models.Model):
    """A measured value of a metric for one child over a period (a single day when start = end).

    Corrections go through `observation_correct` / `observation_void`; `history` keeps who, when, the old and new
    values and the reason of each (django-simple-history)."""

    metric = models.ForeignKey(
        OutcomeMetric, verbose_name=_("mittari"), on_delete=models.PROTECT, related_name="observations"
    )
    child = models.ForeignKey(
        "families.Child", verbose_name=_("lapsi"), on_delete=models.PROTECT, related_name="observations"
    )
    period_start = models.DateField(_("jakso alkaa"))
    period_end = models.DateField(_("jakso päättyy"))
    value = models.DecimalField(_("arvo"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    source = models.CharField(_("lähde"), max_length=32, choices=ObservationSource.choices)
    voided_at = models.DateTimeField(_("mitätöity"), null=True, blank=True)
    void_reason = models.TextField(_("mitätöinnin syy"), blank=True)
    external_id = models.CharField(
        _("lähdejärjestelmän tunniste"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("Havainnon tunniste lähdejärjestelmässä, jos sillä on sellainen."),
    )
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = actor_field(_("kirjaaja"), optional=True)

    objects = OutcomeObservationQuerySet.as_manager()

    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        verbose_name = _("tulostieto")
        verbose_name_plural = _("tulostiedot")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="observation_end_after_start"),
            models.CheckConstraint(condition=Q(value__gte=0), name="observation_value_gte_0"),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""), name="observation_void_has_reason"
            ),
            # The natural key: the same observation cannot be recorded twice (double submissions, repeated
            # imports). external_id is "" when the source has no id of its own, never NULL (NULLs never clash).
            # A voided observation no longer holds its key, so the right one can be recorded in its place.
            models.UniqueConstraint(
                fields=["child", "metric", "period_start", "period_end", "source", "external_id"],
                condition=Q(voided_at__isnull=True),
                name="observation_natural_key",
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "period_start"]),
            models.Index(fields=["child", "period_start"]),
            # The API list's order (newest first): its first page is read from the index, not sorted from all rows.
            models.Index(fields=["period_start", "id"], name="observation_list_order"),
        ]

    def __str__(self) -> str:
        return f"{self.metric.code} {self.period_start}–{self.period_end}: {self.value}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Jonossa")
    RUNNING = "running", _("Käynnissä")
    DONE = "done", _("Tuotu")
    REFUSED = "refused", _("Hylätty")
    FAILED = "failed", _("Epäonnistui")


class ObservationImport(models.Model):
    """A large observation import run in the background (all or nothing, like a small one), with its report.

    The checked rows wait in `rows` only until the job has run; then they are cleared (they hold identity codes).
    """

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = actor_field(_("tuoja"))
    status = models.CharField(_("tila"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    row_count = models.PositiveIntegerField(_("rivejä"))
    rows = models.JSONField(_("rivit"), default=list, blank=True)
    imported = models.PositiveIntegerField(_("tuotu"), default=0)
    errors = models.JSONField(_("virheelliset rivit"), default=list, blank=True)
    failure = models.CharField(_("virhe"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("pyydetty"), auto_now_add=True)
    started_at = models.DateTimeField(_("aloitettu"), null=True, blank=True)
    finished_at = models.DateTimeField(_("valmistui"), null=True, blank=True)

    class Meta:
        verbose_name = _("tulostietojen tuonti")
        verbose_name_plural = _("tulostietojen tuonnit")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running"], finished_at__isnull=True)
                | Q(status__in=["done", "refused", "failed"], finished_at__isnull=False),
                name="observation_import_finished_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(imported__gt=0), name="observation_import_done_imported_rows"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)
