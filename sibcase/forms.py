"""Form helpers shared by every app's pages."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.core import signing
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .errors import DomainError, Problem
from .models import UsedFormToken

FORM_TOKEN_MAX_AGE = 24 * 60 * 60  # seconds a rendered form may wait before it is sent
_SALT = "sibcase.forms.once-token"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a refusal from a service on the form: on the named field if the form has it, else on the form."""
    field = error.field_name if error.field_name in form.fields else None
    for problem in error.problems:
        form.add_error(field, forms.ValidationError(str(problem.message), code=problem.code))


def _already_sent() -> Problem:
    return Problem(
        "already_submitted",
        _("Lomake on jo lähetetty ja tallennettu. Tarkista tiedot ennen kuin kirjaat saman uudelleen."),
    )


def _expired() -> Problem:
    return Problem("form_expired", _("Lomake on vanhentunut. Tarkista tiedot ja lähetä uudelleen."))


def claim_row(model: type[models.Model], **values) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True if this call inserted the row, False if it was there already.

    Inside a transaction, a concurrent insert of the same key waits on the unique index until the other
    transaction ends: it then fails if that one committed and succeeds if it rolled back, so exactly one wins.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name) for name in values]
    # Table and column names come from the model and are quoted; every value is a query parameter.
    sql = "INSERT INTO {table} ({columns}) VALUES ({params}) ON CONFLICT DO NOTHING RETURNING 1".format(  # noqa: S608
        table=quote(meta.db_table),
        columns=", ".join(quote(field.column) for field in columns),
        params=", ".join(["%s"] * len(columns)),
    )
    params = [field.get_db_prep_save(values[field.name], connection) for field in columns]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


class OnceTokenForm(forms.Form):
    """A hidden one-time token: a second submission of the same rendered form is refused, not saved twice.

    The token is signed with the user's id and a time (no session state that parallel requests could
    overwrite). It is spent by inserting it into `UsedFormToken` in the same transaction as the save, so of
    several copies sent at once exactly one is saved; a save refused by a rule rolls the token back with it,
    and the corrected form can be sent again. Views save inside `with form.submission():`.
    """

    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        self._nonce: str | None = None
        super().__init__(*args, **kwargs)
        if not self.is_bound and request is not None:
            self.initial["form_token"] = self._new_token()

    def _new_token(self) -> str:
        return self._signer().sign(secrets.token_urlsafe(16))

    def _signer(self) -> signing.TimestampSigner:
        return signing.TimestampSigner(salt=f"{_SALT}:{self.request.user.pk}")

    def clean_form_token(self) -> str:
        token = self.cleaned_data.get("form_token", "")
        if self.request is None:
            return token
        try:
            nonce = self._signer().unsign(token, max_age=FORM_TOKEN_MAX_AGE)
        except signing.BadSignature:  # expired, from another user's page, or tampered with
            # The page is shown again with a fresh token: what was typed can be checked and sent.
            data = self.data.copy()
            data[self.add_prefix("form_token")] = self._new_token()
            self.data = data
            raise forms.ValidationError(_expired().message, code="form_expired") from None
        if UsedFormToken.objects.filter(token=nonce).exists():
            raise forms.ValidationError(_already_sent().message, code="already_submitted")
        self._nonce = nonce
        return token

    @contextmanager
    def submission(self) -> Iterator[None]:
        """Wrap the save: the token is spent in the same transaction, or DomainError("already_submitted").

        A save refused by a rule (DomainError) gives the token back, and whatever the service recorded about
        the refusal itself (e.g. the enrollment refusal statistics) is kept, as it is without a token.
        """
        refused: DomainError | None = None
        with transaction.atomic():
            self._spend_token()
            try:
                yield
            except DomainError as exc:
                if self._nonce is not None:
                    UsedFormToken.objects.filter(token=self._nonce).delete()
                refused = exc
        if refused is not None:
            raise refused

    def _spend_token(self) -> None:
        if self.request is None:
            return
        if self._nonce is None:
            raise DomainError(_already_sent())
        if not claim_row(UsedFormToken, token=self._nonce, user=self.request.user.pk, used_at=timezone.now()):
            raise DomainError(_already_sent())


def form_tokens_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete spent tokens older than FORM_TOKEN_MAX_AGE (their signatures have expired); the number deleted."""
    now = now or timezone.now()
    deleted, _rows = UsedFormToken.objects.filter(
        used_at__lt=now - datetime.timedelta(seconds=FORM_TOKEN_MAX_AGE)
    ).delete()
    return deleted


def form_status(*forms) -> int:
    """400 for a page re-shown because what was sent is invalid (the user's input is kept), else 200."""
    invalid = any(
        getattr(form, "is_bound", False) and (form.errors or getattr(form, "non_form_errors", list)()) for form in forms
    )
    return 400 if invalid else 200
