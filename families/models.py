"""Families, the people in them, referrals, consents and enrollments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programs.models import postal_code_validator
from sibcase.fields import actor_field

from .identity import (
    IDENTITY_CODE_REGEX,
    birth_date_from_identity_code,
    mask_identity_code,
    normalize_identity_code,
    validate_identity_code,
)


class ServiceLanguage(models.TextChoices):
    FINNISH = "fi", _("suomi")
    SWEDISH = "sv", _("ruotsi")


class Family(models.Model):
    """A family followed in a municipality. `reference` is a non-identifying handle usable in speech and search."""

    reference = models.CharField(_("perhetunnus"), max_length=20, unique=True)
    municipality = models.ForeignKey(
        "programs.Municipality", verbose_name=_("kunta"), on_delete=models.PROTECT, related_name="families"
    )
    postal_code = models.CharField(_("postinumero"), max_length=5, validators=[postal_code_validator])
    district = models.CharField(_("kaupunginosa"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("luotu"), auto_now_add=True)
    created_by = actor_field(_("luonut"), optional=True)
    # Client Data Act retention: kept 30 years after the case closes; set when the last enrollment ends.
    retain_until = models.DateField(_("säilytetään asti"), null=True, blank=True)
    # Asiointikieli: the language the family is served and written to in (Language Act: Finnish or Swedish).
    service_language = models.CharField(
        _("asiointikieli"), max_length=2, choices=ServiceLanguage.choices, default=ServiceLanguage.FINNISH
    )

    # Corrections keep who, when, old and new value and the reason (families.corrections sets them).
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("perhe")
        verbose_name_plural = _("perheet")
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=Q(postal_code__regex=r"^[0-9]{5}$"), name="family_postal_code_5_digits")
        ]
        indexes = [models.Index(fields=["municipality", "district"])]

    def __str__(self) -> str:
        return self.reference


class Person(models.Model):
    first_names = models.CharField(_("etunimet"), max_length=150)
    last_name = models.CharField(_("sukunimi"), max_length=150)
    identity_code = models.CharField(
        _("henkilötunnus"), max_length=11, unique=True, validators=[validate_identity_code]
    )
    birth_date = models.DateField(_("syntymäaika"), editable=False)
    # Set when the person was pseudonymised after the retention period (families/erasure.py).
    erased_at = models.DateTimeField(_("poistettu"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.first_names} {self.last_name}"

    def save(self, *args, **kwargs):
        # The birth date is derived from the identity code, never typed separately.
        self.identity_code = normalize_identity_code(self.identity_code)
        self.birth_date = birth_date_from_identity_code(self.identity_code)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        self.identity_code = normalize_identity_code(self.identity_code)
        super().clean_fields(exclude=exclude)

    @property
    def masked_identity_code(self) -> str:
        return mask_identity_code(self.identity_code)


class Child(Person):
    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="children")
    need_categories = models.ManyToManyField(
        "programs.NeedCategory", verbose_name=_("tuen tarpeet"), blank=True, related_name="children"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("lapsi")
        verbose_name_plural = _("lapset")
        ordering = ["birth_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(identity_code__regex=IDENTITY_CODE_REGEX), name="child_identity_code_format"
            )
        ]
        indexes = [models.Index(fields=["last_name", "first_names"])]


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Työssä")
    UNEMPLOYED = "unemployed", _("Työtön")
    OUT_OF_WORKFORCE = "out_of_workforce", _("Poissa työelämästä (esim. kotona lasten kanssa)")
    STUDYING = "studying", _("Opiskelee")
    NEEDS_EDUCATION = "needs_education", _("Koulutustarve")
    UNKNOWN = "unknown", _("Ei tiedossa")


class Guardian(Person):
    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="guardians")
    employment_status = models.CharField(
        _("työ- tai koulutustilanne"), max_length=32, choices=EmploymentStatus.choices, default=EmploymentStatus.UNKNOWN
    )
    phone = models.CharField(_("puhelin"), max_length=30, blank=True)
    email = models.EmailField(_("sähköposti"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("huoltaja")
        verbose_name_plural = _("huoltajat")
        ordering = ["last_name", "first_names", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(identity_code__regex=IDENTITY_CODE_REGEX), name="guardian_identity_code_format"
            )
        ]
        indexes = [models.Index(fields=["last_name", "first_names"])]


class ReferralSource(models.TextChoices):
    NEUVOLA = "neuvola", _("Neuvola")
    EARLY_CHILDHOOD_EDUCATION = "early_childhood_education", _("Varhaiskasvatus")
    SCHOOL = "school", _("Koulu")
    HEALTH_CARE = "health_care", _("Terveydenhuolto")
    SOCIAL_SERVICES = "social_services", _("Sosiaalipalvelut")
    SELF_REFERRAL = "self_referral", _("Perhe hakeutui itse")


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Käsittelyssä")
    ENROLLED = "enrolled", _("Mukana ohjelmassa")
    DECLINED = "declined", _("Ei otettu mukaan")
    WITHDRAWN = "withdrawn", _("Peruttu")


class Referral(models.Model):
    """Lähete / ohjaus: how and why a family came to a programme."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="referrals")
    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="referrals"
    )
    source = models.CharField(_("ohjaava taho"), max_length=32, choices=ReferralSource.choices)
    referred_on = models.DateField(_("ohjauspäivä"))
    reason = models.TextField(_("ohjauksen syy"))
    status = models.CharField(_("tila"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    created_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    created_by = actor_field(_("kirjaaja"), optional=True)

    class Meta:
        verbose_name = _("ohjaus")
        verbose_name_plural = _("ohjaukset")
        ordering = ["-referred_on", "-id"]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"{self.family} → {self.programme} ({self.referred_on})"


class ConsentScope(models.TextChoices):
    PARTICIPATION = "participation", _("Osallistuminen ohjelmaan")
    EVALUATION = "evaluation", _("Tietojen käyttö vaikuttavuuden arviointiin")
    PROVIDER_SHARING = "provider_sharing", _("Tietojen luovutus palveluntuottajalle")
    # The family moves: its record may be handed to the new home municipality (families.transfers).
    MUNICIPALITY_TRANSFER = "municipality_transfer", _("Tietojen luovutus uudelle kotikunnalle muutossa")


class ConsentQuerySet(models.QuerySet):
    def current(self) -> "ConsentQuerySet":
        """Consents that count: one voided as recorded in error stays on record (with its history) but never counts."""
        return self.filter(voided_at__isnull=True)


class Consent(models.Model):
    """Suostumus: a guardian's consent with a scope; withdrawal is recorded, never deleted.

    A consent recorded in error (never given, wrong family) is voided, not withdrawn: a withdrawal says the guardian
    took back a consent they gave; a void says there was no such consent. Only families.corrections.consent_void voids."""

    history = HistoricalRecords(excluded_fields=["recorded_at"])

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="consents")
    guardian = models.ForeignKey(
        Guardian, verbose_name=_("huoltaja"), on_delete=models.PROTECT, related_name="consents"
    )
    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="consents"
    )
    scope = models.CharField(_("laajuus"), max_length=32, choices=ConsentScope.choices)
    given_on = models.DateField(_("annettu"))
    withdrawn_on = models.DateField(_("peruttu"), null=True, blank=True)
    voided_at = models.DateTimeField(_("mitätöity"), null=True, blank=True)
    void_reason = models.TextField(_("mitätöinnin syy"), blank=True)
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = actor_field(_("kirjaaja"), optional=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("suostumus")
        verbose_name_plural = _("suostumukset")
        ordering = ["-given_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("given_on")),
                name="consent_withdrawn_after_given",
            ),
            models.UniqueConstraint(
                fields=["guardian", "programme", "scope"],
                condition=Q(withdrawn_on__isnull=True, voided_at__isnull=True),
                name="consent_one_valid_per_scope",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""), name="consent_void_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.given_on}"

    def is_valid_on(self, day) -> bool:
        return (
            self.voided_at is None and self.given_on <= day and (self.withdrawn_on is None or self.withdrawn_on > day)
        )


class EnrollmentStatus(models.TextChoices):
    WAITLISTED = "waitlisted", _("Jonossa")
    ACTIVE = "active", _("Mukana")
    EXITED = "exited", _("Päättynyt")


class ExitReason(models.TextChoices):
    COMPLETED = "completed", _("Tuki päättyi suunnitellusti")
    MOVED_AWAY = "moved_away", _("Muutti pois alueelta")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Suostumus peruttiin")
    OTHER = "other", _("Muu syy")


class EnrollmentQuerySet(models.QuerySet):
    def ever_active(self) -> "EnrollmentQuerySet":
        """Enrollments that really began (intention to treat): a waitlist spell alone never counts."""
        return self.filter(activated_on__isnull=False)


class Enrollment(models.Model):
    """A family (and the children named) taken into a programme. Only `enrollment_create` makes one.

    `enrolled_on` is the day the family was taken in or queued; `activated_on` the day it actually began in the
    programme (None while it waits, and for good if it leaves the queue). The cohort counts from `activated_on`.
    """

    programme = models.ForeignKey(
        "programs.Programme", verbose_name=_("ohjelma"), on_delete=models.PROTECT, related_name="enrollments"
    )
    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="enrollments")
    children = models.ManyToManyField(Child, verbose_name=_("lapset"), related_name="enrollments")
    referral = models.ForeignKey(
        Referral, verbose_name=_("ohjaus"), on_delete=models.PROTECT, null=True, blank=True, related_name="enrollments"
    )
    enrolled_on = models.DateField(_("mukaan päivä"))
    activated_on = models.DateField(_("osallistuminen alkoi"), null=True, blank=True)
    status = models.CharField(
        _("tila"), max_length=16, choices=EnrollmentStatus.choices, default=EnrollmentStatus.ACTIVE
    )
    exit_date = models.DateField(_("päättymispäivä"), null=True, blank=True)
    exit_reason = models.CharField(_("päättymisen syy"), max_length=32, choices=ExitReason.choices, blank=True)
    exit_note = models.TextField(_("lisätieto päättymisestä"), blank=True)
    recorded_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    recorded_by = actor_field(_("kirjaaja"), optional=True)
    # A backdated enrollment recorded after the cutoff needs a coordinator's written approval.
    backdating_approved_by = actor_field(_("takautuvan kirjauksen hyväksyjä"), optional=True)
    backdating_reason = models.TextField(_("takautuvan kirjauksen perustelu"), blank=True)

    objects = EnrollmentQuerySet.as_manager()
    # Every change (activation, exit, date corrections) keeps who, when, old and new values and the reason.
    history = HistoricalRecords(excluded_fields=["recorded_at"])

    class Meta:
        verbose_name = _("ohjelmaan osallistuminen")
        verbose_name_plural = _("ohjelmaan osallistumiset")
        ordering = ["-enrolled_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "family"],
                condition=Q(status__in=["waitlisted", "active"]),
                name="enrollment_one_open_per_family_programme",
            ),
            models.CheckConstraint(
                condition=Q(exit_date__isnull=True) | Q(exit_date__gte=F("enrolled_on")),
                name="enrollment_exit_after_enrolled",
            ),
            models.CheckConstraint(
                condition=(Q(status="exited") & Q(exit_date__isnull=False) & ~Q(exit_reason=""))
                | (~Q(status="exited") & Q(exit_date__isnull=True) & Q(exit_reason="")),
                name="enrollment_exit_fields_match_status",
            ),
            models.CheckConstraint(
                condition=Q(backdating_approved_by__isnull=True) | ~Q(backdating_reason=""),
                name="enrollment_backdating_has_reason",
            ),
            # Active means begun; a queued family has not begun; an exit may follow either.
            models.CheckConstraint(
                condition=(Q(status="active") & Q(activated_on__isnull=False))
                | (Q(status="waitlisted") & Q(activated_on__isnull=True))
                | Q(status="exited"),
                name="enrollment_activation_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(activated_on__isnull=True) | Q(activated_on__gte=F("enrolled_on")),
                name="enrollment_activated_after_enrolled",
            ),
            models.CheckConstraint(
                condition=Q(activated_on__isnull=True)
                | Q(exit_date__isnull=True)
                | Q(exit_date__gte=F("activated_on")),
                name="enrollment_exit_after_activated",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status"]),
            models.Index(fields=["programme", "enrolled_on"]),
            models.Index(fields=["programme", "activated_on"]),
            # The API list's order (newest first): its first page is read from the index, not sorted from all rows.
            models.Index(fields=["enrolled_on", "id"], name="enrollment_list_order"),
        ]

    def __str__(self) -> str:
        return f"{self.family} / {self.programme} ({self.get_status_display()})"


