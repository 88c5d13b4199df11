"""Users with their role and scope, the audit trail of state changes and the access log of personal-data reads."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .fields import actor_field
from .log_chain import chain_head, insert_chained, link, lock_chain


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", _("Sosiaalityöntekijä")
    PROVIDER_WORKER = "provider_worker", _("Palveluntuottajan työntekijä")
    COORDINATOR = "coordinator", _("Koordinaattori")
    EVALUATOR = "evaluator", _("Arvioija")
    FUND_MANAGER = "fund_manager", _("Rahastonhoitaja")
    ADMIN = "admin", _("Ylläpitäjä")


class User(AbstractUser):
    """A staff member. The role decides what kind of data the user sees; the scope fields decide whose."""

    role = models.CharField(_("rooli"), max_length=32, choices=Role.choices)
    municipality = models.ForeignKey(
        "programs.Municipality",
        verbose_name=_("kunta"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    provider = models.ForeignKey(
        "programs.ServiceProvider",
        verbose_name=_("palveluntuottaja"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    programmes = models.ManyToManyField(
        "programs.Programme", verbose_name=_("ohjelmat"), blank=True, related_name="coordinators"
    )
    # The latest expiry of the user's break-glass grants (families.break_glass): until then each access-log row
    # looks the grants up; a user who has none in force (nearly every request) costs no query for it.
    break_glass_until = models.DateTimeField(
        _("poikkeuksellinen pääsy voimassa asti"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("käyttäjä")
        verbose_name_plural = _("käyttäjät")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="social_worker") | Q(municipality__isnull=False),
                name="user_social_worker_has_municipality",
            ),
            models.CheckConstraint(
                condition=~Q(role="provider_worker") | Q(provider__isnull=False),
                name="user_provider_worker_has_provider",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        if self.role == Role.SOCIAL_WORKER and not self.municipality_id:
            raise ValidationError({"municipality": _("Sosiaalityöntekijällä on oltava kunta.")})
        if self.role == Role.PROVIDER_WORKER and not self.provider_id:
            raise ValidationError({"provider": _("Palveluntuottajan työntekijällä on oltava palveluntuottaja.")})


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class ChainedLogQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Many rows in one INSERT, linked into the chain in list order under the chain lock."""
        objs = list(objs)
        if not objs:
            return objs
        if connections[self.db].vendor == "postgresql":
            insert_chained(self.model, objs, self.db)  # one statement: lock, head, hashes and rows
            return objs
        with transaction.atomic(using=self.db, savepoint=False):
            lock_chain(self.db)
            link(objs, head=chain_head(self.model, self.db), fields=self.model.CHAIN_FIELDS)
            return super().bulk_create(objs, *args, **kwargs)


class AppendOnlyModel(models.Model):
    """Rows are written once. The database refuses UPDATE and DELETE as well (see the migration's trigger).

    Each row is also a link in a hash chain (sibcase/log_chain.py) over its CHAIN_FIELDS, so a change made with
    direct database access is found by `manage.py verify_logs`.
    """

    CHAIN_FIELDS: tuple[str, ...] = ()

    prev_hash = models.CharField(_("edellisen rivin tiiviste"), max_length=64, editable=False, default="")
    row_hash = models.CharField(_("rivin tiiviste"), max_length=64, editable=False, default="")

    objects = ChainedLogQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if connections[using].vendor == "postgresql" and not kwargs.get("update_fields"):
            insert_chained(type(self), [self], using)
            return
        with transaction.atomic(using=using, savepoint=False):
            lock_chain(using)
            link([self], head=chain_head(type(self), using), fields=self.CHAIN_FIELDS)
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """One state change: who did what to which object, with the old and new values."""

    CHAIN_FIELDS = (
        "occurred_at",
        "actor_id",
        "event_type",
        "object_type",
        "object_id",
        "old_values",
        "new_values",
        "reason",
    )

    # Set before the row is hashed (auto_now_add would set it only after).
    occurred_at = models.DateTimeField(_("aika"), default=timezone.now, editable=False, db_index=True)
    actor = actor_field(_("tekijä"), optional=True)
    event_type = models.CharField(_("tapahtuma"), max_length=64, db_index=True)
    object_type = models.CharField(_("kohteen tyyppi"), max_length=64)
    object_id = models.CharField(_("kohteen tunniste"), max_length=64)
    old_values = models.JSONField(_("vanhat arvot"), default=dict, blank=True)
    new_values = models.JSONField(_("uudet arvot"), default=dict, blank=True)
    reason = models.TextField(_("peruste"), blank=True)

    class Meta:
        verbose_name = _("muutostapahtuma")
        verbose_name_plural = _("muutostapahtumat")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.event_type} {self.object_type}#{self.object_id}"


