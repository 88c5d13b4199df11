"""Shared pieces of the REST API: JSON errors, role permissions, pagination, and access logging.

Every error leaves as JSON: {"code": ..., "message": ..., "errors": [...]} — a DomainError's problems, a
validation error's fields, or "server_error" for a bug (logged with its trace, never shown).

Every POST may carry an `Idempotency-Key` header (IdempotentPosts): the same key and body from the same user
within IDEMPOTENCY_KEY_TTL answer the first response again; the same key with another body answers 422.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .audit import access_log_record_many
from .errors import DomainError
from .forms import claim_row
from .models import AccessAction, IdempotencyKey

logger = logging.getLogger("sibcase.api")


def api_exception_handler(exc: Exception, context: dict) -> Response:
    if isinstance(exc, IdempotentReplay):
        return Response(exc.body, status=exc.status, headers={"Idempotent-Replayed": "true"})
    if isinstance(exc, RecursionError):  # JSON nested deeper than the parser can follow
        return Response(
            {
                "code": "parse_error",
                "message": str(_("Pyynnön JSON on liian syvälle sisäkkäinen. Mitään ei tallennettu.")),
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(
            {
                "code": exc.problems[0].code,
                "message": str(exc.problems[0].message),
                "errors": [{**p.as_dict(), "field": exc.field_name} for p in exc.problems],
            },
            status=status.HTTP_409_CONFLICT if "already_enrolled" in exc.codes else status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"code": "too_large", "message": str(_("Pyyntö on liian suuri. Mitään ei tallennettu."))},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in API view %s", context.get("view").__class__.__name__, exc_info=exc)
        set_rollback()
        return Response(
            {"code": "server_error", "message": str(_("Palvelussa tapahtui virhe. Mitään ei tallennettu."))},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "message": str(_("Tiedoissa on virheitä.")),
            "errors": response.data if isinstance(response.data, dict) else {"non_field_errors": response.data},
        }
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        response.data = {"code": codes if isinstance(codes, str) else exc.default_code, "message": str(exc.detail)}
    return response


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_TTL = datetime.timedelta(hours=24)
_KEY_FORMAT = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII without spaces, as Stripe and the IETF draft


class IdempotentReplay(Exception):  # noqa: N818 - not an error: carries the stored answer to the handler
    def __init__(self, *, status: int, body) -> None:
        self.status, self.body = status, body
        super().__init__(status)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _("Sama Idempotency-Key on jo käytetty toisenlaiseen pyyntöön. Mitään ei tallennettu.")


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_in_progress"
    default_detail = _("Pyyntö samalla Idempotency-Key-avaimella on vielä kesken. Yritä hetken päästä uudelleen.")


class IdempotentPosts:
    """ViewSet mixin: a POST with an `Idempotency-Key` header is done once per user and key.

    The key is claimed (INSERT … ON CONFLICT DO NOTHING into IdempotencyKey) in the same transaction as the
    request's writes and stored with the answer before that transaction commits. A repeat with the same body
    answers the stored status and body again (header `Idempotent-Replayed: true`); a parallel repeat waits on
    the key's unique index until the first commits, then replays it. The same key with another body: 422. A
    server error (5xx) rolls back the key too, so the request can be retried with it. Keys expire after
    IDEMPOTENCY_KEY_TTL (24 h); `manage.py purge_request_keys` deletes the expired rows.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or IDEMPOTENCY_HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        self.idempotency_claimed = None
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            claimed = self.idempotency_claimed
            if claimed is not None:
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                else:
                    body = json.loads(JSONRenderer().render(response.data)) if response.data is not None else None
                    IdempotencyKey.objects.filter(pk=claimed.pk).update(
                        response_status=response.status_code, response_body=body
                    )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions and throttles first
        if request.method == "POST" and IDEMPOTENCY_HEADER in request.headers:
            self.idempotency_claimed = idempotency_key_claim(
                user=request.user, key=request.headers[IDEMPOTENCY_HEADER], request_hash=request_hash(request)
            )