class BreakGlassGrant(models.Model):
    """A social worker's time-limited access to a family outside their municipality, opened by stating a reason.

    Every grant is listed for an admin's review; the reviewer marks it reviewed with a note."""

    user = actor_field(_("käyttäjä"))
    family = models.ForeignKey(
        Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="break_glass_grants"
    )
    reason = models.TextField(_("peruste"))
    granted_at = models.DateTimeField(_("avattu"), db_index=True)
    expires_at = models.DateTimeField(_("voimassa asti"))
    reviewed_at = models.DateTimeField(_("tarkastettu"), null=True, blank=True)
    reviewed_by = actor_field(_("tarkastaja"), optional=True)
    review_note = models.TextField(_("tarkastuksen huomio"), blank=True)

    class Meta:
        verbose_name = _("poikkeuksellinen pääsy")
        verbose_name_plural = _("poikkeukselliset pääsyt")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="break_glass_has_reason"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("granted_at")), name="break_glass_expires_after"),
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="break_glass_review_complete",
            ),
            models.CheckConstraint(
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("user")), name="break_glass_not_self_reviewed"
            ),
        ]
        indexes = [models.Index(fields=["user", "family", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.family_id} {self.granted_at:%Y-%m-%d %H:%M}"


class ErasureStatus(models.TextChoices):
    PROPOSED = "proposed", _("Ehdotettu")
    APPROVED = "approved", _("Hyväksytty ja toteutettu")
    REJECTED = "rejected", _("Hylätty")


class ErasureRequest(models.Model):
    """Erasure of a family whose retention period has passed: proposed by one admin, approved by another.

    Approval pseudonymises every person of the family irreversibly and clears the free-text fields; ids, dates
    and figures that payment statements were calculated from stay, so the statements still verify."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="erasures")
    reason = models.TextField(_("peruste"))
    status = models.CharField(_("tila"), max_length=16, choices=ErasureStatus.choices, default=ErasureStatus.PROPOSED)
    proposed_at = models.DateTimeField(_("ehdotettu"))
    proposed_by = actor_field(_("ehdottaja"))
    decided_at = models.DateTimeField(_("ratkaistu"), null=True, blank=True)
    decided_by = actor_field(_("ratkaisija"), optional=True)
    decision_note = models.TextField(_("ratkaisun perustelu"), blank=True)

    class Meta:
        verbose_name = _("tietojen poistopyyntö")
        verbose_name_plural = _("tietojen poistopyynnöt")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="erasure_has_reason"),
            models.CheckConstraint(
                condition=(Q(status="proposed") & Q(decided_at__isnull=True) & Q(decided_by__isnull=True))
                | (~Q(status="proposed") & Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="erasure_decision_matches_status",
            ),
            # Four eyes: the approver is never the proposer.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="erasure_decided_by_other_admin",
            ),
            models.UniqueConstraint(
                fields=["family"], condition=Q(status="proposed"), name="erasure_one_open_per_family"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.get_status_display()}"


class AssignmentRole(models.TextChoices):
    RESPONSIBLE = "responsible", _("Vastuutyöntekijä")
    DEPUTY = "deputy", _("Varahenkilö")


class CaseAssignment(models.Model):
    """Vastuutyöntekijä ja varahenkilöt: who owns a family's case. Only families.assignments writes these rows;
    an ended row is kept (ended_at, ended_by, end_note) and is the hand-over history."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="assignments")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("työntekijä"),
        on_delete=models.PROTECT,
        related_name="case_assignments",
    )
    role = models.CharField(_("tehtävä"), max_length=16, choices=AssignmentRole.choices)
    started_at = models.DateTimeField(_("alkoi"))
    assigned_by = actor_field(_("nimennyt"), optional=True)
    note = models.TextField(_("muistiinpano"), blank=True)
    ended_at = models.DateTimeField(_("päättyi"), null=True, blank=True)
    ended_by = actor_field(_("päättänyt"), optional=True)
    end_note = models.TextField(_("päättymisen muistiinpano"), blank=True)

    class Meta:
        verbose_name = _("vastuunjako")
        verbose_name_plural = _("vastuunjaot")
        ordering = ["family", "ended_at", "role", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(role="responsible", ended_at__isnull=True),
                name="assignment_one_responsible_per_family",
            ),
            models.UniqueConstraint(
                fields=["family", "worker"],
                condition=Q(ended_at__isnull=True),
                name="assignment_worker_once_per_family",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="assignment_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["worker", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.family}: {self.worker} ({self.get_role_display()})"


class TaskKind(models.TextChoices):
    ASSESSMENT = "assessment", _("Palvelutarpeen arvio")
    FOLLOW_UP = "follow_up", _("Seurannan tulostiedot")
    CONSENT_RENEWAL = "consent_renewal", _("Suostumuksen uusiminen")
    AGE_OUT_EXIT = "age_out_exit", _("Ikärajan täyttävän lapsen osallistumisen päättäminen")


class CaseTask(models.Model):
    """Tehtävä: something due on a family's case by a date. Made and closed only by families.casetasks from the
    case's state (enrollment, assessment, observations, consents, ages); `key` makes each task once per cause."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="tasks")
    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("ohjelmajakso"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    child = models.ForeignKey(
        Child, verbose_name=_("lapsi"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("tehtävä"), max_length=32, choices=TaskKind.choices)
    key = models.CharField(_("peruste"), max_length=100)
    due_on = models.DateField(_("määräpäivä"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("vastuutyöntekijä"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case_tasks",
    )
    created_at = models.DateTimeField(_("luotu"), auto_now_add=True)
    done_at = models.DateTimeField(_("tehty"), null=True, blank=True)
    done_by = actor_field(_("tehnyt"), optional=True)

    class Meta:
        verbose_name = _("tehtävä")
        verbose_name_plural = _("tehtävät")
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["family", "key"], name="task_once_per_cause")]
        indexes = [models.Index(fields=["assigned_to", "done_at", "due_on"])]

    def __str__(self) -> str:
        return f"{self.family}: {self.get_kind_display()} {self.due_on}"


class CaseNote(models.Model):
    """Asiakaskertomuksen merkintä: a worker's note on the family's case. Written once (a correction is a new
    note that says so), never edited or deleted."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="notes")
    text = models.TextField(_("merkintä"))
    written_on = models.DateField(_("päivä"))
    created_at = models.DateTimeField(_("kirjattu"), auto_now_add=True)
    created_by = actor_field(_("kirjaaja"))

    class Meta:
        verbose_name = _("asiakaskertomuksen merkintä")
        verbose_name_plural = _("asiakaskertomuksen merkinnät")
        ordering = ["-written_on", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="case_note_not_empty")]

    def __str__(self) -> str:
        return f"{self.family} {self.written_on}"


class AttachmentKind(models.TextChoices):
    SIGNED_CONSENT = "signed_consent", _("Allekirjoitettu suostumus")
    DECISION = "decision", _("Päätös")
    OTHER = "other", _("Muu asiakirja")


class CaseAttachment(models.Model):
    """A document of the family's case, kept in PRIVATE_FILES_ROOT (MEDIA_ROOT, never served by the web server)
    under a random name; only families.views.attachment_download hands it out, access-checked and logged."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("asiakirjan laji"), max_length=32, choices=AttachmentKind.choices)
    file = models.FileField(_("tiedosto"), upload_to="case-attachments/%Y/%m/", max_length=200)
    original_name = models.CharField(_("alkuperäinen nimi"), max_length=200)
    content_type = models.CharField(_("tiedostotyyppi"), max_length=100)
    size = models.PositiveIntegerField(_("koko (tavua)"))
    sha256 = models.CharField(_("tarkiste"), max_length=64)
    description = models.CharField(_("kuvaus"), max_length=300, blank=True)
    uploaded_at = models.DateTimeField(_("tallennettu"), auto_now_add=True)
    uploaded_by = actor_field(_("tallentaja"))

    class Meta:
        verbose_name = _("liite")
        verbose_name_plural = _("liitteet")
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty")]

    def __str__(self) -> str:
        return f"{self.family}: {self.get_kind_display()}"


class TransferStatus(models.TextChoices):
    REQUESTED = "requested", _("Odottaa vastaanottavan kunnan ratkaisua")
    ACCEPTED = "accepted", _("Hyväksytty")
    DECLINED = "declined", _("Hylätty")
    CANCELLED = "cancelled", _("Peruttu")


class FamilyTransfer(models.Model):
    """Kuntasiirto: the family moves and its case moves to the new home municipality. Requested by the source
    municipality, accepted or declined by the target's worker, or cancelled by the requester; only
    families.transfers writes these rows. The row is kept whatever the outcome."""

    family = models.ForeignKey(Family, verbose_name=_("perhe"), on_delete=models.PROTECT, related_name="transfers")
    from_municipality = models.ForeignKey(
        "programs.Municipality", verbose_name=_("lähettävä kunta"), on_delete=models.PROTECT, related_name="+"
    )
    to_municipality = models.ForeignKey(
        "programs.Municipality", verbose_name=_("vastaanottava kunta"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("tila"), max_length=16, choices=TransferStatus.choices, default=TransferStatus.REQUESTED
    )
    note = models.TextField(_("siirron peruste"))
    requested_at = models.DateTimeField(_("pyydetty"))
    requested_by = actor_field(_("pyytäjä"))
    decided_at = models.DateTimeField(_("ratkaistu"), null=True, blank=True)
    decided_by = actor_field(_("ratkaisija"), optional=True)
    decision_note = models.TextField(_("ratkaisun perustelu"), blank=True)
    responsible_worker = actor_field(_("uusi vastuutyöntekijä"), optional=True)
    cancelled_at = models.DateTimeField(_("peruttu"), null=True, blank=True)
    cancelled_by = actor_field(_("perunut"), optional=True)
    cancel_note = models.TextField(_("perumisen syy"), blank=True)

    class Meta:
        verbose_name = _("kuntasiirto")
        verbose_name_plural = _("kuntasiirrot")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["family"], condition=Q(status="requested"), name="transfer_one_open_per_family"
            ),
            models.CheckConstraint(
                condition=~Q(to_municipality=F("from_municipality")), name="transfer_to_another_municipality"
            ),
            models.CheckConstraint(condition=~Q(note=""), name="transfer_has_note"),
            # Who and when for each step, and nothing of a step that did not happen.
            models.CheckConstraint(
                condition=(
                    Q(status="requested", decided_at__isnull=True, decided_by__isnull=True, cancelled_at__isnull=True)
                    | Q(
                        status="accepted",
                        decided_at__isnull=False,
                        decided_by__isnull=False,
                        responsible_worker__isnull=False,
                        cancelled_at__isnull=True,
                    )
                    | (
                        Q(status="declined", decided_at__isnull=False, decided_by__isnull=False)
                        & Q(cancelled_at__isnull=True)
                        & ~Q(decision_note="")
                    )
                    | Q(
                        status="cancelled",
                        cancelled_at__isnull=False,
                        cancelled_by__isnull=False,
                        decided_at__isnull=True,
                    )
                ),
                name="transfer_steps_match_status",
            ),
            # The receiving side decides: never the person who asked.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="transfer_not_decided_by_requester",
            ),
        ]
        indexes = [models.Index(fields=["to_municipality", "status"])]

    def __str__(self) -> str:
        return f"{self.family}: {self.from_municipality} → {self.to_municipality} ({self.get_status_display()})"
