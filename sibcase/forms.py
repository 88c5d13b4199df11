"""Form helpers shared by every app's pages."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

SESSION_KEY = "form_tokens"
MAX_TOKENS = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a refusal from a service on the form: on the named field if the form has it, else on the form."""
    field = error.field_name if error.field_name in form.fields else None
    for problem in error.problems:
        form.add_error(field, forms.ValidationError(str(problem.message), code=problem.code))


class OnceTokenForm(forms.Form):
    """A hidden one-time token: a second submission of the same rendered form is refused, not saved twice."""

    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, request=None, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)
        if not self.is_bound and request is not None:
            token = secrets.token_urlsafe(16)
            tokens = request.session.get(SESSION_KEY, [])[-MAX_TOKENS + 1 :]
            request.session[SESSION_KEY] = [*tokens, token]
            self.initial["form_token"] = token

    def clean_form_token(self) -> str:
        token = self.cleaned_data.get("form_token", "")
        if self.request is not None and token not in self.request.session.get(SESSION_KEY, []):
            raise forms.ValidationError(
                _("Lomake on jo lähetetty tai se on vanhentunut. Tarkista tiedot ja lähetä uudelleen."),
                code="already_submitted",
            )
        return token

    def consume_token(self) -> None:
        """Call after the save succeeded, so a failed save can be corrected and sent again."""
        tokens = self.request.session.get(SESSION_KEY, [])
        if self.cleaned_data.get("form_token") in tokens:
            tokens.remove(self.cleaned_data["form_token"])
            self.request.session[SESSION_KEY] = tokens
            self.request.session.modified = True


def form_status(*forms) -> int:
    """400 for a page re-shown because what was sent is invalid (the user's input is kept), else 200."""
    invalid = any(
        getattr(form, "is_bound", False) and (form.errors or getattr(form, "non_form_errors", list)()) for form in forms
    )
    return 400 if invalid else 200