class AccessAction(models.TextChoices):
    VIEW = "view", _("katselu")
    LIST = "list", _("luettelo")
    SEARCH = "search", _("haku")
    CREATE = "create", _("kirjaus")
    UPDATE = "update", _("muutos")
    EXPORT = "export", _("luovutus / vienti")
    API_READ = "api_read", _("rajapintaluku")
    LOOKUP = "lookup", _("henkilötunnushaku")
    REFUSED = "refused", _("estetty yritys")


class AccessLogEntry(AppendOnlyModel):
    """Who saw whose data, when and on what basis (Client Data Act 703/2023 § 11). Never editable."""

    CHAIN_FIELDS = (
        "occurred_at",
        "user_id",
        "user_role",
        "action",
        "family_id",
        "person_type",
        "person_id",
        "basis",
        "path",
        "recipient",
        "target",
    )

    occurred_at = models.DateTimeField(_("aika"), default=timezone.now, editable=False, db_index=True)
    user = actor_field(_("käyttäjä"))
    user_role = models.CharField(_("rooli"), max_length=32)
    action = models.CharField(_("toiminto"), max_length=16, choices=AccessAction.choices)
    family = models.ForeignKey(
        "families.Family",
        verbose_name=_("perhe"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=True,
    )
    person_type = models.CharField(_("henkilön tyyppi"), max_length=16, blank=True)
    person_id = models.BigIntegerField(_("henkilön tunniste"), null=True, blank=True)
    basis = models.CharField(_("käyttöperuste"), max_length=200)
    path = models.CharField(_("osoite"), max_length=300, blank=True)
    recipient = models.CharField(_("vastaanottaja"), max_length=200, blank=True)
    # What a refused attempt asked for ("families.family:123"): the id may not exist, so it is no foreign key.
    target = models.CharField(_("pyydetty kohde"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("käyttölokimerkintä")
        verbose_name_plural = _("käyttöloki")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person_type", "person_id"]), models.Index(fields=["user", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.user_id} {self.action}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Odottaa välitystä")
    SENT = "sent", _("Välitetty")


class OutboxMessage(models.Model):
    """A background task recorded in the same transaction as the change that needs it (transactional outbox).

    If the broker is down when the transaction commits, the message stays pending and is relayed later, so
    nothing a user saved depends on Redis being up at that moment.
    """

    task_name = models.CharField(_("tehtävä"), max_length=200)
    kwargs = models.JSONField(_("parametrit"), default=dict)
    status = models.CharField(_("tila"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(_("yrityksiä"), default=0)
    last_error = models.CharField(_("viimeisin virhe"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("luotu"), auto_now_add=True)
    sent_at = models.DateTimeField(_("välitetty"), null=True, blank=True)

    class Meta:
        verbose_name = _("taustatehtävä")
        verbose_name_plural = _("taustatehtävät")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", sent_at__isnull=True) | Q(status="sent", sent_at__isnull=False),
                name="outbox_sent_has_time",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.get_status_display()})"


class UsedFormToken(models.Model):
    """A one-time form token that has been spent: the row is inserted in the same transaction as the save it
    allows, and the primary key makes a second insert of the same token impossible (double submissions)."""

    token = models.CharField(_("tunniste"), max_length=64, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("käyttäjä"), on_delete=models.CASCADE, related_name="+"
    )
    used_at = models.DateTimeField(_("käytetty"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("käytetty lomaketunniste")
        verbose_name_plural = _("käytetyt lomaketunnisteet")

    def __str__(self) -> str:
        return f"{self.user_id} {self.used_at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """An API POST's Idempotency-Key with the first answer given to it, replayed to repeats of the same request.

    The row is inserted in the same transaction as the request's writes, so a second request with the same key
    waits on the unique index until the first one commits (and then replays its answer) or rolls back.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("käyttäjä"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("avain"), max_length=255)
    request_hash = models.CharField(_("pyynnön tiiviste"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("vastauksen tila"), null=True, blank=True)
    response_body = models.JSONField(_("vastaus"), null=True, blank=True)
    created_at = models.DateTimeField(_("luotu"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("toistoavain")
        verbose_name_plural = _("toistoavaimet")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class ApiToken(models.Model):
    """An integration's API token: only a SHA-256 hash of its secret is kept; it expires and can be revoked.

    The token handed out once is ``<prefix>.<secret>``; the prefix finds the row, the secret's hash proves it.
    Written only by sibcase.api_tokens (create/revoke, each audited).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("käyttäjä"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("nimi"), max_length=100, blank=True)
    prefix = models.CharField(_("tunnisteen alku"), max_length=16, unique=True)
    secret_hash = models.CharField(_("salaisuuden tiiviste"), max_length=64)
    created_at = models.DateTimeField(_("luotu"), default=timezone.now)
    expires_at = models.DateTimeField(_("vanhenee"))
    revoked_at = models.DateTimeField(_("peruttu"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("käytetty viimeksi"), null=True, blank=True)

    class Meta:
        verbose_name = _("API-tunniste")
        verbose_name_plural = _("API-tunnisteet")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_created"
            ),
            models.CheckConstraint(
                condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 - a pattern, not a password
                name="api_token_hash_is_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.user_id})"