def idempotency_key_claim(*, user, key: str, request_hash: str) -> IdempotencyKey:
    """The key claimed for this request, or an exception that answers it (replay, 422 reuse, 409 in progress).

    Call inside the request's transaction: the claim commits or rolls back with the request's writes.
    """
    if not _KEY_FORMAT.fullmatch(key):
        raise exceptions.ValidationError(
            {IDEMPOTENCY_HEADER: [_("Avaimen on oltava 1–255 näkyvää ASCII-merkkiä ilman välilyöntejä.")]}
        )
    now = timezone.now()
    # Expired keys count as new; the user's expired answers (they may hold personal data) go at the same time.
    IdempotencyKey.objects.filter(user=user, created_at__lt=now - IDEMPOTENCY_KEY_TTL).delete()
    if claim_row(IdempotencyKey, user=user.pk, key=key, request_hash=request_hash, created_at=now):
        return IdempotencyKey.objects.get(user=user, key=key)
    stored = IdempotencyKey.objects.get(user=user, key=key)
    if stored.request_hash != request_hash:
        raise IdempotencyKeyReused()
    if stored.response_status is None:
        raise IdempotencyKeyInProgress()
    raise IdempotentReplay(status=stored.response_status, body=stored.response_body)


def request_hash(request) -> str:
    """SHA-256 of the method, path and content: JSON canonically, form fields sorted, files by their bytes (so a
    client that re-encodes the same multipart upload with another boundary still matches)."""
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    data = request.data
    if hasattr(data, "lists"):
        fields = sorted(
            (name, str(value)) for name, values in data.lists() for value in values if not hasattr(value, "read")
        )
        digest.update(json.dumps(fields).encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                digest.update(f"\n{name}:{upload.name}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def idempotency_keys_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the expired idempotency keys; the number deleted."""
    now = now or timezone.now()
    deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=now - IDEMPOTENCY_KEY_TTL).delete()
    return deleted


class HasRole(permissions.BasePermission):
    """The view's `roles` (reads) and `write_roles` (writes, default: the same) decide who may call it."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        roles = getattr(view, "roles", set())
        if request.method not in permissions.SAFE_METHODS:
            roles = getattr(view, "write_roles", roles)
        return user.is_superuser or user.role in roles


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AccessLoggedReads:
    """ViewSet mixin: list and retrieve responses are written to the access log, one row per family shown.

    `access_family_field` names the family id in the serialized rows ("id" for families, "family" otherwise).
    """

    access_family_field = "family"
    access_basis = "rajapinta"

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        log_api_read(request, family_ids=[row[self.access_family_field] for row in rows], basis=self.access_basis)
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        log_api_read(request, family_ids=[response.data[self.access_family_field]], basis=self.access_basis)
        return response


def log_api_read(request, *, family_ids: Iterable[int], basis: str) -> None:
    """An API response showing people's data is logged like a page: one row per family."""
    access_log_record_many(
        user=request.user,
        action=AccessAction.API_READ,
        basis=basis,
        family_ids=[family_id for family_id in family_ids if family_id is not None],
        path=request.get_full_path(),
    )


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "errors": {"oneOf": [{"type": "object"}, {"type": "array"}]},
        "imported": {"type": "integer"},
    },
    "required": ["code", "message"],
}
ERROR_STATUSES = {
    "400": "Invalid input; nothing was saved",
    "401": "Not authenticated",
    "403": "The role may not do this",
    "404": "Not found, or not visible to the caller",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflict with the current state",
    "413": "Request too large",
    "415": "Unsupported media type",
    "422": "Idempotency-Key already used for another request",
    "429": "Too many requests",
    "500": "Server error; nothing was saved",
}


IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Any unique string (1-255 visible ASCII characters, e.g. a UUID). The same key and body from the same user "
        "within 24 hours answer the first response again (header Idempotent-Replayed: true); the same key with "
        "another body answers 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular post-processing: every operation documents the JSON errors it can answer with."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method == "post":
                operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": reference}}}
                )
    return result
