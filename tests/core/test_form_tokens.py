"""One-time form tokens: signed for one user, spent once in the save's transaction, given back on refusal."""

import datetime

import pytest
from django import forms
from django.test import RequestFactory
from django.utils import timezone

from sibcase.errors import DomainError, Problem
from sibcase.forms import OnceTokenForm, form_tokens_purge
from sibcase.models import UsedFormToken

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


class NoteForm(OnceTokenForm):
    note = forms.CharField()


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _rendered_token(user) -> str:
    return NoteForm(request=_request(user)).initial["form_token"]


def _sent(user, token) -> NoteForm:
    form = NoteForm({"note": "x", "form_token": token}, request=_request(user))
    return form


def test_a_token_is_spent_by_the_save_and_refused_the_second_time():
    user = UserFactory()
    token = _rendered_token(user)
    form = _sent(user, token)
    assert form.is_valid()
    with form.submission():
        pass
    again = _sent(user, token)
    assert not again.is_valid()
    assert again.errors["form_token"][0].startswith("Lomake on jo lähetetty")


def test_a_token_rendered_for_another_user_is_refused():
    token = _rendered_token(UserFactory())
    assert not _sent(UserFactory(), token).is_valid()


def test_a_tampered_token_is_refused():
    user = UserFactory()
    assert not _sent(user, _rendered_token(user) + "x").is_valid()


def test_a_refused_save_gives_the_token_back():
    user = UserFactory()
    form = _sent(user, _rendered_token(user))
    assert form.is_valid()
    with pytest.raises(DomainError), form.submission():
        raise DomainError(Problem("rule", "refused"))
    assert not UsedFormToken.objects.exists()
    with form.submission():
        pass
    assert UsedFormToken.objects.count() == 1


def test_a_token_spent_meanwhile_is_refused_at_save_time():
    user = UserFactory()
    token = _rendered_token(user)
    first, second = _sent(user, token), _sent(user, token)
    assert first.is_valid() and second.is_valid()
    with first.submission():
        pass
    with pytest.raises(DomainError) as refused, second.submission():
        pytest.fail("the second copy must not be saved")
    assert refused.value.codes == ["already_submitted"]


def test_spent_tokens_older_than_a_day_are_purged():
    user = UserFactory()
    for token in ("old", "new"):
        UsedFormToken.objects.create(token=token, user=user)
    UsedFormToken.objects.filter(token="old").update(used_at=timezone.now() - datetime.timedelta(hours=25))
    assert form_tokens_purge() == 1
    assert list(UsedFormToken.objects.values_list("token", flat=True)) == ["new"]


def test_an_expired_form_is_shown_again_with_a_fresh_token_that_can_be_sent(monkeypatch):
    user = UserFactory()
    token = _rendered_token(user)
    monkeypatch.setattr("sibcase.forms.FORM_TOKEN_MAX_AGE", -1)
    expired = _sent(user, token)
    assert not expired.is_valid()
    assert expired.errors.as_data()["form_token"][0].code == "form_expired"
    fresh = expired["form_token"].value()
    assert fresh != token
    monkeypatch.undo()
    again = _sent(user, fresh)
    assert again.is_valid()


def test_a_spent_token_is_not_renewed():
    user = UserFactory()
    token = _rendered_token(user)
    form = _sent(user, token)
    assert form.is_valid()
    with form.submission():
        pass
    again = _sent(user, token)
    assert not again.is_valid()
    assert again["form_token"].value() == token
