"""Form helpers shared by every app's pages."""

from __future__ import annotations

import datetime
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from django import forms
from django.core import signing
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .errors import DomainError, Problem
from .models import UsedFormToken

T = TypeVar("T")

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


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What a form's save returned (`OnceTokenForm.save_posted`); a service may return None and still have saved."""

    value: T


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

    def save_posted(self, save: Callable[[], T]) -> Saved[T] | None:
        """A sent, valid form's `save()` run as its one submission; a rule's refusal (DomainError) is put on the form.
        The saved result, or None when nothing was saved (nothing sent, invalid, refused): the view shows the form."""
        if not self.is_bound or not self.is_valid():
            return None
        try:
            with self.submission():
                return Saved(save())
        except DomainError as exc:
            add_domain_error(self, exc)
            return None

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


# Numbers, dates, units and choices in the app's language ------------------------------------------------------
# Browsers read <input type="number"> and <input type="date"> in the browser's own locale, not the app's: an
# English browser takes "7200,50" for 720050. These fields are plain text inputs that the server reads in the
# active language, show their unit beside them, and refuse values no one could mean.

EURO_AMOUNT_MAX = Decimal("10000000")  # the whole fund's outcome payments are about €10 M: no euro figure is more
_SPACES = str.maketrans("", "", " \u00a0\u202f")
_ENGLISH_GROUPED = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?")


class UnitTextInput(forms.TextInput):
    """A text input with its unit (or format hint) beside it; the unit is tied to the input by aria-describedby."""

    def __init__(self, *, unit="", attrs=None):
        self.unit = unit
        super().__init__(attrs=attrs)

    def render(self, name, value, attrs=None, renderer=None):
        attrs = dict(attrs or {})
        if not self.unit or not attrs.get("id"):
            return super().render(name, value, attrs, renderer)
        unit_id = f"{attrs['id']}_unit"
        attrs["aria-describedby"] = f"{attrs.get('aria-describedby', '')} {unit_id}".strip()
        field = super().render(name, value, attrs, renderer)
        return format_html(
            '<span class="with-unit">{}<span class="unit" id="{}">{}</span></span>', field, unit_id, self.unit
        )


def _number_text(value) -> str:
    return number_format(value, use_l10n=True, force_grouping=True)


class LocalDecimalField(forms.DecimalField):
    """A number typed as the app's language writes it: "7 200,50" in Finnish and Swedish, "7,200.50" in English.

    A point is read as the decimal separator in Finnish and Swedish too (neither uses it for grouping); in English
    a comma is accepted only in thousands groups, so "1,5" is refused rather than read as 15. `plausible_max` and
    `plausible_min` refuse values outside what the field can sensibly hold, with the limit and unit in the message.
    """

    widget = UnitTextInput

    def __init__(self, *, unit="", plausible_min=None, plausible_max=None, **kwargs):
        kwargs["localize"] = True
        super().__init__(**kwargs)
        self.unit = unit
        self.plausible_min = plausible_min
        self.plausible_max = plausible_max
        self.widget.unit = unit
        self.widget.attrs.setdefault("inputmode", "decimal")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().translate(_SPACES)
        if (get_language() or "fi")[:2] == "en":
            if "," in text:
                if not _ENGLISH_GROUPED.fullmatch(text):
                    raise forms.ValidationError(
                        _("Käytä desimaalierottimena pistettä (esim. 1.5); pilkku erottaa vain tuhannet."),
                        code="decimal_separator",
                    )
                text = text.replace(",", "")
        else:
            if text.count(",") + text.count(".") > 1:
                raise forms.ValidationError(
                    _("Kirjoita luku ilman tuhaterottimia, desimaalit pilkun jälkeen (esim. 7200,50)."),
                    code="decimal_separator",
                )
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if not number.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        if self.plausible_max is not None and value > self.plausible_max:
            raise forms.ValidationError(
                _("%(value)s %(unit)s ei ole uskottava arvo: enintään %(limit)s %(unit)s."),
                code="implausible",
                params={"value": _number_text(value), "limit": _number_text(self.plausible_max), "unit": self.unit},
            )
        if self.plausible_min is not None and value < self.plausible_min:
            raise forms.ValidationError(
                _("%(value)s %(unit)s ei ole uskottava arvo: vähintään %(limit)s %(unit)s."),
                code="implausible",
                params={"value": _number_text(value), "limit": _number_text(self.plausible_min), "unit": self.unit},
            )


