"""API tokens: only a hash is stored; expired, revoked, wrong or an inactive user's tokens are refused; created and
revoked from the command line (audited); listed read-only in the admin."""

import datetime
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from sibcase.api_tokens import api_token_create, api_token_revoke
from sibcase.errors import DomainError
from sibcase.models import ApiToken, AuditEvent

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _get(client, token):
    return client.get(reverse("api:family-list"), HTTP_AUTHORIZATION=f"Token {token}")


def _refused(response) -> bool:
    return response.status_code in (401, 403) and response.json()["code"] == "authentication_failed"


def test_a_new_token_works_and_only_its_hash_is_stored(client, social_worker):
    token = api_token_create(user=social_worker, name="register import")
    assert _get(client, token).status_code == 200
    prefix, secret = token.split(".")
    row = ApiToken.objects.get(prefix=prefix)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(list(ApiToken.objects.values()))
    assert row.last_used_at is not None


def test_a_token_with_the_right_prefix_and_a_wrong_secret_is_refused(client, social_worker):
    prefix = api_token_create(user=social_worker).split(".")[0]
    assert _refused(_get(client, f"{prefix}.not-the-secret"))


def test_an_expired_token_is_refused(client, social_worker):
    token = api_token_create(user=social_worker, days=1)
    past = timezone.now() - datetime.timedelta(days=2)
    ApiToken.objects.filter(prefix=token.split(".")[0]).update(
        created_at=past, expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert _refused(_get(client, token))


def test_a_revoked_token_is_refused_and_the_revocation_audited(client, social_worker):
    token = api_token_create(user=social_worker)
    api_token_revoke(prefix=token.split(".")[0])
    assert _refused(_get(client, token))
    assert AuditEvent.objects.filter(event_type="api_token.revoked").count() == 1


def test_an_inactive_users_token_is_refused(client, social_worker):
    token = api_token_create(user=social_worker)
    social_worker.is_active = False
    social_worker.save()
    assert _refused(_get(client, token))


def test_a_validity_beyond_the_maximum_is_refused(social_worker, settings):
    with pytest.raises(DomainError):
        api_token_create(user=social_worker, days=settings.API_TOKEN_MAX_DAYS + 1)
    assert not ApiToken.objects.exists()


def test_create_api_token_prints_the_token_once_and_audits(client, social_worker):
    out = io.StringIO()
    call_command("create_api_token", social_worker.username, "--days", "30", "--name", "tuonti", stdout=out)
    token = out.getvalue().strip()
    assert _get(client, token).status_code == 200
    row = ApiToken.objects.get()
    assert (row.name, (row.expires_at - row.created_at).days) == ("tuonti", 30)
    assert AuditEvent.objects.filter(event_type="api_token.created", object_id=str(row.pk)).exists()


def test_create_api_token_refuses_an_unknown_user():
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())


def test_revoke_api_token_stops_the_token(client, social_worker):
    token = api_token_create(user=social_worker)
    call_command("revoke_api_token", token.split(".")[0], stdout=io.StringIO())
    assert _refused(_get(client, token))


def test_the_admin_lists_tokens_read_only_without_the_hash(client, admin_user):
    row_token = api_token_create(user=UserFactory())
    row = ApiToken.objects.get(prefix=row_token.split(".")[0])
    client.force_login(admin_user)
    listing = client.get(reverse("admin:sibcase_apitoken_changelist"))
    assert listing.status_code == 200
    assert row.prefix in listing.content.decode()
    change = client.get(reverse("admin:sibcase_apitoken_change", args=[row.pk]))
    assert row.secret_hash not in change.content.decode()
    assert client.post(reverse("admin:sibcase_apitoken_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=row.pk, revoked_at=None).exists()