class LocalIntegerField(LocalDecimalField):
    """A whole number in the app's language, with its unit and plausible range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("decimal_places", 0)
        super().__init__(**kwargs)
        self.widget.attrs["inputmode"] = "numeric"

    def to_python(self, value):
        number = super().to_python(value)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise forms.ValidationError(_("Kirjoita kokonaisluku."), code="whole_number")
        return number.to_integral_value()

    def clean(self, value):
        number = super().clean(value)
        return None if number is None else int(number)


class EuroField(LocalDecimalField):
    """A euro amount: two decimals, never negative, at most `plausible_max` (by default EURO_AMOUNT_MAX)."""

    def __init__(self, *, unit="€", plausible_max=EURO_AMOUNT_MAX, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(unit=unit, plausible_max=plausible_max, **kwargs)


class LocalDateInput(UnitTextInput):
    """A date as the app writes it everywhere (d.m.yyyy), with the format beside the field."""

    def __init__(self, attrs=None):
        super().__init__(unit=_("p.k.vvvv"), attrs={"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return f"{value.day}.{value.month}.{value.year}"
        return super().format_value(value)


class LocalDateField(forms.DateField):
    """Reads d.m.yyyy (also d.m.yy, d/m/yyyy and ISO yyyy-mm-dd) in every language: the app shows dates as
    d.m.yyyy in Finnish, Swedish and English alike, so a typed date is never read month-first."""

    widget = LocalDateInput
    input_formats = ["%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%Y-%m-%d"]


def preselect_single_choices(form: forms.BaseForm, *names: str) -> None:
    """On a blank form, choose the only possible choice of each named field (the only programme, guardian…)."""
    if form.is_bound:
        return
    for name in names:
        field = form.fields.get(name)
        if field is None or form.initial.get(name):
            continue
        choices = list(field.queryset[:2])
        if len(choices) == 1:
            form.initial[name] = choices[0].pk


def default_today(form: forms.BaseForm, *names: str) -> None:
    """On a blank form, date fields whose usual answer is today start with today."""
    if form.is_bound:
        return
    for name in names:
        if name in form.fields:
            form.initial.setdefault(name, timezone.localdate())


@dataclass(frozen=True)
class ErrorItem:
    anchor: str  # the field's id, "" for an error of the whole form
    label: str
    message: str


def error_summary(*forms_and_formsets) -> list[ErrorItem]:
    """Every error of the given forms and formsets, in page order, each linking to its field (GOV.UK pattern)."""
    items: list[ErrorItem] = []

    def of_form(form, suffix=""):
        if not form.is_bound:
            return
        for message in form.non_field_errors():
            items.append(ErrorItem("", "", str(message)))
        for name, field in form.fields.items():
            for message in form.errors.get(name, []):
                if isinstance(field.widget, forms.HiddenInput):
                    items.append(ErrorItem("", "", str(message)))
                else:
                    items.append(ErrorItem(form[name].auto_id or "", f"{field.label}{suffix}", str(message)))

    for entry in forms_and_formsets:
        if entry is None:
            continue
        if isinstance(entry, forms.BaseFormSet):
            if not entry.is_bound:
                continue
            for message in entry.non_form_errors():
                items.append(ErrorItem("", "", str(message)))
            for index, form in enumerate(entry.forms, start=1):
                of_form(form, f" ({index})")
        else:
            of_form(entry)
    return items
